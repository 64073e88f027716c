"""Permission-matrix rows of the monitoring routes; tests/permission_matrix.py merges them into MATRIX.

The monitoring centre's pages and lists need MONITOR_DEVICES (403 otherwise); an alert or a device
id nobody has is 404 for every staff role (the gate: the operator's own unit). Routes on a case go
through the case gate first, so a case nobody holds is 404 for every role. The gateway endpoint
takes only a gateway's machine token: a staff session is no credential there (401).
"""

from __future__ import annotations

from qorgau.accounts.roles import Capability
from tests.permission_matrix import API_UNAUTHENTICATED, Check, everyone, staff_api, staff_page, with_capability

M = Capability.MONITOR_DEVICES
V = {"version": 1}


def _api(cap: Capability, status: int = 200) -> dict[str, int]:
    return with_capability(cap, status, anon=API_UNAUTHENTICATED)


ROWS: dict[str, list[Check]] = {
    # The operator's live screen (part E's views_operator).
    "monitoring/": [Check("GET", "/monitoring/", with_capability(M)), Check("POST", "/monitoring/", staff_page(405))],
    "monitoring/live.json": [Check("GET", "/monitoring/live.json", with_capability(M))],
    "monitoring/fixes.json": [Check("GET", "/monitoring/fixes.json", with_capability(M))],
    "monitoring/basemap.json": [Check("GET", "/monitoring/basemap.json", with_capability(M))],
    "monitoring/alerts/<int:alert_id>/map.json": [Check("GET", "/monitoring/alerts/999999/map.json", staff_page(404))],
    "monitoring/alerts/<int:alert_id>/step/": [
        Check("POST", "/monitoring/alerts/999999/step/", staff_page(404), data={"step": "acknowledge", "version": "1"}),
        Check("GET", "/monitoring/alerts/999999/step/", staff_page(405)),
    ],
    # Alerts and devices (part C's views).
    "monitoring/alerts/": [
        Check("GET", "/monitoring/alerts/", with_capability(M)),
        Check("GET", "/monitoring/alerts/?status=nonsense", with_capability(M, 422)),
        Check("POST", "/monitoring/alerts/", with_capability(M, 405)),
    ],
    "monitoring/alerts/<int:alert_id>/": [Check("GET", "/monitoring/alerts/999999/", staff_page(404))],
    "monitoring/alerts/<int:alert_id>/<str:step>/": [
        Check("POST", "/monitoring/alerts/999999/acknowledge/", staff_page(404), data=V),
        Check("GET", "/monitoring/alerts/999999/acknowledge/", staff_page(405)),
    ],
    "monitoring/devices/": [
        Check("GET", "/monitoring/devices/", with_capability(M)),
        Check("POST", "/monitoring/devices/", with_capability(M, 422), data={"serial": "", "kind": "bracelet"}),
    ],
    "monitoring/devices/<int:device_id>/": [Check("GET", "/monitoring/devices/999999/", staff_page(404))],
    "monitoring/devices/<int:device_id>/secret/": [
        Check("POST", "/monitoring/devices/999999/secret/", staff_page(404), data=V),
        Check("GET", "/monitoring/devices/999999/secret/", staff_page(405)),
    ],
    "monitoring/cases/<int:case_id>/assign/": [
        Check("GET", "/monitoring/cases/999999/assign/", staff_page(404)),
        Check("POST", "/monitoring/cases/999999/assign/", staff_page(404), data={"serial": "BR-1", "ground": "order:1", "proximity_m": "500"}),
    ],
    "monitoring/cases/<int:case_id>/assignments/<int:assignment_id>/end/": [
        Check("POST", "/monitoring/cases/999999/assignments/999999/end/", staff_page(404), data=V),
        Check("GET", "/monitoring/cases/999999/assignments/999999/end/", staff_page(405)),
    ],
    "monitoring/cases/<int:case_id>/zones/": [
        Check("GET", "/monitoring/cases/999999/zones/", staff_page(404)),
        Check("POST", "/monitoring/cases/999999/zones/", staff_page(404), data={"place": "home", "shape": "circle"}),
    ],
    "monitoring/cases/<int:case_id>/zones/<int:zone_id>/end/": [
        Check("POST", "/monitoring/cases/999999/zones/999999/end/", staff_page(404), data=V),
        Check("GET", "/monitoring/cases/999999/zones/999999/end/", staff_page(405)),
    ],
    "monitoring/cases/<int:case_id>/export/": [
        Check("GET", "/monitoring/cases/999999/export/?start=2026-01-01&end=2026-01-31&format=csv", staff_page(404)),
    ],
    # The API.
    "api/v1/monitoring/ingest": [Check("POST", "/api/v1/monitoring/ingest", everyone(401), data={"pings": []}, json=True)],
    "api/v1/monitoring/alerts": [Check("GET", "/api/v1/monitoring/alerts", _api(M))],
    "api/v1/monitoring/alerts/<alert_id>": [Check("GET", "/api/v1/monitoring/alerts/999999", staff_api(404))],
    "api/v1/monitoring/alerts/<alert_id>/acknowledge": [
        Check("POST", "/api/v1/monitoring/alerts/999999/acknowledge", staff_api(404), data=V, json=True),
    ],
    "api/v1/monitoring/alerts/<alert_id>/dispatch": [
        Check("POST", "/api/v1/monitoring/alerts/999999/dispatch", staff_api(404), data={"version": 1, "note": "x"}, json=True),
    ],
    "api/v1/monitoring/alerts/<alert_id>/resolve": [
        Check("POST", "/api/v1/monitoring/alerts/999999/resolve", staff_api(404), data={"version": 1, "outcome": "false_alarm"}, json=True),
    ],
    "api/v1/monitoring/devices": [
        Check("GET", "/api/v1/monitoring/devices", _api(M)),
        Check("POST", "/api/v1/monitoring/devices", _api(M, 201), data={"serial": "MATRIX-1", "kind": "bracelet"}, json=True),
    ],
    "api/v1/monitoring/devices/<device_id>/secret": [
        Check("POST", "/api/v1/monitoring/devices/999999/secret", staff_api(404), data=V, json=True),
    ],
    "api/v1/cases/<case_id>/monitoring/assignments": [
        Check("POST", "/api/v1/cases/999999/monitoring/assignments", staff_api(404), data={"serial": "BR-1", "order_id": 1}, json=True),
    ],
    "api/v1/cases/<case_id>/monitoring/zones": [
        Check("POST", "/api/v1/cases/999999/monitoring/zones", staff_api(404),
              data={"place": "home", "shape": "circle", "geometry": {"lat": 43.2, "lon": 76.9, "radius_m": 300}}, json=True),
    ],
    "api/v1/cases/<case_id>/monitoring/zones/<zone_id>": [
        Check("DELETE", "/api/v1/cases/999999/monitoring/zones/999999?version=1", staff_api(404)),
    ],
    "api/v1/cases/<case_id>/monitoring/export.csv": [
        Check("GET", "/api/v1/cases/999999/monitoring/export.csv?start=2026-01-01&end=2026-01-31", staff_api(404)),
    ],
}
