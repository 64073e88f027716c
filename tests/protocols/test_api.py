"""Tasks over the API: the unit's queue, accept / done / decline, 404 for other units, 409 when stale."""

from __future__ import annotations

import pytest

from qorgau.accounts.roles import Role
from tests.conftest import sign_in
from tests.protocols.support import agency_unit, fire_one, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(protocols, inspector, make_user):
    school = agency_unit("school", "KZ-75", "751110000", "School 12")
    teacher = make_user(Role.SCHOOL_WORKER, unit=school, language="en")
    task = fire_one(make_case(inspector), inspector, "school_child_follow_up", trigger="child_involved")
    return teacher, task


def test_queue_and_changes(setup, client):
    teacher, task = setup
    c = sign_in(client, teacher)
    body = c.get("/api/v1/tasks").json()
    row = body["upcoming"][0]
    assert row["id"] == task.pk and row["title"] == "School: follow up with the child" and row["status"] == "open"
    ok = c.post(f"/api/v1/tasks/{task.pk}/accept", {"version": row["version"]}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    stale = c.post(f"/api/v1/tasks/{task.pk}/done", {"version": row["version"], "outcome": "x"}, content_type="application/json")
    assert stale.status_code == 409
    done = c.post(f"/api/v1/tasks/{task.pk}/done", {"version": row["version"] + 1, "outcome": "Met the child"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["outcome"] == "Met the child"
    again = c.post(f"/api/v1/tasks/{task.pk}/decline", {"version": row["version"] + 2, "reason": "late"}, content_type="application/json")
    assert again.status_code == 422


def test_malformed_and_foreign(setup, inspector, client):
    teacher, task = setup
    c = sign_in(client, teacher)
    assert c.post(f"/api/v1/tasks/{task.pk}/done", {"version": 0, "outcome": "x"}, content_type="application/json").status_code == 422
    assert c.post(f"/api/v1/tasks/{task.pk}/done", {"version": 1, "outcome": "a\x00b"}, content_type="application/json").status_code == 422
    assert c.post(f"/api/v1/tasks/{task.pk}/decline", "not json", content_type="application/json").status_code == 422
    assert c.post("/api/v1/tasks/99999999999999999999/accept", {"version": 1}, content_type="application/json").status_code in (404, 422)
    police = sign_in(client.__class__(), inspector)
    assert police.post(f"/api/v1/tasks/{task.pk}/accept", {"version": 1}, content_type="application/json").status_code == 404
