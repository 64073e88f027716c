"""Coverage of the shelter network: districts within/outside D km, capacity per region, the rural
estimate, the map, the page and the API."""

from __future__ import annotations

import re

import pytest

from qorgau.accounts.roles import Role
from qorgau.core.models import District, Region
from qorgau.shelters import coverage
from qorgau.shelters.coverage_map import coverage_map
from qorgau.shelters.selectors import great_circle_km
from tests.conftest import sign_in
from tests.shelters.support import make_centre

pytestmark = pytest.mark.django_db

KONAEV = "191000000"  # Almaty region, about 60 km from Almaly district
BALKHASH = "193600000"  # Almaty region, about 260 km away


@pytest.fixture
def network(centre):
    # A centre without shelter beds covers nothing; its counts still show.
    make_centre("Aktau advice centre", "KZ-47", None, kind="family_support", shelter=False, beds={})
    return centre


def _row(cov, iso):
    return next(r for r in cov.regions if r.iso == iso)


def test_a_district_within_d_is_covered_and_one_beyond_it_is_not(network):
    point = (network.lat, network.lon)
    konaev = District.objects.get(pk=KONAEV)
    balkhash = District.objects.get(pk=BALKHASH)
    near = great_circle_km(point, (konaev.point_lat, konaev.point_lon))
    far = great_circle_km(point, (balkhash.point_lat, balkhash.point_lon))
    assert 50 < near < 100 < far < 500
    at_100 = coverage.coverage(100)
    assert KONAEV not in at_100.uncovered_districts and BALKHASH in at_100.uncovered_districts
    at_50 = coverage.coverage(50)
    assert KONAEV in at_50.uncovered_districts
    assert BALKHASH not in coverage.coverage(500).uncovered_districts
    # Mangystau's only centre has no shelter beds: every district there is uncovered.
    mangystau = _row(at_100, "KZ-47")
    assert mangystau.centres == 1 and mangystau.centres_with_shelter == 0 and mangystau.uncovered == mangystau.districts > 0


def test_beds_per_100k_and_the_totals(network):
    cov = coverage.coverage(100)
    almaty = _row(cov, "KZ-75")
    population = Region.objects.get(pk="KZ-75").population
    assert almaty.beds == 5 and almaty.free == 5 and almaty.centres_with_shelter == 1
    assert almaty.beds_per_100k == round(5 * 100_000 / population, 1)
    assert almaty.uncovered == 0 and almaty.districts == District.objects.filter(region_id="KZ-75").count()
    assert cov.total.beds == 5 and cov.total.centres == 2
    assert cov.total.districts == District.objects.count()
    assert cov.total.uncovered == len(cov.uncovered_districts)


def test_the_rural_estimate_is_the_rural_share_of_uncovered_rural_districts(network):
    assert coverage.rural_estimate(1000, 1, 4) == 250
    assert coverage.rural_estimate(1000, 0, 0) == 0
    region = _row(coverage.coverage(100), "KZ-19")
    rural = Region.objects.get(pk="KZ-19").population_rural
    assert 0 < region.rural_uncovered < region.rural_districts  # Konaev's neighbours covered, Balkhash not
    assert region.rural_uncovered_estimate == round(rural * region.rural_uncovered / region.rural_districts)


def test_a_region_filter_narrows_the_rows_not_the_coverage(network):
    cov = coverage.coverage(100, region="KZ-19")
    assert [r.iso for r in cov.regions] == ["KZ-19"]
    assert KONAEV not in cov.uncovered_districts  # covered from Almaty city, across the border
    assert len(coverage.coverage_by_region(100)) == Region.objects.count()


def test_the_map_draws_the_regions_and_marks_an_uncovered_district(network):
    cov = coverage.coverage(100)
    drawn = coverage_map(cov)
    assert len(drawn.regions) == Region.objects.count()
    assert len(drawn.districts) == District.objects.count()
    marks = {d.key: d.uncovered for d in drawn.districts}
    assert marks[BALKHASH] is True and marks[KONAEV] is False
    assert all(d.d.startswith("M") for d in drawn.districts)
    assert len(drawn.dots) == 2
    one = coverage_map(cov, region="KZ-75")
    assert {r.key for r in one.regions} == {"KZ-75"} and one.view_box != drawn.view_box


def test_the_page_and_the_api_for_those_allowed(client, network, make_user):
    analyst = sign_in(client, make_user(Role.ANALYST, username="analyst_cov"))
    r = analyst.get("/shelters/coverage/", {"km": "100"})
    body = r.content.decode()
    assert r.status_code == 200
    assert body.count("data-region=") >= Region.objects.count()
    assert f'data-district="{BALKHASH}" fill="#f59e0b" data-uncovered="1"' in body
    assert "Boundaries: geokz (CC BY 4.0)" in body and "estimate" in body
    assert "улица Секретная" not in body  # no address, ever
    assert "style=" not in body.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert analyst.get("/shelters/coverage/", {"km": "5"}).status_code == 422
    assert analyst.get("/shelters/coverage/", {"km": "abc"}).status_code == 422
    api = analyst.get("/api/v1/shelters/coverage", {"km": 100, "region": "KZ-19"}).json()
    assert [r["region"] for r in api["regions"]] == ["KZ-19"] and BALKHASH in api["uncovered_districts"]
    assert analyst.get("/api/v1/shelters/coverage", {"km": 501}).status_code == 422
    inspector = sign_in(client, make_user(Role.POLICE_INSPECTOR, username="inspector_cov"))
    assert inspector.get("/shelters/coverage/").status_code == 403
    assert inspector.get("/api/v1/shelters/coverage").status_code == 403


def test_the_map_numbers_are_not_localised_in_russian(client, network, make_user):
    user = make_user(Role.ANALYST, username="analyst_ru")
    user.language = "ru"
    user.save()
    svg = sign_in(client, user).get("/shelters/coverage/").content.decode().split("<svg", 1)[1].split("</svg>", 1)[0]
    assert re.search(r'cx="\d+(\.\d+)?"', svg) and not re.search(r'c[xy]="\d+,\d', svg)
