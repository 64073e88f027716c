"""The demo's shelters: every crisis-centre and family-support unit becomes a centre with beds; the
Almaty crisis centre has one current placement and one discharged; a second run adds nothing."""

from __future__ import annotations

import pytest

from qorgau.accounts.models import Unit, User
from qorgau.cases.reference import markers_load
from qorgau.demo.seed import seed_demo
from qorgau.demo.shelters import shelters_seed
from qorgau.protocols.definitions import protocols_load
from qorgau.shelters import selectors
from qorgau.shelters.models import Centre, Placement
from tests.protocols.support import make_case

pytestmark = pytest.mark.django_db


def test_demo_centres_and_placements(reference):
    markers_load()
    protocols_load()
    seed_demo()
    make_case(User.objects.get(username="inspector"), serial=1)
    make_case(User.objects.get(username="inspector"), serial=2)
    counts = shelters_seed()
    assert counts["centres"] == Unit.objects.filter(kind_id__in=["crisis_centre", "family_support"]).count() >= 2
    assert counts["placements"] == 2
    staff = User.objects.get(username="shelter")
    centre = Centre.objects.get(unit=staff.unit)
    assert Placement.objects.filter(centre=centre, discharged_at__isnull=True).count() == 1
    assert selectors.sees_address(staff, centre) and not selectors.sees_address(User.objects.get(username="inspector"), centre)
    assert shelters_seed() == {"centres": 0, "placements": 0}


def test_demo_centres_form_a_network_with_public_details(reference):
    seed_demo()
    shelters_seed()
    centres = list(Centre.objects.select_related("unit"))
    assert len({c.unit.region_id for c in centres}) >= 8
    assert all(c.phone and c.opening_hours for c in centres)
    assert any(c.serves_migrants for c in centres) and any(c.serves_ethnic for c in centres)
    assert any(c.serves_disabilities for c in centres)
    before = Centre.objects.count()
    assert shelters_seed()["centres"] == 0 and Centre.objects.count() == before
