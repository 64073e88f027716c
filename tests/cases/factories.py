"""Builders for the case registry tests: a valid report input with synthetic identities."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from qorgau.cases.services import ReportInput, VictimInput
from qorgau.core import clock
from qorgau.core import iin as iin_rules
from qorgau.people.services import PersonInput


def synthetic_iin(birth: dt.date, sex: str, serial: int = 1000) -> str:
    while True:
        value = iin_rules.make(birth, sex, serial)
        if value:
            return value
        serial += 1


def person(name: str = "Сапарова Айгерим", *, birth: dt.date = dt.date(1990, 5, 17), sex: str = "F", iin: bool = True, serial: int = 1000, **kw) -> PersonInput:
    return PersonInput(full_name=name, iin=synthetic_iin(birth, sex, serial) if iin else "", birth_date=birth, sex=sex, **kw)


def report_input(
    *,
    victims: list[VictimInput] | None = None,
    offender: PersonInput | None = None,
    region: str = "KZ-75",
    district: str = "751110000",
    **kw,
) -> ReportInput:
    now = clock.now()
    return ReportInput(
        channel=kw.pop("channel", "police_102"),
        received_at=kw.pop("received_at", now - timedelta(minutes=30)),
        occurred_at=kw.pop("occurred_at", now - timedelta(hours=2)),
        region_iso=region,
        district_kato=district,
        victims=victims or [VictimInput(relationship="spouse", person=person(phone="+7 701 111 22 33", address="Абая 10"))],
        offender=offender or person("Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M", phone="+7 702 000 00 00"),
        forms=kw.pop("forms", {"physical"}),
        narrative=kw.pop("narrative", "Ударил, угрожал."),
        **kw,
    )
