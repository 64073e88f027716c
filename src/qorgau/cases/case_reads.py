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
from qorgau.core.sql_reads import attach, fetch, rows, shape, starts, when

# The maps draw the boundaries; a case view never needs them.
_NO_BOUNDARY = ("boundary_geojson",)


def reports(case: Case) -> list[Report]:
    """The reports of the case's incidents, oldest first, each with its incident (and the incident's
    region and district) and its unit."""
    r, i, rg, d, u = (
        shape(Report, "r"), shape(Incident, "i"), shape(Region, "rg", defer=_NO_BOUNDARY),
        shape(District, "d", defer=_NO_BOUNDARY), shape(Unit, "u"),
    )
    at = starts(r, i, rg, d, u)
    found = fetch(
        f"""
        SELECT {r.sql}, {i.sql}, {rg.sql}, {d.sql}, {u.sql}
        FROM cases_case_incidents ci
          JOIN cases_incident i ON i.id = ci.incident_id
          JOIN cases_report r ON r.incident_id = i.id
          JOIN core_region rg ON rg.iso = i.region_id
          LEFT JOIN core_district d ON d.kato = i.district_id
          JOIN accounts_unit u ON u.id = r.unit_id
        WHERE ci.case_id = %s
        ORDER BY r.received_at, r.id
        """,  # noqa: S608 - column lists of the models only
        [case.pk],
    )
    out = []
    seen: tuple[dict[object, object], ...] = ({}, {}, {}, {})
    for row in found:
        report, incident = r.build(row, at[0]), i.build(row, at[1], seen[0])
        attach(incident, region=rg.build(row, at[2], seen[1]), district=d.build(row, at[3], seen[2]))
        attach(report, incident=incident, unit=u.build(row, at[4], seen[3]))
        out.append(report)
    return out


def incidents(case: Case) -> list[Incident]:
    """The case's incidents in the order they happened."""
    i = shape(Incident, "i")
    sql = f"SELECT {i.sql} FROM cases_case_incidents ci JOIN cases_incident i ON i.id = ci.incident_id WHERE ci.case_id = %s ORDER BY i.occurred_at, i.id"  # noqa: S608 - column list only
    return [i.build(row, 0) for row in fetch(sql, [case.pk])]


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


def marker_codes(case: Case) -> list[str]:
    return sorted(code for (code,) in rows("SELECT marker_id FROM cases_case_markers WHERE case_id = %s", [case.pk], [None]))


@dataclass
class Counts:
    incidents_since: int
    incidents: int
    reports: int
    child_witnesses: int  # distinct children who witnessed any of the case's incidents


def counts(case: Case, since: dt.datetime) -> Counts:
    """The case's incidents (all, and since ``since``), their reports and their child witnesses, in
    one statement."""
    sql = """
        SELECT COUNT(DISTINCT CASE WHEN i.occurred_at >= %s THEN i.id END), COUNT(DISTINCT i.id), COUNT(DISTINCT r.id), COUNT(DISTINCT p.person_id)
        FROM cases_case_incidents ci
          JOIN cases_incident i ON i.id = ci.incident_id
          LEFT JOIN cases_report r ON r.incident_id = i.id
          LEFT JOIN cases_party p ON p.incident_id = i.id AND p.role = %s
        WHERE ci.case_id = %s
    """
    params = [when(since), PartyRole.CHILD_WITNESS.value, case.pk]
    ((recent, total, n_reports, children),) = rows(sql, params, [None] * 4)
    return Counts(recent, total, n_reports, children)
