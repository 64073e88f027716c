"""Criminal cases and hearings over the API: record and list, the status with its version (409 when
stale), field errors (never a 500), the gate (404) and analysts (403)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.orders import court
from qorgau.orders.models import CourtHearing
from tests.conftest import sign_in
from tests.orders.support import court_unit, grant, make_cases

pytestmark = pytest.mark.django_db


def _send(c: Client, method: str, url: str, body: dict) -> object:
    return getattr(c, method)(url, body, content_type="application/json")


@pytest.fixture
def case(inspector):
    return make_cases(inspector)[0]


@pytest.fixture
def clerk(case, make_user):
    unit = court_unit()
    grant(case, unit)
    return make_user(Role.COURT_CLERK, unit=unit)


def test_criminal_cases_record_list_and_move(inspector, case, clerk, make_user, other_unit):
    c = sign_in(Client(), inspector)
    url = f"/api/v1/cases/{case.pk}/criminal-cases"
    today = clock.local(clock.now(), "Asia/Almaty").date()
    body = {"number": "251750031000123", "registered_on": today.isoformat(), "article": "108-1"}
    bad = _send(c, "post", url, {**body, "registered_on": (today + timedelta(days=2)).isoformat(), "status": "convicted"})
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"registered_on", "status"}
    assert _send(c, "post", url, {**body, "number": ""}).status_code == 422
    assert _send(c, "post", url, {**body, "article": "a\x00b"}).status_code == 422
    assert _send(c, "post", url, {**body, "registered_on": "not a date"}).status_code == 422
    made = _send(c, "post", url, body)
    assert made.status_code == 201
    out = made.json()
    assert (out["status"], out["version"], out["number"], out["decision_id"]) == ("registered", 1, "251750031000123", None)
    assert [r["id"] for r in c.get(url).json()] == [out["id"]]
    patch = f"/api/v1/criminal-cases/{out['id']}"
    assert _send(c, "patch", patch, {"status": "in_court", "version": 2}).status_code == 409
    assert _send(c, "patch", patch, {"status": "nonsense", "version": 1}).status_code == 422
    moved = _send(c, "patch", patch, {"status": "in_court", "version": 1})
    assert moved.status_code == 200 and (moved.json()["status"], moved.json()["version"]) == ("in_court", 2)
    # The police may not record the verdict; the court may, with the decision that holds the sentence.
    assert _send(c, "patch", patch, {"status": "convicted", "version": 2}).status_code == 422
    cc = sign_in(Client(), clerk)
    no_decision = _send(cc, "patch", patch, {"status": "convicted", "version": 2})
    assert no_decision.status_code == 422 and set(no_decision.json()["fields"]) == {"decision"}
    case_verdict = court.court_decision_record(actor=clerk, case=case, kind="criminal_conviction", decided_on=today, reference="1-2/2025")
    done = _send(cc, "patch", patch, {"status": "convicted", "version": 2, "decision_id": case_verdict.pk})
    assert done.status_code == 200 and (done.json()["status"], done.json()["decision_id"]) == ("convicted", case_verdict.pk)
    stranger = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, unit=other_unit))
    assert stranger.get(url).status_code == 404
    assert _send(stranger, "patch", patch, {"status": "acquitted", "version": 3}).status_code == 404
    assert sign_in(Client(), make_user(Role.ANALYST)).get(url).status_code == 403
    assert _send(sign_in(Client(), make_user(Role.SOCIAL_WORKER)), "post", url, {**body, "number": "9"}).status_code == 403


def test_hearings_schedule_and_list(inspector, case, clerk, make_user):
    cc = sign_in(Client(), clerk)
    url = f"/api/v1/cases/{case.pk}/hearings"
    when = (clock.now() + timedelta(days=3)).replace(microsecond=0)
    past = _send(cc, "post", url, {"kind": "criminal_trial", "scheduled_for": (clock.now() - timedelta(days=1)).isoformat()})
    assert past.status_code == 422 and set(past.json()["fields"]) == {"scheduled_for"}
    assert _send(cc, "post", url, {"kind": "party", "scheduled_for": when.isoformat()}).status_code == 422
    assert _send(cc, "post", url, {"kind": "other", "scheduled_for": when.isoformat(), "order_id": 999999}).status_code == 422
    made = _send(cc, "post", url, {"kind": "criminal_trial", "scheduled_for": when.isoformat()})
    assert made.status_code == 201
    out = made.json()
    assert (out["status"], out["kind"], out["version"], out["outcome"]) == ("scheduled", "criminal_trial", 1, "")
    assert CourtHearing.objects.get().scheduled_for == when
    police = sign_in(Client(), inspector)
    assert [h["id"] for h in police.get(url).json()] == [out["id"]]
    assert _send(police, "post", url, {"kind": "other", "scheduled_for": when.isoformat()}).status_code == 403
    judge_in_police = sign_in(Client(), make_user(Role.JUDGE))  # a judge's account set in the police unit
    wrong = _send(judge_in_police, "post", url, {"kind": "other", "scheduled_for": when.isoformat()})
    assert wrong.status_code == 422 and set(wrong.json()["fields"]) == {"__all__"}
    assert sign_in(Client(), make_user(Role.ANALYST)).get(url).status_code == 403
