"""The task worker runs its loop again after a database error instead of exiting (the fault tier's
PostgreSQL restart proves it against a real server; this pins the loop itself)."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django_tasks_db.management.commands.db_worker import Worker

from qorgau.core import task_worker
from qorgau.core.task_worker import ResilientWorker


def make() -> ResilientWorker:
    return ResilientWorker(queue_names=["default"], interval=0.1, batch=False, backend_name="default", startup_delay=False,
                           max_tasks=None, worker_id="test-worker", excluded_queue_names=[])


def test_a_database_error_restarts_the_loop(monkeypatch) -> None:
    calls: list[int] = []

    def run(self: Worker) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("connection failed: Connection refused")

    monkeypatch.setattr(Worker, "run", run)
    monkeypatch.setattr(task_worker, "RETRY_SECONDS", 0)
    make().run()
    assert len(calls) == 3


def test_a_stopped_worker_does_not_retry(monkeypatch) -> None:
    calls: list[int] = []

    def run(self: Worker) -> None:
        calls.append(1)
        self.running = False  # a SIGTERM arrived while the task's result was being written
        raise OperationalError("connection failed")

    monkeypatch.setattr(Worker, "run", run)
    make().run()
    assert len(calls) == 1


def test_other_errors_still_stop_the_worker(monkeypatch) -> None:
    def run(self: Worker) -> None:
        raise ValueError("a bug, not an outage")

    monkeypatch.setattr(Worker, "run", run)
    with pytest.raises(ValueError, match="a bug"):
        make().run()
