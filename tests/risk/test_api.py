"""Risk over the API: the case's risk with masks, assessing from another system (a refused signature
leaves nothing), the queue and the instruments in the caller's language."""

from __future__ import annotations

import pytest

from qorgau.accounts.masks import Scope
from qorgau.accounts.roles import Role
from qorgau.cases.ledger import grant_add
from qorgau.cases.models import GrantReason
from qorgau.risk.models import Assessment
from tests.conftest import sign_in
from tests.risk.support import answers_scoring, make_case, signed, version

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspector(instruments, make_user):
    return make_user(Role.POLICE_INSPECTOR)


def test_the_case_risk_with_its_measures(inspector, client):
    case = make_case(inspector)
    a = signed(inspector, case, "odara", answers_scoring("odara", 7), )
    body = sign_in(client, inspector).get(f"/api/v1/cases/{case.pk}/risk").json()
    assert (body["level"], body["set_by"], body["overdue"]) == ("critical", a.pk, False)
    assert {m["measure"] for m in body["measures"]} >= {"protective_order", "monitoring_proposal"}
    assert body["assessments"][0]["answers"]["prior_domestic"] == "yes"


def test_a_reason_is_masked_beyond_her_consent(inspector, make_user, other_unit, client):
    case = make_case(inspector)
    signed(inspector, case, "odara", answers_scoring("odara", 1), final_level="high", reason="she told us he bought a gun")
    grant_add(case, other_unit, GrantReason.REFERRAL, Scope.CONSENT, by=inspector)
    worker = make_user(Role.SOCIAL_WORKER, unit=other_unit)
    body = sign_in(client, worker).get(f"/api/v1/cases/{case.pk}/risk").json()
    assert body["assessments"][0]["level_reason"] is None
    assert body["level"] == "high"


def test_assess_and_sign_through_the_api(inspector, client):
    case = make_case(inspector)
    c = sign_in(client, inspector)
    url = f"/api/v1/cases/{case.pk}/risk/assessments"
    incomplete = c.post(url, {"version_id": version("odara").pk, "answers": {"prior_domestic": "yes"}, "sign": True}, content_type="application/json")
    assert incomplete.status_code == 422 and "answers.prior_custody" not in incomplete.json()["fields"]
    assert "item_prior_custody" in incomplete.json()["fields"]
    assert not Assessment.objects.exists()  # a refused signature leaves nothing behind
    bad = c.post(url, {"version_id": version("odara").pk, "answers": {"prior_domestic": "maybe"}}, content_type="application/json")
    assert bad.status_code == 422 and "item_prior_domestic" in bad.json()["fields"]
    ok = c.post(url, {"version_id": version("odara").pk, "answers": answers_scoring("odara", 4), "sign": True}, content_type="application/json")
    assert ok.status_code == 201
    assert (ok.json()["status"], ok.json()["final_level"], ok.json()["score"]) == ("signed", "high", 4)
    lowered = c.post(url, {"version_id": version("odara").pk, "answers": answers_scoring("odara", 4), "sign": True,
                           "final_level": "low", "level_reason": "he moved abroad for work"}, content_type="application/json")
    assert lowered.status_code == 422 and "final_level" in lowered.json()["fields"]


def test_the_queue_and_the_instruments(make_user, instruments, client):
    user = make_user(Role.POLICE_INSPECTOR, language="kk")
    case = make_case(user)
    c = sign_in(client, user)
    assert [(r["case_id"], r["reason"]) for r in c.get("/api/v1/risk/due").json()] == [(case.pk, "never")]
    body = c.get("/api/v1/risk/instruments").json()
    odara = next(i for i in body if i["code"] == "odara")
    assert odara["cutoffs"] == {"low": 0, "medium": 2, "high": 4, "critical": 7}
    first = version("odara").items.first()
    assert odara["items"][0]["question"] == first.question_kk
