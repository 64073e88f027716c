"""Enrolment, sessions and every transition; non-compliance fires the protocol trigger once, with
court and police tasks; the breach only when the decision says so; the deadline sweep is idempotent."""

from __future__ import annotations

import datetime as dt

import pytest

from qorgau.accounts.models import Notification
from qorgau.accounts.roles import Role
from qorgau.cases.models import EventKind
from qorgau.core import clock
from qorgau.core.errors import Conflict, Forbidden, Invalid
from qorgau.orders import services as orders
from qorgau.orders.court import court_decision_record
from qorgau.orders.models import Breach, BreachSource
from qorgau.programmes import selectors, services
from qorgau.programmes.models import EnrolmentStatus, NoncomplianceCause
from qorgau.protocols.models import Task
from tests.orders.support import police_input
from tests.programmes.support import enrol, local_today, make_programme, sessions
from tests.protocols.support import make_case

pytestmark = pytest.mark.django_db


def _fields(exc: pytest.ExceptionInfo) -> dict:
    return exc.value.fields


def _noncompliance_tasks(case) -> list[Task]:
    return list(Task.objects.filter(case=case, duty__trigger="programme_noncompliance").select_related("duty", "unit"))


def test_enrol_notifies_the_provider_and_adds_a_timeline_event(clerk, case, decision, programme, provider):
    e = enrol(clerk, case, decision, programme)
    assert e.status == EnrolmentStatus.ENROLLED and e.offender_id == case.offender_id and e.provider_id == programme.unit_id
    assert e.sessions_required == 3 and e.allowed_absences == 2
    assert Notification.objects.filter(recipient=provider, target_type="enrolment", target_id=str(e.pk)).exists()
    assert case.events.filter(kind=EventKind.PROGRAMME, to_state="enrolled").exists()


def test_enrol_refuses_bad_input(clerk, case, decision, programme, inspector, make_user):
    other = make_case(inspector, serial=3000)
    from tests.orders.support import grant

    grant(other, clerk.unit)
    foreign = court_decision_record(actor=clerk, case=other, kind="other", decided_on=local_today(), reference="9-9/2026")
    with pytest.raises(Invalid) as exc:
        services.enrolment_create(actor=clerk, case=case, decision_id=foreign.pk, programme_id=programme.pk,
                                  deadline=local_today() + dt.timedelta(days=30))
    assert "decision" in _fields(exc)
    with pytest.raises(Invalid) as exc:
        services.enrolment_create(actor=clerk, case=case, decision_id=decision.pk, programme_id=programme.pk, deadline=local_today())
    assert "deadline" in _fields(exc)
    with pytest.raises(Invalid) as exc:
        services.enrolment_create(actor=clerk, case=case, decision_id=decision.pk, programme_id=programme.pk,
                                  deadline=local_today() + dt.timedelta(days=30), breach_counts=True)
    assert "This decision has no protective order" in _fields(exc)["breach_counts"][0]
    with pytest.raises(Forbidden):
        services.enrolment_create(actor=inspector, case=case, decision_id=decision.pk, programme_id=programme.pk,
                                  deadline=local_today() + dt.timedelta(days=30))


def test_probation_may_enrol(make_user, case, decision, programme):
    from tests.orders.support import grant
    from tests.protocols.support import agency_unit

    unit = agency_unit("probation", "KZ-75", "751110000", "Probation Almaly")
    grant(case, unit)
    officer = make_user(Role.PROBATION_OFFICER, unit=unit, username="probation_officer")
    assert enrol(officer, case, decision, programme).status == EnrolmentStatus.ENROLLED


def test_attending_then_completed(clerk, case, decision, programme, provider):
    e = enrol(clerk, case, decision, programme)
    e = sessions(provider, e, "a")
    assert e.status == EnrolmentStatus.ATTENDING
    assert case.events.filter(kind=EventKind.PROGRAMME, to_state="attending").exists()
    e = sessions(provider, e, "xna", start=local_today() - dt.timedelta(days=10))
    assert e.status == EnrolmentStatus.ATTENDING
    e = sessions(provider, e, "a", start=local_today() - dt.timedelta(days=1))
    assert e.status == EnrolmentStatus.COMPLETED and e.ended_on == local_today() - dt.timedelta(days=1)
    assert _noncompliance_tasks(case) == []
    with pytest.raises(Invalid) as exc:
        services.session_record(actor=provider, enrolment_id=e.pk, version=e.version, held_on=local_today() - dt.timedelta(days=1),
                                attendance="attended")
    assert "closed" in _fields(exc)["__all__"][0]


def test_session_refuses_bad_dates_stale_versions_and_strangers(clerk, case, decision, programme, provider, make_user):
    e = enrol(clerk, case, decision, programme, days_ago=5)
    today = local_today()
    for day, text in ((today + dt.timedelta(days=1), "future"), (today - dt.timedelta(days=6), "before the enrolment")):
        with pytest.raises(Invalid) as exc:
            services.session_record(actor=provider, enrolment_id=e.pk, version=e.version, held_on=day, attendance="attended")
        assert text in _fields(exc)["held_on"][0]
    with pytest.raises(Conflict):
        services.session_record(actor=provider, enrolment_id=e.pk, version=e.version + 1, held_on=today, attendance="attended")
    with pytest.raises(Forbidden):
        services.session_record(actor=clerk, enrolment_id=e.pk, version=e.version, held_on=today, attendance="attended")
    sessions(provider, e, "a")
    e.refresh_from_db()
    with pytest.raises(Invalid) as exc:
        services.session_record(actor=provider, enrolment_id=e.pk, version=e.version, held_on=today, attendance="attended")
    assert "already recorded" in _fields(exc)["held_on"][0]


def test_absences_make_him_noncompliant_once_with_court_and_police_tasks(clerk, case, decision, programme, provider):
    e = enrol(clerk, case, decision, programme)
    e = sessions(provider, e, "nn", start=local_today() - dt.timedelta(days=5))
    assert e.status == EnrolmentStatus.ENROLLED
    e = sessions(provider, e, "n")
    assert e.status == EnrolmentStatus.NONCOMPLIANT and e.cause == NoncomplianceCause.ABSENCES
    tasks = _noncompliance_tasks(case)
    assert sorted(t.duty.agency_kind_id for t in tasks) == ["court", "police"]
    assert next(t for t in tasks if t.duty.agency_kind_id == "court").unit_id == clerk.unit_id
    assert Notification.objects.filter(recipient=clerk, target_type="enrolment", target_id=str(e.pk)).exists()
    assert case.events.filter(kind=EventKind.PROGRAMME, to_state="noncompliant").count() == 1
    assert e.breach_id is None and not Breach.objects.exists()
    # closed: no second non-compliance, and the sweep leaves it alone
    with pytest.raises(Invalid):
        services.enrolment_outcome(actor=provider, enrolment_id=e.pk, version=e.version, outcome="noncompliant", reason="again")
    with clock.frozen(clock.now() + dt.timedelta(days=400)):
        assert services.programmes_overdue() == 0
    assert len(_noncompliance_tasks(case)) == 2


def test_provider_records_noncompliance_or_completion_by_hand(clerk, case, decision, programme, provider, inspector):
    e = enrol(clerk, case, decision, programme)
    with pytest.raises(Invalid) as exc:
        services.enrolment_outcome(actor=provider, enrolment_id=e.pk, version=e.version, outcome="noncompliant", reason=" ")
    assert "reason" in _fields(exc)
    with pytest.raises(Forbidden):
        services.enrolment_outcome(actor=inspector, enrolment_id=e.pk, version=e.version, outcome="noncompliant", reason="x")
    with pytest.raises(Conflict):
        services.enrolment_outcome(actor=provider, enrolment_id=e.pk, version=e.version + 3, outcome="noncompliant", reason="x")
    done = services.enrolment_outcome(actor=provider, enrolment_id=e.pk, version=e.version, outcome="noncompliant", reason="Refuses to come")
    assert done.status == EnrolmentStatus.NONCOMPLIANT and done.cause == NoncomplianceCause.PROVIDER and done.reason == "Refuses to come"
    assert len(_noncompliance_tasks(case)) == 2
    second = enrol(clerk, case, decision, programme)
    assert services.enrolment_outcome(actor=provider, enrolment_id=second.pk, version=second.version, outcome="completed").status == "completed"


def test_court_may_cancel_but_not_complete(clerk, case, decision, programme):
    e = enrol(clerk, case, decision, programme)
    with pytest.raises(Forbidden):
        services.enrolment_outcome(actor=clerk, enrolment_id=e.pk, version=e.version, outcome="completed")
    done = services.enrolment_outcome(actor=clerk, enrolment_id=e.pk, version=e.version, outcome="cancelled", reason="Set aside on appeal")
    assert done.status == EnrolmentStatus.CANCELLED and _noncompliance_tasks(case) == []


def test_deadline_sweep_is_idempotent(clerk, case, decision, programme, provider):
    e = enrol(clerk, case, decision, programme, deadline=local_today() + dt.timedelta(days=3))
    sessions(provider, e, "a")
    assert services.programmes_overdue() == 0
    with clock.frozen(clock.now() + dt.timedelta(days=5)):
        assert services.programmes_overdue() == 1
        assert services.programmes_overdue() == 0
    e.refresh_from_db()
    assert e.status == EnrolmentStatus.NONCOMPLIANT and e.cause == NoncomplianceCause.DEADLINE
    assert e.ended_on == e.deadline + dt.timedelta(days=1)
    assert len(_noncompliance_tasks(case)) == 2
    assert case.events.filter(kind=EventKind.PROGRAMME, to_state="noncompliant").count() == 1


def test_breach_recorded_only_when_the_decision_says_so(clerk, case, programme, provider, inspector):
    order = orders.order_issue(actor=inspector, case=case, data=police_input(case))
    orders.order_serve(actor=inspector, order=order, version=order.version)
    decision = court_decision_record(actor=clerk, case=case, kind="special_requirements", decided_on=local_today(),
                                     reference="2-200/2026", order_id=order.pk)
    plain = enrol(clerk, case, decision, programme, days_ago=0)
    services.enrolment_outcome(actor=provider, enrolment_id=plain.pk, version=plain.version, outcome="noncompliant", reason="Absent")
    assert not Breach.objects.exists()
    counts = enrol(clerk, case, decision, programme, days_ago=0, breach_counts=True)
    services.enrolment_outcome(actor=provider, enrolment_id=counts.pk, version=counts.version, outcome="noncompliant", reason="Absent")
    counts.refresh_from_db()
    breach = Breach.objects.get()
    assert counts.breach_id == breach.pk and breach.order_id == order.pk and breach.source == BreachSource.PROGRAMME
    assert breach.reported_by_id == clerk.pk  # the provider holds no grant: the court's side records it
    assert Task.objects.filter(case=case, duty__trigger="order_breached").exists()


def test_catalogue_filters_and_management(provider_unit, provider, make_user, programme):
    make_programme(provider_unit, kind="parenting", lang_kk=False, serves_disabilities=True)
    assert [p.pk for p in selectors.catalogue(language="en")] == [programme.pk]
    assert [p.kind for p in selectors.catalogue(groups=("disabilities",))] == ["parenting"]
    assert list(selectors.catalogue(region="KZ-23")) == []
    data = services.ProgrammeInput(kind="anger", name_kk="a", name_ru="b", name_en="c", sessions_required=0)
    with pytest.raises(Invalid) as exc:
        services.programme_update(actor=provider, programme_id=programme.pk, version=programme.version, data=data)
    assert "sessions_required" in _fields(exc)
    data.sessions_required = 8
    changed = services.programme_update(actor=provider, programme_id=programme.pk, version=programme.version, data=data)
    assert changed.sessions_required == 8 and changed.version == 2
    with pytest.raises(Conflict):
        services.programme_update(actor=provider, programme_id=programme.pk, version=1, data=data)
    with pytest.raises(Forbidden):
        services.programme_update(actor=make_user(Role.POLICE_INSPECTOR, username="cop"), programme_id=programme.pk, version=2, data=data)


def test_figures(clerk, case, decision, programme, provider):
    done = enrol(clerk, case, decision, programme)
    services.enrolment_outcome(actor=provider, enrolment_id=done.pk, version=done.version, outcome="completed")
    bad = enrol(clerk, case, decision, programme)
    services.enrolment_outcome(actor=provider, enrolment_id=bad.pk, version=bad.version, outcome="noncompliant", reason="x")
    enrol(clerk, case, decision, programme)
    figures = selectors.programme_figures()
    assert figures["by_status"]["completed"] == 1 and figures["by_status"]["enrolled"] == 1 and figures["total"] == 3
    assert figures["completion_rate"] == 0.5
    assert selectors.programme_figures(region="KZ-23")["total"] == 0
