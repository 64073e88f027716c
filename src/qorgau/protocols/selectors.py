"""Reads of tasks: one task through its unit's gate, the unit's work queue, unrouted tasks.

A task belongs to the unit it was given to: only that unit's users who work cases see it, and a
task of another unit is "not found", as a case one may not see.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.models import Case
from qorgau.cases.presence import absent
from qorgau.core import clock
from qorgau.core.errors import NotFound
from qorgau.protocols.models import LIVE_STATUSES, Task

# The queue page lists the first rows of each section, its heading counts them all, and a section's own
# pages (``queue_section``) list the rest: a big unit has thousands of live tasks, and the page never
# cut them without saying so.
QUEUE_SECTION_ROWS = 50
QUEUE_API_ROWS = 300  # GET /api/v1/tasks: each section's list, with the sections' counts beside them
SECTIONS = ("overdue", "today", "upcoming")
# What a row of the queue page shows (protocols/_task_rows.html): what to do (the duty's title, or a
# conference task's own), the case's number, when, the status. A task's free texts (each encrypted,
# so each read is a decryption) stay unread there, and so do the duty's protocol, version, agency
# kind and unit, which the API's lists read with each task; a section holds up to QUEUE_SECTION_ROWS.
_ROW = (
    "id", "case_id", "duty_id", "title", "mode", "status", "due_at", "escalation_level",
    "case__number", "duty__title_kk", "duty__title_ru", "duty__title_en",
)


def _rows(live: QuerySet[Task]) -> QuerySet[Task]:
    """The queue page's rows of ``live``: only the columns a row shows (``_ROW``)."""
    return live.select_related(None).select_related("case", "duty").only(*_ROW)


def _tasks() -> QuerySet[Task]:
    return Task.objects.select_related("case", "duty__version__protocol", "duty__agency_kind", "unit")


def unit_tasks(actor: User) -> QuerySet[Task]:
    """Every task of the actor's unit (any status); none for a user who does not work cases."""
    if actor.unit_id is None or not actor.can(Capability.WORK_CASES):
        return Task.objects.none()
    return _tasks().filter(unit_id=actor.unit_id)


def task_get_for(actor: User, task_id: int) -> Task:
    """A task of the actor's unit; NotFound alike for a missing task and another unit's."""
    task = unit_tasks(actor).filter(pk=task_id).first()
    if task is None:
        raise NotFound()
    return task


@dataclass
class Queue:
    overdue: list[Task] = field(default_factory=list)
    today: list[Task] = field(default_factory=list)
    upcoming: list[Task] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))


def _end_of_day(at: dt.datetime, zone: str) -> dt.datetime:
    local = clock.local(at, zone)
    return (local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)).astimezone(clock.UTC)


def _sections(actor: User) -> dict[str, Q]:
    """Which live tasks fall in each section now: overdue, due today (in the unit's time zone), later."""
    now = clock.now()
    end_of_today = _end_of_day(now, actor.unit.timezone if actor.unit else "UTC")
    return {
        "overdue": Q(due_at__lte=now),
        "today": Q(due_at__gt=now, due_at__lt=end_of_today),
        "upcoming": Q(due_at__gte=end_of_today),
    }


def _live(actor: User) -> QuerySet[Task]:
    return unit_tasks(actor).filter(status__in=LIVE_STATUSES)


def queue_for(actor: User, *, rows: int | None = None, with_texts: bool = False) -> Queue:
    """The unit's live tasks by section, soonest due first: the first ``rows`` of each section and how
    many each holds; ``with_texts`` reads each task's instructions, outcome and decline reason too. The risk reassessments due have their own page (``risk:due``): finding a unit's
    most overdue means working out when each of its open cases is due, 0.3–0.6 s of PostgreSQL for a
    regional unit on the national data set, too much for the page a worker opens most."""
    queue = Queue()
    if actor.unit_id is None or not actor.can(Capability.WORK_CASES):
        return queue
    rows = rows or QUEUE_SECTION_ROWS
    sections = _sections(actor)
    live = _live(actor)
    queue.counts = live.aggregate(**{name: Count("pk", filter=q) for name, q in sections.items()})
    listed = live if with_texts else _rows(live)
    for name, q in sections.items():
        if queue.counts[name]:
            setattr(queue, name, list(listed.filter(q).order_by("due_at", "id")[:rows]))
    return queue


def queue_section(actor: User, section: str, page: str | None, *, rows: int | None = None) -> Page[Task]:
    """One section of the queue, a page of ``rows`` tasks; a page number out of range gives the last
    page, and one that is not a number the first."""
    live = _live(actor).filter(_sections(actor)[section])  # none for a user who does not work cases (unit_tasks)
    return Paginator(_rows(live).order_by("due_at", "id"), rows or QUEUE_SECTION_ROWS).get_page(page)


def tasks_unrouted() -> QuerySet[Task]:
    """Tasks for which no unit of the duty's agency kind was found: the administrator must route
    them (or create the missing unit)."""
    return _tasks().filter(unit__isnull=True).order_by("created_at", "id")


def case_tasks(case: Case) -> list[Task]:
    """Every task on a case, for those who passed the case gate: who holds what, and why a unit
    declined. Call only after ``case_get_for``."""
    return list(_tasks().filter(case=case).order_by("-created_at", "-id"))


REFERRALS = "referral_tasks"


def referrals_of(case: Case) -> QuerySet[Task, Task]:
    """The case's tasks that are referrals to another agency."""
    from qorgau.protocols.models import Mode

    return _tasks().filter(case=case, mode=Mode.REFERRAL)


@dataclass
class ReferralRow:
    task: Task
    consent: Any = None  # the live Consent, if any
    override: Any = None  # the ReferralOverride, if any


def case_referrals(case: Case) -> list[ReferralRow]:
    """The referrals on a case with her live consent or the override that opened each, for the case
    page's partial (``protocols/_case_referrals.html``). Call only after ``case_get_for``."""
    from qorgau.protocols import referral_reads
    from qorgau.protocols.models import Consent, ReferralOverride

    if absent(case, REFERRALS):
        return []
    tasks = referral_reads.referral_tasks(case)  # referrals_of(case), read by hand
    consents = {c.task_id: c for c in Consent.objects.filter(case=case, withdrawn_at__isnull=True)}
    overrides = {o.task_id: o for o in ReferralOverride.objects.filter(case=case)}
    return [ReferralRow(task=t, consent=consents.get(t.pk), override=overrides.get(t.pk)) for t in tasks]
