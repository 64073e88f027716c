"""Writes on tasks: accept, done, decline. Each takes ``actor=`` and the task's ``version`` (a stale
write is a conflict, never an overwrite), records audit and a timeline event in the same transaction.

Only users of the task's unit who work cases may act on it; to anyone else the task does not exist.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from qorgau.accounts.models import NotificationKind, User
from qorgau.accounts.services import notify
from qorgau.cases.access import grants_in_force
from qorgau.cases.ledger import event_add
from qorgau.cases.models import EventKind, GrantReason
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Invalid
from qorgau.core.models import AuditAction
from qorgau.protocols.engine import unit_workers
from qorgau.protocols.models import LIVE_STATUSES, Task, TaskStatus
from qorgau.protocols.selectors import task_get_for

TEXT_LIMIT = 4000

_ALLOWED = {
    "accept": (TaskStatus.OPEN, TaskStatus.ESCALATED),
    "done": LIVE_STATUSES,
    "decline": LIVE_STATUSES,
}


def _transition(*, actor: User, task_id: int, version: int, action: str, to: TaskStatus, event_reason: str = "", **fields: str) -> Task:
    task = task_get_for(actor, task_id)
    if task.status == TaskStatus.AWAITING_CONSENT:
        raise Invalid(fields={"status": [_(
            "This referral waits for her consent: a unit working on the case must record her consent (or an override) first."
        )]})
    if task.status not in _ALLOWED[action]:
        raise Invalid(fields={"status": [_("This task is %(status)s: it cannot be changed that way.") % {"status": task.get_status_display()}]})
    at = clock.now()
    updated = Task.objects.filter(pk=task.pk, version=version, status=task.status).update(
        status=to, version=version + 1, updated_at=at, updated_by=actor
    )
    if not updated:
        raise Conflict()
    before = task.status
    task.refresh_from_db()
    for name, value in fields.items():
        setattr(task, name, value)
    if fields:
        task.save(update_fields=list(fields))
    event_add(task.case, EventKind.TASK_CHANGED, actor, from_state=before, to_state=to.value, reason=event_reason)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="task", target_id=task.pk)
    return task


def _text(value: str, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(fields={field: [_("Write a few words: this field is required.")]})
    if len(value) > TEXT_LIMIT:
        raise Invalid(fields={field: [_("At most %(n)d characters.") % {"n": TEXT_LIMIT}]})
    return value


@transaction.atomic
def task_accept(*, actor: User, task_id: int, version: int) -> Task:
    """The unit takes the task on; the deadline stays as it was."""
    return _transition(actor=actor, task_id=task_id, version=version, action="accept", to=TaskStatus.ACCEPTED)


@transaction.atomic
def task_done(*, actor: User, task_id: int, version: int, outcome: str) -> Task:
    """The task is done; ``outcome`` (encrypted: it may name people) says what was done."""
    outcome = _text(outcome, "outcome", required=True)
    return _transition(actor=actor, task_id=task_id, version=version, action="done", to=TaskStatus.DONE, outcome=outcome)


@transaction.atomic
def task_decline(*, actor: User, task_id: int, version: int, reason: str) -> Task:
    """The unit declines the task with a reason; the unit that holds the case is told, and the grant
    the task (or her consent to a referral) gave ends unless the unit still has another live task on the case."""
    reason = _text(reason, "reason", required=True)
    task = _transition(actor=actor, task_id=task_id, version=version, action="decline", to=TaskStatus.DECLINED,
                       decline_reason=reason, event_reason=reason)
    unit = task.unit
    assert unit is not None  # an unrouted task is nobody's to decline
    if not Task.objects.filter(case=task.case, unit=unit, status__in=LIVE_STATUSES).exists():
        grants_in_force().filter(case=task.case, unit=unit, reason__in=[GrantReason.TASK, GrantReason.REFERRAL]).update(
            until=clock.now()
        )
    holder = task.case.holding_unit
    if holder.pk != unit.pk:
        notify(recipients=unit_workers(holder), kind=NotificationKind.TASK_DECLINED, target_type="task", target_id=task.pk)
    return task
