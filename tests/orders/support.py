"""Builders for the orders tests: a pair (or a man with two victims) from one registered report, a
court unit with a grant on the case, and a valid order input."""

from __future__ import annotations

import datetime as dt

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import AgencyKind, Unit, User
from qorgau.accounts.services import unit_create
from qorgau.cases.ledger import grant_add
from qorgau.cases.models import Case, GrantReason
from qorgau.cases.services import VictimInput, report_register
from qorgau.core import clock
from qorgau.core.models import Region
from qorgau.orders.legal import add_months
from qorgau.orders.services import OrderInput
from tests.cases.factories import person, report_input

OFFENDER_BIRTH = dt.date(1986, 3, 2)


def make_cases(actor: User, *, victims: int = 1, offender_birth: dt.date = OFFENDER_BIRTH, serial: int = 2000) -> list[Case]:
    """One report: a man and ``victims`` women (his wife first, then his mother-in-law, …)."""
    names = ["Сапарова Айгерим", "Нурланова Гульмира", "Ахметова Сауле"]
    vs = [
        VictimInput(relationship="spouse" if i == 0 else "other_relative",
                    person=person(names[i], birth=dt.date(1990 - 20 * i, 5, 17), serial=serial + i, phone="+7 701 111 22 33", address="Абая 10"))
        for i in range(victims)
    ]
    offender = person("Сапаров Ерлан", birth=offender_birth, sex="M", serial=serial)
    return report_register(actor=actor, data=report_input(victims=vs, offender=offender)).cases


def court_unit(name: str = "Специализированный суд") -> Unit:
    return unit_create(actor=None, kind=AgencyKind.objects.get(code="court"), region=Region.objects.get(iso="KZ-75"),
                       name_ru=name, name_kk=name + " kk", name_en=name + " en")


def grant(case: Case, unit: Unit, scope: Scope = Scope.WORKER) -> None:
    grant_add(case, unit, GrantReason.SUPERVISOR, scope, by=None)


def police_input(case: Case, **kw) -> OrderInput:
    values = {"kind": "police", "protected_ids": [case.victim_id], "starts_at": clock.now(), "ban_contact": True, "ban_seeking": True}
    values.update(kw)
    return OrderInput(**values)


def court_input(case: Case, **kw) -> OrderInput:
    starts = clock.now()
    values = {
        "kind": "special_requirements", "protected_ids": [case.victim_id], "starts_at": starts, "ends_at": add_months(starts, 4),
        "ban_contact": True, "ban_alcohol": True, "reporting_per_month": 2, "court_reference": "2-1234/2025",
    }
    values.update(kw)
    return OrderInput(**values)
