"""The demo's backlog of protocol tasks (issue: protocol engine, demo backlog), so that the first
sweeps have something true to escalate.

The backlog is not made up: ``demo.synthetic.generate`` registers the reports and
``demo.risk_history`` signs the assessments through the real services with the project clock held at
the time, and those services fire the protocol (``cases.triggers``) — so each past event already gave
its tasks, created and due in the past (over the generator's years, most of them long overdue). This
module makes sure of it and counts it:

* for the demo's cases that have no task at all (the protocols were loaded after the data, say),
  every report's ``report_registered`` (and ``child_involved``) and every signed assessment's
  ``level_set`` (and ``level_raised`` when the level went up) is fired at the time it happened, with
  the key the services use; a case that already has tasks is left alone, so a protocol version
  shipped later does not hand out duties for events years old;
* the summary says how many tasks there are, how many are unrouted and how many are overdue.

Why about half to two-thirds are unrouted: the demo has a police department in every region but the
other agencies (family support, crisis centre, health, school, commission on minors, court,
probation) only in Almaty, and no national unit of those kinds in Astana — so their duties on cases
outside Almaty find no unit (``protocols.engine.route``) and wait on ``/protocols/unrouted/`` for the
administrator, as they would where a region has no such service. Police duties are routed everywhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction

from qorgau.cases import triggers
from qorgau.cases.models import Report
from qorgau.core import clock
from qorgau.demo.synthetic import KEY_PREFIX
from qorgau.protocols.models import LIVE_STATUSES, Task
from qorgau.risk.models import LEVEL_RANK, Assessment, AssessmentStatus

RANK: dict[str, int] = {str(level): rank for level, rank in LEVEL_RANK.items()}


@dataclass
class Backlog:
    made: int  # tasks made now for past events (none when the replay fired them all)
    tasks: int
    unrouted: int
    overdue: int  # live and past their deadline: the sweep escalates them

    def line(self, seconds: float) -> str:
        return (
            f"Protocol tasks: {self.tasks} ({self.unrouted} unrouted: no unit of their kind in the region; "
            f"{self.overdue} overdue, for the first sweeps to escalate; {self.made} made now for past events) ({seconds:.1f} s)"
        )


@transaction.atomic
def protocol_backlog() -> Backlog:
    """Fire the past events of the demo's cases that have no task at all (the protocols were loaded
    after the data), at the time they happened; count the backlog."""
    before = Task.objects.count()
    has_tasks = set(Task.objects.values_list("case_id", flat=True).distinct())
    reports = (
        Report.objects.filter(import_key__startswith=KEY_PREFIX)
        .select_related("incident", "registered_by")
        .prefetch_related("incident__cases")
        .order_by("registered_at", "id")
    )
    for report in reports:
        for case in report.incident.cases.all():
            if case.pk in has_tasks or case.restricted:
                continue
            with clock.frozen(report.registered_at):
                triggers.report_registered(actor=report.registered_by, case=case, incident=report.incident, report_id=report.pk)
    # The case's level after each signed assessment, as the risk app keeps it closely enough for a
    # catch-up: the highest of the latest final levels by each instrument.
    latest: dict[int, dict[int, str]] = defaultdict(dict)
    signed = (
        Assessment.objects.filter(status=AssessmentStatus.SIGNED, case__restricted=False, signed_at__isnull=False)
        .exclude(case_id__in=has_tasks)
        .select_related("case", "assessed_by", "version")
        .order_by("case_id", "signed_at", "id")
    )
    for a in signed:
        levels = latest[a.case_id]
        previous = max(levels.values(), key=RANK.__getitem__) if levels else None
        levels[a.version.instrument_id] = a.final_level
        after = max(levels.values(), key=RANK.__getitem__)
        assert a.signed_at is not None
        with clock.frozen(a.signed_at):
            triggers.level_changed(actor=a.assessed_by, case=a.case, before=previous, after=after, key=f"assessment:{a.pk}")
    now = clock.now()
    tasks = Task.objects.all()
    total = tasks.count()
    return Backlog(
        made=total - before,
        tasks=total,
        unrouted=tasks.filter(unit__isnull=True).count(),
        overdue=tasks.filter(status__in=LIVE_STATUSES, due_at__lt=now).count(),
    )

