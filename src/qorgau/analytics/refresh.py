"""Building and refreshing the monthly tallies the dashboards read (DESIGN §8, docs/analytics.md).

Each tallied indicator has a *source*: the rows it counts, the date that puts a row in a month (in
Kazakhstan's time, Asia/Almaty), the place it counts in (an incident's region, district and urban
flag; for things attached to a case, the case's first incident; for shelter admissions, the shelter's
unit) and the recorded timestamps that tell a refresh which months changed. Counting is done by
GROUP BY in the database: per indicator one query for the whole (by month, region, district, urban)
and one for the breakdowns (by month, region, urban, with one conditional count per form and group).

``tallies_refresh()`` recomputes only the months touched by source rows recorded since the last
refresh, deleting and re-inserting those months' tallies in one transaction; ``full=True`` rebuilds
everything. Corrections that do not leave a new timestamp (a marker edited on a case, two cases
merged) are picked up by the full rebuild, which the sweep runs once a day.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth

from qorgau.analytics.articles import DEATHS, GRAVE_HARM, article_values
from qorgau.analytics.groups import FORM_CODES, GROUP_CODES, in_group, occurred_parts
from qorgau.analytics.models import RefreshMark, Tally
from qorgau.cases.models import Case as CaseModel
from qorgau.cases.models import Report
from qorgau.core import clock
from qorgau.monitoring.models import Alert
from qorgau.orders.models import Breach, CourtDecision, CriminalCase, Order, OrderCase, OrderKind
from qorgau.programmes.models import Enrolment, EnrolmentStatus
from qorgau.protocols.models import LIVE_STATUSES, Task, TaskStatus
from qorgau.shelters.models import Placement

log = logging.getLogger(__name__)
CaseIncident = CaseModel.incidents.through

ZONE = ZoneInfo("Asia/Almaty")
MARK = "tallies"
FULL_MARK = "tallies_full"
FULL_EVERY = timedelta(hours=24)
# The sweep runs every minute; the tallies are refreshed at most this often (a quiet refresh on a
# million reports costs a few hundred milliseconds of scans on the recorded timestamps).
REFRESH_EVERY = timedelta(minutes=5)
BATCH = 2000


@dataclass(frozen=True)
class Source:
    """How one indicator is counted.

    ``subject``: ``"incident:<path>"`` (the row's own incident, e.g. ``incident__``),
    ``"case:<path>"`` (the case the row is about: ``""`` for the row itself, ``case__``; place, forms
    and age come from the case's first incident) or ``"order:<path>"`` (an order: its first case, the
    lowest id it is linked to). ``place``: ``""`` for the subject's place, or a path to a unit
    (``centre__unit__``).
    ``stamps``: recorded timestamps (``path`` or ``path:date`` for a date) that mark a row as new or
    changed since the last refresh; ``"due_at"``-like stamps in the future are ignored. A source
    without stamps counts a subset of another source's rows in the same month (repeat reports of
    the reports; deaths and grave harm of the criminal cases): that source finds its months.
    """

    indicator: str
    rows: Callable[[], QuerySet[Any]]
    when: str
    when_is_date: bool
    subject: str
    stamps: tuple[str, ...]
    place: str = ""
    hours: str = ""  # an annotation with a duration summed into Tally.amount (hours)
    # The same rows (one per counted thing, with ``when``) in a form that is cheaper to search by the
    # stamps, which are then paths from these rows; None: ``rows``.
    changed: Callable[[], QuerySet[Any]] | None = None


@dataclass(frozen=True)
class RefreshResult:
    rows: int
    months: int
    full: bool
    at: dt.datetime

    def __int__(self) -> int:
        return self.rows


# --- the sources ------------------------------------------------------------------------------------


def _reports() -> QuerySet[Any]:
    return Report.objects.all()


def _repeats() -> QuerySet[Any]:
    earlier = Report.objects.filter(
        Q(received_at__lt=OuterRef("received_at")) | Q(received_at=OuterRef("received_at"), pk__lt=OuterRef("pk")),
        incident__cases__incidents=OuterRef("incident_id"),
        incident__cases__merged_into__isnull=True,
    )
    return Report.objects.filter(Exists(earlier))


def _cases() -> QuerySet[Any]:
    return CaseModel.objects.filter(merged_into__isnull=True)


def _orders(kind: str) -> Callable[[], QuerySet[Any]]:
    return lambda: Order.objects.filter(kind=kind)


def _breaches() -> QuerySet[Any]:
    return Breach.objects.all()


def _criminal(outcome: str) -> Callable[[], QuerySet[Any]]:
    def rows() -> QuerySet[Any]:
        qs = CriminalCase.objects.all()
        if outcome:
            recorded = list(CriminalCase.objects.values_list("article", flat=True).distinct())
            qs = qs.filter(article__in=article_values(outcome, recorded))
        return qs

    return rows


def _first_contact_cases() -> QuerySet[Any]:
    """The cases counted by ``_first_contact``, each with ``_first``: the months a refresh recomputes are
    found from these (a few changed cases, each looked up by its own subqueries), not from the joins
    that count them, which only pay off over many rows."""
    first_report = (
        Report.objects.filter(incident__cases=OuterRef("pk")).order_by("received_at", "pk").values("received_at")[:1]
    )
    first_done = (
        Task.objects.filter(case=OuterRef("pk"), status=TaskStatus.DONE)
        .order_by("updated_at", "pk")
        .values("updated_at")[:1]
    )
    return (
        CaseModel.objects.filter(merged_into__isnull=True)
        .annotate(_first=Subquery(first_report), _done=Subquery(first_done))
        .filter(_first__isnull=False, _done__isnull=False, _done__gte=F("_first"))
    )


def _first_contact() -> QuerySet[Any]:
    """One row per live case with a done task: the case's first report (by received time, then id) with
    the case's first done task (by update time, then id), when that task is not earlier than the report.
    The rows are reports joined to their cases, so that the case's first incident can be joined too
    (``_placed``) without sharing the join to the reports' incidents."""
    earlier_report = Report.objects.filter(
        Q(received_at__lt=OuterRef("_first")) | Q(received_at=OuterRef("_first"), pk__lt=OuterRef("pk")),
        incident__cases=OuterRef("_case"),
    )
    earlier_done = Task.objects.filter(
        Q(updated_at__lt=OuterRef("_done")) | Q(updated_at=OuterRef("_done"), pk__lt=OuterRef("_task")),
        case=OuterRef("_case"),
        status=TaskStatus.DONE,
    )
    return (
        Report.objects.annotate(
            _case=F("incident__cases__pk"),
            _merged=F("incident__cases__merged_into_id"),
            _task=F("incident__cases__tasks__pk"),
            _task_status=F("incident__cases__tasks__status"),
            _done=F("incident__cases__tasks__updated_at"),
            _first=F("received_at"),
        )
        .filter(_merged__isnull=True, _task_status=TaskStatus.DONE, _done__gte=F("_first"))
        .filter(~Exists(earlier_report), ~Exists(earlier_done))
        .annotate(_dur=ExpressionWrapper(F("_done") - F("_first"), output_field=DurationField()))
    )


def _overdue() -> QuerySet[Any]:
    now = clock.now()
    late = Q(status=TaskStatus.DONE, updated_at__gt=F("due_at")) | Q(status__in=LIVE_STATUSES, due_at__lt=now)
    return Task.objects.filter(late)


SOURCES: list[Source] = [
    Source("reports", _reports, "received_at", False, "incident:incident__", ("registered_at",)),
    Source("cases", _cases, "opened_at", False, "case:", ("opened_at",)),
    Source("orders", _orders(OrderKind.POLICE), "issued_at", False, "order:", ("issued_at",)),
    Source(
        "special_requirements",
        _orders(OrderKind.SPECIAL_REQUIREMENTS),
        "issued_at",
        False,
        "order:",
        ("issued_at",),
    ),
    Source("breaches", _breaches, "occurred_at", False, "order:order__", ("recorded_at",)),
    Source("court_decisions", lambda: CourtDecision.objects.all(), "decided_on", True, "case:case__", ("recorded_at",)),
    Source("criminal_cases", _criminal(""), "registered_on", True, "case:case__", ("recorded_at", "changed_at")),
    Source(DEATHS, _criminal(DEATHS), "registered_on", True, "case:case__", ()),
    Source(GRAVE_HARM, _criminal(GRAVE_HARM), "registered_on", True, "case:case__", ()),
    Source("repeat_rate", _repeats, "received_at", False, "incident:incident__", ()),
    Source(
        "first_contact_hours",
        _first_contact,
        "_first",
        False,
        "case:incident__cases__",
        ("tasks__updated_at", "incidents__reports__registered_at"),  # paths from the cases
        hours="_dur",
        changed=_first_contact_cases,
    ),
    Source("tasks_overdue", _overdue, "due_at", False, "case:case__", ("updated_at", "due_at")),
    Source(
        "placements",
        lambda: Placement.objects.all(),
        "admitted_at",
        False,
        "case:case__",
        ("admitted_at",),
        place="centre__unit__",
    ),
    Source(
        "alerts", lambda: Alert.objects.filter(case__isnull=False), "raised_at", False, "case:case__", ("raised_at",)
    ),
    Source(
        "programme_completions",
        lambda: Enrolment.objects.filter(status=EnrolmentStatus.COMPLETED, ended_on__isnull=False),
        "ended_on",
        True,
        "case:case__",
        ("ended_on:date",),
    ),
]


# --- annotating and counting ------------------------------------------------------------------------


def _month(source: Source) -> TruncMonth:
    if source.when_is_date:
        return TruncMonth(source.when, output_field=DateField())
    return TruncMonth(source.when, tzinfo=ZONE, output_field=DateField())


def _first_incident(source: Source, qs: QuerySet[Any]) -> tuple[QuerySet[Any], str]:
    """The rows joined once to their case's first incident (the earliest, then the lowest id): the join
    to the case's incidents kept where the case has no earlier incident. Annotates ``_c`` (the case)
    and returns the path to the incident's columns. A row without a case or without an incident keeps
    one row with nulls (the join is outer; nothing is earlier than a null)."""
    kind, _sep, prefix = source.subject.partition(":")
    if kind == "order":
        link = f"{prefix}case_links__"
        qs = qs.annotate(_c=F(f"{link}case_id")).filter(
            ~Exists(OrderCase.objects.filter(order=OuterRef(f"{prefix}pk"), case_id__lt=OuterRef("_c")))
        )
        incidents = f"{link}case__incidents__"
    else:
        qs = qs.annotate(_c=F(f"{prefix}pk"))
        incidents = f"{prefix}incidents__"
    earlier = CaseIncident.objects.filter(
        Q(incident__occurred_at__lt=OuterRef("_fo"))
        | Q(incident__occurred_at=OuterRef("_fo"), incident_id__lt=OuterRef("_fi")),
        case_id=OuterRef("_c"),
    )
    qs = qs.annotate(_fi=F(f"{incidents}id"), _fo=F(f"{incidents}occurred_at")).filter(~Exists(earlier))
    return qs, incidents


def _placed(source: Source, qs: QuerySet[Any]) -> tuple[QuerySet[Any], dict[str, Any], Any]:
    """The row annotated with its month and place (``_m``, ``_r``, ``_d``, ``_u``); and, for the
    breakdowns, the conditions of the forms and the incident's time."""
    kind, _sep, ref = source.subject.partition(":")
    if kind != "incident":
        qs, ref = _first_incident(source, qs)
    place: dict[str, Any] = {"_r": F(f"{ref}region_id"), "_d": F(f"{ref}district_id"), "_u": F(f"{ref}urban")}
    forms: dict[str, Any] = {c: Q(**{f"{ref}{c}": True}) for c in FORM_CODES}
    occurred: Any = F(f"{ref}occurred_at")
    if source.place:
        p = source.place
        place = {"_r": F(f"{p}region_id"), "_d": F(f"{p}district_id"), "_u": F(f"{p}district__urban_default")}
    return qs.annotate(_m=_month(source), **place), forms, occurred


def _groups_of(source: Source) -> dict[str, Any]:
    kind, _sep, ref = source.subject.partition(":")
    if kind == "incident":
        return {f"group:{c}": in_group(c, Q(incidents=OuterRef(f"{ref}id"))) for c in GROUP_CODES}
    return {f"group:{c}": in_group(c, Q(pk=OuterRef("_c"))) for c in GROUP_CODES}


def _hours(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, timedelta):
        return value.total_seconds() / 3600
    return float(value) / 3_600_000_000  # microseconds (a backend that returns the raw duration)


def _count(source: Source, months: Q | None) -> list[Tally]:
    """The tallies of one indicator for the months selected by ``months`` (None: all)."""
    qs = source.rows()
    if months is not None:
        qs = qs.filter(months)
    qs, forms, occurred = _placed(source, qs)
    qs = qs.filter(_r__isnull=False)
    sums: dict[str, Any] = {"n": Count("pk")}
    if source.hours:
        sums["h"] = Sum(source.hours)
    out: list[Tally] = []
    for row in qs.values("_m", "_r", "_d", "_u").annotate(**sums).order_by():
        out.append(
            Tally(
                month=row["_m"],
                region_id=row["_r"],
                district_id=row["_d"],
                urban=row["_u"],
                dimension="",
                indicator=source.indicator,
                value=row["n"],
                amount=_hours(row.get("h")),
            )
        )
    # The conditions go straight into the aggregates (an aggregate filtered on an annotated subquery
    # trips Django's alias relabelling); the incident's time parts are annotations the groups refer to.
    split = qs.annotate(**occurred_parts(occurred, ZONE))
    conditions = {**{f"form:{c}": cond for c, cond in forms.items()}, **_groups_of(source)}
    keys = {dim: f"k{i}" for i, dim in enumerate(conditions)}
    per: dict[str, Any] = {}
    for dim, cond in conditions.items():
        per[f"n_{keys[dim]}"] = Sum(Case(When(cond, then=Value(1)), default=Value(0), output_field=IntegerField()))
        if source.hours:
            per[f"h_{keys[dim]}"] = Sum(
                Case(When(cond, then=F(source.hours)), default=None, output_field=DurationField())
            )
    for row in split.values("_m", "_r", "_u").annotate(**per).order_by():
        for dim, key in keys.items():
            if row[f"n_{key}"]:
                out.append(
                    Tally(
                        month=row["_m"],
                        region_id=row["_r"],
                        district_id=None,
                        urban=row["_u"],
                        dimension=dim,
                        indicator=source.indicator,
                        value=row[f"n_{key}"],
                        amount=_hours(row.get(f"h_{key}")),
                    )
                )
    return out


# --- which months changed ---------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _touched(source: Source, since: dt.datetime, now: dt.datetime) -> set[dt.date]:
    months: set[dt.date] = set()
    for stamp in source.stamps:
        path, _sep, kind = stamp.partition(":")
        if kind == "date":
            since_day, today = since.astimezone(ZONE).date(), now.astimezone(ZONE).date()
            changed = Q(**{f"{path}__gte": since_day, f"{path}__lte": today})
        else:
            changed = Q(**{f"{path}__gt": since, f"{path}__lte": now})
        qs = (source.changed or source.rows)().filter(changed).annotate(_m=_month(source))
        months.update(m for m in qs.values_list("_m", flat=True).distinct() if m is not None)
    return months


def _spans(months: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive months merged into [first, after-last) spans."""
    spans: list[tuple[dt.date, dt.date]] = []
    for m in sorted(months):
        if spans and spans[-1][1] == m:
            spans[-1] = (spans[-1][0], next_month(m))
        else:
            spans.append((m, next_month(m)))
    return spans


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZONE)


def _months_q(source: Source, spans: list[tuple[dt.date, dt.date]]) -> Q:
    q = Q()
    for start, end in spans:
        if source.when_is_date:
            q |= Q(**{f"{source.when}__gte": start, f"{source.when}__lt": end})
        else:
            q |= Q(**{f"{source.when}__gte": _local_midnight(start), f"{source.when}__lt": _local_midnight(end)})
    return q


# --- the refresh ------------------------------------------------------------------------------------


def refresh_mark() -> RefreshMark | None:
    return RefreshMark.objects.filter(name=MARK).first()


def tallies_refresh(*, full: bool = False) -> RefreshResult:
    """Bring the tallies up to date; returns how many tally rows were written (``int(result)``)."""
    now = clock.now()
    mark = refresh_mark()
    full = full or mark is None
    months: set[dt.date] = set()
    if not full:
        assert mark is not None
        for source in SOURCES:
            months |= _touched(source, mark.at, now)
        if not months:
            RefreshMark.objects.filter(name=MARK).update(at=now, months=0, rows=0)
            return RefreshResult(rows=0, months=0, full=False, at=now)
    spans = _spans(months)
    with transaction.atomic():
        if full:
            Tally.objects.all().delete()
        else:
            Tally.objects.filter(month__in=sorted(months)).delete()
        rows = 0
        for source in SOURCES:
            tallies = _count(source, None if full else _months_q(source, spans))
            Tally.objects.bulk_create(tallies, batch_size=BATCH)
            rows += len(tallies)
        if full:
            months = set(Tally.objects.values_list("month", flat=True).distinct())
        RefreshMark.objects.update_or_create(name=MARK, defaults={"at": now, "months": len(months), "rows": rows})
        if full:
            RefreshMark.objects.update_or_create(
                name=FULL_MARK, defaults={"at": now, "months": len(months), "rows": rows}
            )
    log.info(
        "analytics: %s refresh wrote %d tally rows for %d months", "full" if full else "partial", rows, len(months)
    )
    return RefreshResult(rows=rows, months=len(months), full=full, at=now)


def tallies_sweep() -> dict[str, int]:
    """The sweep's part: every REFRESH_EVERY a partial refresh (a few queries when nothing changed),
    and once a day a full rebuild to pick up corrections that leave no timestamp. Between two
    refreshes it reads one row."""
    now = clock.now()
    marks = dict(RefreshMark.objects.filter(name__in=[MARK, FULL_MARK]).values_list("name", "at"))
    full = FULL_MARK not in marks or now - marks[FULL_MARK] >= FULL_EVERY
    if not full and MARK in marks and now - marks[MARK] < REFRESH_EVERY:
        return {"tallies_written": 0}
    result = tallies_refresh(full=full)
    return {"tallies_written": result.rows}
