"""Writes of the shelters app: centres, capacity, holds, admissions, discharges (issue 7).

The last bed: every write that takes a bed locks the pool row (``select_for_update``) inside its
transaction and counts again, so two workers taking the last bed one instant apart are serialised
by the database — the second one counts the first one's bed and is refused at once. SQLite
serialises writers anyway; PostgreSQL waits on the row lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import Unit, User
from qorgau.accounts.roles import Capability
from qorgau.cases.ledger import event_add
from qorgau.cases.models import Case, EventKind
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.protocols.engine import fire
from qorgau.protocols.models import Task
from qorgau.shelters.models import BedHold, BedKind, BedPool, Centre, Outcome, Ownership, Placement
from qorgau.shelters.selectors import place_point, pool_occupancy

HOLD_HOURS = 4
MAX_HOLD_HOURS = 24
MAX_BEDS = 1000
MAX_CHILDREN = 20
CENTRE_KINDS = ("crisis_centre", "family_support")

NO_FREE_BED = _("There is no free bed of this kind in this centre any more: another worker has just taken the last one. Choose another centre.")



def _staff_of(actor: User, centre: Centre) -> None:
    if not actor.can(Capability.SHELTER_INTAKE):
        raise Forbidden()
    if actor.unit_id != centre.unit_id:
        raise Forbidden(_("Only the centre's own staff may change its beds and placements."))


def _locked_pool(pool_id: int) -> BedPool:
    pool = BedPool.objects.select_for_update().select_related("centre", "centre__unit").filter(pk=pool_id).first()
    if pool is None:
        raise NotFound()
    return pool


def centre_register(
    *, actor: User | None, unit: Unit, ownership: str = Ownership.STATE, address: str = "", locality: str = "",
    beds: dict[str, int] | None = None, **flags: object,
) -> Centre:
    """A centre for a unit of a crisis-centre or family-support kind, with its bed pools."""
    if unit.kind_id not in CENTRE_KINDS:
        raise Invalid.field("unit", _("Only a crisis centre or a family support centre can be registered as a shelter."))
    point = place_point(unit.region_id, unit.district_id)
    assert point is not None
    with transaction.atomic():
        centre = Centre(unit=unit, ownership=ownership, address=address,
                        locality=locality, lat=point[0], lon=point[1], **flags)
        centre.full_clean(exclude=["unit"])
        centre.save()
        for kind in BedKind.values:
            capacity = (beds or {}).get(kind, 0)
            if capacity < 0:
                raise Invalid.field("capacity", _("The number of beds cannot be negative."))
            BedPool.objects.create(centre=centre, kind=kind, capacity=capacity, updated_at=clock.now())
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="centre", target_id=centre.pk, outcome="registered")
    return centre


def pool_capacity_set(*, actor: User, pool_id: int, capacity: int, version: int) -> BedPool:
    """The centre's staff set the beds of one kind; never below what is taken now."""
    if capacity < 0:
        raise Invalid.field("capacity", _("The number of beds cannot be negative."))
    if capacity > MAX_BEDS:
        raise Invalid.field("capacity", _("At most %(n)d beds of one kind.") % {"n": MAX_BEDS})
    with transaction.atomic():
        pool = _locked_pool(pool_id)
        _staff_of(actor, pool.centre)
        if pool.version != version:
            raise Conflict()
        taken = pool_occupancy(pool)
        if capacity < taken:
            raise Invalid.field("capacity", _("%(taken)d beds of this kind are taken now (placements and holds): the capacity cannot be lower.")
                          % {"taken": taken})
        pool.capacity = capacity
        pool.version += 1
        pool.updated_at = clock.now()
        pool.save(update_fields=["capacity", "version", "updated_at"])
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="bed_pool", target_id=pool.pk, count=capacity, outcome="capacity")
    return pool


def _check_children(centre: Centre, children: int) -> None:
    if children < 0 or children > MAX_CHILDREN:
        raise Invalid.field("children", _("Give the number of children, from 0 to %(n)d.") % {"n": MAX_CHILDREN})
    if children and not centre.accepts_children:
        raise Invalid.field("children", _("This centre does not accept children. Choose a centre that does."))


def bed_hold(*, actor: User, case: Case, pool_id: int, children: int = 0, hours: int = HOLD_HOURS) -> BedHold:
    """Keep a bed for her for ``hours``; the caller has passed the case gate."""
    if not actor.can(Capability.PLACE_IN_SHELTER):
        raise Forbidden()
    if not 1 <= hours <= MAX_HOLD_HOURS:
        raise Invalid.field("hours", _("A bed can be held for 1 to %(n)d hours.") % {"n": MAX_HOLD_HOURS})
    with transaction.atomic():
        pool = _locked_pool(pool_id)
        _check_children(pool.centre, children)
        if pool_occupancy(pool) >= pool.capacity:
            raise Invalid.field("pool", NO_FREE_BED)
        now = clock.now()
        hold = BedHold.objects.create(pool=pool, case=case, children=children, held_by=actor, created_at=now,
                                      held_until=now + dt.timedelta(hours=hours))
        event_add(case, EventKind.PLACEMENT, actor, to_state="held")
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="bed_hold", target_id=hold.pk, outcome="held")
    return hold


@dataclass(frozen=True)
class Requested:
    hold: BedHold
    tasks: list[Task]


def placement_request(*, actor: User, case: Case, centre: Centre, children: int = 0, disability: bool = False,
                      hours: int = HOLD_HOURS) -> Requested:
    """Hold a fitting bed and fire ``placement_requested``: the crisis centre's admission is a
    referral (it waits for her consent), the police's safe transport a duty."""
    from qorgau.shelters.selectors import fitting_kind

    pool = BedPool.objects.filter(centre=centre, kind=fitting_kind(children, disability)).first()
    if pool is None:
        raise Invalid.field("pool", NO_FREE_BED)
    with transaction.atomic():
        hold = bed_hold(actor=actor, case=case, pool_id=pool.pk, children=children, hours=hours)
        # The admission is the picked centre's (not the crisis centre nearest by routing).
        tasks = fire(trigger="placement_requested", case=case, actor=actor, key=f"placement:{hold.pk}", units={centre.unit.kind_id: centre.unit})
    return Requested(hold, tasks)


def placement_admit(
    *, actor: User, case: Case, pool_id: int, hold_id: int | None = None, children: int = 0, expected_days: int = 30,
    admitted_at: dt.datetime | None = None, services: frozenset[str] = frozenset(),
) -> Placement:
    """Admit her (from a hold, whose bed she takes, or directly into a free bed)."""
    if not 1 <= expected_days <= 365:
        raise Invalid.field("expected_days", _("The expected stay is 1 to 365 days."))
    now = clock.now()
    admitted_at = admitted_at or now
    if admitted_at > now + dt.timedelta(minutes=5):
        raise Invalid.field("admitted_at", _("The admission cannot be in the future."))
    with transaction.atomic():
        pool = _locked_pool(pool_id)
        _staff_of(actor, pool.centre)
        _check_children(pool.centre, children)
        hold = None
        if hold_id is not None:
            hold = BedHold.objects.select_for_update().filter(pk=hold_id, pool=pool, case=case).first()
            if hold is None or hold.released_at is not None or hold.held_until <= now:
                raise Invalid.field("hold", _("This hold has ended: the bed is no longer kept. Admit her into a free bed instead."))
        if pool_occupancy(pool, exclude_hold=hold.pk if hold else None) >= pool.capacity:
            raise Invalid.field("pool", NO_FREE_BED)
        placement = Placement.objects.create(
            case=case, centre=pool.centre, pool=pool, hold=hold, admitted_at=admitted_at, children=children,
            expected_days=expected_days, admitted_by=actor, **{f"gave_{s}": True for s in services if s in SERVICES},
        )
        if hold is not None:
            hold.released_at = now
            hold.save(update_fields=["released_at"])
        event_add(case, EventKind.PLACEMENT, actor, to_state="admitted")
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="placement", target_id=placement.pk, outcome="admitted")
    return placement


SERVICES = ("psychologist", "lawyer", "medical", "social")


def placement_discharge(*, actor: User, placement_id: int, version: int, outcome: str, discharged_at: dt.datetime | None = None,
                        services: frozenset[str] | None = None) -> Placement:
    with transaction.atomic():
        placement = Placement.objects.select_for_update(of=("self",)).select_related("centre", "case").filter(pk=placement_id).first()
        if placement is None:
            raise NotFound()
        _staff_of(actor, placement.centre)
        if placement.version != version:
            raise Conflict()
        if placement.discharged_at is not None:
            raise Invalid.field("discharged_at", _("She has already been discharged."))
        if outcome not in Outcome.values:
            raise Invalid.field("outcome", _("Choose the outcome of her stay."))
        at = discharged_at or clock.now()
        if at < placement.admitted_at:
            raise Invalid.field("discharged_at", _("The discharge cannot be before the admission."))
        if at > clock.now() + dt.timedelta(minutes=5):
            raise Invalid.field("discharged_at", _("The discharge cannot be in the future."))
        placement.discharged_at = at
        placement.outcome = outcome
        fields = ["discharged_at", "outcome", "version"]
        for s in SERVICES if services is not None else ():
            setattr(placement, f"gave_{s}", s in (services or ()))
            fields.append(f"gave_{s}")
        placement.version += 1
        placement.save(update_fields=fields)
        if placement.case is not None:  # an anonymous stay (intake) has no case timeline
            event_add(placement.case, EventKind.PLACEMENT, actor, to_state="discharged")
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="placement", target_id=placement.pk, outcome="discharged")
    return placement


def holds_release_lapsed() -> int:
    """Release every hold whose time is up (the sweep; safe to run twice)."""
    now = clock.now()
    with transaction.atomic():
        ids = list(BedHold.objects.filter(released_at__isnull=True, held_until__lte=now).values_list("pk", flat=True)[:500])
        released = BedHold.objects.filter(pk__in=ids, released_at__isnull=True).update(released_at=now)
        for pk in ids:
            audit_record(actor=None, action=AuditAction.WRITE, target_type="bed_hold", target_id=pk, outcome="lapsed")
    return released
