"""The deadline sweep (DESIGN §3, §4): run every minute by the scheduler through the task worker.

Overdue tasks climb their duty's escalation chain one step per pass; a step is claimed by a
conditional UPDATE on (id, escalation_level), so two sweeps at once never escalate twice. The sweep
also drives the orders app's deadlines when that app is installed (imported lazily: it may not be).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import NotificationKind, Unit, User
from qorgau.accounts.roles import Capability
from qorgau.accounts.services import notify
from qorgau.cases.access import grants_in_force
from qorgau.cases.ledger import event_add, grant_add
from qorgau.cases.models import EventKind, GrantReason
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction
from qorgau.protocols.engine import NATIONAL_REGION, fire, unit_workers
from qorgau.protocols.models import LIVE_STATUSES, EscalateTo, EscalationStep, Mode, Task, TaskStatus

log = logging.getLogger(__name__)

BATCH = 500
EXPIRING_WITHIN = timedelta(days=3)


def _escalation_unit(task: Task, to: str) -> Unit | None:
    """The same agency kind's regional unit (the task's region, no district) or national unit."""
    unit = task.unit
    assert unit is not None
    region = unit.region_id if to == EscalateTo.REGIONAL else NATIONAL_REGION
    return (
        Unit.objects.filter(kind_id=unit.kind_id, region_id=region, district__isnull=True, is_active=True)
        .exclude(pk=unit.pk).order_by("id").first()
    )


def _recipients(task: Task, step: EscalationStep) -> list[User]:
    unit = task.unit
    assert unit is not None
    if step.to == EscalateTo.SUPERVISORS:
        # A unit without a supervisor: everyone who works its cases is told instead.
        return unit_workers(unit, Capability.SUPERVISE_UNIT) or unit_workers(unit)
    target = _escalation_unit(task, step.to)
    if target is None:  # no such unit: the task's own supervisors hear of it again
        return unit_workers(unit, Capability.SUPERVISE_UNIT) or unit_workers(unit)
    if task.mode == Mode.DUTY and not grants_in_force().filter(case=task.case, unit=target).exists():
        grant_add(task.case, target, GrantReason.TASK, Scope.WORKER, by=None)
    return unit_workers(target)


def _escalate_one(task: Task, step: EscalationStep) -> bool:
    at = clock.now()
    with transaction.atomic():
        claimed = Task.objects.filter(pk=task.pk, escalation_level=step.step - 1, status__in=LIVE_STATUSES).update(
            escalation_level=step.step, escalated_at=at, updated_at=at
        )
        if not claimed:
            return False
        # An open task nobody took on shows as escalated; an accepted one stays accepted.
        Task.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(status=TaskStatus.ESCALATED)
        event_add(task.case, EventKind.TASK_ESCALATED, None, to_state=step.to)
        audit_record(actor=None, action=AuditAction.WRITE, target_type="task", target_id=task.pk, outcome=f"escalated:{step.step}")
        notify(recipients=_recipients(task, step), kind=NotificationKind.TASK_OVERDUE, target_type="task", target_id=task.pk)
    return True


def escalate_overdue() -> int:
    """One escalation step for every live, routed task whose next step is due."""
    now = clock.now()
    steps = {(s.duty_id, s.step): s for s in EscalationStep.objects.all()}
    escalated = 0
    candidates = (
        # A conference-decided task has no duty and so no chain: the conference follows it up.
        Task.objects.filter(status__in=LIVE_STATUSES, unit__isnull=False, duty__isnull=False, due_at__lte=now)
        .select_related("unit", "case")
        .order_by("due_at", "id")
    )
    for task in candidates.iterator(chunk_size=BATCH):
        assert task.duty_id is not None
        step = steps.get((task.duty_id, task.escalation_level + 1))
        if step is None or task.due_at + timedelta(hours=step.after_hours) > now:
            continue
        escalated += _escalate_one(task, step)
    return escalated


def _orders_due() -> dict[str, int]:
    from qorgau.orders import services

    return {
        "orders_expired": len(services.order_expire_due()),
        "checkins_missed": len(services.checkins_missed_due()),
        "orders_expiry_warned": len(services.order_expiring_warn()),
    }


def orders_expiring() -> int:
    """Fire ``order_expiring`` on each case of every order still binding that ends within 3 days
    (key ``expiring:<order id>``, so once per order and case)."""
    from qorgau.orders.models import OPEN_STATUSES, OrderCase

    now = clock.now()
    fired_before = Task.objects.filter(
        trigger="order_expiring", case_id=OuterRef("case_id"), key=Concat(Value("expiring:"), Cast(OuterRef("order_id"), CharField()))
    )
    links = (
        OrderCase.objects.filter(order__status__in=list(OPEN_STATUSES), order__ends_at__gt=now, order__ends_at__lte=now + EXPIRING_WITHIN)
        .exclude(Exists(fired_before))
        .select_related("case")
        .order_by("order_id", "case_id")
    )
    fired = 0
    for link in links[:BATCH]:
        fired += len(fire(trigger="order_expiring", case=link.case, actor=None, key=f"expiring:{link.order_id}"))
    return fired


def _conferences_due() -> dict[str, int]:
    from qorgau.protocols.conferences import conferences_propose

    return {"conferences_proposed": conferences_propose()}


def _holds_lapsed() -> dict[str, int]:
    from qorgau.shelters.services import holds_release_lapsed

    return {"holds_released": holds_release_lapsed()}


def _programmes_overdue() -> dict[str, int]:
    from qorgau.programmes.services import programmes_overdue

    return {"programmes_non_compliant": programmes_overdue()}


def sweep() -> dict[str, int]:
    """One pass: escalate overdue tasks, then the orders app's deadlines, propose case conferences,
    release lapsed bed holds, mark programmes past their deadline, and raise and escalate monitoring
    alerts (silent devices; alerts nobody acknowledged) and prune raw pings past their retention, and
    bring the analytics tallies up to date (cheap when nothing changed). Safe to run twice."""
    counts = {"escalated": escalate_overdue()}
    parts = (("orders", _orders_due), ("orders", lambda: {"order_expiring": orders_expiring()}), ("conferences", _conferences_due),
             ("shelters", _holds_lapsed), ("programmes", _programmes_overdue), ("monitoring", _monitoring_due),
             ("analytics", _analytics_tallies))
    for name, part in parts:
        try:
            with transaction.atomic():  # a failing part must not stop the others or undo escalations
                counts.update(part())
        except Exception:
            log.exception("sweep: the %s part failed; the next pass retries it", name)
            counts["errors"] = counts.get("errors", 0) + 1
    return counts


def _monitoring_due() -> dict[str, int]:
    from qorgau.monitoring.alerts import alerts_escalate_due, episodes_silent_raise, episodes_unalerted_raise
    from qorgau.monitoring.retention import pings_prune

    return {"devices_silent": episodes_silent_raise(), "alerts_late": episodes_unalerted_raise(),
            "alerts_escalated": alerts_escalate_due(), "pings_pruned": pings_prune()}


def _analytics_tallies() -> dict[str, int]:
    from qorgau.analytics.refresh import tallies_sweep

    return tallies_sweep()
