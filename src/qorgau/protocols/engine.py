"""The protocol engine: a trigger on a case becomes tasks for concrete units (DESIGN §2, §10).

Other apps call ``fire`` at the moment the event happens, inside their own transaction::

    from qorgau.protocols.engine import fire
    fire(trigger="level_set", case=case, actor=user, key=f"assessment:{assessment.pk}", level="high")

``key`` names the event (not the duty): the same (duty, case, key) makes one task however often and
from however many workers ``fire`` runs, so callers may fire again safely. Side effects (grant,
timeline, audit, notification) happen only for a task created now. Routing is documented in
``docs/protocols.md``.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import NotificationKind, ServiceArea, Unit, User
from qorgau.accounts.recipients import unit_staff
from qorgau.accounts.roles import Capability
from qorgau.accounts.services import notify
from qorgau.cases.access import grants_in_force
from qorgau.cases.ledger import event_add, grant_add
from qorgau.cases.models import Case, EventKind, GrantReason
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction
from qorgau.protocols.models import LIVE_STATUSES, Duty, Mode, Task, TaskStatus, Trigger, VersionStatus

# The national unit of an agency kind is its unit in the capital with no district (the ministry's
# or head office's own unit).
NATIONAL_REGION = "KZ-71"
LEVEL_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def _case_place(case: Case) -> tuple[str | None, str | None, bool | None]:
    """Region, district and urban flag of the case: its latest incident, else its holding unit."""
    incident = case.incidents.order_by("-occurred_at", "-id").values("region_id", "district_id", "urban").first()
    if incident is not None:
        return incident["region_id"], incident["district_id"], incident["urban"]
    unit = case.holding_unit
    return unit.region_id, unit.district_id, None


def _area_first(units: list[Unit], urban: bool | None) -> Unit | None:
    """Among candidate units, one serving the incident's kind of area first, then mixed, then any."""
    if not units:
        return None
    if urban is None:
        return units[0]
    want = ServiceArea.URBAN if urban else ServiceArea.RURAL
    order = {want.value: 0, ServiceArea.MIXED.value: 1}
    return sorted(units, key=lambda u: (order.get(u.service_area, 2), u.pk))[0]


def route(kind_code: str, case: Case) -> Unit | None:
    """The unit of ``kind_code`` that takes a duty on ``case``: a unit of the case's district; else
    the region's own unit (no district), else any unit in the region; else the national unit."""
    region, district, urban = _case_place(case)
    active = Unit.objects.filter(kind_id=kind_code, is_active=True).order_by("id")
    if district:
        found = _area_first(list(active.filter(district_id=district)), urban)
        if found:
            return found
    if region:
        found = _area_first(list(active.filter(region_id=region, district__isnull=True)), urban)
        found = found or _area_first(list(active.filter(region_id=region)), urban)
        if found:
            return found
    return active.filter(region_id=NATIONAL_REGION, district__isnull=True).first()


def _current_level(case: Case) -> str | None:
    from qorgau.risk.models import CaseRisk

    return CaseRisk.objects.filter(case=case).values_list("level", flat=True).first()


def _applies(duty: Duty, level: str | None) -> bool:
    if not duty.min_level:
        return True
    return level is not None and LEVEL_RANK[level] >= LEVEL_RANK[duty.min_level]


def unit_workers(unit: Unit, capability: Capability = Capability.WORK_CASES) -> list[User]:
    return unit_staff([unit], capability=capability)


def task_grant(task: Task, unit: Unit, actor: User | None) -> None:
    """A duty's unit may open the case (scope ``worker``) unless it already holds a live grant."""
    if task.mode != Mode.DUTY:
        return
    if not grants_in_force().filter(case=task.case, unit=unit).exists():
        grant_add(task.case, unit, GrantReason.TASK, Scope.WORKER, by=actor)


def _same_event_task(duty: Duty, case: Case, key: str) -> Task | None:
    """A task that an earlier version of the same protocol's duty already made for this event."""
    return (
        Task.objects.filter(case=case, key=key, duty__code=duty.code, duty__version__protocol_id=duty.version.protocol_id)
        .select_related("duty", "unit")
        .first()
    )


def _measure_tasks(case: Case, key: str) -> list[Task]:
    """Tasks that already carry out a measure on the case: made for this event (a raise fires
    ``level_set`` and ``level_raised`` with one key), or still to be done. This event's first."""
    rows = (
        Task.objects.filter(case=case, duty__isnull=False).exclude(duty__measure="")
        .filter(Q(key=key) | Q(status__in=[*LIVE_STATUSES, TaskStatus.AWAITING_CONSENT]))
        .select_related("duty", "unit").order_by("id")
    )
    return sorted(rows, key=lambda t: t.key != key)


def _create(
    duty: Duty, case: Case, actor: User | None, key: str, trigger: str, level: str | None, chosen: dict[str, Unit] | None = None
) -> Task | None:
    """Create the task; None if another call (or worker) created it first."""
    at = clock.now()
    unit = (chosen or {}).get(duty.agency_kind_id) or route(duty.agency_kind_id, case)
    task = Task(
        case=case, duty=duty, unit=unit, key=key, trigger=trigger, level=level or "", mode=duty.mode,
        status=TaskStatus.OPEN if duty.mode == Mode.DUTY else TaskStatus.AWAITING_CONSENT,
        due_at=at + timedelta(hours=duty.hours), created_by=actor if actor and actor.is_authenticated else None,
        created_at=at, updated_at=at,
    )
    try:
        with transaction.atomic():  # a savepoint: losing the race must not spoil the caller's transaction
            task.save()
    except IntegrityError:
        return None
    event_add(case, EventKind.TASK_CREATED, actor)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="task", target_id=task.pk)
    if unit is not None and duty.mode == Mode.DUTY:
        # Referrals wait for her consent: no grant and no notice to the receiving unit yet.
        task_grant(task, unit, actor)
        notify(recipients=unit_workers(unit), kind=NotificationKind.TASK_ASSIGNED, target_type="task", target_id=task.pk)
    return task


@transaction.atomic
def fire(
    *, trigger: str, case: Case, actor: User | None, key: str, level: str | None = None, units: dict[str, Unit] | None = None
) -> list[Task]:
    """Give the published protocols' duties for ``trigger`` on ``case`` to units, once per
    (duty, case, key). Returns the tasks of this event, whether made now or by an earlier call.

    ``level`` is the risk level the event is about (``level_set``, ``level_raised``); when omitted,
    duties with a level condition use the case's current level. ``units`` names the unit that takes
    the duties of an agency kind when the caller chose it (the shelter a coordinator picked) instead
    of the routing by place. A restricted case (the offender is
    staff) gets no tasks: internal oversight handles it by hand.
    """
    if trigger not in Trigger.values:
        raise ValueError(f"unknown protocol trigger {trigger!r}")
    if level is not None and level not in LEVEL_RANK:
        raise ValueError(f"unknown risk level {level!r}")
    if not key or len(key) > 120:
        raise ValueError("key: 1 to 120 characters naming the event")
    if case.restricted:
        return []
    duties = list(
        Duty.objects.filter(trigger=trigger, version__status=VersionStatus.PUBLISHED)
        .select_related("version", "agency_kind")
        .order_by("version__protocol__code", "position")
    )
    if any(d.min_level for d in duties) and level is None:
        level = _current_level(case)
    tasks: list[Task] = []
    measure_tasks: list[Task] | None = None  # read once, when the first duty with a measure needs it
    for duty in duties:
        if not _applies(duty, level):
            continue
        task = _same_event_task(duty, case, key)
        if task is None and duty.measure:
            # One task per measure: none while another is still to be done, none twice for one event.
            if measure_tasks is None:
                measure_tasks = _measure_tasks(case, key)
            covering = next((t for t in measure_tasks if t.duty is not None and t.duty.measure == duty.measure), None)
            if covering is not None:
                if covering.key == key:
                    tasks.append(covering)
                continue
        task = task or _create(duty, case, actor, key, trigger, level, units)
        if task is not None and measure_tasks is not None and duty.measure:
            measure_tasks.append(task)
        if task is None:  # lost the race to a concurrent call: read what it made
            task = _same_event_task(duty, case, key)
        if task is not None:
            tasks.append(task)
    return tasks


def unrouted_filter() -> Q:
    return Q(unit__isnull=True)
