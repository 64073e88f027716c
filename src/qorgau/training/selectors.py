"""Reads of training: one's own certificates, a unit's staff by course, and coverage by unit and region
(counts only; small cells suppressed for those who see aggregates only, DESIGN §8)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import Unit, User
from qorgau.accounts.roles import Capability
from qorgau.core.errors import Forbidden, NotFound
from qorgau.core.models import Region
from qorgau.training.models import Completion, Course, Requirement
from qorgau.training.services import today_for

EXPIRING_DAYS = 60
SMALL_CELL = 5


class Status(models.TextChoices):
    CURRENT = "current", _("Current")
    EXPIRING = "expiring", _("Expires within 60 days")
    EXPIRED = "expired", _("Expired")
    NONE = "none", _("None")


@dataclass(frozen=True)
class Cell:
    course: Course
    status: Status
    completion: Completion | None


@dataclass
class StaffRow:
    user: User
    cells: list[Cell]


def courses_list() -> list[Course]:
    return list(Course.objects.all())


def _latest(users: list[User] | models.QuerySet[User], on: dt.date) -> dict[tuple[int, str], Completion]:
    """The latest completion not revoked and not dated after ``on``, per person and course."""
    latest: dict[tuple[int, str], Completion] = {}
    rows = (Completion.objects.filter(user__in=users, revoked_at__isnull=True, completed_on__lte=on)
            .order_by("completed_on", "id"))
    for c in rows:
        latest[(c.user_id, c.course_id)] = c
    return latest


def status_of(completion: Completion | None, on: dt.date) -> Status:
    if completion is None:
        return Status.NONE
    if completion.expires_on < on:
        return Status.EXPIRED
    if completion.expires_on <= on + timedelta(days=EXPIRING_DAYS):
        return Status.EXPIRING
    return Status.CURRENT


def _cells(user: User, courses: list[Course], latest: dict[tuple[int, str], Completion], on: dt.date) -> list[Cell]:
    return [Cell(c, status_of(latest.get((user.pk, c.pk)), on), latest.get((user.pk, c.pk))) for c in courses]


def mine(user: User) -> list[Cell]:
    """The signed-in person's certificates, one cell per course."""
    on = today_for(user)
    return _cells(user, courses_list(), _latest([user], on), on)


def history(user: User) -> list[Completion]:
    return list(Completion.objects.filter(user=user).select_related("course").order_by("-completed_on", "-id"))


def required_of(user: User) -> list[Requirement]:
    return list(Requirement.objects.filter(role=user.role).select_related("course"))


def unit_for(actor: User, unit_id: int | None) -> Unit | None:
    """The unit whose staff the actor may see: a supervisor's own; any unit for an administrator."""
    if actor.can(Capability.MANAGE_USERS):
        if unit_id is None:
            return actor.unit
        unit = Unit.objects.filter(pk=unit_id).first()
        if unit is None:
            raise NotFound()
        return unit
    if not actor.can(Capability.SUPERVISE_UNIT):
        raise Forbidden()
    return actor.unit


def unit_staff(actor: User, unit: Unit | None) -> list[StaffRow]:
    """The unit's active staff × courses (names shown: the supervisor manages these people)."""
    if unit is None:
        return []
    on = today_for(actor)
    users = list(User.objects.filter(unit=unit, is_active=True).order_by("username"))
    courses, latest = courses_list(), _latest(users, on)
    return [StaffRow(u, _cells(u, courses, latest, on)) for u in users]


@dataclass
class CoverageRow:
    region: Region
    unit: Unit | None  # None for a region's total
    staff: int | None
    current: list[int | None] = field(default_factory=list)  # per course, in courses_list() order


@dataclass
class Coverage:
    courses: list[Course]
    units: list[CoverageRow]
    regions: list[CoverageRow]
    suppressed: bool


def _may_see_coverage(actor: User) -> bool:
    return actor.can(Capability.VIEW_AGGREGATES) or actor.can(Capability.MANAGE_USERS)


def coverage(actor: User) -> Coverage:
    """Staff with a current certificate per course, by unit and by region. Counts only; for those who
    see aggregates only, counts of 1 to 4 are suppressed (None)."""
    if not _may_see_coverage(actor):
        raise Forbidden()
    suppress = not actor.can(Capability.MANAGE_USERS)
    on = today_for(actor)
    courses = courses_list()
    staff = list(User.objects.filter(is_active=True, unit__isnull=False).select_related("unit__region"))
    latest = _latest(staff, on)
    per_unit: dict[int, tuple[Unit, list[User]]] = {}
    for u in staff:
        assert u.unit is not None
        per_unit.setdefault(u.unit.pk, (u.unit, []))[1].append(u)

    def counts(people: list[User]) -> tuple[int, list[int]]:
        current = [sum(1 for p in people if status_of(latest.get((p.pk, c.pk)), on) in (Status.CURRENT, Status.EXPIRING))
                   for c in courses]
        return len(people), current

    def cell(n: int) -> int | None:
        return None if suppress and 0 < n < SMALL_CELL else n

    units: list[CoverageRow] = []
    by_region: dict[str, tuple[Region, list[User]]] = {}
    for unit, people in sorted(per_unit.values(), key=lambda p: (p[0].region.name, p[0].name)):
        n, current = counts(people)
        units.append(CoverageRow(unit.region, unit, cell(n), [cell(x) for x in current]))
        by_region.setdefault(unit.region.pk, (unit.region, []))[1].extend(people)
    regions: list[CoverageRow] = []
    for region, people in sorted(by_region.values(), key=lambda p: p[0].name):
        n, current = counts(people)
        regions.append(CoverageRow(region, None, cell(n), [cell(x) for x in current]))
    return Coverage(courses, units, regions, suppress)
