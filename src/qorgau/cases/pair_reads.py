"""The statements behind a pair's flags and repeat counts, written by hand (core.sql_reads, ADR 0018).

Every case view, every registration and every risk pre-fill asks them, so they skip the ORM's
compiler; ``selectors._pair_signals`` turns their rows into counts and flags. Restricted cases never
count (DESIGN §10). The persons of the two clusters are read first and the cases asked by those ids:
an IN list lets PostgreSQL combine two index scans, where a subquery or an OR of joins scans the
whole case table (docs/query-discipline.md).
"""

from __future__ import annotations

import datetime as dt

from qorgau.cases.models import Incident, PartyRole
from qorgau.core.sql_reads import column, placeholders, rows, when


def cluster_members(clusters: set[int]) -> list[tuple[int, int]]:
    """(person id, cluster id) of every record of the given clusters."""
    sql = f"SELECT id, cluster_id FROM people_person WHERE cluster_id IN ({placeholders(clusters)})"  # noqa: S608 - placeholders only
    return [(pk, cluster) for pk, cluster in rows(sql, sorted(clusters), [None, None])]


def victim_incidents_since(people: set[int], since: dt.datetime) -> list[tuple[int, str | None, str]]:
    """(incident, district, region) of the incidents since ``since`` where one of ``people`` was the
    victim, leaving out those of restricted cases."""
    sql = f"""
        SELECT DISTINCT i.id, i.district_id, i.region_id
        FROM cases_incident i JOIN cases_party p ON p.incident_id = i.id
        WHERE i.occurred_at >= %s AND p.role = %s AND p.person_id IN ({placeholders(people)})
          AND NOT EXISTS (
            SELECT 1 FROM cases_case_incidents ci JOIN cases_case c ON c.id = ci.case_id
            WHERE ci.incident_id = i.id AND c.restricted = %s
          )
    """  # noqa: S608 - placeholders only
    return rows(sql, [when(since), PartyRole.VICTIM.value, *sorted(people), True], [None, column(Incident, "district"), column(Incident, "region")])


def cases_of_people(
    victims: set[int], offenders: set[int], *, exclude_case: int | None, unit: int | None, at: dt.datetime
) -> list[tuple[int, int, int, int | None, int | None, str, str, str, bool]]:
    """The cases (not restricted, not merged) where one of ``victims`` is the victim or one of
    ``offenders`` the offender: (case, victim, offender, their clusters, the holding unit's names in
    ru, kk, en, whether ``unit`` holds a grant in force on it at ``at``)."""
    where = []
    params: list[object] = [unit, when(at), when(at), False]
    if victims:
        where.append(f"c.victim_id IN ({placeholders(victims)})")
        params.extend(sorted(victims))
    if offenders:
        where.append(f"c.offender_id IN ({placeholders(offenders)})")
        params.extend(sorted(offenders))
    sql = f"""
        SELECT c.id, c.victim_id, c.offender_id, v.cluster_id, o.cluster_id, u.name_ru, u.name_kk, u.name_en,
          EXISTS (
            SELECT 1 FROM cases_grant g
            WHERE g.case_id = c.id AND g.unit_id = %s AND g.since <= %s AND (g.until IS NULL OR g.until > %s)
          )
        FROM cases_case c
          JOIN people_person v ON v.id = c.victim_id
          JOIN people_person o ON o.id = c.offender_id
          JOIN accounts_unit u ON u.id = c.holding_unit_id
        WHERE c.restricted = %s AND c.merged_into_id IS NULL AND ({" OR ".join(where)})
    """  # noqa: S608 - placeholders only
    if exclude_case is not None:
        sql += " AND c.id <> %s"
        params.append(exclude_case)
    found = rows(sql, params, [None] * 9)
    return [(*row[:8], bool(row[8])) for row in found]

