"""The case's risk panel rows — its level, its assessments, the measures recorded and the level
changes — written by hand (core.sql_reads, ADR 0018).

The panel is on every case page and the API's case risk; through the ORM its four reads with their
related rows cost about 3 ms of compiling a page. They return model instances with their related rows
attached, as ``select_related`` would, and ``risk.selectors.case_risk_panel`` uses them unchanged
(tests/risk/test_panel_reads.py compares each with the ORM statement it replaced).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from qorgau.accounts.models import Unit, User
from qorgau.cases.models import Case, Incident
from qorgau.core.sql_reads import attach, converted, fetch, shape, starts, when
from qorgau.orders.models import Breach
from qorgau.risk.models import Assessment, CaseRisk, Instrument, InstrumentVersion, LevelChange, MeasureRecord


def case_risk(case: Case) -> CaseRisk | None:
    """The case's level with its assessment, the assessment's version and instrument."""
    r, a, v, n = shape(CaseRisk, "r"), shape(Assessment, "a"), shape(InstrumentVersion, "v"), shape(Instrument, "n")
    at = starts(r, a, v, n)
    found = fetch(
        f"""
        SELECT {r.sql}, {a.sql}, {v.sql}, {n.sql}
        FROM risk_caserisk r
          JOIN risk_assessment a ON a.id = r.assessment_id
          JOIN risk_instrumentversion v ON v.id = a.version_id
          JOIN risk_instrument n ON n.id = v.instrument_id
        WHERE r.case_id = %s
        """,  # noqa: S608 - column lists of the models only
        [case.pk],
    )
    if not found:
        return None
    row = found[0]
    risk, assessment, version = r.build(row, at[0]), a.build(row, at[1]), v.build(row, at[2])
    attach(version, instrument=n.build(row, at[3]))
    attach(assessment, version=version)
    attach(risk, assessment=assessment)
    return risk


def assessments(case: Case) -> list[Assessment]:
    """The case's assessments, newest first (``Assessment.Meta.ordering``), each with its version and
    instrument, the worker who assessed and the unit."""
    a, v, n, u, t = shape(Assessment, "a"), shape(InstrumentVersion, "v"), shape(Instrument, "n"), shape(User, "u"), shape(Unit, "t")
    at = starts(a, v, n, u, t)
    found = fetch(
        f"""
        SELECT {a.sql}, {v.sql}, {n.sql}, {u.sql}, {t.sql}
        FROM risk_assessment a
          JOIN risk_instrumentversion v ON v.id = a.version_id
          JOIN risk_instrument n ON n.id = v.instrument_id
          JOIN accounts_user u ON u.id = a.assessed_by_id
          JOIN accounts_unit t ON t.id = a.unit_id
        WHERE a.case_id = %s
        ORDER BY a.created_at DESC, a.id DESC
        """,  # noqa: S608 - column lists of the models only
        [case.pk],
    )
    out = []
    seen: tuple[dict[object, object], ...] = ({}, {}, {}, {})
    for row in found:
        assessment, version = a.build(row, at[0]), v.build(row, at[1], seen[0])
        attach(version, instrument=n.build(row, at[2], seen[1]))
        attach(assessment, version=version, assessed_by=u.build(row, at[3], seen[2]), unit=t.build(row, at[4], seen[3]))
        out.append(assessment)
    return out


def _recorded_by(model: type[MeasureRecord] | type[LevelChange], joins: str, where: str, order: str, param: int) -> list[Any]:
    """Rows of ``model`` (alias ``x``) each with the worker who recorded it (``by``), read in one statement."""
    x, u = shape(model, "x"), shape(User, "u")
    at = starts(x, u)
    found = fetch(
        f"""
        SELECT {x.sql}, {u.sql}
        FROM {model._meta.db_table} x {joins}
          JOIN accounts_user u ON u.id = x.by_id
        WHERE {where}
        ORDER BY {order}
        """,  # noqa: S608 - a model's table and columns and fixed clauses only
        [param],
    )
    out = []
    users: dict[object, object] = {}
    for row in found:
        item = x.build(row, at[0])
        attach(item, by=u.build(row, at[1], users))
        out.append(item)
    return out


def measure_records(assessment_id: int) -> list[MeasureRecord]:
    """The measures recorded for an assessment, each with the worker who recorded it."""
    return _recorded_by(MeasureRecord, "", "x.assessment_id = %s", "x.id", assessment_id)


def level_changes(case: Case) -> list[LevelChange]:
    """The level changes of the case's assessments, newest first, each with the supervisor."""
    return _recorded_by(LevelChange, "JOIN risk_assessment a ON a.id = x.assessment_id", "a.case_id = %s", "x.at DESC, x.id DESC", case.pk)


def forcing_event_after(case: Case, at: dt.datetime) -> dt.datetime | None:
    """When the first event after ``at`` (the last assessment) that forces a reassessment happened:
    a new incident on the case, or a breach of one of its protective orders; None when there is none.
    One statement for what the ORM read in two (``risk.selectors`` applies the rule)."""
    after = when(at)
    ((incident, breach),) = fetch(
        """
        SELECT
          (SELECT MIN(i.created_at) FROM cases_case_incidents ci JOIN cases_incident i ON i.id = ci.incident_id
            WHERE ci.case_id = %s AND i.created_at > %s),
          (SELECT MIN(b.recorded_at) FROM orders_ordercase oc JOIN orders_breach b ON b.order_id = oc.order_id
            WHERE oc.case_id = %s AND b.recorded_at > %s)
        """,
        [case.pk, after, case.pk, after],
    )
    found = [t for t in (converted(Incident, "created_at", incident), converted(Breach, "recorded_at", breach)) if t is not None]
    return min(found) if found else None
