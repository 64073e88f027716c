"""Reads of orders: an order through the gate of a case it is linked to, a case's orders, the breaches
the risk app reads, the offender's history for flags, the court docket and the national figures.

Statistics count orders, not links (DESIGN §10)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from qorgau.accounts.masks import FieldRule, Scope, Sensitivity, Subject, Viewer, mask
from qorgau.accounts.models import Unit, User
from qorgau.cases.access import SCOPE_ORDER, case_get_for, cases_visible_to, live_grants
from qorgau.cases.models import Case, Party, PartyRole
from qorgau.cases.presence import absent
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import NotFound
from qorgau.core.models import AuditAction
from qorgau.core.sql_reads import attach, fetch, shape, starts
from qorgau.orders.models import (
    COURT_KINDS,
    UPCOMING_HEARING,
    CourtDecision,
    CourtHearing,
    CriminalCase,
    Order,
    SpecialisedCourt,
)
from qorgau.orders.offender_counts import OFFENDER_ORDERS_SQL
from qorgau.people.models import Person

S, P = Sensitivity, Subject
ORDER_POLICY: dict[str, FieldRule] = {
    "offender_name": FieldRule(S.IDENTITY, P.OFFENDER),
    "offender_birth_date": FieldRule(S.IDENTITY, P.OFFENDER),
    "protected_name": FieldRule(S.IDENTITY, P.VICTIM),
    "narrative": FieldRule(S.NARRATIVE, P.VICTIM),
}
DOCKET_DAYS = 30


def order_get_for(actor: User, order_id: int, *, request: HttpRequest | None = None) -> tuple[Order, Case, Viewer]:
    """An order through the gate of the linked case the actor sees best; NotFound alike for missing
    and forbidden."""
    order = Order.objects.select_related("offender", "issuing_unit", "issued_by").filter(pk=order_id).first()
    best: tuple[int, int] | None = None
    if order is not None:
        for case_id, scope in live_grants(actor).filter(case__order_links__order=order).values_list("case_id", "scope"):
            rank = SCOPE_ORDER[Scope(scope)]
            if best is None or rank > best[0] or (rank == best[0] and case_id < best[1]):
                best = (rank, case_id)
    if order is None or best is None:
        audit_record(actor=actor, action=AuditAction.DENIED, target_type="order", target_id=order_id, request=request, outcome="refused")
        raise NotFound()
    case, viewer = case_get_for(actor, best[1], request=request)
    return order, case, viewer


def case_orders(case: Case) -> list[Order]:
    """The orders linked to the case (or to a case merged into it), newest first, each with its issuing
    unit and the counts of breaches, protected persons and linked cases (``breach_count``,
    ``protected_count``, ``linked_count``): one hand-written statement however many orders (on every
    case page; the ORM compiled its three counts each time, ADR 0018). ``linked_count`` counts every
    link of the order, not only the links to this case. tests/orders/test_case_orders_read.py compares
    it with the ORM's read."""
    o, u = shape(Order, "o"), shape(Unit, "u")
    at = starts(o, u)
    counts = len(o.names) + len(u.names)
    found = fetch(
        f"""
        SELECT {o.sql}, {u.sql},
          (SELECT COUNT(*) FROM orders_breach b WHERE b.order_id = o.id),
          (SELECT COUNT(*) FROM orders_orderprotected p WHERE p.order_id = o.id),
          (SELECT COUNT(*) FROM orders_ordercase l WHERE l.order_id = o.id)
        FROM orders_order o
          JOIN accounts_unit u ON u.id = o.issuing_unit_id
        WHERE o.id IN (
          SELECT l.order_id FROM orders_ordercase l
          WHERE l.case_id IN (SELECT c.id FROM cases_case c WHERE c.id = %s OR c.merged_into_id = %s)
        )
        ORDER BY o.starts_at DESC, o.id DESC
        """,  # noqa: S608 - column lists of the models only
        [case.pk, case.pk],
    )
    out = []
    units: dict[object, object] = {}
    for row in found:
        order = o.build(row, at[0])
        attach(order, issuing_unit=u.build(row, at[1], units))
        order.breach_count, order.protected_count, order.linked_count = (int(n) for n in row[counts : counts + 3])
        out.append(order)
    return out


def order_counts_for_offender(offender_cluster_id: int | None) -> tuple[int, int]:
    """(orders issued to the offender, of which breached), across the registry: for flags and the
    risk pre-fill, never with names or dates."""
    if offender_cluster_id is None:
        return 0, 0
    # Restricted cases' orders are not counted (DESIGN §10; the statement says how).
    ((orders, breached),) = fetch(OFFENDER_ORDERS_SQL, [offender_cluster_id, True])
    return int(orders), int(breached)

def visible_people(actor: User, people: list[Person]) -> set[int]:
    """The persons the actor knows through a case they may see: its victim or a child who witnessed."""
    cases = cases_visible_to(actor)
    ids = [p.pk for p in people]
    victims = set(cases.filter(victim_id__in=ids).values_list("victim_id", flat=True))
    children = set(
        Party.objects.filter(person_id__in=ids, role=PartyRole.CHILD_WITNESS, incident__cases__in=cases).values_list("person_id", flat=True)
    )
    return victims | children


def protected_rows(actor: User, order: Order, viewer: Viewer) -> list[dict[str, Any]]:
    """The persons the order protects, by name where the actor may see them; a person known only
    through a case the actor does not hold is counted, never named (DESIGN §5)."""
    people = list(order.protected.order_by("pk"))
    known = visible_people(actor, people)
    rows = []
    for p in people:
        if p.pk in known:
            name = mask(viewer, {"protected_name": p.full_name}, ORDER_POLICY)["protected_name"]
            rows.append({"person": p, "name": name, "known": True})
        else:
            rows.append({"person": None, "name": "", "known": False})
    return rows


def offender_fields(order: Order, viewer: Viewer) -> dict[str, Any]:
    return mask(viewer, {"offender_name": order.offender.full_name, "offender_birth_date": order.offender.birth_date}, ORDER_POLICY)


def narrative(viewer: Viewer, text: str) -> Any:
    return mask(viewer, {"narrative": text}, ORDER_POLICY)["narrative"]


# --- the court docket --------------------------------------------------------------------------------------


def hearing_get_for(actor: User, hearing_id: int, *, request: HttpRequest | None = None) -> tuple[CourtHearing, Case, Viewer]:
    """A hearing through the gate of its case; NotFound alike for missing and forbidden."""
    hearing = CourtHearing.objects.select_related("court_unit", "order", "criminal_case", "decision").filter(pk=hearing_id).first()
    if hearing is None:
        audit_record(actor=actor, action=AuditAction.DENIED, target_type="hearing", target_id=hearing_id, request=request, outcome="refused")
        raise NotFound()
    case, viewer = case_get_for(actor, hearing.case_id, request=request)
    return hearing, case, viewer


def criminal_case_get_for(actor: User, record_id: int, *, request: HttpRequest | None = None) -> tuple[CriminalCase, Case, Viewer]:
    """A criminal case through the gate of its case; NotFound alike for missing and forbidden."""
    record = CriminalCase.objects.select_related("unit", "decision").filter(pk=record_id).first()
    if record is None:
        audit_record(actor=actor, action=AuditAction.DENIED, target_type="criminal_case", target_id=record_id, request=request, outcome="refused")
        raise NotFound()
    case, viewer = case_get_for(actor, record.case_id, request=request)
    return record, case, viewer


def case_hearings(case: Case) -> list[CourtHearing]:
    return list(case.court_hearings.select_related("court_unit", "decision").order_by("scheduled_for", "id"))


def case_criminal_cases(case: Case) -> list[CriminalCase]:
    return list(case.criminal_cases.select_related("unit", "decision").order_by("-registered_on", "-id"))


UPCOMING_HEARINGS = "upcoming_hearings"


def upcoming_hearings_of(case: Case) -> QuerySet[CourtHearing, CourtHearing]:
    return CourtHearing.objects.filter(case=case, status__in=[s.value for s in UPCOMING_HEARING], scheduled_for__gt=clock.now())


def next_hearing(case: Case) -> CourtHearing | None:
    """The case's next hearing still to come, for the case page's card."""
    if absent(case, UPCOMING_HEARINGS):
        return None
    return upcoming_hearings_of(case).select_related("court_unit").order_by("scheduled_for", "id").first()


# --- the court docket --------------------------------------------------------------------------------------


def _day_start(day: dt.date, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=ZoneInfo(zone))


@dataclass
class Docket:
    specialised: bool
    orders_ending: list[Order]
    orders_recent: list[Order]
    decisions: list[CourtDecision]
    hearings_today: list[CourtHearing]
    hearings_week: list[CourtHearing]
    hearings_later: list[CourtHearing]
    # Hearings whose time has passed with no outcome recorded: the office still owes it.
    hearings_unsettled: list[CourtHearing]
    hearings_past: list[CourtHearing]  # held or cancelled, within the chosen dates
    today: dt.date


def court_docket(actor: User, *, days: int = DOCKET_DAYS, since: dt.date | None = None, until: dt.date | None = None) -> Docket:
    """A court's work: its hearings (today, the next seven days, later; those awaiting an outcome),
    court orders on the cases it holds, those ending soon first, and its decisions. ``since`` and
    ``until`` (days in the court's zone, both included) narrow the hearings and decisions."""
    now = clock.now()
    unit = actor.unit
    zone = unit.timezone if unit is not None else "Asia/Almaty"
    today = clock.local(now, zone).date()
    visible = cases_visible_to(actor)
    court_orders = Order.objects.filter(kind__in=[k.value for k in COURT_KINDS]).filter(
        Q(issuing_unit_id=actor.unit_id or 0) | Q(case_links__case__in=visible)
    ).distinct().select_related("issuing_unit")
    ending = court_orders.filter(status__in=["issued", "served", "active", "extended"], ends_at__gt=now, ends_at__lte=now + timedelta(days=days))
    recent = court_orders.filter(issued_at__gte=now - timedelta(days=days))
    unit_id = actor.unit_id or 0
    decisions = CourtDecision.objects.filter(court_unit_id=unit_id).select_related("case").order_by("-decided_on", "-id")
    hearings = CourtHearing.objects.filter(court_unit_id=unit_id).select_related("case", "order", "criminal_case")
    if since is not None:
        start = _day_start(since, zone)
        hearings = hearings.filter(scheduled_for__gte=start)
        decisions = decisions.filter(decided_on__gte=since)
    if until is not None:
        end = _day_start(until + timedelta(days=1), zone)
        hearings = hearings.filter(scheduled_for__lt=end)
        decisions = decisions.filter(decided_on__lte=until)
    upcoming = [s.value for s in UPCOMING_HEARING]
    tomorrow = _day_start(today + timedelta(days=1), zone)
    week_end = _day_start(today + timedelta(days=8), zone)
    start_today = _day_start(today, zone)
    ahead = hearings.filter(status__in=upcoming).order_by("scheduled_for", "id")
    return Docket(
        specialised=SpecialisedCourt.objects.filter(unit_id=unit_id).exists(),
        orders_ending=list(ending.order_by("ends_at")[:200]),
        orders_recent=list(recent.order_by("-issued_at")[:200]),
        decisions=list(decisions[:200]),
        hearings_today=list(ahead.filter(scheduled_for__gte=start_today, scheduled_for__lt=tomorrow)[:200]),
        hearings_week=list(ahead.filter(scheduled_for__gte=tomorrow, scheduled_for__lt=week_end)[:200]),
        hearings_later=list(ahead.filter(scheduled_for__gte=week_end)[:200]),
        hearings_unsettled=list(ahead.filter(scheduled_for__lt=start_today)[:200]),
        hearings_past=list(hearings.exclude(status__in=upcoming).order_by("-scheduled_for", "-id")[:200]),
        today=today,
    )


# --- national figures -----------------------------------------------------------------------------------


def order_figures(*, since: dt.datetime | None = None, until: dt.datetime | None = None) -> dict[str, Any]:
    """Counts for the analytics: orders by kind (each order once, however many cases it joins),
    breached orders, court decisions by kind and criminal cases registered in the period, by their
    status now (registered, in court, convicted, acquitted, discontinued)."""
    orders = Order.objects.all()
    decisions = CourtDecision.objects.all()
    criminal = CriminalCase.objects.all()
    if since is not None:
        orders = orders.filter(issued_at__gte=since)
        decisions = decisions.filter(decided_on__gte=since.date())
        criminal = criminal.filter(registered_on__gte=since.date())
    if until is not None:
        orders = orders.filter(issued_at__lt=until)
        decisions = decisions.filter(decided_on__lt=until.date())
        criminal = criminal.filter(registered_on__lt=until.date())
    return {
        "orders": orders.count(),
        "orders_by_kind": dict(orders.values_list("kind").annotate(n=Count("id")).order_by()),
        "orders_breached": orders.filter(breaches__isnull=False).distinct().count(),
        "court_decisions": decisions.count(),
        "court_decisions_by_kind": dict(decisions.values_list("kind").annotate(n=Count("id")).order_by()),
        "criminal_cases": criminal.count(),
        "criminal_cases_by_status": dict(criminal.values_list("status").annotate(n=Count("id")).order_by()),
    }
