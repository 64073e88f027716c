"""The certificate gate on signing a risk assessment: enforced and missing or expired → refused with a
message naming the course; with a current completion → signed; not enforced (as shipped) → signed.
Through the service, the page (a message on the assessment page) and the API (403 with the message)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.risk.models import Assessment, AssessmentStatus
from qorgau.risk.services import assessment_save, assessment_sign, assessment_start
from qorgau.training.models import Action
from qorgau.training.reference import requirements_enforce
from qorgau.training.services import CertificateMissing, certificate_required, completion_record
from tests.conftest import sign_in
from tests.risk.support import answers_scoring, make_case, signed, version

AT = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def inspector(instruments, make_user):
    return make_user(Role.POLICE_INSPECTOR, language="en")


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.POLICE_SUPERVISOR)


def _draft(user):
    case = make_case(user)
    a = assessment_start(actor=user, case=case, version_id=version("odara").pk)
    return assessment_save(actor=user, assessment=a, row_version=a.row_version, answers=answers_scoring("odara", 2))


def test_not_enforced_as_shipped_signing_is_allowed(inspector):
    with clock.frozen(AT):
        a = signed(inspector, make_case(inspector), "odara", answers_scoring("odara", 2))
    assert a.status == AssessmentStatus.SIGNED


def test_enforced_without_a_certificate_is_refused_naming_the_course(inspector):
    requirements_enforce(Action.SIGN_RISK_ASSESSMENT)
    with clock.frozen(AT), translation.override("en"):
        a = _draft(inspector)
        with pytest.raises(CertificateMissing) as exc:
            assessment_sign(actor=inspector, assessment=a, row_version=a.row_version)
        message = str(exc.value.message)
    assert exc.value.status == 403
    assert message == ("Signing a risk assessment needs a current certificate of the course «Risk assessment»; "
                       "you have none. Ask your supervisor to record your training.")
    a.refresh_from_db()
    assert a.status == AssessmentStatus.DRAFT


def test_enforced_with_an_expired_certificate_names_the_date(inspector, supervisor):
    requirements_enforce(Action.SIGN_RISK_ASSESSMENT)
    with clock.frozen(AT):
        completion_record(actor=supervisor, user_id=inspector.pk, course="risk_assessment", completed_on=dt.date(2024, 1, 15))
        with pytest.raises(CertificateMissing) as exc, translation.override("en"):
            certificate_required(inspector, Action.SIGN_RISK_ASSESSMENT)
        with translation.override("en"):
            message = str(exc.value.message)
    assert "yours expired on 15.01.2026" in message and "«Risk assessment»" in message


def test_enforced_with_a_current_certificate_is_allowed(inspector, supervisor):
    requirements_enforce(Action.SIGN_RISK_ASSESSMENT)
    with clock.frozen(AT):
        completion_record(actor=supervisor, user_id=inspector.pk, course="risk_assessment", completed_on=dt.date(2025, 6, 1))
        a = signed(inspector, make_case(inspector), "odara", answers_scoring("odara", 2))
    assert a.status == AssessmentStatus.SIGNED


def test_a_role_the_requirement_does_not_name_is_not_gated(make_user, courses):
    requirements_enforce(Action.SIGN_RISK_ASSESSMENT)
    certificate_required(make_user(Role.HEALTH_WORKER), Action.SIGN_RISK_ASSESSMENT)  # no error


def test_the_page_shows_the_message_and_keeps_the_draft(inspector, client):
    requirements_enforce(Action.SIGN_RISK_ASSESSMENT)
    a = _draft(inspector)
    data = {f"item_{k}": v for k, v in answers_scoring("odara", 2).items()} | {"row_version": str(a.row_version), "action": "sign"}
    r = sign_in(client, inspector).post(f"/risk/assessments/{a.pk}/", data)
    assert r.status_code == 403
    assert "needs a current certificate of the course «Risk assessment»; you have none." in r.content.decode()
    a.refresh_from_db()
    assert a.status == AssessmentStatus.DRAFT


def test_the_api_answers_403_with_the_message(inspector, client):
    requirements_enforce(Action.SIGN_RISK_ASSESSMENT)
    case = make_case(inspector)
    r = sign_in(client, inspector).post(
        f"/api/v1/cases/{case.pk}/risk/assessments",
        {"version_id": version("odara").pk, "answers": answers_scoring("odara", 2), "sign": True}, content_type="application/json",
    )
    assert r.status_code == 403
    assert r.json()["code"] == "certificate_required"
    assert "«Risk assessment»; you have none" in r.json()["detail"]
    assert not Assessment.objects.exists()  # a refused signature leaves nothing behind


def test_issuing_a_police_order_is_gated_when_enforced(inspector, supervisor):
    from qorgau.orders.models import Order
    from qorgau.orders.services import order_issue
    from tests.orders.support import make_cases, police_input

    requirements_enforce(Action.ISSUE_PROTECTIVE_ORDER)
    case = make_cases(inspector)[0]
    with translation.override("en"), pytest.raises(CertificateMissing) as exc:
        order_issue(actor=inspector, case=case, data=police_input(case))
    assert "Issuing a protective order" in str(exc.value.message)
    assert not Order.objects.exists()
    completion_record(actor=supervisor, user_id=inspector.pk, course="identifying_violence", completed_on=clock.now().date() - dt.timedelta(days=1))
    assert order_issue(actor=inspector, case=case, data=police_input(case)).pk is not None
