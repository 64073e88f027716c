"""Rows about a case are placed by the case's first incident (earliest ``occurred_at``, then lowest id),
joined once per count (issue 10). The tallies must be exactly those of the former counting, which
looked each column of the first incident up in its own correlated subquery: that implementation is
kept here, and only here, as the oracle."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import (
    BooleanField,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from qorgau.analytics import refresh
from qorgau.analytics.groups import FORM_CODES, GROUP_CODES, in_group
from qorgau.analytics.models import Tally
from qorgau.cases.models import Case, Incident
from qorgau.orders.models import Breach, CourtDecision, Order, OrderCase
from qorgau.protocols.models import TaskStatus
from qorgau.shelters.models import Placement
from tests.analytics.conftest import ALMATY, World, at
from tests.shelters.support import make_centre

pytestmark = pytest.mark.django_db

# --- the oracle: the counting as it was before issue 10 ----------------------------------------------

OLD_SUBJECTS = {
    "case:": "case:pk",
    "case:case__": "case:case_id",
    "case:incident__cases__": "case:pk",  # first contact counted cases, not their first reports
    "order:": "order:pk",
    "order:order__": "order:order_id",
}


def _old_case_ref(subject: str) -> Any:
    kind, _sep, ref = subject.partition(":")
    if kind == "order":
        links = OrderCase.objects.filter(order=OuterRef(OuterRef(ref))).order_by("case_id")
        return Subquery(links.values("case_id")[:1])
    return OuterRef(ref)


def _old_first_contact() -> QuerySet[Any]:
    # The old counting rows were the cases of ``_first_contact_cases`` (kept in refresh.py to find the
    # months a partial refresh recomputes) with their duration.
    return refresh._first_contact_cases().annotate(_dur=ExpressionWrapper(F("_done") - F("_first"), output_field=DurationField()))


def _old_placed(source: refresh.Source, qs: QuerySet[Any]) -> tuple[QuerySet[Any], dict[str, Any], Any]:
    kind, _sep, ref = source.subject.partition(":")
    if kind == "incident":
        place: dict[str, Any] = {"_r": F(f"{ref}region_id"), "_d": F(f"{ref}district_id"), "_u": F(f"{ref}urban")}
        forms: dict[str, Any] = {c: Q(**{f"{ref}{c}": True}) for c in FORM_CODES}
        occurred: Any = F(f"{ref}occurred_at")
    else:

        def first(column: str, output: Any = None) -> Subquery:
            incidents = Incident.objects.filter(cases=_old_case_ref(source.subject)).order_by("occurred_at", "pk")
            return Subquery(incidents.values(column)[:1], output_field=output)

        place = {"_r": first("region_id"), "_d": first("district_id"), "_u": first("urban", BooleanField())}
        forms = {c: first(c, BooleanField()) for c in FORM_CODES}
        occurred = first("occurred_at")
    if source.place:
        p = source.place
        place = {"_r": F(f"{p}region_id"), "_d": F(f"{p}district_id"), "_u": F(f"{p}district__urban_default")}
    return qs.annotate(_m=refresh._month(source), **place), forms, occurred


def _old_groups_of(source: refresh.Source) -> dict[str, Any]:
    kind, _sep, ref = source.subject.partition(":")
    if kind == "incident":
        return {f"group:{c}": in_group(c, Q(incidents=OuterRef(f"{ref}id"))) for c in GROUP_CODES}
    return {f"group:{c}": in_group(c, Q(pk=_old_case_ref(source.subject))) for c in GROUP_CODES}


def _old_source(source: refresh.Source) -> refresh.Source:
    kind, _sep, _ref = source.subject.partition(":")
    if kind == "incident":
        return source
    rows = _old_first_contact if source.indicator == "first_contact_hours" else source.rows
    return dataclasses.replace(source, subject=OLD_SUBJECTS[source.subject], rows=rows)


def _key(t: Tally) -> tuple[Any, ...]:
    return (t.indicator, t.month, t.region_id, t.district_id or "", t.urban, t.dimension, t.value, round(t.amount, 9))


def _old_count(monkeypatch: pytest.MonkeyPatch, source: refresh.Source, months: Q | None) -> list[tuple[Any, ...]]:
    with monkeypatch.context() as m:
        m.setattr(refresh, "_placed", _old_placed)
        m.setattr(refresh, "_groups_of", _old_groups_of)
        return sorted(map(_key, refresh._count(_old_source(source), months)))


def _new_count(source: refresh.Source, months: Q | None) -> list[tuple[Any, ...]]:
    return sorted(map(_key, refresh._count(source, months)))


# --- the data: cases with several incidents, ties, shared incidents, orders on several cases ----------


def _order(world: World, kind: str, issued: dt.datetime, cases: list[Case], n: int) -> Order:
    order = Order.objects.create(
        number=f"PO-{n}",
        kind=kind,
        offender=cases[0].offender if cases else world.person(sex="M"),
        issuing_unit=world.unit,
        issued_by=world.user,
        issued_at=issued,
        starts_at=issued,
        ends_at=issued + timedelta(days=30),
    )
    for case in cases:
        OrderCase.objects.create(order=order, case=case)
    return order


def _breach(world: World, order: Order, when: dt.datetime) -> None:
    Breach.objects.create(
        order=order, occurred_at=when, what="x", reported_by=world.user, unit=world.unit, recorded_at=when
    )


def _decision(world: World, case: Case, day: dt.date) -> None:
    CourtDecision.objects.create(
        case=case,
        court_unit=world.unit,
        kind="administrative_penalty",
        decided_on=day,
        reference=f"5-{case.pk}/2026",
        recorded_by=world.user,
        recorded_at=at(day.year, day.month, day.day),
    )


@pytest.fixture
def cases(world: World) -> dict[str, Case]:
    w = world
    # a: reported first in Atyrau in March, but an incident in Almaty that happened in February was
    # reported later: the case counts in Almaty (first incident) with the forms of that incident; its
    # victim was 17 then and 18 at the March incident (a child only by the first incident).
    ra = w.report(at(2026, 3, 10), region="KZ-23", forms=("physical",))
    a = w.case(ra, victim=w.person(sex="F", birth=dt.date(2008, 2, 15)), opened=at(2026, 3, 10))
    early = w.incident(region=ALMATY, occurred=at(2026, 2, 1), forms=("psychological", "economic"), urban=False)
    w.report(at(2026, 4, 5), incident=early)
    a.incidents.add(early)
    # b: two incidents at the very same time; the lower id is first whatever order they were linked in.
    tie = at(2026, 1, 20, 3)
    first_tied = w.incident(region="KZ-11", occurred=tie, forms=("sexual",))
    second_tied = w.incident(region="KZ-15", occurred=tie, forms=("neglect",), urban=False)
    rb = w.report(at(2026, 1, 21), incident=second_tied)
    b = w.case(rb, victim=w.person(sex="M", birth=dt.date(1960, 6, 1)), markers=("disabled",))
    b.incidents.add(first_tied)
    # Two reports received at the same moment on b: the first report is the lower id.
    w.report(at(2026, 1, 21), incident=first_tied)
    # c and d share an incident: first for c, not for d (d has an earlier one in another region).
    shared = w.incident(region="KZ-19", occurred=at(2026, 4, 2), forms=("physical", "psychological"))
    rc = w.report(at(2026, 4, 3), incident=shared)
    c = w.case(rc, victim=w.person(sex="F", birth=dt.date(1990, 1, 1)), markers=("pregnant",))
    rd = w.report(at(2026, 4, 4), incident=shared)
    d = w.case(rd, victim=w.person(sex="F", birth=dt.date(1962, 5, 1)))
    d.incidents.add(w.incident(region="KZ-27", occurred=at(2025, 12, 30), forms=("economic",)))
    # e: merged into c (not counted as a case nor for first contact; its criminal cases still are).
    re_ = w.report(at(2026, 5, 2), region="KZ-31")
    e = w.case(re_)
    Case.objects.filter(pk=e.pk).update(merged_into=c)
    # f: its only incident was unlinked: nothing places it, except a shelter admission (the shelter's unit).
    f = w.case(w.report(at(2026, 2, 2), region="KZ-33"))
    f.incidents.clear()
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


@pytest.fixture
def activity(world: World, cases: dict[str, Case]) -> None:
    w, a, b, c, d, e, f = world, *cases.values()
    # tasks: a's first done task comes before its first report (left out of first contact); b has two
    # done tasks at the same moment; c one done task; d an overdue open task.
    w.task(a, due=at(2026, 3, 12), status=TaskStatus.DONE, updated=at(2026, 3, 1))
    w.task(a, due=at(2026, 3, 15), status=TaskStatus.DONE, updated=at(2026, 3, 14))
    w.task(b, due=at(2026, 1, 23), status=TaskStatus.DONE, updated=at(2026, 1, 22, 9))
    w.task(b, due=at(2026, 1, 24), status=TaskStatus.DONE, updated=at(2026, 1, 22, 9))
    w.task(c, due=at(2026, 4, 5), status=TaskStatus.DONE, updated=at(2026, 4, 3, 10))
    w.task(d, due=at(2026, 4, 6), status=TaskStatus.DONE, updated=at(2026, 4, 7))
    w.task(d, due=at(2026, 5, 1), status=TaskStatus.OPEN)
    w.task(e, due=at(2026, 5, 4), status=TaskStatus.DONE, updated=at(2026, 5, 3))
    # orders: on [d, b] (the first case is the lower id, b), on [c] and on nothing (never placed).
    o1 = _order(w, "police", at(2026, 4, 10), [d, b], 1)
    o2 = _order(w, "special_requirements", at(2026, 4, 20), [c, a], 2)
    o3 = _order(w, "police", at(2026, 5, 1), [], 3)
    for order, when in ((o1, at(2026, 4, 12)), (o1, at(2026, 5, 3)), (o2, at(2026, 5, 4)), (o3, at(2026, 5, 5))):
        _breach(w, order, when)
    for case, day in ((a, dt.date(2026, 4, 20)), (d, dt.date(2026, 5, 2)), (f, dt.date(2026, 5, 3))):
        _decision(w, case, day)
    w.criminal(a, "ст. 99 ч. 1 УК РК", dt.date(2026, 3, 20))
    w.criminal(d, "ч. 1 ст. 106 УК РК", dt.date(2026, 4, 25))
    w.criminal(e, "ст. 108-1 УК РК", dt.date(2026, 5, 6))
    centre = make_centre("Shelter", region="KZ-75")
    pool = centre.pools.order_by("pk").first()
    for case, when in ((a, at(2026, 3, 16)), (f, at(2026, 3, 17)), (d, at(2026, 4, 8))):
        Placement.objects.create(case=case, centre=centre, pool=pool, admitted_at=when, admitted_by=w.user)


def test_every_source_counts_exactly_as_the_per_column_subqueries_did(monkeypatch, activity):
    counted = set()
    for source in refresh.SOURCES:
        new = _new_count(source, None)
        assert new == _old_count(monkeypatch, source, None), source.indicator
        if new:
            counted.add(source.indicator)
        # a partial refresh's months (March and May, not April)
        spans = refresh._spans([dt.date(2026, 3, 1), dt.date(2026, 5, 1)])
        months = refresh._months_q(source, spans)
        assert _new_count(source, months) == _old_count(monkeypatch, source, months), source.indicator
    # first contact finds its changed months from the cases it counts (a cheaper search): the same
    # cases in the same months as the rows it counts
    fc = next(s for s in refresh.SOURCES if s.indicator == "first_contact_hours")
    assert fc.changed is not None
    by_case = Counter(fc.changed().annotate(_m=refresh._month(fc)).values_list("_m", flat=True))
    by_row = Counter(fc.rows().annotate(_m=refresh._month(fc)).values_list("_m", flat=True))
    assert by_case == by_row and sum(by_row.values()) == 3
    # the data reaches every case-placed source that it feeds
    assert {
        "cases",
        "orders",
        "special_requirements",
        "breaches",
        "court_decisions",
        "criminal_cases",
        "deaths",
        "grave_harm",
        "first_contact_hours",
        "tasks_overdue",
        "placements",
    } <= counted


def test_cases_are_placed_by_their_first_incident_in_time_then_by_id(activity, cases):
    # a straightforward reference: each live case's incidents sorted in Python
    expected: Counter[tuple[Any, ...]] = Counter()
    for case in Case.objects.filter(merged_into__isnull=True):
        incidents = sorted(case.incidents.all(), key=lambda i: (i.occurred_at, i.pk))
        if incidents:
            first = incidents[0]
            month = case.opened_at.astimezone(refresh.ZONE).date().replace(day=1)
            expected[(month, first.region_id, first.district_id, first.urban)] += 1
    refresh.tallies_refresh(full=True)
    got = Counter(
        {
            (t.month, t.region_id, t.district_id, t.urban): t.value
            for t in Tally.objects.filter(indicator="cases", dimension="")
        }
    )
    assert got == expected
    assert got[(dt.date(2026, 3, 1), ALMATY, "751110000", False)] == 1  # a: February's incident in Almaty
    # b: the tied incidents; the lower id (KZ-11, sexual violence) is first
    assert Tally.objects.get(indicator="cases", dimension="form:sexual").region_id == "KZ-11"
    assert not Tally.objects.filter(indicator="cases", dimension="form:neglect").exists()
    # a's victim was a child at the first incident only
    assert Tally.objects.get(indicator="cases", dimension="group:children").region_id == ALMATY
    # d counts where its December incident happened, not at the shared one
    assert Tally.objects.filter(indicator="cases", region_id="KZ-27").exists()
    # first contact, from the first report (received) to the first done task, placed by the first
    # incident: a is left out (its first done task precedes its first report), e is merged
    fc = {t.region_id: (t.value, t.amount) for t in Tally.objects.filter(indicator="first_contact_hours", dimension="")}
    assert fc["KZ-11"] == (1, pytest.approx(27.0))  # b: tied reports 21 Jan 06:00, tied tasks done 22 Jan 09:00
    assert fc["KZ-19"] == (1, pytest.approx(4.0))  # c: report 3 Apr 06:00, done 10:00
    assert fc["KZ-27"] == (1, pytest.approx(96.0))  # d: the shared incident's report 3 Apr 06:00, done 7 Apr
    assert set(fc) == {"KZ-11", "KZ-19", "KZ-27"}
