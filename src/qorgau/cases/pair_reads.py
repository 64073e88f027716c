"""The statements behind a pair's flags and repeat counts, written by hand (core.sql_reads, ADR 0018).

Every case view, every registration and every risk pre-fill asks them, so they skip the ORM's
compiler; ``selectors._pair_signals`` turns their rows into counts and flags. Restricted cases never
count (DESIGN §10). The persons of the two clusters are read first and the cases asked by those ids:
an IN list lets PostgreSQL combine two index scans, where a subquery or an OR of joins scans the
whole case table (docs/query-discipline.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from qorgau.cases.access import in_force_sql
from qorgau.cases.models import PartyRole
from qorgau.core.sql_reads import fetch, placeholders, when


def cluster_members(clusters: set[int]) -> list[tuple[int, int]]:
    """(person id, cluster id) of every record of the given clusters."""
    sql = f"SELECT id, cluster_id FROM people_person WHERE cluster_id IN ({placeholders(clusters)})"  # noqa: S608 - placeholders only
    return [(pk, cluster) for pk, cluster in fetch(sql, sorted(clusters))]


@dataclass(frozen=True)
class Signals:
    her_incidents: int  # her incidents since the window's start, restricted cases' left out
    her_places: int  # the districts of those incidents (the region where the district is unknown)
    related: list[tuple[int, int, int, int | None, int | None, str, str, str, bool]]


def signals(
    her: set[int], his: set[int], *, since: dt.datetime, exclude_case: int | None, unit: int | None, at: dt.datetime
) -> Signals:
    """In one statement: her incidents since ``since`` and their places (``her`` are the records of
    her cluster), and the related cases — not restricted, not merged — where one of ``her`` is the
    victim or one of ``his`` the offender: (case, victim, offender, their clusters, the holding unit's
    names in ru, kk, en, whether ``unit`` holds a grant in force on it at ``at``)."""

    def among(people: set[int]) -> str:
        return placeholders(people) if people else "NULL"

    where = []
    if her:
        where.append(f"c.victim_id IN ({among(her)})")
    if his:
        where.append(f"c.offender_id IN ({among(his)})")
    sql = f"""
        SELECT k.incidents, k.places, c.*
        FROM (
          SELECT COUNT(DISTINCT i.id) AS incidents, COUNT(DISTINCT COALESCE(i.district_id, i.region_id)) AS places
          FROM cases_incident i JOIN cases_party p ON p.incident_id = i.id
          WHERE i.occurred_at >= %s AND p.role = %s AND p.person_id IN ({among(her)})
            AND NOT EXISTS (
              SELECT 1 FROM cases_case_incidents ci JOIN cases_case rc ON rc.id = ci.case_id
              WHERE ci.incident_id = i.id AND rc.restricted = %s
            )
        ) k LEFT JOIN (
          SELECT c.id, c.victim_id, c.offender_id, v.cluster_id AS victim_cluster, o.cluster_id AS offender_cluster,
                 u.name_ru, u.name_kk, u.name_en,
                 EXISTS (
                   SELECT 1 FROM cases_grant g
                   WHERE g.case_id = c.id AND g.unit_id = %s AND {in_force_sql("g")}
                 ) AS visible
          FROM cases_case c
            JOIN people_person v ON v.id = c.victim_id
            JOIN people_person o ON o.id = c.offender_id
            JOIN accounts_unit u ON u.id = c.holding_unit_id
          WHERE c.restricted = %s AND c.merged_into_id IS NULL AND ({" OR ".join(where)}){" AND c.id <> %s" if exclude_case is not None else ""}
        ) c ON 1 = 1
    """  # noqa: S608 - placeholders only
    params: list[object] = [when(since), PartyRole.VICTIM.value, *sorted(her), True, unit, when(at), when(at), False, *sorted(her), *sorted(his)]
    if exclude_case is not None:
        params.append(exclude_case)
    found = fetch(sql, params)
    first = found[0]
    related = [(*row[2:10], bool(row[10])) for row in found if row[2] is not None]
    return Signals(int(first[0]), int(first[1]), related)
