"""The small scheduler process (DESIGN §4): enqueues periodic jobs for the task worker.

Each job is claimed by a conditional update of its ``PeriodicJob`` row, so two schedulers running
by mistake still enqueue a job once per interval; the jobs themselves are idempotent anyway.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q

from qorgau.core import clock
from qorgau.core.models import PeriodicJob

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    enqueue: Callable[[], object]


def _jobs() -> list[Job]:
    from qorgau.accounts.tasks import retry_deliveries
    from qorgau.cases.tasks import apply_retention
    from qorgau.core.tasks import seal_audit_log
    from qorgau.protocols.tasks import sweep_deadlines
    from qorgau.watch.tasks import watch_access

    return [
        Job("audit-seal", timedelta(seconds=60), seal_audit_log.enqueue),
        Job("protocols-sweep", timedelta(seconds=60), sweep_deadlines.enqueue),
        Job("notifications-retry", timedelta(seconds=60), retry_deliveries.enqueue),
        Job("retention", timedelta(days=1), apply_retention.enqueue),
        Job("access-watch", timedelta(minutes=15), watch_access.enqueue),
    ]


def tick(jobs: list[Job] | None = None) -> list[str]:
    """Enqueue every job whose interval has passed; return the names enqueued."""
    at = clock.now()
    enqueued = []
    for job in _jobs() if jobs is None else jobs:
        PeriodicJob.objects.get_or_create(name=job.name)
        claimed = PeriodicJob.objects.filter(
            Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=at - job.every), name=job.name
        ).update(last_enqueued_at=at)
        if claimed:
            job.enqueue()
            enqueued.append(job.name)
    return enqueued


def run_forever(*, poll_seconds: float = 5.0, iterations: int | None = None) -> None:
    n = 0
    while iterations is None or n < iterations:
        try:
            names = tick()
            if names:
                log.info("scheduler enqueued %s", ", ".join(names))
        except Exception:  # the scheduler must outlive a database restart
            log.exception("scheduler tick failed; retrying")
        n += 1
        if iterations is None or n < iterations:
            time.sleep(poll_seconds)
