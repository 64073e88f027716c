"""Writes on tasks: accept, done, decline, and routing an unrouted task by hand. Each takes ``actor=`` and the task's ``version`` (a stale
write is a conflict, never an overwrite), records audit and a timeline event in the same transaction.

Only users of the task's unit who work cases may act on it; to anyone else the task does not exist.
Routing is the administrator's (``MANAGE_REFERENCE``): the page names no person.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from qorgau.accounts.models import AgencyKind, NotificationKind, Unit, User
from qorgau.accounts.roles import Capability
from qorgau.accounts.services import notify
from qorgau.cases.access import grants_in_force
from qorgau.cases.ledger import event_add
from qorgau.cases.models import EventKind, GrantReason
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid
from qorgau.core.models import AuditAction, Region
from qorgau.protocols.engine import task_grant, unit_workers
from qorgau.protocols.models import LIVE_STATUSES, Mode, Task, TaskStatus
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
    task = _transition(actor=actor, task_id=task_id, version=version, action="done", to=TaskStatus.DONE, outcome=outcome)
    if task.duty is not None and task.duty.measure:
        # The duty carries out a risk level's measure: it is now applied on the case's current assessment.
        from qorgau.risk.services import measure_applied_by_task

        measure_applied_by_task(actor=actor, case=task.case, measure=task.duty.measure)
    return task


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


# --- routing an unrouted task by hand -------------------------------------------------------------------

ROUTABLE = (*LIVE_STATUSES, TaskStatus.AWAITING_CONSENT)


def _routable_unit(task: Task, unit: Unit) -> None:
    if task.unit_id is not None:
        raise Invalid(fields={"unit": [_("This task already has a unit.")]})
    if task.status not in ROUTABLE:
        raise Invalid(fields={"unit": [_("This task is %(status)s: it cannot be routed.") % {"status": task.get_status_display()}]})
    if not unit.is_active:
        raise Invalid(fields={"unit": [_("This unit is no longer active.")]})
    if task.duty is not None and unit.kind_id != task.duty.agency_kind_id:
        raise Invalid(fields={"unit": [_("%(unit)s is of the kind “%(kind)s”; this task needs a unit of the kind “%(needed)s”.") % {
            "unit": unit.name, "kind": unit.kind.name, "needed": task.duty.agency_kind.name}]})


def _hand_to(task: Task, unit: Unit, actor: User, version: int) -> bool:
    """Give the task to the unit by a conditional update on its version; False if it changed meanwhile.
    A duty's deadline is counted again from now (the unit learns of it only now); a referral still
    waits for her consent, so its unit gets no grant and no notice yet."""
    at = clock.now()
    changes: dict[str, object] = {"unit": unit, "version": version + 1, "updated_at": at, "updated_by": actor}
    if task.mode == Mode.DUTY and task.duty is not None:
        changes |= {"due_at": at + timedelta(hours=task.duty.hours), "escalation_level": 0, "escalated_at": None}
        if task.status == TaskStatus.ESCALATED:
            changes["status"] = TaskStatus.OPEN
    if not Task.objects.filter(pk=task.pk, version=version, unit__isnull=True).update(**changes):
        return False
    task.refresh_from_db()
    if task.status != TaskStatus.AWAITING_CONSENT:
        task_grant(task, unit, actor)
        notify(recipients=unit_workers(unit), kind=NotificationKind.TASK_ROUTED, target_type="task", target_id=task.pk)
    event_add(task.case, EventKind.TASK_ROUTED, actor)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="task", target_id=task.pk)
    return True


@transaction.atomic
def task_route(*, actor: User, task: Task, unit: Unit, version: int) -> Task:
    """Route an unrouted task to a unit of its duty's agency kind (the administrator's choice, when no
    unit serves the case's place): the unit gets the grant a duty gives and is notified; a referral
    keeps waiting for her consent. A stale version is a conflict; a unit of another kind is refused."""
    if not actor.can(Capability.MANAGE_REFERENCE):
        raise Forbidden()
    if task.version != version:
        raise Conflict()
    _routable_unit(task, unit)
    if not _hand_to(task, unit, actor, version):
        raise Conflict()
    return task


@transaction.atomic
def tasks_route_bulk(*, actor: User, kind: AgencyKind, region: Region, unit: Unit) -> int:
    """Route every unrouted task whose duty is of ``kind`` and whose case is in ``region`` to ``unit``
    (of that kind); returns how many. A task routed meanwhile by someone else is left as it is."""
    from qorgau.protocols.routing import with_place
    from qorgau.protocols.selectors import tasks_unrouted

    if not actor.can(Capability.MANAGE_REFERENCE):
        raise Forbidden()
    if unit.kind_id != kind.pk:
        raise Invalid(fields={"unit": [_("%(unit)s is of the kind “%(kind)s”; these tasks need a unit of the kind “%(needed)s”.") % {
            "unit": unit.name, "kind": unit.kind.name, "needed": kind.name}]})
    if not unit.is_active:
        raise Invalid(fields={"unit": [_("This unit is no longer active.")]})
    tasks = with_place(tasks_unrouted().filter(duty__agency_kind=kind, status__in=ROUTABLE)).filter(place_region=region.pk)  # type: ignore[misc]
    return sum(_hand_to(task, unit, actor, task.version) for task in tasks)
