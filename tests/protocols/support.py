"""Builders for the protocol tests: agency units, a case from a registered report, firing a trigger."""

from __future__ import annotations

import datetime as dt

from qorgau.accounts.models import AgencyKind, Unit, User
from qorgau.accounts.services import unit_create
from qorgau.cases.models import Case
from qorgau.cases.services import VictimInput, report_register
from qorgau.core.models import District, Region
from qorgau.protocols.engine import fire
from qorgau.protocols.models import Task
from tests.cases.factories import person, report_input


def agency_unit(kind: str, region: str, district: str | None, name: str, *, service_area: str = "mixed") -> Unit:
    return unit_create(
        actor=None, kind=AgencyKind.objects.get(code=kind), region=Region.objects.get(iso=region),
        district=District.objects.get(kato=district) if district else None, service_area=service_area,
        name_ru=f"{name} (ru)", name_kk=f"{name} (kk)", name_en=name,
    )


def make_case(actor: User, *, serial: int = 1000, region: str = "KZ-75", district: str = "751110000", **kw) -> Case:
    victim = VictimInput(relationship="spouse", person=person("Сапарова Айгерим", serial=serial))
    offender = person("Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M", serial=serial)
    reg = report_register(actor=actor, data=report_input(victims=[victim], offender=offender, region=region, district=district, **kw))
    return reg.cases[0]


def fire_one(case: Case, actor: User | None, duty_code: str, *, trigger: str, key: str = "test:1", level: str | None = None) -> Task:
    """Fire ``trigger`` and return the task of one duty of the national protocol."""
    tasks = fire(trigger=trigger, case=case, actor=actor, key=key, level=level)
    return next(t for t in tasks if t.duty.code == duty_code)
