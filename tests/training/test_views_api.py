"""The training pages and API: a supervisor's unit page and recording; own certificates; coverage
counts by unit and region, exact for administrators, small cells hidden and no names for analysts."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest

from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.training import selectors
from qorgau.training.models import Completion
from qorgau.training.services import add_months, completion_record
from tests.conftest import sign_in

pytestmark = pytest.mark.usefixtures("courses")


def _day(days_ago: int) -> dt.date:
    return clock.now().date() - timedelta(days=days_ago)


def test_the_supervisor_page_records_and_shows_the_status(make_user, client):
    supervisor = make_user(Role.POLICE_SUPERVISOR, language="en")
    worker = make_user(Role.POLICE_INSPECTOR, full_name="Aigerim Saparova")
    c = sign_in(client, supervisor)
    page = c.get("/training/").content.decode()
    assert "Aigerim Saparova" in page and 'data-status="none"' in page
    r = c.post("/training/", {"action": "record", "user": worker.pk, "course": "protocol", "completed_on": _day(10).isoformat(),
                              "certificate_number": "P-77"})
    assert r.status_code == 302
    assert Completion.objects.get(user=worker).certificate_number == "P-77"
    page = c.get("/training/").content.decode()
    assert f'data-user="{worker.pk}"' in page and 'data-status="current"' in page
    bad = c.post("/training/", {"action": "record", "user": worker.pk, "course": "protocol", "completed_on": (_day(-5)).isoformat()})
    assert bad.status_code == 422 and "The completion date cannot be in the future." in bad.content.decode()
    unknown = c.post("/training/", {"action": "record", "user": worker.pk, "course": "nope", "completed_on": _day(3).isoformat()})
    assert unknown.status_code == 422 and "Choose one of the listed courses." in unknown.content.decode()
    completion = Completion.objects.get(user=worker)
    r = c.post("/training/", {"action": "revoke", "completion": completion.pk, "reason": "recorded by mistake today"})
    assert r.status_code == 302
    completion.refresh_from_db()
    assert completion.revoked_at is not None


def test_an_inspector_sees_only_their_own_certificates(make_user, client):
    inspector = make_user(Role.POLICE_INSPECTOR, language="en")
    completion_record(actor=make_user(Role.POLICE_SUPERVISOR), user_id=inspector.pk, course="risk_assessment", completed_on=_day(30),
                      certificate_number="R-1")
    c = sign_in(client, inspector)
    assert c.get("/training/").status_code == 403
    assert c.get("/training/coverage/").status_code == 403
    page = c.get("/training/mine/").content.decode()
    assert "R-1" in page and "Risk assessment" in page and "not enforced yet" in page
    me = {row["course"]: row for row in c.get("/api/v1/training/me").json()}
    assert me["risk_assessment"]["status"] == "current" and me["protocol"]["status"] == "none"
    courses = c.get("/api/v1/training/courses").json()
    assert {x["code"] for x in courses["courses"]} >= {"risk_assessment", "protocol"}
    assert {"action": "sign_risk_assessment", "course": "risk_assessment", "role": "police_inspector", "enforced": False} in courses["requirements"]
    assert c.post("/api/v1/training/completions", {"user_id": inspector.pk, "course": "protocol", "completed_on": _day(1).isoformat()},
                  content_type="application/json").status_code == 403
    assert c.get("/api/v1/training/coverage").status_code == 403


def test_the_api_records_for_the_unit_only(make_user, other_unit, client):
    supervisor, worker = make_user(Role.POLICE_SUPERVISOR), make_user(Role.POLICE_INSPECTOR)
    elsewhere = make_user(Role.POLICE_INSPECTOR, unit=other_unit)
    c = sign_in(client, supervisor)
    ok = c.post("/api/v1/training/completions", {"user_id": worker.pk, "course": "protocol", "completed_on": _day(1).isoformat()},
                content_type="application/json")
    assert ok.status_code == 201 and ok.json()["expires_on"] == add_months(_day(1), 24).isoformat()
    other = c.post("/api/v1/training/completions", {"user_id": elsewhere.pk, "course": "protocol", "completed_on": _day(1).isoformat()},
                   content_type="application/json")
    assert other.status_code == 404
    bad = c.post("/api/v1/training/completions", {"user_id": worker.pk, "course": "protocol", "completed_on": _day(10).isoformat(),
                                                  "expires_on": _day(20).isoformat()}, content_type="application/json")
    assert bad.status_code == 422 and "expires_on" in bad.json()["fields"]
    malformed = c.post("/api/v1/training/completions", {"user_id": worker.pk, "course": "protocol", "completed_on": "yesterday"},
                       content_type="application/json")
    assert malformed.status_code == 422


def test_coverage_by_unit_and_region(make_user, other_unit, client):
    admin = make_user(Role.ADMINISTRATOR, unit=other_unit, language="en")
    analyst = make_user(Role.ANALYST, unit=other_unit, language="en")
    supervisor = make_user(Role.POLICE_SUPERVISOR, full_name="Nurlan Bekmukhanov")
    almaty = [make_user(Role.POLICE_INSPECTOR) for _ in range(5)]
    for u in almaty:
        completion_record(actor=supervisor, user_id=u.pk, course="risk_assessment", completed_on=_day(30))
    completion_record(actor=supervisor, user_id=almaty[0].pk, course="protocol", completed_on=_day(30))
    atyrau = make_user(Role.POLICE_INSPECTOR, unit=other_unit)
    completion_record(actor=admin, user_id=atyrau.pk, course="risk_assessment", completed_on=_day(3 * 365))  # expired

    exact = selectors.coverage(admin)
    codes = [c.code for c in exact.courses]
    ri, pi = codes.index("risk_assessment"), codes.index("protocol")
    units = {r.unit.pk: r for r in exact.units if r.unit}
    almaty_row, atyrau_row = units[supervisor.unit_id], units[other_unit.pk]
    assert (almaty_row.staff, almaty_row.current[ri], almaty_row.current[pi]) == (6, 5, 1)
    assert (atyrau_row.staff, atyrau_row.current[ri]) == (3, 0)  # admin, analyst, inspector; the certificate expired
    regions = {r.region.pk: r for r in exact.regions}
    assert (regions["KZ-75"].staff, regions["KZ-75"].current[ri]) == (6, 5)

    hidden = selectors.coverage(analyst)
    units = {r.unit.pk: r for r in hidden.units if r.unit}
    assert hidden.suppressed
    assert (units[supervisor.unit_id].staff, units[supervisor.unit_id].current[ri], units[supervisor.unit_id].current[pi]) == (6, 5, None)
    assert (units[other_unit.pk].staff, units[other_unit.pk].current[ri]) == (None, 0)

    c = sign_in(client, analyst)
    page = c.get("/training/coverage/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "fewer than 5" in text and "Nurlan" not in text
    assert not any(u.username in text for u in [supervisor, atyrau, *almaty])
    body = c.get("/api/v1/training/coverage").json()
    row = next(r for r in body["units"] if r["unit_id"] == supervisor.unit_id)
    assert body["suppressed"] and row["staff"] == 6 and row["current"] == {"identifying_violence": 0, "risk_assessment": 5,
                                                                            "trauma_informed_interviewing": 0, "protocol": None}
    assert sign_in(client, analyst).get("/training/").status_code == 403
    assert sign_in(client, admin).get("/training/coverage/").status_code == 200
    assert sign_in(client, admin).get(f"/training/?unit={supervisor.unit_id}").content.decode().count("data-user=") == 6
