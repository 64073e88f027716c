"""Reads of the programmes app: the catalogue, the one gate on an enrolment, a unit's enrolments,
a case's enrolments with their progress, and the analytics figures."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import scope_for
from qorgau.cases.models import Case
from qorgau.cases.presence import absent
from qorgau.core.audit import audit_record
from qorgau.core.errors import NotFound
from qorgau.core.models import AuditAction
from qorgau.orders.models import CourtDecision
from qorgau.programmes.models import Attendance, Enrolment, EnrolmentStatus, Programme

GROUPS = ("migrants", "ethnic", "disabilities")
LANGUAGES = ("kk", "ru", "en", "other")
PROVIDER_KINDS = ("correction_programme", "probation")


def catalogue(*, region: str = "", language: str = "", groups: tuple[str, ...] = (), active_only: bool = True) -> QuerySet[Programme]:
    """Programmes filtered by region, a language the offender speaks and the groups served."""
    qs = Programme.objects.select_related("unit", "region")
    if active_only:
        qs = qs.filter(active=True)
    if region:
        qs = qs.filter(region_id=region)
    if language in LANGUAGES:
        qs = qs.filter(**{f"lang_{language}": True})
    for g in groups:
        if g in GROUPS:
            qs = qs.filter(**{f"serves_{g}": True})
    return qs


def may_manage(user: User, programme: Programme | None = None, unit_id: int | None = None) -> bool:
    """Administrators manage every programme; a provider unit's staff manage their unit's."""
    if user.can(Capability.MANAGE_REFERENCE):
        return True
    target = programme.unit_id if programme is not None else unit_id
    return user.can(Capability.RUN_PROGRAMMES) and user.unit_id is not None and (target is None or target == user.unit_id)


def programme_get(programme_id: int) -> Programme:
    programme = Programme.objects.select_related("unit", "region").filter(pk=programme_id).first()
    if programme is None:
        raise NotFound()
    return programme


def may_enrol(user: User) -> bool:
    """Court staff, or probation (who run programmes and work cases)."""
    return user.can(Capability.COURT_DECISIONS) or (user.can(Capability.RUN_PROGRAMMES) and user.can(Capability.WORK_CASES))


def case_decisions(case: Case) -> list[CourtDecision]:
    return list(CourtDecision.objects.filter(case=case).select_related("court_unit", "order").order_by("-decided_on", "-id"))


@dataclass(frozen=True)
class Progress:
    attended: int
    excused: int
    absent: int


def progress_of(enrolments: list[Enrolment]) -> dict[int, Progress]:
    rows = (
        Enrolment.objects.filter(pk__in=[e.pk for e in enrolments])
        .annotate(
            n_attended=Count("sessions", filter=Q(sessions__attendance=Attendance.ATTENDED)),
            n_excused=Count("sessions", filter=Q(sessions__attendance=Attendance.EXCUSED)),
            n_absent=Count("sessions", filter=Q(sessions__attendance=Attendance.ABSENT)),
        )
        .values_list("pk", "n_attended", "n_excused", "n_absent")
    )
    return {pk: Progress(a, x, b) for pk, a, x, b in rows}


@dataclass(frozen=True)
class EnrolmentAccess:
    enrolment: Enrolment
    own: bool  # the provider unit's staff: may record sessions and outcomes


def enrolment_get_for(user: User, enrolment_id: int, *, request: object = None) -> EnrolmentAccess:
    """The one gate: the provider unit's staff; units holding a grant on the case read-only;
    everyone else (and a missing enrolment) NotFound."""
    enrolment = (
        Enrolment.objects.select_related("programme", "provider", "offender", "decision", "decision__court_unit", "case")
        .filter(pk=enrolment_id).first()
    )
    own = enrolment is not None and user.can(Capability.RUN_PROGRAMMES) and user.unit_id == enrolment.provider_id
    if enrolment is None or (not own and scope_for(user, enrolment.case) is None):
        audit_record(actor=user, action=AuditAction.DENIED, target_type="enrolment", target_id=enrolment_id, request=request, outcome="refused")  # type: ignore[arg-type]
        raise NotFound()
    audit_record(actor=user, action=AuditAction.READ, target_type="enrolment", target_id=enrolment.pk, request=request)  # type: ignore[arg-type]
    return EnrolmentAccess(enrolment, own)


def unit_enrolments(user: User) -> dict[str, list[Enrolment]]:
    """The enrolments the user's unit provides, by status (empty for other units)."""
    if not user.can(Capability.RUN_PROGRAMMES) or user.unit_id is None:
        return {}
    rows = list(Enrolment.objects.filter(provider_id=user.unit_id).select_related("programme", "offender").order_by("deadline", "id"))
    out: dict[str, list[Enrolment]] = {s: [] for s in EnrolmentStatus.values}
    for e in rows:
        out[e.status].append(e)
    return out


ENROLMENTS = "programme_enrolments"


def enrolments_of(case: Case) -> QuerySet[Enrolment, Enrolment]:
    return Enrolment.objects.filter(case=case)


def case_enrolments(case: Case) -> list[Enrolment]:
    if absent(case, ENROLMENTS):
        return []
    return list(enrolments_of(case).select_related("programme", "provider", "decision").order_by("-created_at", "-id"))


def programme_figures(region: str | None = None) -> dict[str, object]:
    """Analytics hook: enrolments by status and the completion rate (completed over the closed ones
    that were not cancelled), optionally for one region (the programme's)."""
    qs = Enrolment.objects.all()
    if region:
        qs = qs.filter(programme__region_id=region)
    counts = {s: 0 for s in EnrolmentStatus.values}
    for status, n in qs.values_list("status").annotate(n=Count("id")).order_by():
        counts[status] = n
    closed = counts[EnrolmentStatus.COMPLETED] + counts[EnrolmentStatus.NONCOMPLIANT]
    rate = counts[EnrolmentStatus.COMPLETED] / closed if closed else None
    return {"by_status": counts, "total": sum(counts.values()), "completion_rate": rate}
