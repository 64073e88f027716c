"""Writes of the watch: reviewing an alert, recording an access review, the monthly reminder."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from qorgau.accounts.models import Notification, NotificationKind, User
from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability
from qorgau.accounts.services import notify
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Invalid
from qorgau.core.models import AuditAction
from qorgau.watch.access import alert_get_for, review_unit_get_for
from qorgau.watch.models import AccessAlert, AccessReview
from qorgau.watch.selectors import break_glass_grants, live_grants, month_start, month_start_at

NOTE_MAX = 2000


def _note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and len(note) < 3:
        raise Invalid.field("note", _("Write what you checked and what you found (at least 3 characters)."))
    if len(note) > NOTE_MAX:
        raise Invalid.field("note", _("The note is too long: at most %(n)s characters.") % {"n": NOTE_MAX})
    return note


@transaction.atomic
def alert_review(*, actor: User, alert_id: int, version: int, note: str) -> AccessAlert:
    """The supervisor (or oversight) marks an alert reviewed, with a note (encrypted); audited."""
    alert = alert_get_for(actor, alert_id)
    text = _note(note, required=True)
    if alert.reviewed_at is not None:
        raise Conflict(_("This alert was already marked reviewed."))
    at = clock.now()
    updated = AccessAlert.objects.filter(pk=alert.pk, version=version, reviewed_at__isnull=True).update(
        reviewed_at=at, reviewed_by=actor, review_note=text, version=version + 1,  # the field encrypts on update too
    )
    if not updated:
        raise Conflict()
    alert.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="access_alert", target_id=alert.pk)
    return alert


@transaction.atomic
def access_review_complete(*, actor: User, unit_id: int | None, note: str) -> AccessReview:
    """Record that this month's access review of the unit was done (one per unit and month); audited."""
    unit = review_unit_get_for(actor, unit_id)
    if unit is None:
        raise Invalid.field("unit", _("Choose the unit whose access you reviewed."))
    text = _note(note, required=False)
    at = clock.now()
    period = month_start(at)
    if AccessReview.objects.filter(unit=unit, period=period).exists():
        raise Invalid(_("The access review of this unit is already recorded for this month."))
    try:
        with transaction.atomic():
            review = AccessReview.objects.create(
                unit=unit, period=period, completed_by=actor, completed_at=at, note=text,
                live_grants=live_grants(unit, at).count(), break_glass_grants=break_glass_grants(unit, at).count(),
            )
    except IntegrityError:  # recorded by someone else a moment ago
        raise Invalid(_("The access review of this unit is already recorded for this month.")) from None
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="access_review", target_id=review.pk, count=review.live_grants)
    return review


def _supervisor_roles() -> list[str]:
    return [r.value for r, caps in ROLE_CAPABILITIES.items() if Capability.SUPERVISE_UNIT in caps]


@transaction.atomic
def access_review_reminders(*, at: datetime | None = None) -> int:
    """Tell each unit's supervisors, once a month, that the access review is due (not when it is
    already recorded for the month). Returns how many notifications were written; a rerun writes none."""
    at = at or clock.now()
    period, since = month_start(at), month_start_at(at)
    supervisors = list(
        User.objects.filter(is_active=True, role__in=_supervisor_roles(), unit__isnull=False, unit__is_active=True).order_by("unit_id", "id")
    )
    units = {u.unit_id for u in supervisors if u.unit_id is not None}
    done = set(AccessReview.objects.filter(unit_id__in=units, period=period).values_list("unit_id", flat=True))
    told = set(
        Notification.objects.filter(kind=NotificationKind.ACCESS_REVIEW_DUE, target_type="access_review", created_at__gte=since)
        .values_list("target_id", flat=True)
    )
    written = 0
    for unit_id in sorted(units):
        if unit_id in done or str(unit_id) in told:
            continue
        written += notify(
            recipients=[u for u in supervisors if u.unit_id == unit_id], kind=NotificationKind.ACCESS_REVIEW_DUE,
            target_type="access_review", target_id=unit_id,
        )
    return written
