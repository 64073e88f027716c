"""Capacity, holds, admissions and discharges: bad input is refused with a clear message; occupancy
follows placements and holds; a lapsed hold is released by the sweep; the trigger gives tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qorgau.cases.models import CaseEvent, EventKind
from qorgau.core import clock
from qorgau.core.errors import Conflict, Forbidden, Invalid
from qorgau.core.models import AuditEvent
from qorgau.protocols.sweep import sweep
from qorgau.shelters import selectors, services
from qorgau.shelters.models import BedHold, BedPool, Outcome, Placement
from tests.shelters.support import make_centre

pytestmark = pytest.mark.django_db


def pool(centre, kind="women") -> BedPool:
    return BedPool.objects.get(centre=centre, kind=kind)


def refused(fn, **kw) -> dict[str, list[str]]:
    with pytest.raises(Invalid) as info:
        fn(**kw)
    return info.value.fields


def test_capacity_is_set_by_own_staff_with_a_version(centre, staff, make_user):
    p = pool(centre)
    changed = services.pool_capacity_set(actor=staff, pool_id=p.pk, capacity=5, version=p.version)
    assert changed.capacity == 5 and changed.version == 2
    with pytest.raises(Conflict):
        services.pool_capacity_set(actor=staff, pool_id=p.pk, capacity=6, version=1)
    other = make_centre("Other shelter")
    stranger = make_user("shelter_worker", unit=other.unit, username="stranger")
    with pytest.raises(Forbidden):
        services.pool_capacity_set(actor=stranger, pool_id=p.pk, capacity=6, version=2)
    assert AuditEvent.objects.filter(target_type="bed_pool", target_id=str(p.pk), outcome="capacity").count() == 1


def test_negative_beds_and_capacity_below_occupancy_are_refused(centre, staff, case):
    p = pool(centre)
    assert "cannot be negative" in refused(services.pool_capacity_set, actor=staff, pool_id=p.pk, capacity=-1, version=1)["capacity"][0]
    services.placement_admit(actor=staff, case=case, pool_id=p.pk)
    services.placement_admit(actor=staff, case=case, pool_id=p.pk)
    message = refused(services.pool_capacity_set, actor=staff, pool_id=p.pk, capacity=1, version=1)["capacity"][0]
    assert "2 beds of this kind are taken now" in message
    assert "taken the last one" in refused(services.placement_admit, actor=staff, case=case, pool_id=p.pk)["pool"][0]


def test_children_to_a_centre_without_children_are_refused(reference, case, make_user, coordinator):
    adults_only = make_centre("Adults only", accepts_children=False)
    worker = make_user("shelter_worker", unit=adults_only.unit, username="adults_worker")
    fields = refused(services.placement_admit, actor=worker, case=case, pool_id=pool(adults_only).pk, children=2)
    assert fields == {"children": ["This centre does not accept children. Choose a centre that does."]}
    assert "does not accept children" in refused(services.bed_hold, actor=coordinator, case=case, pool_id=pool(adults_only).pk, children=1)["children"][0]


def test_a_discharge_before_the_admission_is_refused(centre, staff, case):
    placed = services.placement_admit(actor=staff, case=case, pool_id=pool(centre).pk, admitted_at=clock.now() - timedelta(days=2))
    fields = refused(services.placement_discharge, actor=staff, placement_id=placed.pk, version=1, outcome=Outcome.RELATIVES,
                     discharged_at=placed.admitted_at - timedelta(hours=1))
    assert fields == {"discharged_at": ["The discharge cannot be before the admission."]}
    done = services.placement_discharge(actor=staff, placement_id=placed.pk, version=1, outcome=Outcome.RELATIVES)
    assert done.discharged_at is not None and done.version == 2
    with pytest.raises(Conflict):
        services.placement_discharge(actor=staff, placement_id=placed.pk, version=1, outcome=Outcome.OTHER)
    kinds = list(CaseEvent.objects.filter(case=case, kind=EventKind.PLACEMENT).values_list("to_state", flat=True))
    assert kinds == ["admitted", "discharged"]


def test_occupancy_follows_placements_and_holds(centre, staff, coordinator, case):
    p = pool(centre)
    assert selectors.pool_occupancy(p) == 0
    hold = services.bed_hold(actor=coordinator, case=case, pool_id=p.pk)
    assert selectors.pool_occupancy(p) == 1
    placed = services.placement_admit(actor=staff, case=case, pool_id=p.pk, hold_id=hold.pk)
    assert selectors.pool_occupancy(p) == 1  # the hold became the placement: one bed, not two
    services.placement_discharge(actor=staff, placement_id=placed.pk, version=placed.version, outcome=Outcome.INDEPENDENT)
    assert selectors.pool_occupancy(p) == 0


def test_a_hold_lapses_and_the_sweep_releases_it(centre, coordinator, case, staff, monkeypatch):
    p = pool(centre, "accessible")  # one bed
    hold = services.bed_hold(actor=coordinator, case=case, pool_id=p.pk, hours=4)
    assert hold.held_until - hold.created_at == timedelta(hours=4)
    assert "taken the last one" in refused(services.bed_hold, actor=coordinator, case=case, pool_id=p.pk)["pool"][0]
    later = clock.now() + timedelta(hours=4, minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert selectors.pool_occupancy(p) == 0  # lapsed: the bed counts as free at once
    assert sweep()["holds_released"] == 1
    hold.refresh_from_db()
    assert hold.released_at == later
    assert sweep()["holds_released"] == 0
    assert "hold has ended" in refused(services.placement_admit, actor=staff, case=case, pool_id=p.pk, hold_id=hold.pk)["hold"][0]


def test_placement_request_holds_a_bed_and_fires_the_trigger(centre, coordinator, case):
    done = services.placement_request(actor=coordinator, case=case, centre=centre, children=1)
    assert done.hold.pool.kind == "with_children" and BedHold.objects.count() == 1
    codes = {t.duty.code: t for t in done.tasks}
    assert set(codes) == {"crisis_admit_placement", "police_safe_transport"}
    assert codes["crisis_admit_placement"].mode == "referral" and codes["police_safe_transport"].mode == "duty"
    assert (codes["police_safe_transport"].due_at - codes["police_safe_transport"].created_at) == timedelta(hours=2)
    assert codes["crisis_admit_placement"].status == "awaiting_consent"
    again = services.placement_request(actor=coordinator, case=case, centre=centre, children=1)
    assert {t.pk for t in again.tasks}.isdisjoint({t.pk for t in done.tasks})  # another hold, another event


def test_the_admission_goes_to_the_centre_she_was_referred_to(coordinator, case):
    """Another crisis centre is nearer by the routing rules; the referral still goes to the picked one."""
    from tests.shelters.support import make_centre

    make_centre("Nearer by routing")  # created first: the routing would pick it
    picked = make_centre("The picked one", accepts_children=True)
    done = services.placement_request(actor=coordinator, case=case, centre=picked, children=1)
    admit = next(t for t in done.tasks if t.duty.code == "crisis_admit_placement")
    assert admit.unit_id == picked.unit_id


def test_admission_from_a_hold_and_no_placement_without_a_bed(centre, staff, case):
    p = pool(centre, "accessible")
    services.placement_admit(actor=staff, case=case, pool_id=p.pk)
    assert Placement.objects.filter(pool=p).count() == 1
    assert "taken the last one" in refused(services.placement_admit, actor=staff, case=case, pool_id=p.pk)["pool"][0]
