"""Recording, superseding, expiring and revoking completions; who may record whose; bad input."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import translation

from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.core.errors import Forbidden, Invalid, NotFound
from qorgau.core.models import AuditEvent
from qorgau.training import selectors
from qorgau.training.models import Completion, Course, Requirement
from qorgau.training.reference import courses_load
from qorgau.training.services import add_months, completion_record, completion_revoke, current_completion, today_for

pytestmark = pytest.mark.usefixtures("courses")
AT = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)


def test_the_shipped_file_loads_courses_and_requirements_switched_off():
    assert set(Course.objects.values_list("code", flat=True)) == {
        "identifying_violence", "risk_assessment", "trauma_informed_interviewing", "protocol"}
    assert Course.objects.get(code="risk_assessment").validity_months == 24
    assert Requirement.objects.filter(action="sign_risk_assessment", course="risk_assessment", role="police_inspector").exists()
    assert not Requirement.objects.filter(enforced=True).exists()
    # A reload keeps a switch turned on since.
    Requirement.objects.filter(action="sign_risk_assessment").update(enforced=True)
    assert courses_load() == 4
    assert not Requirement.objects.filter(action="sign_risk_assessment", enforced=False).exists()


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2026, 3, 10), 24) == dt.date(2028, 3, 10)


def test_record_supersede_and_expire(make_user):
    supervisor, worker = make_user(Role.POLICE_SUPERVISOR), make_user(Role.POLICE_INSPECTOR)
    with clock.frozen(AT):
        first = completion_record(actor=supervisor, user_id=worker.pk, course="risk_assessment", completed_on=dt.date(2024, 1, 15),
                                  certificate_number=" A-1 ")
        assert (first.expires_on, first.certificate_number, first.recorded_by_id) == (dt.date(2026, 1, 15), "A-1", supervisor.pk)
        today = today_for(worker)
        assert current_completion(worker, "risk_assessment", today) is None  # expired in January
        assert selectors.status_of(first, today) == selectors.Status.EXPIRED
        second = completion_record(actor=supervisor, user_id=worker.pk, course="risk_assessment", completed_on=dt.date(2026, 3, 1))
        assert current_completion(worker, "risk_assessment", today) == second
        cells = {c.course.code: c for c in selectors.mine(worker)}
        assert cells["risk_assessment"].status == selectors.Status.CURRENT and cells["risk_assessment"].completion == second
        assert cells["protocol"].status == selectors.Status.NONE
    first.refresh_from_db()
    assert first.expires_on == dt.date(2026, 1, 15)  # the earlier completion is kept as it was
    assert AuditEvent.objects.filter(target_type="training_completion", action="write").count() == 2
    # Within 60 days of expiry: expiring.
    with clock.frozen(dt.datetime(2028, 1, 20, 6, 0, tzinfo=dt.UTC)):
        assert {c.course.code: c.status for c in selectors.mine(worker)}["risk_assessment"] == selectors.Status.EXPIRING
    with clock.frozen(dt.datetime(2028, 3, 2, 6, 0, tzinfo=dt.UTC)):
        assert {c.course.code: c.status for c in selectors.mine(worker)}["risk_assessment"] == selectors.Status.EXPIRED


def test_an_explicit_expiry_and_revocation(make_user):
    supervisor, worker = make_user(Role.POLICE_SUPERVISOR), make_user(Role.POLICE_INSPECTOR)
    with clock.frozen(AT):
        c = completion_record(actor=supervisor, user_id=worker.pk, course="protocol", completed_on=dt.date(2026, 2, 1),
                              expires_on=dt.date(2027, 2, 1))
        assert c.expires_on == dt.date(2027, 2, 1)
        with pytest.raises(Invalid) as exc:
            completion_revoke(actor=supervisor, completion_id=c.pk, reason="short")
        assert "reason" in exc.value.fields
        revoked = completion_revoke(actor=supervisor, completion_id=c.pk, reason="recorded for the wrong person")
        assert revoked.revoked_at == AT and revoked.revoked_by_id == supervisor.pk
        assert current_completion(worker, "protocol", today_for(worker)) is None
        with pytest.raises(Invalid):
            completion_revoke(actor=supervisor, completion_id=c.pk, reason="recorded for the wrong person")


def test_who_may_record_whose(make_user, other_unit):
    supervisor, worker = make_user(Role.POLICE_SUPERVISOR), make_user(Role.POLICE_INSPECTOR)
    elsewhere = make_user(Role.POLICE_INSPECTOR, unit=other_unit)
    admin = make_user(Role.ADMINISTRATOR, unit=other_unit)
    day = clock.now().date() - timedelta(days=3)
    with pytest.raises(NotFound):  # another unit's staff: the same answer as no such person
        completion_record(actor=supervisor, user_id=elsewhere.pk, course="protocol", completed_on=day)
    with pytest.raises(Forbidden):  # an inspector records nobody's training, not even their own
        completion_record(actor=worker, user_id=worker.pk, course="protocol", completed_on=day)
    assert completion_record(actor=admin, user_id=worker.pk, course="protocol", completed_on=day).user_id == worker.pk
    assert completion_record(actor=supervisor, user_id=supervisor.pk, course="protocol", completed_on=day)
    c = Completion.objects.get(user=worker)
    with pytest.raises(NotFound):
        completion_revoke(actor=make_user(Role.POLICE_SUPERVISOR, unit=other_unit), completion_id=c.pk, reason="not in my unit at all")


def test_bad_input_gets_clear_errors(make_user):
    supervisor, worker = make_user(Role.POLICE_SUPERVISOR), make_user(Role.POLICE_INSPECTOR)
    # The messages are lazy: compared in English, whatever language an earlier test left active
    # (the installation's default is Russian, and alone this test ran in it).
    with clock.frozen(AT), translation.override("en"):
        with pytest.raises(Invalid) as exc:
            completion_record(actor=supervisor, user_id=worker.pk, course="no_such_course", completed_on=dt.date(2026, 1, 1))
        assert exc.value.fields == {"course": ["Choose one of the listed courses."]}
        with pytest.raises(Invalid) as exc:
            completion_record(actor=supervisor, user_id=worker.pk, course="protocol", completed_on=dt.date(2026, 4, 1))
        assert exc.value.fields == {"completed_on": ["The completion date cannot be in the future."]}
        with pytest.raises(Invalid) as exc:
            completion_record(actor=supervisor, user_id=worker.pk, course="protocol", completed_on=dt.date(2026, 1, 1),
                              expires_on=dt.date(2025, 12, 31))
        assert exc.value.fields == {"expires_on": ["The certificate must expire after the completion date."]}
        with pytest.raises(Invalid) as exc:
            completion_record(actor=supervisor, user_id=worker.pk, course="protocol", completed_on=dt.date(2026, 1, 1),
                              certificate_number="9" * 65)
        assert "certificate_number" in exc.value.fields
    assert not Completion.objects.exists()
