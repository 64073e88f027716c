"""Reads of risk assessment: an assessment through its case's gate, the case's risk panel, the unit's
reassessments due and overdue. Reassessment is derived from state: the level's due date, or at once
when an incident was added to the case after the last signed assessment (DESIGN §3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Case as CaseWhen
from django.db.models import Count, DateTimeField, F, Min, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Least
from django.http import HttpRequest

from qorgau.accounts.masks import Scope, Viewer
from qorgau.accounts.models import User
from qorgau.cases.access import case_get_for, held_by_unit
from qorgau.cases.models import Case, CaseState
from qorgau.core import clock
from qorgau.core.errors import NotFound
from qorgau.risk import panel_reads
from qorgau.risk.models import (
    Assessment,
    AssessmentStatus,
    CaseRisk,
    InstrumentKind,
    Level,
    LevelChange,
    Measure,
    MeasureRecord,
    MeasureStatus,
)
from qorgau.risk.services import measures_required

DUE_SOON_DAYS = 7


def assessment_get_for(actor: User, assessment_id: int, *, request: HttpRequest | None = None) -> tuple[Assessment, Viewer]:
    """An assessment through its case's one gate; NotFound alike for missing and forbidden."""
    case_id = Assessment.objects.filter(pk=assessment_id).values_list("case_id", flat=True).first()
    if case_id is None:
        raise NotFound()
    case, viewer = case_get_for(actor, case_id, request=request)
    assessment = Assessment.objects.select_related("version__instrument", "assessed_by", "unit").get(pk=assessment_id)
    assessment.case = case
    return assessment, viewer


@dataclass
class MeasureRow:
    measure: Measure
    record: MeasureRecord | None

    @property
    def done(self) -> bool:
        return self.record is not None and self.record.status == MeasureStatus.APPLIED


@dataclass
class RiskPanel:
    risk: CaseRisk | None
    due_at: dt.datetime | None
    forced_by_incident: bool  # an incident came after the last signed assessment
    overdue: bool
    measures: list[MeasureRow] = field(default_factory=list)
    signed: list[Assessment] = field(default_factory=list)
    drafts: list[Assessment] = field(default_factory=list)
    actuarial: Assessment | None = None  # the latest actuarial assessment, shown beside the level
    changes: list[LevelChange] = field(default_factory=list)


def case_risk_panel(case: Case) -> RiskPanel:
    """The panel of a case view; its rows read by hand (``risk.panel_reads``), the rules here."""
    risk = panel_reads.case_risk(case)
    assessments = panel_reads.assessments(case)
    signed = [a for a in assessments if a.status == AssessmentStatus.SIGNED]
    drafts = [a for a in assessments if a.status == AssessmentStatus.DRAFT]
    actuarial = next((a for a in sorted(signed, key=lambda a: a.signed_at or a.created_at, reverse=True)
                      if a.version.instrument.kind == InstrumentKind.ACTUARIAL), None)
    now = clock.now()
    if risk is None:
        # Never assessed: due from the day the case was opened.
        return RiskPanel(None, case.opened_at, False, True, signed=signed, drafts=drafts, actuarial=actuarial)
    forced = panel_reads.forcing_event_after(case, risk.assessed_at)
    due = min(risk.due_at, forced) if forced else risk.due_at
    records = {r.measure: r for r in panel_reads.measure_records(risk.assessment_id)}
    return RiskPanel(
        risk, due, forced is not None, due <= now,
        measures=[MeasureRow(m, records.get(m.value)) for m in measures_required(risk.level)],
        signed=signed, drafts=drafts, actuarial=actuarial,
        changes=panel_reads.level_changes(case),
    )


@dataclass
class DueRow:
    case: Case
    level: Level | None
    due_at: dt.datetime
    overdue: bool
    reason: str  # "never", "incident", "breach", "scheduled"


# A date after every real one: SQLite's MIN(a, b) is NULL when any argument is, PostgreSQL's LEAST skips
# NULLs, so the forcing events are coalesced to it before the least is taken (the same on both).
_NEVER = Value(dt.datetime(9999, 12, 31, tzinfo=dt.UTC), output_field=DateTimeField())
DUE_PAGE_ROWS = 50


def _due_cases(actor: User, within_days: int) -> QuerySet[Case]:
    """The unit's open cases due for (re)assessment within ``within_days``, each with ``due_sort``: when
    it is due (opened for a case never assessed; else the level's date or the first forcing event,
    whichever is sooner), so that the database sorts and cuts, most overdue first.

    One grouped join, driven from the unit's grants: the forcing incident and breach are minima over
    joins, not subqueries (PostgreSQL ran a subquery per case up to three times, and scanned every
    open case of the country to find the unit's). Two grants of the unit on one case, or several
    incidents and breaches, repeat a case's rows; the group is the case and a minimum ignores repeats."""
    horizon = clock.now() + timedelta(days=within_days)
    granted = held_by_unit(actor, [Scope.FULL, Scope.WORKER])
    if granted is None:
        return Case.objects.none()
    breach_at = "order_links__order__breaches__recorded_at"
    return Case.objects.filter(granted, merged_into=None).exclude(state=CaseState.CLOSED).annotate(
        due=F("risk__due_at"),
        assessed=F("risk__assessed_at"),
        forced_incident=Min("incidents__created_at", filter=Q(incidents__created_at__gt=F("risk__assessed_at")), output_field=DateTimeField()),
        forced_breach=Min(breach_at, filter=Q(**{f"{breach_at}__gt": F("risk__assessed_at")}), output_field=DateTimeField()),
    ).filter(
        Q(risk__isnull=True) | Q(risk__due_at__lte=horizon) | Q(forced_incident__isnull=False) | Q(forced_breach__isnull=False)
    ).annotate(
        due_sort=CaseWhen(
            When(risk__isnull=True, then=F("opened_at")),
            default=Least(F("risk__due_at"), Coalesce(F("forced_incident"), _NEVER), Coalesce(F("forced_breach"), _NEVER)),
            output_field=DateTimeField(),
        ),
    )


def _due_row(case: Case, now: dt.datetime) -> DueRow:
    risk: CaseRisk | None = getattr(case, "risk", None)
    if risk is None:
        return DueRow(case, None, case.opened_at, case.opened_at <= now, "never")
    forced_at = [t for t in (case.forced_incident, case.forced_breach) if t is not None]  # type: ignore[attr-defined]
    forced = min(forced_at) if forced_at else None
    due = min(risk.due_at, forced) if forced else risk.due_at
    reason = "scheduled"
    if forced and forced <= risk.due_at:
        reason = "breach" if case.forced_breach is not None and forced == case.forced_breach else "incident"  # type: ignore[attr-defined]
    return DueRow(case, Level(risk.level), due, due <= now, reason)


def _due_ordered(actor: User, within_days: int) -> QuerySet[Case]:
    # Only what a row shows (number, holding unit, level, dates): a unit's list runs to hundreds of cases.
    shown = ("number", "opened_at", "holding_unit__name_ru", "holding_unit__name_kk", "holding_unit__name_en",
             "risk__level", "risk__assessed_at", "risk__due_at")
    return _due_cases(actor, within_days).select_related("holding_unit", "risk").only(*shown).order_by("due_sort", "pk")


def reassessments_due(actor: User, *, within_days: int = DUE_SOON_DAYS, limit: int = 200) -> list[DueRow]:
    """The unit's open cases whose risk must be (re)assessed within ``within_days``: never assessed,
    a new incident or a breach since the last assessment, or the level's date reached; the ``limit``
    most overdue first, sorted and cut by the database."""
    now = clock.now()
    return [_due_row(c, now) for c in _due_ordered(actor, within_days)[:limit]]


class _CountedPaginator(Paginator):
    """A paginator told its count: the page's counts come from one aggregate with the overdue count."""

    def __init__(self, object_list: QuerySet[Case], per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # Paginator.count is a cached property: this is its value


def reassessments_due_page(actor: User, page: str | None, *, rows: int | None = None) -> tuple[Page[Case], list[DueRow], int]:
    """One page of the unit's reassessments due, most overdue first (an out-of-range page gives the
    last), and how many are overdue; the total is the paginator's count. Two statements: the counts,
    then the page's rows."""
    now = clock.now()
    counts = _due_cases(actor, DUE_SOON_DAYS).aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(due_sort__lte=now)))
    found = _CountedPaginator(_due_ordered(actor, DUE_SOON_DAYS), rows or DUE_PAGE_ROWS, counts["total"]).get_page(page)
    return found, [_due_row(c, now) for c in found.object_list], counts["overdue"]
