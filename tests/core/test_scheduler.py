"""The scheduler: each periodic job enqueued once per interval; the audit sealer really seals."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django_tasks import TaskResultStatus

from qorgau.core import clock, scheduler
from qorgau.core.audit import audit_record, audit_verify
from qorgau.core.models import AuditAction, AuditEvent, PeriodicJob
from qorgau.core.scheduler import Job, _jobs, run_forever, tick
from qorgau.core.tasks import seal_audit_log

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 5, 20, 8, 0, tzinfo=UTC)


def _counting_jobs(calls: list[str]) -> list[Job]:
    return [
        Job("every-minute", timedelta(minutes=1), lambda: calls.append("every-minute")),
        Job("hourly", timedelta(hours=1), lambda: calls.append("hourly")),
    ]


def test_tick_enqueues_each_job_once_per_interval():
    calls: list[str] = []
    jobs = _counting_jobs(calls)
    with clock.frozen(T0) as frozen:
        assert tick(jobs) == ["every-minute", "hourly"]
        assert tick(jobs) == []
        frozen.advance(timedelta(seconds=59))
        assert tick(jobs) == []
        frozen.advance(timedelta(seconds=1))
        assert tick(jobs) == ["every-minute"]
        assert tick(jobs) == []
        frozen.advance(timedelta(minutes=59))
        assert tick(jobs) == ["every-minute", "hourly"]
    assert calls == ["every-minute", "hourly", "every-minute", "every-minute", "hourly"]
    assert PeriodicJob.objects.get(name="hourly").last_enqueued_at == T0 + timedelta(hours=1)
    assert PeriodicJob.objects.get(name="every-minute").last_enqueued_at == T0 + timedelta(hours=1)


def test_a_second_scheduler_at_the_same_moment_enqueues_nothing():
    calls: list[str] = []
    with clock.frozen(T0):
        first = tick(_counting_jobs(calls))
        second = tick(_counting_jobs(calls))
    assert (first, second) == (["every-minute", "hourly"], [])
    assert calls == ["every-minute", "hourly"]


def test_default_jobs_seal_the_audit_log_and_sweep_deadlines_every_minute():
    audit_record(actor=None, action=AuditAction.READ, target_type="case", target_id=1)
    every_minute = ["audit-seal", "protocols-sweep", "notifications-retry"]
    assert [j.name for j in _jobs() if j.every == timedelta(seconds=60)] == every_minute
    with clock.frozen(T0) as frozen:
        assert tick() == [j.name for j in _jobs()]  # the first tick enqueues every job once
        assert tick() == []
        frozen.advance(timedelta(seconds=60))
        assert tick() == every_minute
    assert PeriodicJob.objects.get(name="audit-seal").last_enqueued_at == T0 + timedelta(seconds=60)


def test_tick_runs_the_sealer_through_the_task_backend():
    for n in range(3):
        audit_record(actor=None, action=AuditAction.READ, target_type="case", target_id=n)
    assert AuditEvent.objects.filter(chain_pos__isnull=True).count() == 3
    with clock.frozen(T0):
        assert tick() == [j.name for j in _jobs()]
    assert AuditEvent.objects.filter(chain_pos__isnull=True).count() == 0
    assert sorted(AuditEvent.objects.values_list("chain_pos", flat=True)) == [1, 2, 3]
    result = audit_verify()
    assert (result.ok, result.checked) == (True, 3)


def test_seal_task_returns_the_number_sealed():
    for n in range(2):
        audit_record(actor=None, action=AuditAction.READ, target_type="case", target_id=n)
    result = seal_audit_log.enqueue()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 2
    again = seal_audit_log.enqueue()
    assert (again.status, again.return_value) == (TaskResultStatus.SUCCESSFUL, 0)


def test_run_forever_ticks_the_given_number_of_times():
    with clock.frozen(T0):
        run_forever(poll_seconds=0, iterations=1)
    assert PeriodicJob.objects.get(name="audit-seal").last_enqueued_at == T0


def test_scheduler_command_runs_one_iteration():
    with clock.frozen(T0):
        call_command("scheduler", "--iterations", "1", "--poll", "0", stdout=io.StringIO())
    assert PeriodicJob.objects.get(name="audit-seal").last_enqueued_at == T0


def test_run_forever_survives_a_failing_tick(monkeypatch, caplog):
    def broken() -> list[str]:
        raise RuntimeError("database restarting")

    sleeps: list[float] = []
    monkeypatch.setattr(scheduler, "tick", broken)
    monkeypatch.setattr(scheduler.time, "sleep", sleeps.append)
    with caplog.at_level(logging.ERROR, logger="qorgau.core.scheduler"):
        run_forever(poll_seconds=2.5, iterations=2)
    failures = [r for r in caplog.records if r.name == "qorgau.core.scheduler"]
    assert [r.getMessage() for r in failures] == ["scheduler tick failed; retrying"] * 2
    assert sleeps == [2.5]  # between the two iterations, not after the last
