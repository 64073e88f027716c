"""The secret address per role (DESIGN §5) and "find a bed": fitting kinds, filters, nearest first."""

from __future__ import annotations

import pytest

from qorgau.accounts.masks import MASKED
from qorgau.accounts.roles import Role
from qorgau.shelters import selectors, services
from qorgau.shelters.models import BedPool
from tests.conftest import sign_in
from tests.shelters.support import make_centre

pytestmark = pytest.mark.django_db

ADDRESS = "Almaly shelter: улица Секретная, 7"


@pytest.mark.parametrize(("role", "own_unit", "sees"), [
    (Role.SHELTER_WORKER, True, True),  # its own staff
    (Role.SHELTER_WORKER, False, False),  # another shelter's staff
    (Role.PLACEMENT_COORDINATOR, False, True),
    (Role.POLICE_INSPECTOR, False, False),
    (Role.SOCIAL_WORKER, False, False),
    (Role.PROBATION_OFFICER, False, False),
    (Role.ANALYST, False, False),
])
def test_the_address_per_role(centre, make_user, role, own_unit, sees):
    other = make_centre("Other shelter")
    user = make_user(role, unit=centre.unit if own_unit else (other.unit if role == Role.SHELTER_WORKER else None), username=f"u_{role}_{own_unit}")
    shown = selectors.centre_values(user, centre)
    assert shown["locality"] == "Almaly shelter locality"
    assert (shown["address"] == ADDRESS) if sees else (shown["address"] is MASKED)
    assert selectors.sees_address(user, centre) is sees


def test_pages_and_api_show_the_address_only_to_who_may_see_it(client, centre, staff, make_user):
    inspector_client = sign_in(client, make_user(Role.POLICE_INSPECTOR, username="walk_in"))
    for url in ("/shelters/", f"/shelters/centres/{centre.pk}/"):
        page = inspector_client.get(url).content.decode()
        assert "Almaly shelter locality" in page and "Секретная" not in page
    api = inspector_client.get("/api/v1/shelters").json()
    assert api[0]["address"] is None and api[0]["locality"] == "Almaly shelter locality"
    staff_client = sign_in(client, staff)
    assert "Секретная" in staff_client.get(f"/shelters/centres/{centre.pk}/").content.decode()
    assert staff_client.get("/api/v1/shelters").json()[0]["address"] == ADDRESS


@pytest.fixture
def three(reference):
    """Almaly (where the case is), Auezov (a few km away) and Atyrau (about 1,800 km away)."""
    near = make_centre("Near", district="751110000", accepts_children=False, beds={"women": 1, "with_children": 0, "accessible": 0})
    middle = make_centre("Middle", district="751310000", accepts_children=True, lang_en=True,
                         beds={"women": 1, "with_children": 3, "accessible": 0})
    far = make_centre("Far", region="KZ-23", district=None, accepts_children=True, disability_access=True,
                      beds={"women": 4, "with_children": 1, "accessible": 2})
    return near, middle, far


def names(rows):
    return [r.centre.unit.name_en for r in rows]


def test_find_a_bed_nearest_first_with_filters(three, case, coordinator, staff):
    near, _middle, _far = three
    rows = selectors.find_beds(coordinator, case)
    # Almaly shelter and Near share a district (0 km): more free beds first
    assert names(rows) == ["Almaly shelter", "Near", "Middle", "Far"]
    by_name = {r.centre.unit.name_en: r for r in rows}
    assert by_name["Far"].distance_km > 1000 > by_name["Middle"].distance_km > by_name["Near"].distance_km
    assert names(selectors.find_beds(coordinator, case, children=2)) == ["Almaly shelter", "Middle", "Far"]
    assert names(selectors.find_beds(coordinator, case, disability=True)) == ["Almaly shelter", "Far"]
    assert names(selectors.find_beds(coordinator, case, children=1, language="en")) == ["Almaly shelter", "Middle"]
    # the last women's bed in Near taken: Near drops out
    services.placement_admit(actor=staff, case=case, pool_id=BedPool.objects.get(centre__unit__name_en="Almaly shelter", kind="women").pk)
    near_pool = BedPool.objects.get(centre=near, kind="women")
    services.bed_hold(actor=coordinator, case=case, pool_id=near_pool.pk)
    assert "Near" not in names(selectors.find_beds(coordinator, case))
    assert all(r.distance_km is not None for r in rows)


def test_find_page_holds_and_refers_in_one_step(client, centre, three, case, coordinator):
    c = sign_in(client, coordinator)
    page = c.get(f"/shelters/find/{case.pk}/?children=1")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.index("Almaly shelter") < body.index("Middle") < body.index("Far") and "Near locality" not in body
    assert "Секретная" in body  # a coordinator may see where she is going
    middle = three[1]
    r = c.post(f"/shelters/find/{case.pk}/", {"centre": middle.pk, "children": "1"})
    assert r.status_code == 302
    hold = middle.pools.get(kind="with_children").holds.get()
    assert hold.case_id == case.pk and hold.children == 1
    assert c.post(f"/shelters/find/{case.pk}/", {"centre": three[0].pk, "children": "1"}).status_code == 422  # no children there
    assert c.get(f"/shelters/find/{case.pk}/?children=-3").status_code == 422
