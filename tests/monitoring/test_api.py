"""The API: alerts with masks (her position and zones only while an alert is open), steps with 409
on a stale version, devices and their secret, assignments and zones on a case, refusals."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import translation

from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.monitoring.models import Ping, Zone
from tests.conftest import sign_in
from tests.monitoring.support_c import raise_alert


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _in_english(*users) -> None:
    """Refusals come back in the signed-in user's language; these tests read the English ones."""
    for u in users:
        u.language = "en"
        u.save(update_fields=["language"])


def _post(c: Client, url: str, data: dict) -> object:
    return c.post(url, data=json.dumps(data), content_type="application/json")


def test_alert_masks_steps_and_conflicts(monitored, make_user):
    m = monitored
    Ping.objects.create(device=m.victim_device, seq=1, ts=clock.now(), received_at=clock.now(), position="43.23111,76.88222")
    Ping.objects.create(device=m.bracelet, seq=1, ts=clock.now(), received_at=clock.now(), lat=43.2401, lon=76.8899)
    alert = raise_alert(m)
    c = sign_in(Client(), m.operator)
    body = c.get(f"/api/v1/monitoring/alerts/{alert.pk}").json()
    assert body["her_whereabouts_shown"] is True and body["her_position"] == [43.23111, 76.88222]
    assert body["her_zones"][0]["geometry"] == {"lat": 43.2389, "lon": 76.8897, "radius_m": 200}
    assert body["track"][0]["lat"] == 43.2401
    listed = c.get("/api/v1/monitoring/alerts", {"status": "open", "kind": "proximity"}).json()
    assert [a["id"] for a in listed] == [alert.pk]
    assert c.get("/api/v1/monitoring/alerts", {"kind": "nonsense"}).status_code == 422
    assert _post(c, f"/api/v1/monitoring/alerts/{alert.pk}/acknowledge", {"version": 1}).json()["status"] == "acknowledged"
    stale = _post(c, f"/api/v1/monitoring/alerts/{alert.pk}/dispatch", {"version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    assert _post(c, f"/api/v1/monitoring/alerts/{alert.pk}/dispatch", {"version": 2, "note": "patrol"}).json()["status"] == "dispatched"
    done = _post(c, f"/api/v1/monitoring/alerts/{alert.pk}/resolve", {"version": 3, "outcome": "no_breach"}).json()
    assert done["status"] == "resolved" and done["her_whereabouts_shown"] is False
    assert done["her_position"] is None and done["her_zones"] is None
    raw = c.get(f"/api/v1/monitoring/alerts/{alert.pk}").content.decode()
    assert "43.23111" not in raw and "76.8897" not in raw
    # Others: another centre's operator and a probation officer get nothing; a police inspector neither.
    for role in (Role.PROBATION_OFFICER, Role.POLICE_INSPECTOR):
        assert sign_in(Client(), make_user(role)).get(f"/api/v1/monitoring/alerts/{alert.pk}").status_code == 404
    assert sign_in(Client(), make_user(Role.PROBATION_OFFICER)).get("/api/v1/monitoring/alerts").status_code == 403


def test_devices_and_secret(operator):
    _in_english(operator)
    c = sign_in(Client(), operator)
    r = _post(c, "/api/v1/monitoring/devices", {"serial": "vd-9", "kind": "victim", "can_receive": True})
    assert r.status_code == 201 and r.json()["serial"] == "VD-9" and r.json()["secret_issued"] is False
    again = _post(c, "/api/v1/monitoring/devices", {"serial": "VD-9", "kind": "victim"})
    assert again.status_code == 422 and again.json()["fields"] == {"serial": ["A device with this serial number is already registered."]}
    pk = r.json()["id"]
    s = _post(c, f"/api/v1/monitoring/devices/{pk}/secret", {"version": 1}).json()
    assert s["username"] == "VD-9" and len(s["secret"]) >= 30 and s["device"]["secret_issued"] is True
    assert _post(c, f"/api/v1/monitoring/devices/{pk}/secret", {"version": 1}).status_code == 409
    assert [d["serial"] for d in c.get("/api/v1/monitoring/devices").json()] == ["VD-9"]


def test_assignment_and_zones_on_a_case(monitored, operator, make_user):
    m = monitored
    _in_english(m.inspector, operator)
    c = sign_in(Client(), m.inspector)
    _post(sign_in(Client(), operator), "/api/v1/monitoring/devices", {"serial": "BR-33", "kind": "bracelet"})
    r = _post(c, f"/api/v1/cases/{m.case.pk}/monitoring/assignments", {"serial": "BR-33", "order_id": m.order.pk, "proximity_m": 1000})
    assert r.status_code == 201 and r.json()["wearer"] == "offender" and r.json()["proximity_m"] == 1000
    bad = _post(c, f"/api/v1/cases/{m.case.pk}/monitoring/assignments", {"serial": "BR-33", "proximity_m": 20})
    assert bad.status_code == 422
    z = _post(c, f"/api/v1/cases/{m.case.pk}/monitoring/zones",
              {"place": "school", "shape": "circle", "geometry": {"lat": 43.25, "lon": 76.9, "radius_m": 150}})
    assert z.status_code == 201 and z.json()["geometry"]["radius_m"] == 150
    bad = _post(c, f"/api/v1/cases/{m.case.pk}/monitoring/zones", {"place": "school", "shape": "circle", "geometry": {"lat": 43.25}})
    assert bad.status_code == 422 and bad.json()["fields"] == {"geometry": ["Enter the centre's latitude and longitude."]}
    zid = z.json()["id"]
    assert c.delete(f"/api/v1/cases/{m.case.pk}/monitoring/zones/{zid}?version=9").status_code == 409
    assert c.delete(f"/api/v1/cases/{m.case.pk}/monitoring/zones/{zid}?version=1").json()["version"] == 2
    assert Zone.objects.get(pk=zid).ended_at is not None
    # The operator holds no grant on the case; a social worker of the registering unit may not assign.
    assert _post(sign_in(Client(), operator), f"/api/v1/cases/{m.case.pk}/monitoring/zones",
                 {"place": "home", "shape": "circle", "geometry": {}}).status_code == 404
    social = sign_in(Client(), make_user(Role.SOCIAL_WORKER))
    assert _post(social, f"/api/v1/cases/{m.case.pk}/monitoring/assignments", {"serial": "BR-33", "order_id": m.order.pk}).status_code == 403
