"""The demo's protocol backlog: the past events of the synthetic data give their tasks at the time
they happened (whether the replay fired them or the catch-up does), most of the non-police duties
outside Almaty are unrouted because the demo has no such units there, and the first sweep escalates
the overdue ones. A second call makes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from qorgau.cases.models import Report
from qorgau.cases.reference import markers_load
from qorgau.core import clock
from qorgau.demo.protocol_backlog import protocol_backlog
from qorgau.demo.risk_history import risk_history
from qorgau.demo.seed import seed_demo
from qorgau.demo.synthetic import generate
from qorgau.protocols.definitions import protocols_load
from qorgau.protocols.models import Task, TaskStatus
from qorgau.protocols.sweep import escalate_overdue
from qorgau.risk.instruments import instruments_load, policy_load

pytestmark = pytest.mark.django_db

ANCHOR = dt.datetime(2026, 3, 1, 12, 0, tzinfo=clock.UTC)
SEED = 2026
REPORTS = 80


@pytest.fixture
def demo(reference) -> None:
    markers_load()
    instruments_load()
    policy_load()
    seed_demo()


def _check_backlog(backlog) -> None:
    tasks = Task.objects.all()
    assert backlog.tasks == tasks.count() > 2 * REPORTS
    assert backlog.unrouted == tasks.filter(unit__isnull=True).count()
    # Police duties route in every region; the other kinds exist only in Almaty.
    assert not tasks.filter(unit__isnull=True, duty__agency_kind="police").exists()
    outside = tasks.exclude(duty__agency_kind="police").exclude(case__holding_unit__region="KZ-75")
    assert outside.exists() and not outside.exclude(unit__isnull=True).exclude(unit__region="KZ-75").exists()
    assert 0.35 < backlog.unrouted / backlog.tasks < 0.8
    # Made at the events' times, spread over the past, not now.
    assert not tasks.filter(created_at__gt=ANCHOR).exists()
    assert tasks.filter(created_at__lt=ANCHOR - dt.timedelta(days=60)).exists()


def test_the_catch_up_fires_past_events_at_their_time_and_only_once(demo):
    with clock.frozen(ANCHOR):
        generate(reports=REPORTS, seed=SEED, anchor=ANCHOR)  # no protocol loaded yet: no task
        risk_history(seed=SEED)
        assert not Task.objects.exists()
        protocols_load()
        backlog = protocol_backlog()
        assert backlog.made == backlog.tasks
        _check_backlog(backlog)
        police = Task.objects.filter(duty__code="police_check_report").select_related("case")
        for task in police[:20]:  # made at the time its report was registered
            report = Report.objects.get(pk=int(task.key.removeprefix("report:")))
            assert task.created_at == report.registered_at and task.due_at == report.registered_at + dt.timedelta(hours=24)
        again = protocol_backlog()
        assert again.made == 0 and again.tasks == backlog.tasks


def test_the_replay_already_made_the_backlog_and_the_first_sweep_escalates_it(demo):
    protocols_load()
    with clock.frozen(ANCHOR):
        generate(reports=REPORTS, seed=SEED, anchor=ANCHOR)
        risk_history(seed=SEED)
        backlog = protocol_backlog()
        assert backlog.made == 0  # the services fired every event as the data was replayed
        _check_backlog(backlog)
        live_routed = Task.objects.filter(unit__isnull=False, status__in=[TaskStatus.OPEN, TaskStatus.ACCEPTED, TaskStatus.ESCALATED])
        assert backlog.overdue == Task.objects.filter(due_at__lt=ANCHOR, status__in=[TaskStatus.OPEN, TaskStatus.ACCEPTED,
                                                                                          TaskStatus.ESCALATED]).count() > 0
        escalated = escalate_overdue()
        assert escalated == live_routed.filter(due_at__lt=ANCHOR).count() > 0
        assert Task.objects.filter(escalation_level=1).count() == escalated
