"""Writes of the programmes app: the catalogue, enrolment from a court decision, sessions and
outcomes, and the deadline sweep (issue 7).

Non-compliance happens once per enrolment (a conditional status change on a locked row): it fires
``programme_noncompliance`` (court and police duties), notifies the provider's and the court's unit,
adds a timeline event, and — when the decision says so and has an order — records a Breach of that
order through ``orders.services.breach_record`` (which fires ``order_breached``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import NotificationKind, Unit, User
from qorgau.accounts.recipients import unit_staff
from qorgau.accounts.roles import Capability
from qorgau.accounts.services import notify
from qorgau.cases.ledger import event_add
from qorgau.cases.models import Case, EventKind
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound, QorgauError
from qorgau.core.models import AuditAction, Region
from qorgau.orders.models import BreachSource, CourtDecision
from qorgau.programmes.models import (
    OPEN_STATUSES,
    Attendance,
    Enrolment,
    EnrolmentStatus,
    NoncomplianceCause,
    Programme,
    ProgrammeKind,
    Session,
)
from qorgau.programmes.selectors import PROVIDER_KINDS, may_enrol, may_manage

log = logging.getLogger(__name__)

MAX_SESSIONS = 200
MAX_DAYS = 730
TEXT_MAX = 4000
ENROLLED_NOTICE = NotificationKind.PROGRAMME_ENROLLED
NONCOMPLIANCE_NOTICE = NotificationKind.PROGRAMME_NONCOMPLIANCE
FLAGS = ("lang_kk", "lang_ru", "lang_en", "lang_other", "serves_migrants", "serves_ethnic", "serves_disabilities", "active")



def _today(unit: Unit) -> dt.date:
    return clock.local(clock.now(), unit.timezone or "Asia/Almaty").date()


# --- catalogue ---------------------------------------------------------------------------------------


@dataclass
class ProgrammeInput:
    kind: str
    name_kk: str
    name_ru: str
    name_en: str
    sessions_required: int = 12
    region: str = ""
    flags: dict[str, bool] | None = None


def _programme_apply(programme: Programme, data: ProgrammeInput) -> None:
    errors: dict[str, list[str]] = {}
    if data.kind not in ProgrammeKind.values:
        errors["kind"] = [str(_("Choose one of the offered values."))]
    for name in ("name_kk", "name_ru", "name_en"):
        value = getattr(data, name).strip()
        if not value:
            errors[name] = [str(_("This field is required."))]
        elif len(value) > 160:
            errors[name] = [str(_("This value is too long."))]
        setattr(programme, name, value)
    if not 1 <= data.sessions_required <= MAX_SESSIONS:
        errors["sessions_required"] = [str(_("From 1 to %(n)d sessions.") % {"n": MAX_SESSIONS})]
    region = data.region or programme.unit.region_id
    if not Region.objects.filter(pk=region).exists():
        errors["region"] = [str(_("Choose one of the offered values."))]
    if errors:
        raise Invalid(fields=errors)
    programme.kind = data.kind
    programme.sessions_required = data.sessions_required
    programme.region_id = region
    for flag, value in (data.flags or {}).items():
        if flag in FLAGS:
            setattr(programme, flag, bool(value))


@transaction.atomic
def programme_create(*, actor: User | None, unit: Unit, data: ProgrammeInput) -> Programme:
    if actor is not None and not may_manage(actor, unit_id=unit.pk):
        raise Forbidden()
    if unit.kind_id not in PROVIDER_KINDS:
        raise Invalid.field("unit", _("Only a correction-programme or probation unit offers programmes."))
    programme = Programme(unit=unit)
    _programme_apply(programme, data)
    programme.save()
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="programme", target_id=programme.pk, outcome="created")
    return programme


@transaction.atomic
def programme_update(*, actor: User, programme_id: int, version: int, data: ProgrammeInput) -> Programme:
    programme = Programme.objects.select_for_update().select_related("unit").filter(pk=programme_id).first()
    if programme is None:
        raise NotFound()
    if not may_manage(actor, programme):
        raise Forbidden()
    if programme.version != version:
        raise Conflict()
    _programme_apply(programme, data)
    programme.version += 1
    programme.save()
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="programme", target_id=programme.pk, outcome="updated")
    return programme


# --- enrolment ---------------------------------------------------------------------------------------


@transaction.atomic
def enrolment_create(
    *, actor: User, case: Case, decision_id: int | None, programme_id: int | None, deadline: dt.date | None,
    sessions_required: int | None = None, allowed_absences: int = 2, breach_counts: bool = False,
) -> Enrolment:
    """Enrol the case's offender from one of the case's court decisions; the caller has passed the
    case gate. The provider unit is notified."""
    if not may_enrol(actor):
        raise Forbidden()
    assert actor.unit is not None
    errors: dict[str, list[str]] = {}
    decision = CourtDecision.objects.filter(pk=decision_id, case=case).select_related("order").first() if decision_id else None
    if decision is None:
        errors["decision"] = [str(_("Choose one of this case's court decisions."))]
    programme = Programme.objects.select_related("unit").filter(pk=programme_id, active=True).first() if programme_id else None
    if programme is None:
        errors["programme"] = [str(_("Choose one of the offered programmes."))]
    today = _today(actor.unit)
    if deadline is None:
        errors["deadline"] = [str(_("Enter the deadline."))]
    elif deadline <= today:
        errors["deadline"] = [str(_("The deadline must be after today."))]
    elif deadline > today + dt.timedelta(days=MAX_DAYS):
        errors["deadline"] = [str(_("The deadline can be at most two years from today."))]
    required = sessions_required if sessions_required is not None else (programme.sessions_required if programme else 12)
    if not 1 <= required <= MAX_SESSIONS:
        errors["sessions_required"] = [str(_("From 1 to %(n)d sessions.") % {"n": MAX_SESSIONS})]
    if not 0 <= allowed_absences <= MAX_SESSIONS:
        errors["allowed_absences"] = [str(_("From 0 to %(n)d absences.") % {"n": MAX_SESSIONS})]
    if breach_counts and decision is not None and decision.order_id is None:
        errors["breach_counts"] = [str(_("This decision has no protective order: its non-compliance cannot count as a breach."))]
    if errors:
        raise Invalid(fields=errors)
    assert decision is not None and programme is not None and deadline is not None
    enrolment = Enrolment.objects.create(
        case=case, offender=case.offender, decision=decision, programme=programme, provider=programme.unit,
        sessions_required=required, allowed_absences=allowed_absences, enrolled_on=today, deadline=deadline,
        breach_counts=breach_counts, enrolled_by=actor, created_at=clock.now(),
    )
    event_add(case, EventKind.PROGRAMME, actor, to_state=EnrolmentStatus.ENROLLED)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="enrolment", target_id=enrolment.pk, outcome="enrolled")
    notify(recipients=unit_staff([programme.unit], capability=Capability.RUN_PROGRAMMES, besides=actor), kind=ENROLLED_NOTICE,
           target_type="enrolment", target_id=enrolment.pk)
    return enrolment


def _locked(enrolment_id: int) -> Enrolment:
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",)).select_related("case", "decision", "decision__order", "decision__court_unit", "provider")
        .filter(pk=enrolment_id).first()
    )
    if enrolment is None:
        raise NotFound()
    return enrolment


def _provider_staff(actor: User, enrolment: Enrolment) -> None:
    if not actor.can(Capability.RUN_PROGRAMMES) or actor.unit_id != enrolment.provider_id:
        raise Forbidden(_("Only the provider unit's staff record sessions and outcomes."))


def _fresh(enrolment: Enrolment, version: int | None) -> None:
    if version is None or enrolment.version != version:
        raise Conflict()


def _still_open(enrolment: Enrolment) -> None:
    if not enrolment.is_open:
        raise Invalid.field("__all__", _("This enrolment is closed: nothing more can be recorded on it."))


def _counts(enrolment: Enrolment) -> tuple[int, int]:
    sessions = list(enrolment.sessions.values_list("attendance", flat=True))
    return sessions.count(Attendance.ATTENDED), sessions.count(Attendance.ABSENT)


def _close(enrolment: Enrolment, status: str, actor: User | None, *, on: dt.date, cause: str = "", reason: str = "") -> None:
    enrolment.status = status
    enrolment.ended_on = on
    enrolment.ended_by = actor
    enrolment.cause = cause
    enrolment.reason = reason
    enrolment.version += 1
    enrolment.save(update_fields=["status", "ended_on", "ended_by", "cause", "reason", "version"])
    event_add(enrolment.case, EventKind.PROGRAMME, actor, to_state=status)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="enrolment", target_id=enrolment.pk, outcome=status)


@transaction.atomic
def session_record(
    *, actor: User, enrolment_id: int, version: int | None, held_on: dt.date | None, attendance: str, note: str = "",
) -> Session:
    """One session: attended moves the enrolment to attending, and to completed at the requirement;
    unexcused absences beyond the allowance make it non-compliant."""
    enrolment = _locked(enrolment_id)
    _provider_staff(actor, enrolment)
    _fresh(enrolment, version)
    _still_open(enrolment)
    assert actor.unit is not None
    errors: dict[str, list[str]] = {}
    today = _today(actor.unit)
    if held_on is None:
        errors["held_on"] = [str(_("Enter the date of the session."))]
    elif held_on > today:
        errors["held_on"] = [str(_("The session cannot be in the future."))]
    elif held_on < enrolment.enrolled_on:
        errors["held_on"] = [str(_("The session cannot be before the enrolment."))]
    elif enrolment.sessions.filter(held_on=held_on).exists():
        errors["held_on"] = [str(_("A session on this date is already recorded."))]
    if attendance not in Attendance.values:
        errors["attendance"] = [str(_("Choose one of the offered values."))]
    if len(note) > TEXT_MAX:
        errors["note"] = [str(_("This value is too long."))]
    if errors:
        raise Invalid(fields=errors)
    assert held_on is not None
    session = Session.objects.create(enrolment=enrolment, held_on=held_on, attendance=attendance, note=note.strip(),
                                     recorded_by=actor, recorded_at=clock.now())
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="programme_session", target_id=session.pk)
    attended, absent = _counts(enrolment)
    if attended >= enrolment.sessions_required:
        _close(enrolment, EnrolmentStatus.COMPLETED, actor, on=held_on)
    elif absent > enrolment.allowed_absences:
        _noncompliance(enrolment, actor, cause=NoncomplianceCause.ABSENCES, on=held_on)
    else:
        if attendance == Attendance.ATTENDED and enrolment.status == EnrolmentStatus.ENROLLED:
            enrolment.status = EnrolmentStatus.ATTENDING
            event_add(enrolment.case, EventKind.PROGRAMME, actor, to_state=EnrolmentStatus.ATTENDING)
        enrolment.version += 1
        enrolment.save(update_fields=["status", "version"])
    return session


OUTCOMES = (EnrolmentStatus.COMPLETED, EnrolmentStatus.NONCOMPLIANT, EnrolmentStatus.CANCELLED)


@transaction.atomic
def enrolment_outcome(*, actor: User, enrolment_id: int, version: int | None, outcome: str, reason: str = "") -> Enrolment:
    """Completion or non-compliance recorded by the provider (a reason needed for non-compliance);
    a cancellation (the decision was set aside) by the provider or by court staff holding the case."""
    from qorgau.cases.access import scope_for

    enrolment = _locked(enrolment_id)
    if outcome == EnrolmentStatus.CANCELLED and may_enrol(actor) and scope_for(actor, enrolment.case) is not None:
        pass
    else:
        _provider_staff(actor, enrolment)
    _fresh(enrolment, version)
    _still_open(enrolment)
    assert actor.unit is not None
    reason = reason.strip()
    if outcome not in OUTCOMES:
        raise Invalid.field("outcome", _("Choose one of the offered values."))
    if len(reason) > TEXT_MAX:
        raise Invalid.field("reason", _("This value is too long."))
    if outcome != EnrolmentStatus.COMPLETED and not reason:
        raise Invalid.field("reason", _("Give the reason."))
    today = _today(actor.unit)
    if outcome == EnrolmentStatus.NONCOMPLIANT:
        _noncompliance(enrolment, actor, cause=NoncomplianceCause.PROVIDER, on=today, reason=reason)
    else:
        _close(enrolment, outcome, actor, on=today, reason=reason)
    return enrolment


# --- non-compliance ----------------------------------------------------------------------------------


def _noncompliance(enrolment: Enrolment, actor: User | None, *, cause: str, on: dt.date, reason: str = "") -> None:
    """Once per enrolment: the callers hold the row lock and have checked it is still open."""
    _close(enrolment, EnrolmentStatus.NONCOMPLIANT, actor, on=on, cause=cause, reason=reason)
    from qorgau.protocols.engine import fire

    court = enrolment.decision.court_unit
    fire(trigger="programme_noncompliance", case=enrolment.case, actor=actor, key=f"programme:{enrolment.pk}", units={court.kind_id: court})
    notify(recipients=unit_staff([enrolment.provider_id, court.pk], besides=actor), kind=NONCOMPLIANCE_NOTICE,
           target_type="enrolment", target_id=enrolment.pk)
    order = enrolment.decision.order
    if enrolment.breach_counts and order is not None:
        enrolment.breach = _breach(enrolment, actor)
        if enrolment.breach is not None:
            enrolment.save(update_fields=["breach"])


def _breach(enrolment: Enrolment, actor: User | None) -> Any:
    """Record the breach through the orders service, as the first of the actor and the person who
    enrolled him (the court's side, who set ``breach_counts``) that the service accepts; a breach the
    order no longer admits (expired, never served) is left to the court's task, not forced."""
    from qorgau.orders.services import breach_record

    order = enrolment.decision.order
    assert order is not None
    what = f"Correction programme non-compliance: enrolment #{enrolment.pk} ({enrolment.cause})"
    for who in [u for u in (actor, enrolment.enrolled_by) if u is not None and u.is_active]:
        try:
            with transaction.atomic():
                return breach_record(actor=who, order=order, occurred_at=clock.now(), what=what, source=BreachSource.PROGRAMME)
        except QorgauError as exc:
            log.info("programme breach not recorded by user %s on enrolment %s: %s", who.pk, enrolment.pk, exc.code)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="enrolment", target_id=enrolment.pk, outcome="breach_not_recorded")
    return None


def programmes_overdue() -> int:
    """The sweep: every open enrolment whose deadline has passed becomes non-compliant (once; safe
    to run twice — the status is checked again under the row lock)."""
    today = clock.now().date()
    done = 0
    ids = list(Enrolment.objects.filter(status__in=OPEN_STATUSES, deadline__lt=today).values_list("pk", flat=True)[:500])
    for pk in ids:
        with transaction.atomic():
            enrolment = _locked(pk)
            if not enrolment.is_open or enrolment.deadline >= _today(enrolment.provider):
                continue
            _noncompliance(enrolment, None, cause=NoncomplianceCause.DEADLINE, on=enrolment.deadline + dt.timedelta(days=1))
            done += 1
    return done
