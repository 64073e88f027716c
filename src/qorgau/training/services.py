"""Writes of training: record a completion, revoke one; and the gate ``certificate_required`` that a
service performing a gated action calls first (DESIGN §3: services write, audit in the transaction)."""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.training.models import Action, Completion, Course, Requirement

CERTIFICATE_MAX = 64
MIN_REASON = 10


class CertificateMissing(Forbidden):
    """An enforced requirement is not met: the message names the action, the course and the date."""

    code = "certificate_required"


def today_for(user: User) -> dt.date:
    zone = user.unit.timezone if user.unit is not None else settings.QORGAU_DEFAULT_ZONE
    return clock.local(clock.now(), zone).date()


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def may_record_for(actor: User, user: User) -> bool:
    """An administrator records for anyone; a unit supervisor for the staff of their own unit."""
    if actor.can(Capability.MANAGE_USERS):
        return True
    return actor.can(Capability.SUPERVISE_UNIT) and actor.unit_id is not None and actor.unit_id == user.unit_id


def current_completion(user: User, course: Course | str, on: dt.date) -> Completion | None:
    """The completion in force on ``on``: the latest one not revoked, if it has not expired."""
    latest = (Completion.objects.filter(user=user, course=course, revoked_at__isnull=True, completed_on__lte=on)
              .order_by("-completed_on", "-id").first())
    return latest if latest is not None and latest.expires_on >= on else None


@transaction.atomic
def completion_record(
    *, actor: User, user_id: int, course: str, completed_on: dt.date, certificate_number: str = "",
    expires_on: dt.date | None = None,
) -> Completion:
    """Record that ``user_id`` completed ``course`` on ``completed_on``; it expires after the course's
    validity unless the certificate says otherwise. An earlier completion is superseded, never changed."""
    if not (actor.can(Capability.MANAGE_USERS) or actor.can(Capability.SUPERVISE_UNIT)):
        raise Forbidden()
    user = User.objects.filter(pk=user_id, is_active=True).select_related("unit").first()
    if user is None or not may_record_for(actor, user):
        raise NotFound(_("No such staff member in your unit."))
    found = Course.objects.filter(pk=course).first()
    if found is None:
        raise Invalid(fields={"course": [_("Choose one of the listed courses.")]})
    errors: dict[str, list[str]] = {}
    if completed_on > today_for(actor):
        errors["completed_on"] = [_("The completion date cannot be in the future.")]
    elif completed_on < dt.date(1990, 1, 1):
        errors["completed_on"] = [_("Check the completion date.")]
    expiry = expires_on or add_months(completed_on, found.validity_months)
    if expiry <= completed_on:
        errors["expires_on"] = [_("The certificate must expire after the completion date.")]
    number = certificate_number.strip()
    if len(number) > CERTIFICATE_MAX:
        errors["certificate_number"] = [_("The certificate number is too long (at most 64 characters).")]
    if errors:
        raise Invalid(fields=errors)
    completion = Completion.objects.create(
        user=user, course=found, completed_on=completed_on, expires_on=expiry, certificate_number=number,
        recorded_by=actor, recorded_at=clock.now(),
    )
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="training_completion", target_id=completion.pk)
    return completion


@transaction.atomic
def completion_revoke(*, actor: User, completion_id: int, reason: str) -> Completion:
    """Revoke a completion recorded in error (dated, with a reason); it stops counting at once."""
    completion = Completion.objects.select_for_update().filter(pk=completion_id).select_related("user").first()
    if completion is None or not may_record_for(actor, completion.user):
        raise NotFound()
    if completion.revoked_at is not None:
        raise Invalid(fields={"reason": [_("This completion is already revoked.")]})
    if len(reason.strip()) < MIN_REASON:
        raise Invalid(fields={"reason": [_("Write the reason (at least 10 characters).")]})
    Completion.objects.filter(pk=completion.pk).update(revoked_at=clock.now(), revoked_by=actor, revoke_reason=reason.strip())
    completion.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="training_completion", target_id=completion.pk)
    return completion


def certificate_required(user: User, action: Action | str) -> None:
    """The gate: raise ``CertificateMissing`` when an enforced requirement of ``action`` for the user's
    role has no current completion. Requirements switched off (as shipped) are not applied."""
    courses = Course.objects.filter(
        requirements__action=action, requirements__role=user.role, requirements__enforced=True,
    ).distinct()
    on = today_for(user)
    for course in courses:
        if current_completion(user, course, on) is not None:
            continue
        last = (Completion.objects.filter(user=user, course=course, revoked_at__isnull=True)
                .order_by("-completed_on", "-id").first())
        what = Action(action).label
        if last is None:
            message = _("%(action)s needs a current certificate of the course «%(course)s»; you have none. "
                        "Ask your supervisor to record your training.") % {"action": what, "course": course.name}
        else:
            message = _("%(action)s needs a current certificate of the course «%(course)s»; yours expired on %(date)s. "
                        "Ask your supervisor to record your renewed training.") % {
                "action": what, "course": course.name, "date": last.expires_on.strftime("%d.%m.%Y"),
            }
        raise CertificateMissing(message)


def requirements_for(action: Action | str) -> list[Requirement]:
    return list(Requirement.objects.filter(action=action).select_related("course"))


def requirements_for_course(course: Course) -> list[Requirement]:
    return list(Requirement.objects.filter(course=course))
