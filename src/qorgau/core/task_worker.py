"""The task worker that outlives a database restart.

django-tasks-db's ``db_worker`` lets a database error escape its loop (fetching the next task, or
recording a task's result while the server is down) and exits; ``qorgau serve`` then stops the web
server with it, and under systemd the worker is gone until someone notices. This worker runs the
same loop again after a pause instead, as the scheduler, the router and the monitor already do.
A task whose result could not be recorded stays claimed (RUNNING) and is not run again; the
periodic jobs are idempotent and re-enqueued every minute, so nothing is lost by that.
"""

from __future__ import annotations

import logging
import time

from django.db import DatabaseError, connections
from django_tasks_db.management.commands.db_worker import Worker

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0


class ResilientWorker(Worker):
    def run(self) -> None:
        while True:
            try:
                super().run()
                return  # stopped by a signal, --batch or --max-tasks
            except DatabaseError as exc:
                if not self.running:
                    return
                # The exception's text names the server and port only, never a task's arguments.
                log.warning("task worker: database unavailable (%s); retrying in %.0f s", type(exc).__name__, RETRY_SECONDS)
                connections.close_all()
                time.sleep(RETRY_SECONDS)
