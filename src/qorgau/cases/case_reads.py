"""A case's own rows — its reports, incidents, timeline, markers and counts — written by hand.

Every case view (the page and the API's case detail) reads all of them, so they skip the ORM's
compiler (core.sql_reads, ADR 0018). They return model instances with their related rows attached,
as ``select_related`` would, so the selectors, the pages and the API use them unchanged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from qorgau.accounts.models import Unit
from qorgau.cases.models import Case, CaseEvent, Incident, PartyRole, Report
from qorgau.core.models import District, Region
from qorgau.core.sql_reads import attach, fetch, listed, shape, starts, when
from qorgau.orders.offender_counts import OFFENDER_ORDERS_SQL

# The maps draw the boundaries; a case view never needs them.
_NO_BOUNDARY = ("boundary_geojson",)


def incidents_and_reports(case: Case) -> tuple[list[Incident], list[Report]]:
    """The case's incidents in the order they happened, and their reports, oldest first, each with
    its incident (with the incident's region and district) and its unit: one statement for both."""
    i, r, rg, d, u = (
        shape(Incident, "i"), shape(Report, "r"), shape(Region, "rg", defer=_NO_BOUNDARY),
        shape(District, "d", defer=_NO_BOUNDARY), shape(Unit, "u"),
    )
    at = starts(i, r, rg, d, u)
    found = fetch(
        f"""
        SELECT {i.sql}, {r.sql}, {rg.sql}, {d.sql}, {u.sql}
        FROM cases_case_incidents ci
          JOIN cases_incident i ON i.id = ci.incident_id
          LEFT JOIN cases_report r ON r.incident_id = i.id
          JOIN core_region rg ON rg.iso = i.region_id
          LEFT JOIN core_district d ON d.kato = i.district_id
          LEFT JOIN accounts_unit u ON u.id = r.unit_id
        WHERE ci.case_id = %s
        ORDER BY r.received_at, r.id
        """,  # noqa: S608 - column lists of the models only
        [case.pk],
    )
    incidents: dict[object, Incident] = {}
    reports = []
    seen: tuple[dict[object, object], ...] = ({}, {}, {})
    for row in found:
        incident = i.build(row, at[0], incidents)
        attach(incident, region=rg.build(row, at[2], seen[0]), district=d.build(row, at[3], seen[1]))
        report = r.build(row, at[1])
        if report is not None:  # an incident without a report (none is made so, but one is not lost)
            attach(report, incident=incident, unit=u.build(row, at[4], seen[2]))
            reports.append(report)
    return sorted(incidents.values(), key=lambda x: (x.occurred_at, x.pk)), reports


def reports(case: Case) -> list[Report]:
    """The reports of the case's incidents, oldest first (``incidents_and_reports``)."""
    return incidents_and_reports(case)[1]


def timeline(case: Case) -> list[CaseEvent]:
    """The events of the case and of the cases merged into it (both histories are kept), in
    ``CaseEvent``'s order, each with its unit and its report's number."""
    e, u, r = shape(CaseEvent, "e"), shape(Unit, "u"), shape(Report, "r", only=("number",))
    at = starts(e, u, r)
    found = fetch(
        f"""
        SELECT {e.sql}, {u.sql}, {r.sql}
        FROM cases_caseevent e
          LEFT JOIN accounts_unit u ON u.id = e.unit_id
          LEFT JOIN cases_report r ON r.id = e.report_id
        WHERE e.case_id IN (SELECT id FROM cases_case WHERE id = %s OR merged_into_id = %s)
        ORDER BY e.at, e.id
        """,  # noqa: S608 - column lists of the models only
        [case.pk, case.pk],
    )
    out = []
    units: dict[object, object] = {}
    reports: dict[object, object] = {}
    for row in found:
        event = e.build(row, at[0])
        attach(event, unit=u.build(row, at[1], units), report=r.build(row, at[2], reports))
        out.append(event)
    return out


@dataclass(frozen=True)
class Counts:
    incidents_since: int
    incidents: int
    reports: int
    child_witnesses: int  # distinct children who witnessed any of the case's incidents


@dataclass(frozen=True)
class Facts:
    """What every case view shows beside the case's rows, read in one statement: its markers, its
    counts, the records of the pair's two clusters (for the flags, ``selectors._pair_signals``) and
    the orders issued against anyone of his cluster."""

    markers: list[str]
    counts: Counts
    members: list[tuple[int, int]]  # (person, cluster)
    orders: int
    breached_orders: int


def facts(case: Case, since: dt.datetime) -> Facts:
    """The case's facts; ``since`` starts the recent incidents' window. Restricted cases' orders are
    not counted (DESIGN §10); one statement instead of four, since every case view asks it."""
    victim = case.victim.cluster_id
    offender = case.offender.cluster_id
    sql = f"""
        SELECT k.recent, k.total, k.reports, k.children,
          (SELECT {listed("m.marker_id")} FROM cases_case_markers m WHERE m.case_id = %s),
          (SELECT {listed("CAST(p.id AS TEXT) || ':' || CAST(p.cluster_id AS TEXT)")} FROM people_person p WHERE p.cluster_id IN (%s, %s)),
          o.orders, o.breached
        FROM (
          SELECT COUNT(DISTINCT CASE WHEN i.occurred_at >= %s THEN i.id END) AS recent, COUNT(DISTINCT i.id) AS total,
                 COUNT(DISTINCT r.id) AS reports, COUNT(DISTINCT p.person_id) AS children
          FROM cases_case_incidents ci
            JOIN cases_incident i ON i.id = ci.incident_id
            LEFT JOIN cases_report r ON r.incident_id = i.id
            LEFT JOIN cases_party p ON p.incident_id = i.id AND p.role = %s
          WHERE ci.case_id = %s
        ) k, ({OFFENDER_ORDERS_SQL}) o
    """  # noqa: S608 - the aggregate's name and a constant statement only
    params = [case.pk, victim, offender, when(since), PartyRole.CHILD_WITNESS.value, case.pk, offender, True]
    ((recent, total, n_reports, children, markers, members, orders, breached),) = fetch(sql, params)
    pairs = [m.split(":") for m in members.split(",")] if members else []
    return Facts(
        markers=sorted(markers.split(",")) if markers else [],
        counts=Counts(recent, total, n_reports, children),
        members=[(int(pk), int(cluster)) for pk, cluster in pairs],
        orders=int(orders),
        breached_orders=int(breached),
    )
