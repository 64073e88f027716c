"""The sweep: overdue tasks climb their chain one step per pass, never twice for one step."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest

from qorgau.accounts.models import Notification, NotificationKind
from qorgau.cases.models import CaseEvent, EventKind, Grant
from qorgau.core import clock
from qorgau.core.scheduler import _jobs
from qorgau.protocols import services
from qorgau.protocols.models import Task, TaskStatus
from qorgau.protocols.sweep import escalate_overdue, sweep
from qorgau.protocols.tasks import sweep_deadlines
from tests.protocols.support import agency_unit, fire_one

T0 = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
def chain(reference, make_user):
    """A school in Almaly with a supervisor-less staff, Almaty's education department, the ministry."""
    school = agency_unit("school", "KZ-75", "751110000", "School 12")
    regional = agency_unit("school", "KZ-75", None, "Almaty education department")
    national = agency_unit("school", "KZ-71", None, "Ministry of Education")
    return {
        "school": school, "teacher": make_user("school_worker", unit=school, username="t"),
        "regional": regional, "regional_worker": make_user("school_worker", unit=regional, username="r"),
        "national": national, "national_worker": make_user("school_worker", unit=national, username="n"),
    }


def only(task) -> None:
    """The registration's own tasks (its report fired the protocol too) are not what these tests watch."""
    Task.objects.filter(case=task.case).exclude(pk=task.pk).update(status=TaskStatus.DONE)


def overdue_notices(user) -> int:
    return Notification.objects.filter(recipient=user, kind=NotificationKind.TASK_OVERDUE).count()


@pytest.mark.django_db
def test_escalates_one_step_per_pass_along_the_chain(protocols, inspector, chain):
    from tests.protocols.support import make_case

    with clock.frozen(T0) as frozen:
        case = make_case(inspector)
        task = fire_one(case, inspector, "school_child_follow_up", trigger="child_involved")  # 72 h; chain 0 / 24 / 72 h
        only(task)
        assert sweep()["escalated"] == 0
        frozen.advance(timedelta(hours=72, minutes=1))
        assert escalate_overdue() == 1
        assert escalate_overdue() == 0  # the same step twice: nothing
        task.refresh_from_db()
        assert task.escalation_level == 1 and task.status == TaskStatus.ESCALATED
        assert overdue_notices(chain["teacher"]) == 1 and overdue_notices(chain["regional_worker"]) == 0
        frozen.advance(timedelta(hours=24))
        assert escalate_overdue() == 1
        assert overdue_notices(chain["regional_worker"]) == 1
        assert Grant.objects.filter(case=case, unit=chain["regional"]).exists()
        frozen.advance(timedelta(hours=48))
        assert escalate_overdue() == 1 and escalate_overdue() == 0
        assert overdue_notices(chain["national_worker"]) == 1
        frozen.advance(timedelta(days=30))
        assert escalate_overdue() == 0  # the chain is spent
        assert CaseEvent.objects.filter(case=case, kind=EventKind.TASK_ESCALATED).count() == 3


@pytest.mark.django_db
def test_done_tasks_are_not_escalated(protocols, inspector, chain):
    from tests.protocols.support import make_case

    with clock.frozen(T0) as frozen:
        case = make_case(inspector)
        task = fire_one(case, inspector, "school_child_follow_up", trigger="child_involved")
        only(task)
        services.task_done(actor=chain["teacher"], task_id=task.pk, version=task.version, outcome="done")
        frozen.advance(timedelta(days=10))
        assert escalate_overdue() == 0


@pytest.mark.django_db
def test_two_sweeps_claim_a_step_once(protocols, inspector, chain):
    """The claim is a conditional UPDATE on (id, escalation_level): a second sweep that read the
    same candidate finds it already claimed."""
    from qorgau.protocols.models import EscalationStep, Task
    from qorgau.protocols.sweep import _escalate_one
    from tests.protocols.support import make_case

    with clock.frozen(T0) as frozen:
        case = make_case(inspector)
        task = fire_one(case, inspector, "school_child_follow_up", trigger="child_involved")
        frozen.advance(timedelta(hours=73))
        stale = Task.objects.get(pk=task.pk)  # what both sweeps read
        step = EscalationStep.objects.get(duty=task.duty, step=1)
        assert _escalate_one(stale, step) is True
        assert _escalate_one(stale, step) is False
        assert overdue_notices(chain["teacher"]) == 1


@pytest.mark.django_db
def test_sweep_task_and_scheduler_job(protocols):
    assert "protocols-sweep" in {j.name for j in _jobs()}
    result = sweep_deadlines.call()
    assert result["escalated"] == 0


@pytest.mark.django_db
def test_orders_ending_within_three_days_fire_once(protocols, inspector):
    pytest.importorskip("qorgau.orders.models")
    from qorgau.orders.models import Order, OrderCase
    from qorgau.protocols.sweep import orders_expiring
    from tests.protocols.support import make_case

    with clock.frozen(T0) as frozen:
        case = make_case(inspector)
        order = Order.objects.create(
            number="PO-TEST-1", kind="police", offender=case.offender, issuing_unit=inspector.unit, issued_by=inspector,
            issued_at=T0, starts_at=T0, ends_at=T0 + timedelta(days=30), status="active", served_at=T0,
        )
        OrderCase.objects.create(order=order, case=case)
        assert orders_expiring() == 0
        frozen.advance(timedelta(days=27, hours=1))
        assert orders_expiring() == 1
        assert orders_expiring() == 0
        task = case.tasks.get(trigger="order_expiring")
        assert task.key == f"expiring:{order.pk}" and task.duty.code == "police_order_review"
