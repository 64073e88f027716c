"""Tasks over the API (/api/v1): the unit's queue, and accept / done / decline.

A task of another unit is 404 like a missing one; a stale ``version`` is 409; the text given for
"done" and "decline" may name people, so only the task's own unit reads it back.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from pydantic import AfterValidator

from qorgau.accounts.api import STAFF_AUTH
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.api import MAX_ID, Version, _clean_text, errors
from qorgau.core.errors import Forbidden
from qorgau.protocols import selectors, services
from qorgau.protocols.models import Mode, Task, TaskStatus, Trigger

router = Router(tags=["protocols"])

TaskId = Annotated[int, Path(ge=1, le=MAX_ID)]
TaskText = Annotated[str, Field(max_length=services.TEXT_LIMIT), AfterValidator(_clean_text)]


class TaskOut(Schema):
    id: int
    case_id: int
    case_number: str
    duty: str | None = Field(description="The duty's code in the protocol; null for a task a case conference decided.")
    protocol: str | None
    protocol_version: int | None
    title: str = Field(description="In the caller's language.")
    instructions: str
    trigger: Trigger
    mode: Mode
    status: TaskStatus
    due_at: dt.datetime
    overdue: bool
    escalation_level: int
    version: int = Field(description="Send it back with a change; a stale one gets 409.")
    outcome: str
    decline_reason: str


class QueueCountsOut(Schema):
    overdue: int
    today: int
    upcoming: int


class QueueOut(Schema):
    overdue: list[TaskOut]
    today: list[TaskOut]
    upcoming: list[TaskOut]
    counts: QueueCountsOut = Field(description="How many live tasks each section holds; a list stops at the first 300.")


class VersionIn(Schema):
    version: Version


class DoneIn(Schema):
    version: Version
    outcome: TaskText


class DeclineIn(Schema):
    version: Version
    reason: TaskText


def _worker(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not user.can(Capability.WORK_CASES):
        raise Forbidden()
    return user


def _out(t: Task, overdue: bool | None = None) -> TaskOut:
    from qorgau.core import clock

    return TaskOut(
        id=t.pk, case_id=t.case_id, case_number=t.case.number, duty=t.duty.code if t.duty else None,
        protocol=t.duty.version.protocol.code if t.duty else None, protocol_version=t.duty.version.number if t.duty else None,
        title=t.heading, instructions=t.guidance, trigger=Trigger(t.trigger),
        mode=Mode(t.mode), status=TaskStatus(t.status), due_at=t.due_at,
        overdue=overdue if overdue is not None else (t.status in ("open", "accepted", "escalated") and t.due_at <= clock.now()),
        escalation_level=t.escalation_level, version=t.version, outcome=t.outcome or "", decline_reason=t.decline_reason or "",
    )


@router.get("/tasks", response={200: QueueOut, **errors(401, 403)}, auth=STAFF_AUTH)
def task_queue(request: HttpRequest) -> QueueOut:
    """The caller's unit's live tasks: overdue, due today (in the unit's time zone), upcoming; each list
    soonest due first, at most 300, and ``counts`` says how many each section holds."""
    queue = selectors.queue_for(_worker(request), rows=selectors.QUEUE_API_ROWS, with_texts=True)
    return QueueOut(
        overdue=[_out(t, True) for t in queue.overdue], today=[_out(t, False) for t in queue.today],
        upcoming=[_out(t, False) for t in queue.upcoming], counts=QueueCountsOut(**queue.counts),
    )


def _reloaded(user: User, task: Task) -> TaskOut:
    return _out(selectors.task_get_for(user, task.pk))


@router.post("/tasks/{task_id}/accept", response={200: TaskOut, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def task_accept(request: HttpRequest, task_id: TaskId, payload: VersionIn) -> TaskOut:
    """Take the task on (from open or escalated)."""
    user = _worker(request)
    return _reloaded(user, services.task_accept(actor=user, task_id=task_id, version=payload.version))


@router.post("/tasks/{task_id}/done", response={200: TaskOut, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def task_done(request: HttpRequest, task_id: TaskId, payload: DoneIn) -> TaskOut:
    """Record the task as done, with what was done."""
    user = _worker(request)
    return _reloaded(user, services.task_done(actor=user, task_id=task_id, version=payload.version, outcome=payload.outcome))


@router.post("/tasks/{task_id}/decline", response={200: TaskOut, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def task_decline(request: HttpRequest, task_id: TaskId, payload: DeclineIn) -> TaskOut:
    """Decline the task with a reason; the unit that holds the case is told."""
    user = _worker(request)
    return _reloaded(user, services.task_decline(actor=user, task_id=task_id, version=payload.version, reason=payload.reason))
