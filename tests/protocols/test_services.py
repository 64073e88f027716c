"""Accept, done and decline: only the task's unit, a stale version is a conflict, the decline goes back."""

from __future__ import annotations

import pytest

from qorgau.accounts.models import Notification, NotificationKind
from qorgau.cases.access import case_get_for, live_grants
from qorgau.cases.models import CaseEvent, EventKind
from qorgau.core.errors import Conflict, Invalid, NotFound
from qorgau.protocols import services
from qorgau.protocols.models import TaskStatus
from tests.protocols.support import agency_unit, fire_one


@pytest.fixture
def school(reference):
    return agency_unit("school", "KZ-75", "751110000", "School 12")


@pytest.fixture
def teacher(make_user, school):
    return make_user("school_worker", unit=school, username="teacher")


@pytest.fixture
def task(case, inspector, school, teacher):
    return fire_one(case, inspector, "school_child_follow_up", trigger="child_involved")


@pytest.mark.django_db
def test_accept_then_done(task, teacher):
    accepted = services.task_accept(actor=teacher, task_id=task.pk, version=task.version)
    assert accepted.status == TaskStatus.ACCEPTED and accepted.version == task.version + 1
    done = services.task_done(actor=teacher, task_id=task.pk, version=accepted.version, outcome="Talked with the child; psychologist assigned.")
    assert done.status == TaskStatus.DONE
    done.refresh_from_db()
    assert done.outcome.startswith("Talked with the child")
    assert CaseEvent.objects.filter(case=task.case, kind=EventKind.TASK_CHANGED).count() == 2


@pytest.mark.django_db
def test_stale_version_is_a_conflict(task, teacher):
    services.task_accept(actor=teacher, task_id=task.pk, version=task.version)
    with pytest.raises(Conflict):
        services.task_done(actor=teacher, task_id=task.pk, version=task.version, outcome="late")


@pytest.mark.django_db
def test_other_units_cannot_touch_the_task(task, inspector, make_user):
    with pytest.raises(NotFound):
        services.task_accept(actor=inspector, task_id=task.pk, version=task.version)
    analyst = make_user("analyst", unit=task.unit)
    with pytest.raises(NotFound):
        services.task_accept(actor=analyst, task_id=task.pk, version=task.version)


@pytest.mark.django_db
def test_done_needs_an_outcome_and_finished_tasks_stay_finished(task, teacher):
    with pytest.raises(Invalid):
        services.task_done(actor=teacher, task_id=task.pk, version=task.version, outcome="   ")
    done = services.task_done(actor=teacher, task_id=task.pk, version=task.version, outcome="ok")
    with pytest.raises(Invalid):
        services.task_accept(actor=teacher, task_id=task.pk, version=done.version)


@pytest.mark.django_db
def test_decline_tells_the_holding_unit_and_ends_the_grant(task, teacher, inspector):
    case_get_for(teacher, task.case_id)
    declined = services.task_decline(actor=teacher, task_id=task.pk, version=task.version, reason="The child goes to another school.")
    assert declined.status == TaskStatus.DECLINED
    assert Notification.objects.filter(recipient=inspector, kind=NotificationKind.TASK_DECLINED, target_id=str(task.pk)).exists()
    event = CaseEvent.objects.filter(case=task.case, kind=EventKind.TASK_CHANGED).get()
    assert event.reason == "The child goes to another school." and event.to_state == "declined"
    assert not live_grants(teacher).filter(case_id=task.case_id).exists()
    with pytest.raises(NotFound):
        case_get_for(teacher, task.case_id)
