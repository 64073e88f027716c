"""Zones: geometry validation, who may set them (full grant, whereabouts visible), encryption at rest."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import Scope
from qorgau.accounts.roles import Role
from qorgau.core.errors import Conflict, Forbidden, Invalid
from qorgau.monitoring.zones import geometry_validate, zone_create, zone_end
from tests.monitoring.support_c import court_staff, raise_alert

ALMATY = (43.2389, 76.8897)
SQUARE = [[76.88, 43.23], [76.89, 43.23], [76.89, 43.24], [76.88, 43.24]]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _refused(shape, geometry) -> list[str]:
    with pytest.raises(Invalid) as e:
        geometry_validate(shape, geometry)
    return e.value.fields["geometry"]


def test_geometry_rules():
    assert geometry_validate("circle", {"lat": 43.2, "lon": 76.9, "radius_m": 300}) == {"lat": 43.2, "lon": 76.9, "radius_m": 300.0}
    assert _refused("circle", {"lat": 43.2, "lon": 76.9, "radius_m": 49}) == ["The radius is from 50 to 5000 metres."]
    assert _refused("circle", {"lat": 43.2, "lon": 76.9, "radius_m": 5001}) == ["The radius is from 50 to 5000 metres."]
    assert _refused("circle", {"lat": 48.85, "lon": 2.35, "radius_m": 300}) == ["The zone must lie inside Kazakhstan."]
    assert _refused("circle", {"lat": "43", "lon": 76.9, "radius_m": 300}) == ["Enter the centre's latitude and longitude."]
    assert geometry_validate("polygon", {"ring": [*SQUARE, SQUARE[0]]}) == {"ring": SQUARE}
    assert _refused("polygon", {"ring": SQUARE[:2]}) == ["A polygon has from 3 to 200 points."]
    bowtie = [SQUARE[0], SQUARE[2], SQUARE[1], SQUARE[3]]
    assert _refused("polygon", {"ring": bowtie}) == ["The polygon's edges cross each other or it has no area."]
    assert _refused("polygon", {"ring": [[76.88, 43.23], [76.89, 43.23], [76.90, 43.23]]}) == [
        "The polygon's edges cross each other or it has no area."]
    many = [[76.9 + 0.001 * i, 43.2 + (0.001 if i % 2 else 0)] for i in range(201)]
    assert _refused("polygon", {"ring": many}) == ["A polygon has from 3 to 200 points."]
    with pytest.raises(Invalid) as e:
        geometry_validate("hexagon", {"ring": SQUARE})
    assert e.value.fields == {"shape": ["Choose one of the offered values."]}


def test_police_with_full_grant_set_and_end_a_zone_encrypted(monitored):
    m = monitored
    viewer = viewer_for(m.inspector, scope=Scope.FULL)
    zone = zone_create(actor=m.inspector, case=m.case, viewer=viewer, place="work", shape="polygon", geometry={"ring": SQUARE}, label="офис")
    assert json.loads(zone.geometry) == {"ring": SQUARE}
    with connection.cursor() as cur:
        cur.execute("SELECT geometry FROM monitoring_zone WHERE id = %s", [zone.pk])
        stored = cur.fetchone()[0]
    assert "76.88" not in stored and "ring" not in stored
    with pytest.raises(Conflict):
        zone_end(actor=m.inspector, zone=zone, viewer=viewer, version=5)
    ended = zone_end(actor=m.inspector, zone=zone, viewer=viewer, version=1)
    assert ended.ended_at is not None and ended.version == 2


def test_who_may_not_set_zones(monitored, make_user):
    m = monitored
    geometry = {"lat": ALMATY[0], "lon": ALMATY[1], "radius_m": 300}
    # Worker scope never sees her address; a court clerk is offender-facing; a judge with full may.
    worker = court_staff(make_user, m, Role.JUDGE, scope=Scope.WORKER)
    with pytest.raises(Forbidden):
        zone_create(actor=worker, case=m.case, viewer=viewer_for(worker, scope=Scope.WORKER), place="home", shape="circle", geometry=geometry)
    clerk = make_user(Role.COURT_CLERK, unit=worker.unit)
    with pytest.raises(Forbidden):
        zone_create(actor=clerk, case=m.case, viewer=viewer_for(clerk, scope=Scope.FULL), place="home", shape="circle", geometry=geometry)
    social = make_user(Role.SOCIAL_WORKER)
    with pytest.raises(Forbidden):
        zone_create(actor=social, case=m.case, viewer=viewer_for(social, scope=Scope.FULL), place="home", shape="circle", geometry=geometry)
    judge = make_user(Role.JUDGE, unit=worker.unit)
    z = zone_create(actor=judge, case=m.case, viewer=viewer_for(judge, scope=Scope.FULL), place="school", shape="circle", geometry=geometry)
    assert z.offender_set_id == m.offender_set.pk
    with pytest.raises(Invalid) as e:
        zone_create(actor=judge, case=m.case, viewer=viewer_for(judge, scope=Scope.FULL), place="moon", shape="circle", geometry=geometry)
    assert e.value.fields == {"place": ["Choose one of the offered values."]}


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(40.5, 55.5), lon=st.floats(46.4, 87.4), radius=st.integers(50, 5000))
def test_any_circle_inside_kazakhstan_is_accepted(lat, lon, radius):
    assert geometry_validate("circle", {"lat": lat, "lon": lon, "radius_m": radius}) == {"lat": lat, "lon": lon, "radius_m": float(radius)}


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(-90, 90), lon=st.floats(-180, 180), radius=st.integers(0, 10_000))
def test_a_circle_outside_the_rules_is_refused(lat, lon, radius):
    inside = 40.5 <= lat <= 55.5 and 46.4 <= lon <= 87.4 and 50 <= radius <= 5000
    if inside:
        geometry_validate("circle", {"lat": lat, "lon": lon, "radius_m": radius})
    else:
        with pytest.raises(Invalid):
            geometry_validate("circle", {"lat": lat, "lon": lon, "radius_m": radius})


@settings(max_examples=100, deadline=None)
@given(n=st.integers(3, 200), r=st.floats(0.001, 0.05), lat=st.floats(41.0, 55.0), lon=st.floats(47.0, 87.0))
def test_regular_polygons_are_accepted_and_kept_as_lon_lat(n, r, lat, lon):
    import math

    ring = [[lon + r * math.cos(2 * math.pi * i / n), lat + r * math.sin(2 * math.pi * i / n)] for i in range(n)]
    assert geometry_validate("polygon", {"ring": ring}) == {"ring": ring}


def test_ending_a_zone_ends_its_open_episode(monitored):
    from qorgau.monitoring.models import Episode

    m = monitored
    raise_alert(m, "zone")
    zone_end(actor=m.inspector, zone=m.zone, viewer=viewer_for(m.inspector, scope=Scope.FULL), version=1)
    assert Episode.objects.get(zone=m.zone).ended_at is not None
