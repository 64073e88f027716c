"""Registering and editing a centre: who may, bad input, one centre per unit, a stale version, the
write-only address for administrators; the groups-served filters of the registry and find-a-bed."""

from __future__ import annotations

import pytest

from qorgau.accounts.roles import Role
from qorgau.core.errors import Conflict, Forbidden, Invalid
from qorgau.core.models import AuditEvent
from qorgau.shelters import centres, selectors
from qorgau.shelters.models import BedPool, Centre
from tests.conftest import sign_in
from tests.protocols.support import agency_unit
from tests.shelters.support import make_centre

pytestmark = pytest.mark.django_db

FORM = {"ownership": "ngo", "shelter": "on", "lang_kk": "on", "serves_migrants": "on", "opening_hours": "24/7",
        "phone": "+7 727 111 22 33", "locality": "Medeu", "address": "улица Новая, 1",
        "beds_women": "4", "beds_with_children": "2", "beds_accessible": "0"}


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, username="admin_centres")


@pytest.fixture
def new_unit(reference):
    return agency_unit("crisis_centre", "KZ-75", "751110000", "Medeu crisis centre")


def test_an_administrator_registers_a_centre_on_the_page(client, admin, new_unit):
    c = sign_in(client, admin)
    page = c.get("/shelters/centres/new/")
    assert page.status_code == 200 and "Medeu crisis centre" in page.content.decode()
    r = c.post("/shelters/centres/new/", {**FORM, "unit": str(new_unit.pk)})
    assert r.status_code == 302
    centre = Centre.objects.get(unit=new_unit)
    assert centre.serves_migrants and not centre.serves_ethnic and centre.ownership == "ngo" and centre.address == "улица Новая, 1"
    assert {p.kind: p.capacity for p in BedPool.objects.filter(centre=centre)} == {"women": 4, "with_children": 2, "accessible": 0}
    assert AuditEvent.objects.filter(target_type="centre", target_id=str(centre.pk)).exists()
    # the unit now has its centre: it is no longer offered, and a second one is refused
    again = c.post("/shelters/centres/new/", {**FORM, "unit": str(new_unit.pk)})
    assert again.status_code == 422 and Centre.objects.filter(unit=new_unit).count() == 1


@pytest.mark.parametrize(("field", "value"), [("beds_women", "-1"), ("beds_women", "abc"), ("phone", "call me"),
                                              ("ownership", "private"), ("unit", "999999")])
def test_bad_input_on_the_register_page_is_422_and_saves_nothing(client, admin, new_unit, field, value):
    r = sign_in(client, admin).post("/shelters/centres/new/", {**FORM, "unit": str(new_unit.pk), field: value})
    assert r.status_code == 422
    assert not Centre.objects.filter(unit=new_unit).exists()


def test_the_service_refuses_a_unit_of_the_wrong_kind_a_second_centre_and_a_non_admin(admin, new_unit, make_user, reference):
    police = agency_unit("police", "KZ-75", "751110000", "Almaly police")
    with pytest.raises(Invalid) as wrong:
        centres.centre_create(actor=admin, unit_id=police.pk, values={"ownership": "state"})
    assert "crisis centre" in wrong.value.fields["unit"][0]
    centres.centre_create(actor=admin, unit_id=new_unit.pk, values={"ownership": "state"})
    with pytest.raises(Invalid) as twice:
        centres.centre_create(actor=admin, unit_id=new_unit.pk, values={"ownership": "state"})
    assert "already has a centre" in twice.value.fields["unit"][0]
    with pytest.raises(Forbidden):
        centres.centre_create(actor=make_user(Role.ANALYST, username="analyst_c"), unit_id=new_unit.pk, values={})


def test_the_api_registers_and_edits_with_a_version_check(client, admin, new_unit, reference):
    c = sign_in(client, admin)
    bad = c.post("/api/v1/shelters/centres", {"unit_id": new_unit.pk, "beds": {"women": -2}}, content_type="application/json")
    assert bad.status_code == 422
    r = c.post("/api/v1/shelters/centres", {"unit_id": new_unit.pk, "ownership": "ngo", "serves_ethnic": True, "address": "секрет 5",
                                            "beds": {"women": 3}}, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["version"] == 1 and body["address"] is None  # an administrator never reads the address
    url = f"/api/v1/shelters/centres/{body['id']}"
    assert c.patch(url, {"version": 1, "phone": "+7 700 000 00 00"}, content_type="application/json").status_code == 200
    assert c.patch(url, {"version": 1, "phone": "+7 700 000 00 01"}, content_type="application/json").status_code == 409
    assert c.patch(url, {"version": 2, "phone": "no phone"}, content_type="application/json").status_code == 422
    centre = Centre.objects.get(pk=body["id"])
    assert centre.phone == "+7 700 000 00 00" and centre.address == "секрет 5" and centre.serves_ethnic
    police = agency_unit("police", "KZ-75", "751110000", "Almaly police 2")
    assert c.post("/api/v1/shelters/centres", {"unit_id": police.pk}, content_type="application/json").status_code == 422
    assert c.post("/api/v1/shelters/centres", {"unit_id": new_unit.pk}, content_type="application/json").status_code == 422


def test_own_staff_edit_and_read_the_address_others_may_not_edit(client, centre, staff, make_user):
    assert selectors.sees_address(staff, centre)
    c = sign_in(client, staff)
    page = c.get(f"/shelters/centres/{centre.pk}/edit/").content.decode()
    assert "улица Секретная" in page
    r = c.post(f"/shelters/centres/{centre.pk}/edit/", {**FORM, "version": "1", "address": "улица Другая, 9", "serves_ethnic": "on"})
    assert r.status_code == 302
    centre.refresh_from_db()
    assert centre.address == "улица Другая, 9" and centre.serves_ethnic and centre.version == 2
    stale = c.post(f"/shelters/centres/{centre.pk}/edit/", {**FORM, "version": "1"})
    assert stale.status_code == 409
    other_staff = make_user(Role.SHELTER_WORKER, unit=agency_unit("crisis_centre", "KZ-71", None, "Astana centre"), username="other")
    assert sign_in(client, other_staff).get(f"/shelters/centres/{centre.pk}/edit/").status_code == 403
    with pytest.raises(Forbidden):
        centres.centre_update(actor=other_staff, centre_id=centre.pk, version=2, values={"phone": "1234"})


def test_the_address_is_write_only_for_an_administrator(client, centre, admin):
    assert not selectors.sees_address(admin, centre)
    c = sign_in(client, admin)
    page = c.get(f"/shelters/centres/{centre.pk}/edit/").content.decode()
    assert "улица Секретная" not in page and "Write-only" in page
    assert "улица Секретная" not in c.get(f"/shelters/centres/{centre.pk}/").content.decode()
    # an empty address keeps the stored one
    assert c.post(f"/shelters/centres/{centre.pk}/edit/", {**FORM, "version": "1", "address": ""}).status_code == 302
    centre.refresh_from_db()
    assert centre.address == "Almaly shelter: улица Секретная, 7" and centre.phone == "+7 727 111 22 33"
    # a new one replaces it, unseen
    assert c.post(f"/shelters/centres/{centre.pk}/edit/", {**FORM, "version": "2", "address": "улица Новая, 2"}).status_code == 302
    centre.refresh_from_db()
    assert centre.address == "улица Новая, 2"
    with pytest.raises(Conflict):
        centres.centre_update(actor=admin, centre_id=centre.pk, version=1, values={"phone": "1234"})


def test_links_to_register_and_edit_follow_the_rights(client, centre, staff, admin, make_user):
    a = sign_in(client, admin)
    assert 'data-testid="register"' in a.get("/shelters/").content.decode()
    assert 'data-testid="edit"' in a.get(f"/shelters/centres/{centre.pk}/").content.decode()
    i = sign_in(client, make_user(Role.POLICE_INSPECTOR, username="insp_links"))
    assert 'data-testid="register"' not in i.get("/shelters/").content.decode()
    assert 'data-testid="edit"' not in i.get(f"/shelters/centres/{centre.pk}/").content.decode()
    assert i.get("/shelters/centres/new/").status_code == 403


def test_groups_filter_the_registry_and_find_a_bed(client, centre, coordinator, case, reference):
    migrants = make_centre("Migrant shelter", serves_migrants=True, serves_ethnic=True)
    user = coordinator
    assert {r.centre.pk for r in selectors.registry(user, groups=["migrants"])} == {migrants.pk}
    assert {r.centre.pk for r in selectors.registry(user, groups=["migrants", "disabilities"])} == set()
    assert {r.centre.pk for r in selectors.registry(user)} == {centre.pk, migrants.pk}
    assert {r.centre.pk for r in selectors.find_beds(user, case, groups=["ethnic"])} == {migrants.pk}
    c = sign_in(client, coordinator)
    page = c.get("/shelters/", {"groups": "migrants"}).content.decode()
    assert f'data-centre="{migrants.pk}"' in page and f'data-centre="{centre.pk}"' not in page
    assert "ethnic communities" in page
    found = c.get(f"/shelters/find/{case.pk}/", {"children": "0", "groups": "migrants"}).content.decode()
    assert f'data-centre="{migrants.pk}"' in found and f'data-centre="{centre.pk}"' not in found
    assert c.get("/shelters/", {"groups": "nobody"}).status_code == 422
