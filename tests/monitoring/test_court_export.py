"""The court export: his track with distances to her and to her zones' edges, and the alerts —
never her coordinates nor her zones' (asserted on the CSV bytes); audited; refused to others."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.utils import translation

from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.core.models import AuditEvent
from qorgau.monitoring.geometry import offset
from qorgau.monitoring.models import Ping, Zone
from tests.conftest import sign_in
from tests.monitoring.conftest import HOME
from tests.monitoring.support_c import court_staff, raise_alert

# Her position: 300 m north of her home; his: 100 m north of her home, 50 m east.
HERS = offset(HOME, north_m=300)
HIS = offset(HOME, north_m=100, east_m=50)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _fmt(v: float) -> list[bytes]:
    """Every way her coordinate could be written down."""
    return [f"{v:.{n}f}".encode() for n in range(4, 7)]


def test_export_shows_his_track_and_distances_never_her_coordinates(monitored, make_user):
    m = monitored
    now = clock.now()
    Ping.objects.create(device=m.victim_device, seq=1, ts=now - dt.timedelta(seconds=30), received_at=now, position=f"{HERS[0]},{HERS[1]}")
    Ping.objects.create(device=m.bracelet, seq=1, ts=now, received_at=now, lat=HIS[0], lon=HIS[1])
    alert = raise_alert(m, "zone", at=now)
    judge = court_staff(make_user, m)
    judge.language = "en"
    judge.save()
    c = sign_in(Client(), judge)
    day = clock.local(now, m.case.holding_unit.timezone).date()
    r = c.get(f"/api/v1/cases/{m.case.pk}/monitoring/export.csv", {"start": str(day), "end": str(day)})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    body = r.content
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert lines[0] == ["record", "time", "device", "his latitude", "his longitude", "distance to her, m",
                        "distance to the edge of zone 1 (Her home), m", "alert", "kind", "status", "acknowledged", "police dispatched",
                        "resolved", "outcome"]
    position = lines[1]
    assert position[0] == "position" and position[2] == m.bracelet.serial
    assert position[3] == f"{HIS[0]:.6f}" and position[4] == f"{HIS[1]:.6f}"
    assert abs(int(position[5]) - 206) <= 2  # √(200² + 50²)
    assert abs(int(position[6]) - (112 - 200)) <= 2  # inside her home zone: negative
    assert lines[2][:3] == ["alert", position[1], m.bracelet.serial] and lines[2][7:10] == [str(alert.pk), "Entered an exclusion zone", "New"]
    assert len(lines) == 3
    for coordinate in (*HERS, *HOME):
        for written in _fmt(coordinate):
            assert written not in body, written
    assert AuditEvent.objects.filter(action="export", target_type="monitoring_export", target_id=str(m.case.pk), count=2).count() == 1
    page = c.get(f"/monitoring/cases/{m.case.pk}/export/", {"start": str(day), "end": str(day), "format": "html"})
    assert page.status_code == 200 and 'data-testid="export"' in page.content.decode()
    for coordinate in (*HERS, *HOME):
        assert f"{coordinate:.4f}".encode() not in page.content
    page_csv = c.get(f"/monitoring/cases/{m.case.pk}/export/", {"start": str(day), "end": str(day), "format": "csv"})
    assert page_csv.status_code == 200 and page_csv.content == body


def test_export_refusals(monitored, make_user):
    m = monitored
    judge = sign_in(Client(), court_staff(make_user, m))
    bad = judge.get(f"/api/v1/cases/{m.case.pk}/monitoring/export.csv", {"start": "2026-03-10", "end": "2026-03-01"})
    assert bad.status_code == 422
    assert judge.get(f"/monitoring/cases/{m.case.pk}/export/", {"start": "2024-01-01", "end": "2026-01-01"}).status_code == 422
    assert sign_in(Client(), m.operator).get(f"/api/v1/cases/{m.case.pk}/monitoring/export.csv",
                                             {"start": "2026-03-01", "end": "2026-03-02"}).status_code == 404
    social = sign_in(Client(), make_user(Role.SOCIAL_WORKER))
    assert social.get(f"/monitoring/cases/{m.case.pk}/export/").status_code == 403


def test_a_zone_whose_shape_retention_removed_is_left_out_of_the_export(monitored, make_user):
    m = monitored
    now = clock.now()
    Ping.objects.create(device=m.bracelet, seq=1, ts=now, received_at=now, lat=HIS[0], lon=HIS[1])
    Zone.objects.filter(case=m.case).update(geometry="{}")  # what cases.retention leaves of a zone
    judge = court_staff(make_user, m)
    judge.language = "en"
    judge.save()
    c = sign_in(Client(), judge)
    day = clock.local(now, m.case.holding_unit.timezone).date()
    r = c.get(f"/api/v1/cases/{m.case.pk}/monitoring/export.csv", {"start": str(day), "end": str(day)})
    assert r.status_code == 200
    lines = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert not [h for h in lines[0] if h.startswith("distance to the edge of zone")]
    assert lines[1][0] == "position" and lines[1][3] == f"{HIS[0]:.6f}"
