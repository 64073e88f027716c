"""Pages: the alert page's masks (her position and zones only while an alert is open), the steps
with stale versions (409), devices and their secret shown once, and the case card's forms."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from qorgau.accounts.masks import Scope
from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.monitoring.models import AlertStatus, Assignment, Device, Ping, Zone
from tests.conftest import sign_in
from tests.monitoring.support_c import court_staff, raise_alert
from tests.orders.support import grant

HER = "43.23111,76.88222"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def make_user(make_user):
    def make(*a, **k):
        k.setdefault("language", "en")
        return make_user(*a, **k)
    return make


def _her_ping(m) -> None:
    Ping.objects.create(device=m.victim_device, seq=1, ts=clock.now(), received_at=clock.now(), position=HER)
    Ping.objects.create(device=m.bracelet, seq=1, ts=clock.now(), received_at=clock.now(), lat=43.2401, lon=76.8899, battery=80)


def _as(user) -> Client:
    return sign_in(Client(), user)


def test_operator_sees_her_position_only_while_the_alert_is_open(monitored):
    m = monitored
    m.operator.language = "en"
    m.operator.save()
    _her_ping(m)
    alert = raise_alert(m)
    c = _as(m.operator)
    page = c.get(f"/monitoring/alerts/{alert.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "43.23111, 76.88222" in html and 'data-testid="her-zones"' in html and "43.23890, 76.88970" in html
    assert "43.24010" in html  # his track
    r = c.post(f"/monitoring/alerts/{alert.pk}/resolve/", {"version": "1", "outcome": "false_alarm", "note": "drift"})
    assert r.status_code == 302
    html = c.get(f"/monitoring/alerts/{alert.pk}/").content.decode()
    assert "43.23111" not in html and "her-zones" not in html and "43.2389" not in html
    assert "43.24010" in html  # his track stays


def test_steps_on_the_page_and_a_stale_version(monitored):
    m = monitored
    alert = raise_alert(m)
    c = _as(m.operator)
    assert c.post(f"/monitoring/alerts/{alert.pk}/acknowledge/", {"version": "1"}).status_code == 302
    stale = c.post(f"/monitoring/alerts/{alert.pk}/dispatch/", {"version": "1", "note": "patrol"})
    assert stale.status_code == 409
    assert c.post(f"/monitoring/alerts/{alert.pk}/dispatch/", {"version": "2", "note": "patrol 7"}).status_code == 302
    bad = c.post(f"/monitoring/alerts/{alert.pk}/resolve/", {"version": "3", "outcome": "nonsense"})
    assert bad.status_code == 422
    assert c.post(f"/monitoring/alerts/{alert.pk}/resolve/", {"version": "3", "outcome": "breach"}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED and alert.breach_id is not None
    assert c.post(f"/monitoring/alerts/{alert.pk}/teleport/", {"version": "4"}).status_code == 404
    steps = c.get(f"/monitoring/alerts/{alert.pk}/").content.decode()
    assert 'data-testid="steps"' in steps and "Recorded on the order" in steps


def test_alert_of_another_centre_and_other_roles_are_not_found(monitored, make_user, other_unit):
    m = monitored
    alert = raise_alert(m)
    assert _as(make_user(Role.MONITORING_OPERATOR, unit=other_unit)).get(f"/monitoring/alerts/{alert.pk}/").status_code == 404
    assert _as(make_user(Role.PROBATION_OFFICER)).get(f"/monitoring/alerts/{alert.pk}/").status_code == 404
    assert _as(m.inspector).get(f"/monitoring/alerts/{alert.pk}/").status_code == 404


def test_alerts_list_filters(monitored):
    m = monitored
    a1 = raise_alert(m)
    raise_alert(m, "tamper")
    c = _as(m.operator)
    html = c.get("/monitoring/alerts/?kind=proximity").content.decode()
    assert html.count("data-alert=") == 1 and f'data-alert="{a1.pk}"' in html
    assert c.get("/monitoring/alerts/?status=resolved").content.decode().count("data-alert=") == 0
    assert c.get("/monitoring/alerts/?status=nonsense").status_code == 422


def test_register_a_device_and_see_its_secret_once(operator):
    c = _as(operator)
    r = c.post("/monitoring/devices/", {"serial": "br-500", "kind": "bracelet"})
    d = Device.objects.get(serial="BR-500")
    assert r.status_code == 302 and r["Location"] == f"/monitoring/devices/{d.pk}/"
    assert c.post("/monitoring/devices/", {"serial": "BR-500", "kind": "bracelet"}).status_code == 422
    page = c.post(f"/monitoring/devices/{d.pk}/secret/", {"version": "1"})
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    secret = page.content.decode().split('data-testid="secret-value">')[1].split("<")[0]
    assert len(secret) >= 30
    assert secret not in c.get(f"/monitoring/devices/{d.pk}/").content.decode()
    assert c.post(f"/monitoring/devices/{d.pk}/secret/", {"version": "1"}).status_code == 409


def test_case_card_and_forms_for_the_police(monitored, operator):
    m = monitored
    c = _as(m.inspector)
    html = c.get(f"/cases/{m.case.pk}/").content.decode()
    assert 'data-testid="monitoring-card"' in html and 'data-testid="monitoring-zones"' in html and "43.23890, 76.88970" in html
    assert 'data-testid="monitoring-assign"' in html and 'data-testid="monitoring-zone"' in html
    Device.objects.create(serial="PH-1", kind="offender_phone", unit=m.unit, registered_at=clock.now(), registered_by=operator)
    assert c.get(f"/monitoring/cases/{m.case.pk}/assign/").status_code == 200
    r = c.post(f"/monitoring/cases/{m.case.pk}/assign/", {"serial": "PH-1", "ground": f"order:{m.order.pk}", "proximity_m": "700"})
    assert r.status_code == 302
    a = Assignment.objects.get(device__serial="PH-1")
    assert (a.wearer, a.proximity_m, a.order_id) == ("offender", 700, m.order.pk)
    assert c.post(f"/monitoring/cases/{m.case.pk}/assign/", {"serial": "PH-1", "ground": f"order:{m.order.pk}", "proximity_m": "700"}).status_code == 422
    assert c.post(f"/monitoring/cases/{m.case.pk}/assignments/{a.pk}/end/", {"version": "5"}).status_code == 409
    assert c.post(f"/monitoring/cases/{m.case.pk}/assignments/{a.pk}/end/", {"version": "1"}).status_code == 302
    r = c.post(f"/monitoring/cases/{m.case.pk}/zones/", {"place": "work", "shape": "polygon", "points": "43.23, 76.88\n43.23, 76.89\n43.24, 76.89"})
    assert r.status_code == 302 and Zone.objects.filter(case=m.case, place="work").count() == 1
    bad = c.post(f"/monitoring/cases/{m.case.pk}/zones/", {"place": "home", "shape": "circle", "lat": "48.85", "lon": "2.35", "radius_m": "300"})
    assert bad.status_code == 422 and "The zone must lie inside Kazakhstan." in bad.content.decode()
    z = Zone.objects.get(place="work")
    assert c.post(f"/monitoring/cases/{m.case.pk}/zones/{z.pk}/end/", {"version": "1"}).status_code == 302


def test_worker_scope_and_clerks_never_see_her_zones(monitored, make_user):
    m = monitored
    worker_judge = court_staff(make_user, m, Role.JUDGE, scope=Scope.WORKER)
    html = _as(worker_judge).get(f"/cases/{m.case.pk}/").content.decode()
    assert 'data-testid="monitoring-zones-hidden"' in html and "43.2389" not in html and 'data-testid="monitoring-assign"' not in html
    assert _as(worker_judge).get(f"/monitoring/cases/{m.case.pk}/zones/").status_code == 403
    clerk = make_user(Role.COURT_CLERK, unit=worker_judge.unit)
    html = _as(clerk).get(f"/cases/{m.case.pk}/").content.decode()
    assert "43.2389" not in html
    probation = make_user(Role.PROBATION_OFFICER)
    grant(m.case, probation.unit, Scope.FULL)
    html = _as(probation).get(f"/cases/{m.case.pk}/").content.decode()
    assert "43.2389" not in html and 'data-testid="monitoring-zone"' not in html


def test_pages_refuse_roles_without_the_capability(monitored, make_user):
    assert _as(make_user(Role.POLICE_INSPECTOR)).get("/monitoring/devices/").status_code == 403
    assert _as(make_user(Role.SOCIAL_WORKER)).get("/monitoring/alerts/").status_code == 403
