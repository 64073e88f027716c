"""Builders for the risk tests: a case from a registered report, and a complete set of answers."""

from __future__ import annotations

import datetime as dt

from qorgau.accounts.models import User
from qorgau.cases.models import Case
from qorgau.cases.services import VictimInput, report_register
from qorgau.risk.models import Assessment, InstrumentVersion
from qorgau.risk.scoring import Spec
from qorgau.risk.services import assessment_save, assessment_sign, assessment_start
from tests.cases.factories import person, report_input


def make_case(actor: User, *, relationship: str = "spouse", circumstances: set[str] | None = None, serial: int = 1000,
              markers: list[str] | None = None, **kw) -> Case:
    victim = VictimInput(relationship=relationship, person=person("Сапарова Айгерим", serial=serial), markers=markers or [])
    offender = person("Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M", serial=serial)
    reg = report_register(actor=actor, data=report_input(victims=[victim], offender=offender, circumstances=circumstances or set(), **kw))
    return reg.cases[0]


def version(code: str) -> InstrumentVersion:
    return InstrumentVersion.objects.get(instrument__code=code, status="published")


def answers_scoring(code: str, n: int, *, yes: tuple[str, ...] = ()) -> dict[str, str]:
    """n "yes" answers (the named items first), the rest "no"."""
    spec = Spec.of(version(code))
    order = [*yes, *[c for c in spec.weights if c not in yes]]
    return {c: ("yes" if i < n else "no") for i, c in enumerate(order)}


def signed(actor: User, case: Case, code: str, answers: dict[str, str], *, final_level: str = "", reason: str = "") -> Assessment:
    a = assessment_start(actor=actor, case=case, version_id=version(code).pk)
    a = assessment_save(actor=actor, assessment=a, row_version=a.row_version, answers=answers)
    return assessment_sign(actor=actor, assessment=a, row_version=a.row_version, final_level=final_level, reason=reason)
