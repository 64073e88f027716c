"""Which of the case page's optional sections have rows, asked in one statement.

Most cases have no bracelet, no programme, no conference, no support referral, no attachment, no
hearing to come, no safety plan and no safe contact; the case page used to ask the database once per
section only to learn that (about a dozen statements of the page's 33, each about half a millisecond
of the ORM's Python). ``probe`` asks ``EXISTS`` of every section's own queryset in one statement and
records on the case the sections that came back empty; a selector whose section is recorded empty
answers without a statement (``absent``).

The probe and the selector cannot disagree as long as both take the queryset from the same function
(each section's ``…_of(case)``): the probe asks whether that queryset has a row, the selector reads
its rows. Nothing is recorded unless ``probe`` ran, so every other caller reads as before. The record
lives on the case object the gate returned for this request (``access.case_get_for``), like the
grants it read (``grants_read``), and goes with it.

Compiled once (``probe_compiled``). Compiling the eleven ``EXISTS`` of the case page cost the ORM
about a fifth of the page's Python on every view, to produce the same SQL with other parameters. So
the page's sections are built by a function of the case, and the statement is compiled by the ORM
from that function once per process and database: twice, for two stand-in cases (their id and
victim's id) at two stand-in times. The SQL must come out the same both times, and every parameter
either the same both times (a constant: a status list) or exactly the stand-in's id, victim id or
time (as the ORM adapts it); each request then runs that SQL with its case's id, victim id and the
clock's time in those places. Anything else — a section that reads another attribute of the case, a
time not from the clock — makes the compiled form refuse, and the probe compiles per request as
before (tests/cases/test_presence.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from django.db import connection
from django.db.models import Exists, QuerySet

from qorgau.cases.models import Case
from qorgau.core import clock
from qorgau.core.sql_reads import fetch, shape, when

EMPTY_ATTR = "sections_empty"

Sections = dict[str, QuerySet[Any, Any]]
log = logging.getLogger(__name__)


def _statement(case_pk: Any, sections: Sections) -> tuple[QuerySet[Case, Any], dict[str, str]]:
    names = {key: f"has_{i}" for i, key in enumerate(sections)}
    asked: dict[str, Any] = {names[k]: Exists(qs) for k, qs in sections.items()}
    return Case.objects.filter(pk=case_pk).values(**asked), names


def _recorded(case: Case, sections: list[str], row: dict[str, Any] | None, names: dict[str, str]) -> frozenset[str]:
    empty = frozenset(k for k in sections if row is not None and not row[names[k]])
    setattr(case, EMPTY_ATTR, empty)
    return empty


def probe(case: Case, sections: Sections) -> frozenset[str]:
    """Ask whether each section's queryset has a row, in one statement; record and return the empty ones."""
    if not sections:
        return frozenset()
    statement, names = _statement(case.pk, sections)
    row = cast("dict[str, Any] | None", statement.first())
    return _recorded(case, list(sections), row, names)


@dataclass(frozen=True)
class Compiled:
    sql: str
    sections: list[str]
    names: dict[str, str]
    columns: list[str]  # the statement's columns, in the order the row gives them
    slots: list[tuple[str, Any]]  # per parameter: ("const", value), ("pk", None), ("victim", None) or ("now", None)

    def params(self, case: Case, now: dt.datetime) -> list[Any]:
        values = {"pk": case.pk, "victim": case.victim_id, "now": when(now)}
        return [value if kind == "const" else values[kind] for kind, value in self.slots]


def _stand_in(pk: int, victim_id: int) -> Case:
    """A case as the sections' functions see one: its id and its victim's, as read (nothing else loaded)."""
    stand_in: Case = shape(Case, "c", only=("victim",)).made([pk, victim_id])
    return stand_in


_STAND_INS = (
    (-7_100_000_001, -7_100_000_002, dt.datetime(1901, 2, 3, 4, 5, 6, 789000, tzinfo=dt.UTC)),
    (-7_200_000_003, -7_200_000_004, dt.datetime(1902, 3, 4, 5, 6, 7, 891000, tzinfo=dt.UTC)),
)


@cache
def _compiled(build: Callable[[Case], Sections], vendor: str, alias: str) -> Compiled | None:
    out = []
    for pk, victim_id, at in _STAND_INS:
        try:
            with clock.frozen(at):
                sections = build(_stand_in(pk, victim_id))
                statement, names = _statement(pk, sections)
                sql, params = statement.query.sql_with_params()
        except Exception:  # a section that reads more of the case than its ids: compile per request
            log.warning("the case page's probe cannot be compiled once; it is compiled per request", exc_info=True)
            return None
        out.append((sql, list(params), list(sections), names, list(statement.query.annotation_select)))
    (sql_a, params_a, keys, names, columns), (sql_b, params_b, *_rest) = out
    if sql_a != sql_b or len(params_a) != len(params_b):
        return None
    stand = {"pk": (_STAND_INS[0][0], _STAND_INS[1][0]), "victim": (_STAND_INS[0][1], _STAND_INS[1][1]),
             "now": (when(_STAND_INS[0][2]), when(_STAND_INS[1][2]))}
    slots: list[tuple[str, Any]] = []
    for a, b in zip(params_a, params_b, strict=True):
        kind = next((k for k, pair in stand.items() if (a, b) == pair), None)
        if kind is not None:
            slots.append((kind, None))
        elif a == b and type(a) is type(b):
            slots.append(("const", a))
        else:  # a value that changed between the two compilations but is none of the stand-ins
            log.warning("the case page's probe has a parameter it cannot place; it is compiled per request")
            return None
    return Compiled(sql_a, keys, names, columns, slots)


def probe_compiled(case: Case, build: Callable[[Case], Sections]) -> frozenset[str]:
    """``probe(case, build(case))``, with the statement compiled once per process (see the module's note)."""
    compiled = _compiled(build, connection.vendor, connection.alias)
    if compiled is None:
        return probe(case, build(case))
    if not compiled.sections:
        return frozenset()
    rows = fetch(compiled.sql, compiled.params(case, clock.now()))
    row = dict(zip(compiled.columns, rows[0], strict=True)) if rows else None
    return _recorded(case, compiled.sections, row, compiled.names)


def absent(case: Case, section: str) -> bool:
    """True only when ``probe`` ran on this case object and found the section without rows."""
    return section in getattr(case, EMPTY_ATTR, frozenset())
