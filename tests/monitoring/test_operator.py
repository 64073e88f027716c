"""The operator's screen (part E): the page, the live feed and its ``since``, his devices' last fixes,
the per-alert map (her position only while the alert is not resolved, audited), the base map, the
screen's actions, and who is refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from qorgau.accounts.models import AgencyKind
from qorgau.accounts.roles import Role
from qorgau.accounts.services import unit_create
from qorgau.core import clock
from qorgau.core.models import AuditEvent, District, Region
from qorgau.monitoring.geometry import offset
from qorgau.monitoring.models import Alert, AlertStatus, ConditionKind
from tests.conftest import sign_in
from tests.monitoring.conftest import FAR, HOME
from tests.monitoring.support_e import her_ping, his_ping, raise_alert

HER_NOW = offset(HOME, north_m=30.0, east_m=-20.0)  # she is at home
HIS_NEAR = offset(HOME, north_m=300.0)


@pytest.fixture
def operator_client(monitored) -> Client:
    return sign_in(Client(), monitored.operator)


def _coords(point: tuple[float, float]) -> list[str]:
    return [repr(point[0]), repr(point[1]), f"{point[0]:.4f}", f"{point[1]:.4f}"]


def test_the_screen_lists_the_units_alerts_and_carries_no_victim_coordinates(monitored, operator_client):
    her_ping(monitored.victim_device, 1, HER_NOW)
    his_ping(monitored.bracelet, 1, HIS_NEAR)
    alert = raise_alert(monitored)
    html = operator_client.get("/monitoring/").content.decode()
    assert f'data-alert="{alert.pk}"' in html
    assert monitored.case.number in html and monitored.bracelet.serial in html
    assert 'id="operator-config"' in html and "leaflet/leaflet.js" in html and "monitoring/operator.js" in html
    for text in _coords(HER_NOW) + _coords(HOME):
        assert text not in html, text
    # Her name is not on the list either (the operator works with the offender's side).
    victim_name = monitored.case.victim.full_name
    assert victim_name and victim_name not in html
    config = json.loads(html.split('<script id="operator-config" type="application/json">')[1].split("</script>")[0])
    assert config["since"] == alert.pk
    assert config["live_url"] == "/monitoring/live.json"
    assert config["map_url"] == "/monitoring/alerts/0/map.json"
    assert "<script>" not in html  # the CSP allows no inline script


def test_the_title_counts_alerts_waiting_for_acknowledgement(monitored, operator_client):
    raise_alert(monitored)
    raise_alert(monitored, kind=ConditionKind.TAMPER, seq=2)
    html = operator_client.get("/monitoring/").content.decode()
    assert "<title>(2) " in html


def test_the_feed_gives_new_alerts_after_since(monitored, operator_client):
    first = raise_alert(monitored)
    second = raise_alert(monitored, kind=ConditionKind.TAMPER, seq=2)

    data = operator_client.get("/monitoring/live.json?since=0").json()
    assert data["new"] == [first.pk, second.pk]
    assert data["last_id"] == second.pk
    assert [r["id"] for r in data["rows"]] == [second.pk, first.pk]  # new first
    assert data["open_count"] == 2

    data = operator_client.get(f"/monitoring/live.json?since={first.pk}").json()
    assert data["new"] == [second.pk] and data["last_id"] == second.pk

    data = operator_client.get(f"/monitoring/live.json?since={second.pk}").json()
    assert data["new"] == [] and data["last_id"] == second.pk
    assert len(data["rows"]) == 2  # the list itself is always whole

    row = data["rows"][1]
    assert row["kind"] == "proximity" and row["severity"] == "critical" and row["status"] == "open"
    assert row["case_number"] == monitored.case.number and row["device_serial"] == monitored.bracelet.serial
    assert row["region"] == monitored.case.holding_unit.region.name
    assert set(row) == {"id", "kind", "kind_label", "severity", "severity_label", "status", "status_label", "raised_at",
                        "raised_local", "occurred_at", "region", "district", "case_number", "device_serial", "device_id",
                        "version", "escalation_level"}


def test_the_feed_refuses_a_malformed_since(monitored, operator_client):
    for since in ("-1", "²", "1e3", "9" * 19):
        response = operator_client.get("/monitoring/live.json", {"since": since})
        assert response.status_code == 400, since
        assert list(response.json()["fields"]) == ["since"]


def test_resolved_alerts_leave_the_list_after_twelve_hours(monitored, operator_client):
    alert = raise_alert(monitored)
    Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.RESOLVED, resolved_at=clock.now() - dt.timedelta(hours=11))
    assert [r["id"] for r in operator_client.get("/monitoring/live.json").json()["rows"]] == [alert.pk]
    Alert.objects.filter(pk=alert.pk).update(resolved_at=clock.now() - dt.timedelta(hours=13))
    assert operator_client.get("/monitoring/live.json").json()["rows"] == []


def test_fixes_show_his_devices_last_position_and_never_hers(monitored, operator_client):
    t0 = clock.now() - dt.timedelta(minutes=5)
    his_ping(monitored.bracelet, 1, FAR, at=t0)
    his_ping(monitored.bracelet, 2, HIS_NEAR, at=t0 + dt.timedelta(minutes=1), battery=41)
    his_ping(monitored.bracelet, 3, FAR, at=t0 - dt.timedelta(minutes=1))  # late, out of order: not the last fix
    her_ping(monitored.victim_device, 1, HER_NOW)
    fixes = operator_client.get("/monitoring/fixes.json").json()["fixes"]
    assert fixes == [{
        "device_id": monitored.bracelet.pk, "serial": monitored.bracelet.serial, "kind": "bracelet",
        "lat": HIS_NEAR[0], "lon": HIS_NEAR[1], "ts": (t0 + dt.timedelta(minutes=1)).isoformat(), "battery": 41,
        "alerting": False,
    }]
    raise_alert(monitored, kind=ConditionKind.TAMPER)
    assert operator_client.get("/monitoring/fixes.json").json()["fixes"][0]["alerting"] is True


def test_her_position_is_in_the_alert_map_only_while_the_alert_is_not_resolved(monitored, operator_client):
    his_ping(monitored.bracelet, 1, FAR, at=clock.now() - dt.timedelta(minutes=3))
    his_ping(monitored.bracelet, 2, HIS_NEAR)
    her_ping(monitored.victim_device, 1, HER_NOW)
    alert = raise_alert(monitored)
    reads = AuditEvent.objects.filter(action="read", target_type="monitoring_whereabouts")
    before = reads.count()

    data = operator_client.get(f"/monitoring/alerts/{alert.pk}/map.json").json()
    assert data["hidden"] is False
    assert data["victim"]["lat"] == HER_NOW[0] and data["victim"]["lon"] == HER_NOW[1]
    assert [(z["id"], z["shape"], z["geometry"]) for z in data["zones"]] == [
        (monitored.zone.pk, "circle", {"lat": HOME[0], "lon": HOME[1], "radius_m": 200})]
    assert [p[:2] for p in data["track"]] == [list(FAR), list(HIS_NEAR)]  # oldest first
    assert reads.count() == before + 1
    read = reads.latest("id")
    assert read.actor_id == monitored.operator.pk and read.target_id == str(alert.case_id)

    Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.RESOLVED, resolved_at=clock.now())
    response = operator_client.get(f"/monitoring/alerts/{alert.pk}/map.json")
    data = response.json()
    assert data["hidden"] is True and data["victim"] is None and data["zones"] == []
    assert [p[:2] for p in data["track"]] == [list(FAR), list(HIS_NEAR)]  # his track stays
    for text in _coords(HER_NOW) + _coords(HOME)[0::2]:  # his track shares her home's longitude
        assert text not in response.content.decode(), text
    assert reads.count() == before + 1  # nothing of hers was read
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]


def test_a_resolved_alert_shows_nothing_of_her_even_with_another_alert_open_on_the_case(monitored, operator_client):
    her_ping(monitored.victim_device, 1, HER_NOW)
    old = raise_alert(monitored)
    Alert.objects.filter(pk=old.pk).update(status=AlertStatus.RESOLVED, resolved_at=clock.now())
    raise_alert(monitored, kind=ConditionKind.TAMPER, seq=2)
    data = operator_client.get(f"/monitoring/alerts/{old.pk}/map.json").json()
    assert data["victim"] is None and data["zones"] == [] and data["hidden"] is True


def test_the_base_map_is_the_shipped_boundaries(monitored, operator_client):
    response = operator_client.get("/monitoring/basemap.json")
    assert response.status_code == 200
    data = json.loads(response.content)
    levels = [f["properties"]["level"] for f in data["features"]]
    assert levels.count("region") == Region.objects.count() == 20
    assert levels.count("district") == District.objects.exclude(boundary_geojson="").count()
    assert levels.count("district") > 200
    assert data["attribution"] == "geokz (CC BY 4.0)"
    again = operator_client.get("/monitoring/basemap.json", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_the_screen_acknowledges_an_alert_and_refuses_a_stale_version(monitored, operator_client):
    alert = raise_alert(monitored)
    response = operator_client.post(f"/monitoring/alerts/{alert.pk}/step/", {"step": "acknowledge", "version": alert.version},
                                    HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["row"]["status"] == "acknowledged"
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by_id == monitored.operator.pk
    stale = operator_client.post(f"/monitoring/alerts/{alert.pk}/step/", {"step": "dispatch", "version": alert.version - 1, "note": "x"})
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"


def test_the_screen_refuses_an_unknown_step_and_a_resolve_without_outcome(monitored, operator_client):
    alert = raise_alert(monitored)
    bad = operator_client.post(f"/monitoring/alerts/{alert.pk}/step/", {"step": "delete", "version": alert.version})
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["step"]
    bad = operator_client.post(f"/monitoring/alerts/{alert.pk}/step/", {"step": "acknowledge", "version": "²"})
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["version"]
    bad = operator_client.post(f"/monitoring/alerts/{alert.pk}/step/", {"step": "resolve", "version": alert.version})
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["outcome"]
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_others_are_refused(monitored, make_user, reference):
    her_ping(monitored.victim_device, 1, HER_NOW)
    alert = raise_alert(monitored)
    inspector = sign_in(Client(), monitored.inspector)
    assert inspector.get("/monitoring/").status_code == 403
    assert inspector.get("/monitoring/live.json").status_code == 403
    assert inspector.get("/monitoring/fixes.json").status_code == 403
    assert inspector.get("/monitoring/basemap.json").status_code == 403
    assert inspector.get(f"/monitoring/alerts/{alert.pk}/map.json").status_code == 404
    assert inspector.post(f"/monitoring/alerts/{alert.pk}/step/", {"step": "acknowledge", "version": 1}).status_code == 404

    # An operator of another monitoring centre: his own (empty) screen, and nothing of this alert.
    other_centre = unit_create(actor=None, kind=AgencyKind.objects.get(code="monitoring_centre"), region=Region.objects.get(iso="KZ-75"),
                               name_ru="Центр мониторинга Алматы", name_kk="Алматы мониторинг орталығы", name_en="Almaty monitoring centre")
    stranger = sign_in(Client(), make_user(Role.MONITORING_OPERATOR, unit=other_centre, username="other_operator"))
    assert stranger.get("/monitoring/").status_code == 200
    assert stranger.get("/monitoring/live.json?since=0").json()["rows"] == []
    assert stranger.get("/monitoring/fixes.json").json()["fixes"] == []
    response = stranger.get(f"/monitoring/alerts/{alert.pk}/map.json")
    assert response.status_code == 404
    assert str(HER_NOW[0]) not in response.content.decode()
    assert Client().get("/monitoring/live.json").status_code == 302  # not signed in: to the login page


def test_resolving_from_the_screen_hides_her_at_once(monitored, operator_client):
    her_ping(monitored.victim_device, 1, HER_NOW)
    alert = raise_alert(monitored)
    step = f"/monitoring/alerts/{alert.pk}/step/"
    version = operator_client.post(step, {"step": "acknowledge", "version": alert.version}).json()["row"]["version"]
    row = operator_client.post(step, {"step": "dispatch", "version": version, "note": "patrol 7"}).json()["row"]
    assert row["status"] == "dispatched"
    assert operator_client.get(f"/monitoring/alerts/{alert.pk}/map.json").json()["victim"] is not None
    row = operator_client.post(step, {"step": "resolve", "version": row["version"], "outcome": "false_alarm", "note": "GPS drift"}).json()["row"]
    assert row["status"] == "resolved"
    data = operator_client.get(f"/monitoring/alerts/{alert.pk}/map.json").json()
    assert (data["hidden"], data["victim"], data["zones"]) == (True, None, [])
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.dispatch_note, alert.resolution_note) == ("resolved", "false_alarm", "patrol 7", "GPS drift")
    feed = operator_client.get(f"/monitoring/live.json?since={alert.pk}").json()
    assert (feed["new"], feed["open_count"], [r["status"] for r in feed["rows"]]) == ([], 0, ["resolved"])


def test_a_configured_tile_server_replaces_the_boundaries(monitored, operator_client, settings):
    settings.QORGAU_MAP_TILE_URL = "https://tiles.example.kz/{z}/{x}/{y}.png"
    settings.QORGAU_MAP_TILE_ATTRIBUTION = "© OpenStreetMap contributors"
    html = operator_client.get("/monitoring/").content.decode()
    config = json.loads(html.split('<script id="operator-config" type="application/json">')[1].split("</script>")[0])
    assert (config["tile_url"], config["tile_attribution"]) == (settings.QORGAU_MAP_TILE_URL, "© OpenStreetMap contributors")
    settings.QORGAU_MAP_TILE_URL = ""
    html = operator_client.get("/monitoring/").content.decode()
    config = json.loads(html.split('<script id="operator-config" type="application/json">')[1].split("</script>")[0])
    assert (config["tile_url"], config["tile_attribution"]) == ("", "geokz (CC BY 4.0)")
