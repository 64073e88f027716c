"""Notifications by e-mail and SMS: the recipient's language and choices, no personal data, retries."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from qorgau.accounts.delivery import MAX_ATTEMPTS, deliveries_retry_due, delivery_send
from qorgau.accounts.models import Delivery, DeliveryChannel, DeliveryStatus, Notification, NotificationKind
from qorgau.accounts.preferences import Channels, notification_settings_save
from qorgau.accounts.services import notify
from tests.accounts.delivery_support import DownSms, FlakySms, with_contacts
from tests.accounts.support import row_text, valid_iin

pytestmark = pytest.mark.django_db

KK_OVERDUE = "Тапсырманың мерзімі өтіп, ол жоғарыға жіберілді"
EN_OVERDUE = "A task is overdue and was escalated"
RU_OVERDUE = "Задача просрочена и передана выше"


def _notify(capture, **kw) -> None:
    with capture(execute=True):
        notify(**kw)


def test_in_app_behaviour_is_unchanged_and_nothing_goes_out_without_contacts(make_user, mailoutbox, sms_outbox, django_capture_on_commit_callbacks):
    user = make_user()
    _notify(django_capture_on_commit_callbacks, recipients=[user], kind=NotificationKind.ORDER_BREACHED, target_type="order", target_id=7)
    note = Notification.objects.get(recipient=user, kind=NotificationKind.ORDER_BREACHED)
    assert (note.target_type, note.target_id, note.read_at) == ("order", "7", None)
    assert not Delivery.objects.exists()
    assert mailoutbox == [] and sms_outbox == []


def test_each_recipient_gets_the_email_in_their_own_language(make_user, mailoutbox, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://qorgau.example.kz"
    kk = with_contacts(make_user(language="kk"), email="kk@police.example.kz")
    en = with_contacts(make_user(language="en"), email="en@police.example.kz")
    ru = with_contacts(make_user(language="ru"), email="ru@police.example.kz")
    _notify(django_capture_on_commit_callbacks, recipients=[kk, en, ru], kind=NotificationKind.TASK_OVERDUE, target_type="task", target_id=42)

    by_address = {m.to[0]: m for m in mailoutbox}
    assert sorted(by_address) == ["en@police.example.kz", "kk@police.example.kz", "ru@police.example.kz"]
    assert KK_OVERDUE in by_address["kk@police.example.kz"].subject
    assert KK_OVERDUE in by_address["kk@police.example.kz"].body
    assert EN_OVERDUE not in by_address["kk@police.example.kz"].body
    assert EN_OVERDUE in by_address["en@police.example.kz"].subject
    assert RU_OVERDUE in by_address["ru@police.example.kz"].subject
    for message in mailoutbox:
        assert "https://qorgau.example.kz/protocols/tasks/42/" in message.body
        assert "https://qorgau.example.kz/notifications/settings/" in message.body
    rows = Delivery.objects.order_by("notification__recipient_id")
    assert [(d.channel, d.status, d.language, d.attempts) for d in rows] == [
        ("email", "sent", "kk", 1), ("email", "sent", "en", 1), ("email", "sent", "ru", 1)
    ]
    assert all(d.sent_at is not None for d in rows)
    assert all(d.provider_id.startswith("<") for d in rows)  # the Message-ID we gave the e-mail


def test_an_order_breach_also_goes_by_sms_to_the_work_phone(make_user, mailoutbox, sms_outbox, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://qorgau.example.kz"
    user = with_contacts(make_user(language="kk"), email="a@police.example.kz", phone="8 (701) 123-45-67")
    _notify(django_capture_on_commit_callbacks, recipients=[user], kind=NotificationKind.ORDER_BREACHED, target_type="order", target_id=5)
    assert [m.phone for m in sms_outbox] == ["+77011234567"]
    assert sms_outbox[0].text == "Qorgau: Қорғау нұсқамасы бұзылды https://qorgau.example.kz/orders/5/"
    assert len(mailoutbox) == 1
    assert set(Delivery.objects.values_list("channel", "status")) == {("email", "sent"), ("sms", "sent")}
    sms = Delivery.objects.get(channel="sms")
    assert sms.provider_id == sms_outbox[0].message_id


def test_no_personal_data_in_the_messages_the_deliveries_or_the_logs(make_user, mailoutbox, sms_outbox, django_capture_on_commit_callbacks, caplog):
    iin = valid_iin()
    user = with_contacts(
        make_user(language="en", full_name="Серікова Әлия", iin=iin, username="aliya_s"),
        email="aliya.serikova@police.example.kz", phone="+7 701 765 43 21",
    )
    with caplog.at_level(logging.DEBUG):
        _notify(django_capture_on_commit_callbacks, recipients=[user], kind=NotificationKind.ORDER_BREACHED, target_type="case", target_id=3)
    assert len(mailoutbox) == 1 and len(sms_outbox) == 1
    email = mailoutbox[0]
    texts = [email.subject, email.body, sms_outbox[0].text]
    for secret in ("Серікова", "Әлия", iin, "aliya", "765", "+77017654321"):
        assert not any(secret in t for t in texts), secret
    assert "/cases/3/" in email.body and "A protective order was breached" in email.subject
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "sms accepted" in logged  # the logging backend did log its line
    for secret in ("aliya.serikova", "7017654321", "+77017654321", "protective order", "Qorgau: "):
        assert secret not in logged, secret
    for row in Delivery.objects.all():
        text = row_text(row)
        assert "aliya" not in text and "7017654321" not in text and "protective" not in text


def test_the_recipients_choices_are_respected(make_user, mailoutbox, sms_outbox, django_capture_on_commit_callbacks):
    user = with_contacts(make_user(language="en"), email="u@police.example.kz")
    channels = {
        NotificationKind.TASK_OVERDUE.value: Channels(),  # an urgent kind turned off
        NotificationKind.TOKEN_ISSUED.value: Channels(email=True, sms=True),  # SMS chosen, but no phone
    }
    notification_settings_save(actor=user, version=user.version, email="u@police.example.kz", phone="", channels=channels)
    _notify(django_capture_on_commit_callbacks, recipients=[user], kind=NotificationKind.TASK_OVERDUE, target_type="task", target_id=1)
    assert mailoutbox == []
    _notify(django_capture_on_commit_callbacks, recipients=[user], kind=NotificationKind.TOKEN_ISSUED, target_type="api_token", target_id=1)
    assert [m.subject for m in mailoutbox] == ["Qorgau: A personal API token was issued"]
    assert sms_outbox == []
    assert list(Delivery.objects.values_list("channel", flat=True)) == ["email"]
    # An unchosen kind by default (a declined task) stays in the app only.
    _notify(django_capture_on_commit_callbacks, recipients=[user], kind=NotificationKind.TASK_DECLINED, target_type="task", target_id=1)
    assert len(mailoutbox) == 1
    assert Notification.objects.filter(recipient=user, kind=NotificationKind.TASK_DECLINED).exists()


def test_nothing_is_sent_before_the_transaction_commits(make_user, mailoutbox, django_capture_on_commit_callbacks):
    user = with_contacts(make_user(language="en"), email="u@police.example.kz")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipients=[user], kind=NotificationKind.TASK_OVERDUE)
    assert mailoutbox == []
    assert Delivery.objects.get().status == DeliveryStatus.QUEUED
    assert len(callbacks) == 1


def test_a_failed_sms_is_recorded_and_retried_after_the_backoff(make_user, sms_outbox, settings, frozen, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.accounts.delivery_support.FlakySms"
    user = with_contacts(make_user(language="en"), phone="+77011234567")
    _notify(django_capture_on_commit_callbacks, recipients=[user], kind=NotificationKind.ORDER_BREACHED)
    row = Delivery.objects.get(channel=DeliveryChannel.SMS)
    assert (row.status, row.attempts, row.last_error, row.next_attempt_at) == ("failed", 1, "gateway_busy", frozen.at + timedelta(minutes=1))
    assert sms_outbox == []

    assert deliveries_retry_due() == []  # not due yet
    frozen.advance(timedelta(minutes=1))
    assert deliveries_retry_due() == [row.pk]
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error, row.next_attempt_at, row.sent_at) == ("sent", 2, "", None, frozen.at)
    assert [m.phone for m in sms_outbox] == ["+77011234567"]
    assert FlakySms.calls == 2
    assert deliveries_retry_due() == []  # sent is final


def test_retries_are_bounded(make_user, settings, frozen, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.accounts.delivery_support.DownSms"
    user = with_contacts(make_user(language="en"), phone="+77011234567")
    _notify(django_capture_on_commit_callbacks, recipients=[user], kind=NotificationKind.ORDER_BREACHED)
    for _ in range(MAX_ATTEMPTS + 3):
        frozen.advance(timedelta(hours=2))
        deliveries_retry_due()
    row = Delivery.objects.get()
    assert (row.status, row.attempts, row.last_error, row.next_attempt_at) == ("failed", MAX_ATTEMPTS, "gateway_down", None)
    assert DownSms.calls == MAX_ATTEMPTS


def test_a_failed_email_keeps_only_the_error_class(make_user, settings, frozen, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.accounts.test_delivery.BrokenMail"
    user = with_contacts(make_user(language="en"), email="secret.person@police.example.kz")
    _notify(django_capture_on_commit_callbacks, recipients=[user], kind=NotificationKind.TASK_OVERDUE)
    row = Delivery.objects.get()
    assert (row.status, row.last_error) == ("failed", "SMTPRecipientsRefused")
    assert "secret.person" not in row_text(row)


def test_a_delivery_is_sent_once_however_often_it_is_asked(make_user, mailoutbox, django_capture_on_commit_callbacks):
    user = with_contacts(make_user(language="en"), email="u@police.example.kz")
    _notify(django_capture_on_commit_callbacks, recipients=[user], kind=NotificationKind.TASK_OVERDUE)
    row = Delivery.objects.get()
    assert delivery_send(row.pk) == "sent"
    assert deliveries_retry_due() == []
    assert len(mailoutbox) == 1


def test_a_deactivated_account_gets_nothing_more(make_user, mailoutbox, django_capture_on_commit_callbacks):
    user = with_contacts(make_user(language="en"), email="u@police.example.kz")
    with django_capture_on_commit_callbacks(execute=False):
        notify(recipients=[user], kind=NotificationKind.TASK_OVERDUE)
    user.is_active = False
    user.save(update_fields=["is_active"])
    row = Delivery.objects.get()
    assert delivery_send(row.pk) == "withheld"
    row.refresh_from_db()
    assert (row.status, row.reason) == ("withheld", "inactive")
    assert mailoutbox == []


class BrokenMail:
    """An e-mail backend whose server refuses the recipient, quoting the address as SMTP servers do."""

    def __init__(self, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: list) -> int:
        import smtplib

        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"no such user")})
