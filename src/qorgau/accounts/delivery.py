"""E-mail and SMS: planning deliveries, sending them in the recipient's language, bounded retries.

``notify`` writes the in-app rows and calls ``deliveries_plan``, which adds a ``Delivery`` per channel
the recipient chose (and has an address for) in the same transaction; after commit one task per
delivery (``accounts.tasks.deliver``, the delivery id its only argument) calls ``delivery_send``.

A message holds no personal data: the kind's text and a link to the record, nothing else. A failed
send is retried after 1, 5, 15 and 60 minutes — by a deferred task where the task backend can defer,
and by ``deliveries_retry_due`` (the ``retry_deliveries`` task) in any case — at most
``MAX_ATTEMPTS`` times. Each attempt is claimed by a conditional update, so two workers never send
one delivery at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, make_msgid
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from qorgau.accounts.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Notification,
    NotificationKind,
    User,
    WithheldReason,
)
from qorgau.accounts.preferences import channels_for
from qorgau.accounts.sms import SmsError, phone_normalise, sms_backend
from qorgau.core import clock

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=60))
LANGUAGES = ("ru", "kk", "en")
LIVE = (DeliveryStatus.QUEUED, DeliveryStatus.FAILED)

# Where a notification's target is read: (url name, its id argument). Others link to the list.
TARGET_ROUTES = {
    "case": ("cases:detail", "case_id"),
    "task": ("protocols:task", "task_id"),
    "order": ("orders:detail", "order_id"),
    "hearing": ("orders:hearing", "hearing_id"),
    "conference": ("protocols:conference", "conference_id"),
    "support_referral": ("support:referral", "referral_id"),
    "enrolment": ("programmes:enrolment", "enrolment_id"),
    "record_share": ("intake:shared_record", "share_id"),
    "api_token": ("accounts:security", ""),
    "access_alert": ("watch:alert", "alert_id"),
    "access_review": ("watch:review", ""),
}


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th attempt (1-based)."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def language_of(user: User) -> str:
    return user.language if user.language in LANGUAGES else settings.LANGUAGE_CODE


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def record_path(target_type: str, target_id: str) -> str:
    """The page of the record a notification points to (the notifications list when it has none)."""
    route = TARGET_ROUTES.get(target_type)
    if route is not None:
        name, arg = route
        try:
            if not arg:
                return reverse(name)
            if target_id.isdecimal():
                return reverse(name, kwargs={arg: int(target_id)})
        except NoReverseMatch:
            pass
    return reverse("accounts:notifications")


def record_url(target_type: str, target_id: str) -> str:
    return site_url(record_path(target_type, target_id))


# --- planning (inside the caller's transaction) ---------------------------------------------------------


def deliveries_plan(notifications: Iterable[Notification]) -> list[int]:
    """A queued delivery per channel each recipient chose for the kind and has an address for."""
    notes = list(notifications)
    if not notes:
        return []
    users = {n.recipient.pk: n.recipient for n in notes}
    kinds = {n.kind for n in notes}
    chosen = {kind: channels_for(users.values(), kind) for kind in kinds}
    at = clock.now()
    rows = []
    for n in notes:
        user, channels = n.recipient, chosen[n.kind][n.recipient.pk]
        if channels.email and user.email:
            rows.append(Delivery(notification=n, channel=DeliveryChannel.EMAIL, language=language_of(user), created_at=at, next_attempt_at=at))
        if channels.sms and user.phone:
            rows.append(Delivery(notification=n, channel=DeliveryChannel.SMS, language=language_of(user), created_at=at, next_attempt_at=at))
    Delivery.objects.bulk_create(rows)
    return [r.pk for r in rows]


def deliveries_enqueue(ids: list[int]) -> None:
    """After the transaction commits, one task per delivery. An enqueue that fails is logged; the
    delivery stays queued and ``deliveries_retry_due`` picks it up."""
    if not ids:
        return

    def enqueue() -> None:
        from qorgau.accounts.tasks import deliver

        for pk in ids:
            deliver.enqueue(pk)

    transaction.on_commit(enqueue, robust=True)


# --- composing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    address: str
    subject: str
    body: str


def _compose_staff(row: Delivery) -> Message | WithheldReason:
    note = row.notification
    assert note is not None
    user = note.recipient
    if not user.is_active:
        return WithheldReason.INACTIVE
    address = user.email.strip() if row.channel == DeliveryChannel.EMAIL else phone_normalise(user.phone)
    if not address:
        return WithheldReason.NO_ADDRESS
    with translation.override(row.language or language_of(user)):
        what = str(NotificationKind(note.kind).label) if note.kind in NotificationKind.values else note.kind
        link = record_url(note.target_type, note.target_id)
        subject = _("Qorgau: %(what)s") % {"what": what}
        if row.channel == DeliveryChannel.SMS:
            return Message(address, subject, f"{subject} {link}")
        body = "\n\n".join([
            what,
            _("Open it in Qorgau (sign in first): %(link)s") % {"link": link},
            _("This message holds no personal data. You get it because of your notification settings: %(link)s")
            % {"link": site_url(reverse("accounts:notification_settings"))},
        ])
        return Message(address, subject, body)


def _compose(row: Delivery) -> Message | WithheldReason:
    if row.case_id is not None:
        from qorgau.accounts.victim_messages import victim_compose

        return victim_compose(row)
    return _compose_staff(row)


def _transmit(channel: str, message: Message) -> str:
    if channel == DeliveryChannel.EMAIL:
        message_id = make_msgid(domain="qorgau")
        EmailMessage(
            message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.address], headers={"Message-ID": message_id}
        ).send(fail_silently=False)
        return message_id
    return str(sms_backend().send(message.address, message.body))[:100]


# --- sending -------------------------------------------------------------------------------------------


def _claim(pk: int) -> Delivery | None:
    """Take one attempt of a live, due delivery; None when it is not due or another worker has it."""
    now = clock.now()
    row = Delivery.objects.filter(pk=pk, status__in=LIVE, attempts__lt=MAX_ATTEMPTS).first()
    if row is None or (row.next_attempt_at is not None and row.next_attempt_at > now):
        return None
    attempts = row.attempts + 1
    claimed = (
        Delivery.objects.filter(pk=pk, status=row.status, attempts=row.attempts)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(attempts=attempts, next_attempt_at=now + backoff(attempts))  # a lease, should this worker die
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("notification__recipient", "case").get(pk=pk)


def delivery_send(delivery_id: int) -> str:
    """One attempt to send the delivery; returns its status afterwards. Safe to call twice."""
    row = _claim(delivery_id)
    if row is None:
        return Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first() or ""
    composed = _compose(row)
    if isinstance(composed, WithheldReason):
        _withhold(row, composed)
        return row.status
    try:
        provider_id = _transmit(row.channel, composed)
    except Exception as exc:  # any gateway or SMTP failure: recorded and retried, never the address
        code = exc.code if isinstance(exc, SmsError) else type(exc).__name__
        _failed(row, code[:64])
        return row.status
    with transaction.atomic():
        Delivery.objects.filter(pk=row.pk).update(
            status=DeliveryStatus.SENT, sent_at=clock.now(), provider_id=provider_id, last_error="", next_attempt_at=None
        )
        row.status = DeliveryStatus.SENT
        if row.case_id is not None:
            from qorgau.accounts.victim_messages import victim_sent

            victim_sent(row)
    return row.status


def _withhold(row: Delivery, reason: WithheldReason) -> None:
    with transaction.atomic():
        Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.WITHHELD, reason=reason, next_attempt_at=None)
        row.status, row.reason = DeliveryStatus.WITHHELD, reason
        if row.case_id is not None:
            from qorgau.accounts.victim_messages import victim_withheld

            victim_withheld(row, actor=None)


def _failed(row: Delivery, code: str) -> None:
    final = row.attempts >= MAX_ATTEMPTS
    next_at = None if final else clock.now() + backoff(row.attempts)
    log.warning("delivery %s attempt %s failed: %s%s", row.pk, row.attempts, code, " (giving up)" if final else "")
    with transaction.atomic():
        Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.FAILED, last_error=code, next_attempt_at=next_at)
        row.status, row.last_error, row.next_attempt_at = DeliveryStatus.FAILED, code, next_at
        if final and row.case_id is not None:
            from qorgau.accounts.victim_messages import victim_undeliverable

            victim_undeliverable(row)
    if next_at is not None:
        _defer_retry(row.pk, next_at)


def _defer_retry(pk: int, at: datetime) -> None:
    from qorgau.accounts.tasks import deliver

    try:
        if deliver.get_backend().supports_defer:
            deliver.using(run_after=at).enqueue(pk)
    except Exception:  # the retry sweep still finds it
        log.exception("could not defer the retry of delivery %s", pk)


def deliveries_retry_due(*, limit: int = 500) -> list[int]:
    """Send every live delivery whose next attempt is due (failed ones, and queued ones whose task
    was lost). Returns the ids attempted."""
    now = clock.now()
    due = list(
        Delivery.objects.filter(status__in=LIVE, attempts__lt=MAX_ATTEMPTS, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        delivery_send(pk)
    return due
