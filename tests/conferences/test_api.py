"""Conferences over the API: the coordinator's list, one conference, schedule / record / dismiss;
403 for other roles, 404 for another unit's, 409 when stale, 422 with the field named."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from qorgau.core import clock
from qorgau.protocols.conferences import conferences_propose
from qorgau.protocols.models import Task, Trigger
from qorgau.protocols.models_conferences import Conference
from tests.conferences.support import breach, sign_dash
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(case, inspector, coordinator, risk):
    a = sign_dash(case, inspector, score=14)
    conferences_propose()
    return Conference.objects.get(case=case), a


def _api(user) -> Client:
    type(user).objects.filter(pk=user.pk).update(language="en")
    user.refresh_from_db()
    return sign_in(Client(), user)


def _post(c: Client, path: str, data: object):
    return c.post(path, data, content_type="application/json")


def test_list_and_one(proposed, coordinator):
    conference, assessment = proposed
    c = _api(coordinator)
    body = c.get("/api/v1/conferences").json()
    assert [row["id"] for row in body["proposed"]] == [conference.pk] and body["scheduled"] == [] and body["recent"] == []
    one = c.get(f"/api/v1/conferences/{conference.pk}").json()
    assert one["reasons"] == [{"reason": "checklist_14", "label": "The risk checklist scored 14 or more", "source_type": "assessment",
                               "source_id": assessment.pk}]
    assert (one["status"], one["version"], one["minutes"], one["case_number"]) == ("proposed", 1, "", conference.case.number)


def test_schedule_record_and_the_tasks(proposed, coordinator, crisis_unit, police_unit):
    conference, _a = proposed
    c = _api(coordinator)
    when = (clock.now() + timedelta(days=2)).isoformat()
    r = _post(c, f"/api/v1/conferences/{conference.pk}/schedule", {"version": 1, "scheduled_for": when, "place": "Room 4", "invited": [crisis_unit.pk]})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "scheduled" and {a["unit_id"] for a in r.json()["attendees"]} == {conference.convening_unit_id, crisis_unit.pk}
    stale = _post(c, f"/api/v1/conferences/{conference.pk}/record", {"version": 1, "attended": [crisis_unit.pk], "minutes": "x"})
    assert stale.status_code == 409
    due = (clock.now().date() + timedelta(days=3)).isoformat()
    r = _post(c, f"/api/v1/conferences/{conference.pk}/record", {
        "version": 2, "attended": [crisis_unit.pk], "minutes": "Agreed a safety plan",
        "decisions": [{"text": "Offer a shelter place", "owner_unit_id": crisis_unit.pk, "due_on": due},
                      {"text": "Patrol visit", "owner_unit_id": police_unit.pk, "due_on": due, "details": "Evenings"}],
    })
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "held" and body["minutes"] == "Agreed a safety plan"
    tasks = {t.pk: t for t in Task.objects.filter(trigger=Trigger.CONFERENCE_DECISION)}
    assert [(d["owner_unit_id"], d["task_status"], tasks[d["task_id"]].unit_id) for d in body["decisions"]] == [
        (crisis_unit.pk, "open", crisis_unit.pk), (police_unit.pk, "open", police_unit.pk)]


def test_bad_input_is_422_with_the_field(proposed, coordinator, crisis_unit):
    conference, _a = proposed
    c = _api(coordinator)
    past = (clock.now() - timedelta(days=1)).isoformat()
    r = _post(c, f"/api/v1/conferences/{conference.pk}/schedule", {"version": 1, "scheduled_for": past, "place": "Room", "invited": [crisis_unit.pk]})
    assert r.status_code == 422 and r.json()["fields"] == {"scheduled_for": ["The conference must be in the future."]}
    naive = _post(c, f"/api/v1/conferences/{conference.pk}/schedule", {"version": 1, "scheduled_for": "2030-01-01T10:00", "place": "Room", "invited": []})
    assert naive.status_code == 422 and "payload.scheduled_for" in naive.json()["fields"]  # a time without its zone
    unknown = _post(c, f"/api/v1/conferences/{conference.pk}/schedule",
                    {"version": 1, "scheduled_for": (clock.now() + timedelta(days=1)).isoformat(), "place": "Room", "invited": [999999]})
    assert unknown.status_code == 422 and "invited" in unknown.json()["fields"]
    due = (clock.now().date() - timedelta(days=1)).isoformat()
    conference.refresh_from_db()
    from qorgau.protocols.conferences import conference_schedule

    conference_schedule(actor=coordinator, conference=conference, version=1, when=clock.now() + timedelta(days=1), place="Room",
                        invited_ids=[crisis_unit.pk])
    r = _post(c, f"/api/v1/conferences/{conference.pk}/record", {
        "version": 2, "attended": [crisis_unit.pk], "minutes": "Minutes", "decisions": [{"text": "Call her", "owner_unit_id": 999999, "due_on": due}]})
    assert r.status_code == 422 and r.json()["fields"] == {"decisions.0.owner_unit_id": ["Choose the unit that owns this action."],
                                                           "decisions.0.due_on": ["The deadline cannot be in the past."]}
    garbage = c.post(f"/api/v1/conferences/{conference.pk}/dismiss", "{", content_type="application/json")
    assert garbage.status_code == 422


def test_dismiss(proposed, coordinator):
    conference, _a = proposed
    r = _post(_api(coordinator), f"/api/v1/conferences/{conference.pk}/dismiss", {"version": 1, "reason": "Handled by the unit"})
    assert r.status_code == 200 and r.json()["status"] == "dismissed"


def test_other_roles_and_units(proposed, inspector, make_user, other_unit):
    conference, _a = proposed
    c = _api(inspector)
    assert c.get("/api/v1/conferences").status_code == 403
    assert c.get(f"/api/v1/conferences/{conference.pk}").status_code == 403
    stranger = _api(make_user("conference_coordinator", unit=other_unit, username="stranger"))
    assert stranger.get(f"/api/v1/conferences/{conference.pk}").status_code == 404
    assert stranger.get("/api/v1/conferences").json()["proposed"] == []
    assert Client().get("/api/v1/conferences").status_code == 401


def test_a_breach_conference_in_the_list_too(case, inspector, coordinator):
    breach(case, inspector)
    conferences_propose()
    body = _api(coordinator).get("/api/v1/conferences").json()
    assert [r["reason"] for r in body["proposed"][0]["reasons"]] == ["breach"]
