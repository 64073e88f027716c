"""Shared fixtures of the analytics tests (the other parts import them; keep them stable).

``world`` builds source rows directly (incidents, reports, people, cases, tasks, criminal cases),
not through the services, so that a test can put any number of reports in any region and month
quickly. Time is frozen at ``NOW`` (15 June 2026): the default period is June 2025 – May 2026.
``analyst`` is a user with the analyst role (VIEW_AGGREGATES).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from qorgau.accounts.models import Unit, User
from qorgau.accounts.roles import Role
from qorgau.cases.models import Case, Incident, Report
from qorgau.cases.reference import markers_load
from qorgau.core import clock
from qorgau.core.models import District
from qorgau.orders.models import CriminalCase
from qorgau.people.models import Person
from qorgau.protocols.models import Mode, Task, TaskStatus, Trigger

NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)
ALMATY = "KZ-75"  # Almaty city
ALMATY_DISTRICT = "751110000"


def at(year: int, month: int, day: int = 10, hour: int = 6) -> dt.datetime:
    """A time in UTC (06:00 UTC is 11:00 in Kazakhstan: the same day and month there)."""
    return dt.datetime(year, month, day, hour, 0, tzinfo=dt.UTC)


@dataclass
class World:
    unit: Unit
    user: User
    serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def district_of(self, region: str) -> str:
        return District.objects.filter(region_id=region).order_by("kato").values_list("kato", flat=True)[0]

    def incident(
        self,
        *,
        region: str = ALMATY,
        district: str | None = "",
        urban: bool = True,
        occurred: dt.datetime | None = None,
        forms: tuple[str, ...] = ("physical",),
    ) -> Incident:
        if district == "":
            district = ALMATY_DISTRICT if region == ALMATY else self.district_of(region)
        occurred = occurred or NOW - timedelta(days=30)
        return Incident.objects.create(
            occurred_at=occurred,
            region_id=region,
            district_id=district,
            urban=urban,
            created_at=occurred,
            **dict.fromkeys(forms, True),
        )

    def report(
        self, when: dt.datetime, *, incident: Incident | None = None, recorded: dt.datetime | None = None, **where
    ) -> Report:
        """A report received at ``when`` (recorded then too unless ``recorded``) on a new incident an
        hour before, or on ``incident``."""
        incident = incident or self.incident(occurred=when - timedelta(hours=1), **where)
        n = next(self.serial)
        return Report.objects.create(
            number=f"R-{n:06d}",
            incident=incident,
            channel="police_102",
            received_at=when,
            unit=self.unit,
            registered_by=self.user,
            registered_at=recorded or when,
        )

    def reports(self, count: int, when: dt.datetime, **where) -> list[Report]:
        return [self.report(when, **where) for _ in range(count)]

    def person(self, *, sex: str = "F", birth: dt.date | None = dt.date(1990, 5, 17)) -> Person:
        return Person.objects.create(
            full_name=f"Person {next(self.serial)}",
            sex=sex,
            birth_date=birth,
            created_at=NOW,
            created_by_unit=self.unit,
        )

    def case(
        self,
        report: Report,
        *,
        victim: Person | None = None,
        markers: tuple[str, ...] = (),
        opened: dt.datetime | None = None,
    ) -> Case:
        n = next(self.serial)
        case = Case.objects.create(
            number=f"C-{n:06d}",
            victim=victim or self.person(),
            offender=self.person(sex="M", birth=dt.date(1985, 1, 1)),
            relationship="spouse",
            holding_unit=self.unit,
            opened_at=opened or report.received_at,
        )
        case.incidents.add(report.incident)
        if markers:
            case.markers.add(*markers)
        return case

    def task(
        self, case: Case, *, due: dt.datetime, status: str = TaskStatus.OPEN, updated: dt.datetime | None = None
    ) -> Task:
        n = next(self.serial)
        return Task.objects.create(
            case=case,
            unit=self.unit,
            key=f"test:{n}",
            trigger=Trigger.REPORT_REGISTERED,
            mode=Mode.DUTY,
            status=status,
            due_at=due,
            created_at=due - timedelta(hours=24),
            updated_at=updated or due - timedelta(hours=20),
        )

    def criminal(self, case: Case, article: str, registered: dt.date) -> CriminalCase:
        n = next(self.serial)
        return CriminalCase.objects.create(
            case=case,
            number=f"E{n:014d}",
            registered_on=registered,
            article=article,
            unit=self.unit,
            recorded_by=self.user,
            recorded_at=NOW - timedelta(days=1),
        )


@pytest.fixture
def frozen_now() -> Iterator[clock.FrozenClock]:
    with clock.frozen(NOW) as frozen:
        yield frozen


@pytest.fixture
def analyst(make_user) -> User:
    return make_user(Role.ANALYST)


@pytest.fixture
def world(reference, police_unit: Unit, make_user, frozen_now) -> World:
    markers_load()
    return World(unit=police_unit, user=make_user(Role.POLICE_INSPECTOR))
