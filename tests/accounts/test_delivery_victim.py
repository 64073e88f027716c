"""Messages to a victim obey her safe-contact preferences: only by SMS, only to her safe number, only
when she agreed that messages may be left; otherwise withheld, recorded, and her case's unit is told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from qorgau.accounts.delivery import MAX_ATTEMPTS, deliveries_retry_due, delivery_send
from qorgau.accounts.models import Delivery, DeliveryStatus, Notification, NotificationKind, VictimNoticeKind
from qorgau.accounts.roles import Role
from qorgau.accounts.victim_messages import victim_message
from qorgau.cases.models import Case, CaseEvent, EventKind
from qorgau.cases.reference import markers_load
from qorgau.cases.services import report_register
from qorgau.core import clock
from qorgau.people.models import SafeContact
from tests.accounts.delivery_support import with_contacts
from tests.accounts.support import audit, row_text
from tests.cases.factories import report_input

pytestmark = pytest.mark.django_db

RECORD_PHONE = "+7 701 111 22 33"  # the phone on her person record (tests.cases.factories)
SAFE_PHONE = "8 705 987 65 43"


@pytest.fixture
def inspector(make_user):
    markers_load()
    return make_user(Role.POLICE_INSPECTOR, language="en")


@pytest.fixture
def case(inspector) -> Case:
    return report_register(actor=inspector, data=report_input()).cases[0]


def _safe_contact(case: Case, *, may_leave_message: bool, phone: str | None) -> SafeContact:
    return SafeContact.objects.create(person=case.victim, may_call=True, phone=phone, may_leave_message=may_leave_message, updated_at=clock.now())


def _send(capture, case: Case, actor, kind=VictimNoticeKind.ORDER_SERVED, key="order_served:1") -> Delivery:
    with capture(execute=True):
        row = victim_message(actor=actor, case=case, kind=kind, key=key)
    row.refresh_from_db()
    return row


def _withheld_notes(case: Case) -> list[Notification]:
    return list(Notification.objects.filter(kind=NotificationKind.VICTIM_CONTACT_WITHHELD, target_type="case", target_id=str(case.pk)))


def test_sent_only_to_her_safe_number_in_the_configured_language(case, inspector, sms_outbox, settings, django_capture_on_commit_callbacks):
    settings.QORGAU_VICTIM_LANGUAGE = "en"
    _safe_contact(case, may_leave_message=True, phone=SAFE_PHONE)
    row = _send(django_capture_on_commit_callbacks, case, inspector)
    assert [m.phone for m in sms_outbox] == ["+77059876543"]
    assert sms_outbox[0].text == "Qorgau: the protective order was handed over and is now in force. In danger, call 102."
    assert (row.status, row.channel, row.language, row.attempts, row.reason) == ("sent", "sms", "en", 1, "")
    assert not any("7011112233" in m.phone.replace("+", "") for m in sms_outbox)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.VICTIM_NOTICE).count() == 1
    assert [a.outcome for a in audit("write", target_type="victim_message", target_id=str(row.pk))] == ["queued", "sent"]
    assert _withheld_notes(case) == []


def test_the_text_follows_the_configured_language(case, inspector, sms_outbox, settings, django_capture_on_commit_callbacks):
    settings.QORGAU_VICTIM_LANGUAGE = "kk"
    _safe_contact(case, may_leave_message=True, phone=SAFE_PHONE)
    row = _send(django_capture_on_commit_callbacks, case, inspector, kind=VictimNoticeKind.ORDER_EXPIRING, key="order_expiring:9")
    with translation.override("kk"):
        expected = str(VictimNoticeKind.ORDER_EXPIRING.label)
    assert row.language == "kk"
    assert [m.text for m in sms_outbox] == [expected]


@pytest.mark.parametrize(
    ("contact", "reason"),
    [
        (None, "no_message_consent"),  # nobody asked her
        ({"may_leave_message": False, "phone": SAFE_PHONE}, "no_message_consent"),
        ({"may_leave_message": True, "phone": None}, "no_safe_phone"),  # her record's own phone is never used
        ({"may_leave_message": True, "phone": "  "}, "no_safe_phone"),
        ({"may_leave_message": True, "phone": "call the sister"}, "phone_unusable"),
    ],
)
def test_withheld_unless_she_agreed_and_gave_a_safe_number(
    case, inspector, make_user, sms_outbox, mailoutbox, contact, reason, django_capture_on_commit_callbacks
):
    colleague = with_contacts(make_user(Role.POLICE_INSPECTOR, language="en"), email="duty@police.example.kz")
    analyst = make_user(Role.ANALYST)
    if contact is not None:
        _safe_contact(case, **contact)
    row = _send(django_capture_on_commit_callbacks, case, inspector)
    assert (row.status, row.reason, row.attempts) == ("withheld", reason, 0)
    assert sms_outbox == []
    assert CaseEvent.objects.filter(case=case, kind=EventKind.VICTIM_NOTICE).count() == 1
    assert [(a.outcome, a.actor_id) for a in audit("write", target_type="victim_message")] == [("withheld", inspector.pk)]
    told = {n.recipient_id for n in _withheld_notes(case)}
    assert {inspector.pk, colleague.pk} <= told and analyst.pk not in told
    # The colleague asked for this kind by e-mail (a default): the e-mail names neither her nor the reason.
    assert [m.to for m in mailoutbox] == [["duty@police.example.kz"]]
    assert "contact her safely" in mailoutbox[0].subject and "Сапарова" not in mailoutbox[0].body


def test_a_consent_withdrawn_before_sending_still_stops_the_message(case, inspector, sms_outbox, django_capture_on_commit_callbacks):
    contact = _safe_contact(case, may_leave_message=True, phone=SAFE_PHONE)
    with django_capture_on_commit_callbacks(execute=False):
        row = victim_message(actor=inspector, case=case, kind=VictimNoticeKind.ORDER_ISSUED, key="order_issued:1")
    assert row.status == DeliveryStatus.QUEUED
    contact.may_leave_message = False
    contact.save()
    assert delivery_send(row.pk) == "withheld"
    row.refresh_from_db()
    assert (row.status, row.reason) == ("withheld", "no_message_consent")
    assert sms_outbox == []
    assert _withheld_notes(case)
    assert [a.outcome for a in audit("write", target_type="victim_message")] == ["queued", "withheld"]


def test_one_message_per_event(case, inspector, sms_outbox, django_capture_on_commit_callbacks):
    _safe_contact(case, may_leave_message=True, phone=SAFE_PHONE)
    first = _send(django_capture_on_commit_callbacks, case, inspector, key="order_served:5")
    again = _send(django_capture_on_commit_callbacks, case, inspector, key="order_served:5")
    assert first.pk == again.pk
    assert len(sms_outbox) == 1
    other = _send(django_capture_on_commit_callbacks, case, inspector, key="order_served:6")
    assert other.pk != first.pk and len(sms_outbox) == 2


def test_the_message_names_nobody(case, inspector, sms_outbox, django_capture_on_commit_callbacks):
    _safe_contact(case, may_leave_message=True, phone=SAFE_PHONE)
    for kind in VictimNoticeKind:
        _send(django_capture_on_commit_callbacks, case, inspector, kind=kind, key=f"{kind.value}:1")
    victim, offender = case.victim, case.offender
    secrets = [victim.full_name, offender.full_name, victim.iin, victim.address, case.number, "Сапар", "Абая"]
    assert len(sms_outbox) == len(VictimNoticeKind)
    for message in sms_outbox:
        assert not any(s and s in message.text for s in secrets), message.text
    for row in Delivery.objects.all():
        assert "9876543" not in row_text(row)  # the safe number is read when sending, never stored


def test_when_every_attempt_fails_her_unit_is_told(case, inspector, settings, frozen, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.accounts.delivery_support.DownSms"
    _safe_contact(case, may_leave_message=True, phone=SAFE_PHONE)
    row = _send(django_capture_on_commit_callbacks, case, inspector)
    assert (row.status, row.attempts) == ("failed", 1)
    assert _withheld_notes(case) == []
    for _ in range(MAX_ATTEMPTS):
        frozen.advance(timedelta(hours=2))
        with django_capture_on_commit_callbacks(execute=True):
            deliveries_retry_due()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert {n.recipient_id for n in _withheld_notes(case)} == {inspector.pk}
    assert audit("write", target_type="victim_message")[-1].outcome == "failed"


def test_an_unknown_kind_or_missing_key_is_a_programming_error(case, inspector):
    with pytest.raises(ValueError):
        victim_message(actor=inspector, case=case, kind="birthday", key="x:1")
    with pytest.raises(ValueError):
        victim_message(actor=inspector, case=case, kind=VictimNoticeKind.ORDER_ISSUED, key="")
    assert not Delivery.objects.exists()


def test_her_own_language_wins_over_the_default(case, inspector, sms_outbox, settings, django_capture_on_commit_callbacks):
    settings.QORGAU_VICTIM_LANGUAGE = "ru"
    contact = _safe_contact(case, may_leave_message=True, phone=SAFE_PHONE)
    contact.language = "en"
    contact.save(update_fields=["language"])
    row = _send(django_capture_on_commit_callbacks, case, inspector)
    assert row.language == "en"
    assert sms_outbox[0].text == "Qorgau: the protective order was handed over and is now in force. In danger, call 102."


def test_her_language_is_recorded_with_her_preferences_and_checked(case, inspector):
    from qorgau.cases.services import SafeContactInput, safe_contact_update
    from qorgau.core.errors import Invalid

    contact = safe_contact_update(actor=inspector, case=case, version=None,
                                  data=SafeContactInput(may_call=True, phone=SAFE_PHONE, may_leave_message=True, language="kk"))
    assert contact.language == "kk"
    with pytest.raises(Invalid) as exc:
        safe_contact_update(actor=inspector, case=case, version=contact.version,
                            data=SafeContactInput(may_call=True, language="de"))
    assert list(exc.value.fields) == ["language"]
    contact.refresh_from_db()
    assert contact.language == "kk"  # nothing saved


def test_her_timeline_says_whether_the_message_was_sent_or_withheld(case, inspector, sms_outbox, django_capture_on_commit_callbacks):
    _send(django_capture_on_commit_callbacks, case, inspector, key="order_served:1")  # no preferences: withheld
    _safe_contact(case, may_leave_message=True, phone=SAFE_PHONE)
    _send(django_capture_on_commit_callbacks, case, inspector, key="order_served:2")
    states = list(CaseEvent.objects.filter(case=case, kind=EventKind.VICTIM_NOTICE).order_by("id").values_list("to_state", flat=True))
    assert states == ["withheld", "sent"]
