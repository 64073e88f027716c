"""Messages to a victim, which obey her safe-contact preferences (a message on an unsafe phone can
get her hurt).

A message goes ONLY by SMS, ONLY to the safe number of her ``SafeContact``, ONLY when she agreed that
messages may be left (``may_leave_message``), never to any other number on her record. Otherwise it is
withheld: the delivery says why, the case timeline and the audit log record it, and the workers of the
unit holding the case are told (``victim_withheld``) so that someone contacts her safely, as her
preferences say. Her preferences are checked again when the message is sent: a consent withdrawn in
between still stops it.

The text is in her language from her safe-contact record (``SafeContact.language``), else in
``settings.QORGAU_VICTIM_LANGUAGE`` (Russian unless configured; see docs/notifications.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import translation

from qorgau.accounts.delivery import LANGUAGES, Message, deliveries_enqueue
from qorgau.accounts.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    NotificationKind,
    User,
    VictimNoticeKind,
    WithheldReason,
)
from qorgau.accounts.recipients import unit_staff
from qorgau.accounts.roles import Capability
from qorgau.accounts.services import notify
from qorgau.accounts.sms import phone_normalise
from qorgau.cases.ledger import event_add
from qorgau.cases.models import Case, EventKind
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction
from qorgau.people.models import SafeContact


def victim_language(contact: SafeContact | None = None) -> str:
    """Her own language from her safe-contact record, else the installation's default."""
    if contact is not None and contact.language in LANGUAGES:
        return contact.language
    language: str = getattr(settings, "QORGAU_VICTIM_LANGUAGE", settings.LANGUAGE_CODE)
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


def withheld_reason(contact: SafeContact | None) -> WithheldReason | None:
    """Why no message may be left for her, or None when her safe number may receive one."""
    if contact is None or not contact.may_leave_message:
        return WithheldReason.NO_MESSAGE_CONSENT
    if not (contact.phone or "").strip():
        return WithheldReason.NO_SAFE_PHONE
    if not phone_normalise(contact.phone or ""):
        return WithheldReason.PHONE_UNUSABLE
    return None


def _contact(case: Case) -> SafeContact | None:
    return SafeContact.objects.filter(person_id=case.victim_id).first()


@transaction.atomic
def victim_message(*, actor: User | None, case: Case, kind: VictimNoticeKind | str, key: str) -> Delivery:
    """Queue a message to the case's victim about an event, or withhold it. ``key`` names the event
    (``order_served:<order id>``): a second call with the same key returns the first delivery."""
    kind = VictimNoticeKind(kind)  # an unknown kind is a programming error (ValueError)
    if not key or len(key) > 80:
        raise ValueError("a victim message needs a key of 1 to 80 characters")
    existing = Delivery.objects.filter(case=case, key=key).first()
    if existing is not None:
        return existing
    contact = _contact(case)
    reason = withheld_reason(contact)
    now = clock.now()
    row = Delivery(
        case=case, victim_kind=kind, key=key, channel=DeliveryChannel.SMS, language=victim_language(contact), created_at=now,
        status=DeliveryStatus.WITHHELD if reason else DeliveryStatus.QUEUED, reason=reason or "",
        next_attempt_at=None if reason else now,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # the same event, from another worker at the same moment
        return Delivery.objects.get(case=case, key=key)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="victim_message", target_id=row.pk, outcome=row.status)
    if reason:
        victim_withheld(row, actor=actor)
    else:
        deliveries_enqueue([row.pk])
    return row


def victim_compose(row: Delivery) -> Message | WithheldReason:
    """The text and the safe number, when sending; her preferences as they are now."""
    assert row.case is not None
    contact = _contact(row.case)
    reason = withheld_reason(contact)
    if reason is not None:
        return reason
    assert contact is not None and contact.phone
    with translation.override(row.language or victim_language()):
        text = str(VictimNoticeKind(row.victim_kind).label)
    return Message(address=phone_normalise(contact.phone), subject="", body=text)


def _tell_holding_unit(case: Case) -> None:
    notify(
        recipients=unit_staff([case.holding_unit_id], capability=Capability.WORK_CASES),
        kind=NotificationKind.VICTIM_CONTACT_WITHHELD, target_type="case", target_id=case.pk,
    )


def victim_withheld(row: Delivery, *, actor: User | None) -> None:
    """Timeline, audit (when sending found it blocked) and the holding unit's workers: contact her safely."""
    assert row.case is not None
    event_add(row.case, EventKind.VICTIM_NOTICE, actor, to_state=DeliveryStatus.WITHHELD.value)
    if row.attempts:  # withheld when sending: the queueing's audit row said "queued"
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="victim_message", target_id=row.pk, outcome=DeliveryStatus.WITHHELD)
    _tell_holding_unit(row.case)


def victim_sent(row: Delivery) -> None:
    assert row.case is not None
    event_add(row.case, EventKind.VICTIM_NOTICE, None, to_state=DeliveryStatus.SENT.value)
    audit_record(actor=None, action=AuditAction.WRITE, target_type="victim_message", target_id=row.pk, outcome=DeliveryStatus.SENT)


def victim_undeliverable(row: Delivery) -> None:
    """Every attempt failed: the holding unit contacts her another way, as her preferences say."""
    assert row.case is not None
    event_add(row.case, EventKind.VICTIM_NOTICE, None, to_state=DeliveryStatus.FAILED.value)
    audit_record(actor=None, action=AuditAction.WRITE, target_type="victim_message", target_id=row.pk, outcome=DeliveryStatus.FAILED)
    _tell_holding_unit(row.case)
