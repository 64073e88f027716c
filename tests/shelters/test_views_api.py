"""Pages and API of the shelters: one-click capacity, admission from a hold, discharge, the API's
hold and discharge; bad input gets a clear message, a stale version a conflict."""

from __future__ import annotations

import pytest

from qorgau.accounts.roles import Role
from qorgau.shelters import services
from qorgau.shelters.models import BedPool, Placement
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_one_click_capacity_for_own_staff_only(client, centre, staff, make_user):
    p = BedPool.objects.get(centre=centre, kind="women")
    c = sign_in(client, staff)
    assert c.post(f"/shelters/centres/{centre.pk}/", {"pool": p.pk, "version": p.version, "step": "1"}).status_code == 302
    p.refresh_from_db()
    assert p.capacity == 3 and p.version == 2
    assert c.post(f"/shelters/centres/{centre.pk}/", {"pool": p.pk, "version": 1, "step": "1"}).status_code == 409
    empty = BedPool.objects.get(centre=centre, kind="accessible")
    services.pool_capacity_set(actor=staff, pool_id=empty.pk, capacity=0, version=1)
    r = c.post(f"/shelters/centres/{centre.pk}/", {"pool": empty.pk, "version": 2, "step": "-1"})
    assert r.status_code == 422 and "cannot be negative" in r.content.decode()
    other = sign_in(client, make_user(Role.PLACEMENT_COORDINATOR, username="not_staff"))
    assert other.post(f"/shelters/centres/{centre.pk}/", {"pool": p.pk, "version": 2, "step": "1"}).status_code == 403


def test_admit_from_a_hold_and_discharge_on_the_pages(client, centre, staff, coordinator, case):
    hold = services.bed_hold(actor=coordinator, case=case, pool_id=BedPool.objects.get(centre=centre, kind="with_children").pk, children=1)
    c = sign_in(client, staff)
    assert case.number in c.get(f"/shelters/centres/{centre.pk}/").content.decode()
    r = c.post(f"/shelters/holds/{hold.pk}/admit/", {"children": "1", "expected_days": "20", "services": ["psychologist"]})
    assert r.status_code == 302
    placement = Placement.objects.get(hold=hold)
    assert placement.gave_psychologist and placement.children == 1
    url = f"/shelters/placements/{placement.pk}/"
    assert c.get(url).status_code == 200
    bad = c.post(url, {"version": "1", "outcome": "relatives", "discharged_at": "2001-01-01T10:00"})
    assert bad.status_code == 422 and "The discharge cannot be before the admission." in bad.content.decode()
    assert c.post(url, {"version": "1", "outcome": "relatives"}).status_code == 302
    assert c.post(url, {"version": "1", "outcome": "relatives"}).status_code == 409


def test_api_hold_and_discharge(client, centre, staff, coordinator, case):
    c = sign_in(client, coordinator)
    r = c.post(f"/api/v1/shelters/{centre.pk}/holds", {"case_id": case.pk, "children": 0}, content_type="application/json")
    assert r.status_code == 201 and len(r.json()["tasks"]) == 2
    bad = c.post(f"/api/v1/shelters/{centre.pk}/holds", {"case_id": case.pk, "children": -1}, content_type="application/json")
    assert bad.status_code == 422
    placed = services.placement_admit(actor=staff, case=case, pool_id=BedPool.objects.get(centre=centre, kind="women").pk, hold_id=r.json()["id"])
    s = sign_in(client, staff)
    url = f"/api/v1/placements/{placed.pk}/discharge"
    assert s.post(url, {"version": 1, "outcome": "nonsense"}, content_type="application/json").status_code == 422
    done = s.post(url, {"version": 1, "outcome": "independent"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["version"] == 2
    assert s.post(url, {"version": 1, "outcome": "independent"}, content_type="application/json").status_code == 409
    assert sign_in(client, coordinator).post(url, {"version": 2, "outcome": "other"}, content_type="application/json").status_code == 403
