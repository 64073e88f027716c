"""The engine: a trigger becomes one task per duty, routed, granted, on the timeline and notified."""

from __future__ import annotations

import pytest

from qorgau.accounts.models import Notification, NotificationKind
from qorgau.cases.access import case_get_for
from qorgau.cases.models import CaseEvent, EventKind, Grant, GrantReason, Report
from qorgau.core.errors import NotFound
from qorgau.protocols.engine import fire, route
from qorgau.protocols.models import Task, TaskStatus
from qorgau.protocols.selectors import tasks_unrouted
from tests.protocols.support import agency_unit, fire_one


@pytest.mark.django_db
def test_report_registered_gives_duty_and_referral(fsc_unit, fsc_worker, case, inspector):  # the FSC exists before the report
    # Registration fired this event already (cases.triggers); firing it again returns the same tasks.
    report = Report.objects.get(incident__cases=case)
    tasks = fire(trigger="report_registered", case=case, actor=inspector, key=f"report:{report.pk}")
    by_code = {t.duty.code: t for t in tasks}
    assert set(by_code) == {"police_check_report", "fsc_first_contact"}
    police = by_code["police_check_report"]
    assert police.unit_id == inspector.unit_id and police.status == TaskStatus.OPEN
    assert (police.due_at - police.created_at).total_seconds() == 24 * 3600
    referral = by_code["fsc_first_contact"]
    assert referral.unit == fsc_unit and referral.status == TaskStatus.AWAITING_CONSENT
    # A referral waits for her consent: no grant, no notice; the FSC cannot open the case yet.
    assert not Grant.objects.filter(case=case, unit=fsc_unit).exists()
    assert not Notification.objects.filter(recipient=fsc_worker).exclude(kind=NotificationKind.WELCOME).exists()
    with pytest.raises(NotFound):
        case_get_for(fsc_worker, case.pk)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.TASK_CREATED).count() == 2


@pytest.mark.django_db
def test_duty_grants_worker_scope_and_notifies(case, inspector, make_user):
    school = agency_unit("school", "KZ-75", "751110000", "School 12")
    teacher = make_user("school_worker", unit=school)
    task = fire_one(case, inspector, "school_child_follow_up", trigger="child_involved")
    assert task.unit == school
    grant = Grant.objects.get(case=case, unit=school)
    assert grant.reason == GrantReason.TASK and grant.scope == "worker"
    assert Notification.objects.filter(recipient=teacher, kind=NotificationKind.TASK_ASSIGNED, target_id=str(task.pk)).exists()
    case_get_for(teacher, case.pk)  # the grant lets the school open the case


@pytest.mark.django_db
def test_fire_twice_creates_nothing_twice(case, inspector):
    key = f"report:{Report.objects.get(incident__cases=case).pk}"  # the event registration fired already
    first = fire(trigger="report_registered", case=case, actor=inspector, key=key)
    again = fire(trigger="report_registered", case=case, actor=inspector, key=key)
    assert [t.pk for t in first] == [t.pk for t in again]
    assert Task.objects.count() == 2
    assert CaseEvent.objects.filter(case=case, kind=EventKind.TASK_CREATED).count() == 2
    other = fire(trigger="report_registered", case=case, actor=inspector, key="test:another-event")
    # Another event: a new police task; the family support referral carries a measure (support_referral)
    # and the first one still waits for her consent, so no second referral is made.
    assert [t.duty.code for t in other] == ["police_check_report"]
    assert Task.objects.count() == 3 and {t.pk for t in other}.isdisjoint({t.pk for t in first})


@pytest.mark.django_db
def test_level_condition(case, inspector):
    high = {t.duty.code for t in fire(trigger="level_raised", case=case, actor=inspector, key="a:1", level="high")}
    # The high level's measures (national-2), but not the family support referral: the registration's
    # first-contact referral (the same measure) still waits for her consent.
    assert high == {"police_safety_plan_raised", "police_patrol_visit_raised", "police_protective_order_raised",
                    "crisis_centre_place_raised", "health_document_injuries"}
    critical = {t.duty.code for t in fire(trigger="level_raised", case=case, actor=inspector, key="a:2", level="critical")}
    # Only what critical adds: the measures of high are still being carried out.
    assert critical == {"police_monitoring_proposal_raised", "health_document_injuries"}
    assert fire(trigger="level_raised", case=case, actor=inspector, key="a:3", level="medium") == []
    # No level given: the case's current level (never assessed here) counts as none.
    assert fire(trigger="level_raised", case=case, actor=inspector, key="a:4") == []


@pytest.mark.django_db
def test_unknown_trigger_or_level_is_a_programming_error(case, inspector):
    with pytest.raises(ValueError):
        fire(trigger="moon_phase", case=case, actor=inspector, key="x")
    with pytest.raises(ValueError):
        fire(trigger="level_set", case=case, actor=inspector, key="x", level="extreme")


@pytest.mark.django_db
def test_routing_district_then_region_then_national(case, inspector):
    # No health unit anywhere: unrouted, flagged for the administrator.
    assert route("health", case) is None
    task = fire_one(case, inspector, "health_document_injuries", trigger="level_raised", level="high")
    assert task.unit is None and task in tasks_unrouted()
    national = agency_unit("health", "KZ-71", None, "Ministry of Health")
    assert route("health", case) == national
    other_region = agency_unit("health", "KZ-23", None, "Atyrau health department")
    regional = agency_unit("health", "KZ-75", None, "Almaty health department")
    assert route("health", case) == regional
    other_district = agency_unit("health", "KZ-75", "751210000", "Clinic of another district")
    assert route("health", case) == regional  # the region's own unit before another district's
    rural = agency_unit("health", "KZ-75", "751110000", "Rural clinic", service_area="rural")
    urban = agency_unit("health", "KZ-75", "751110000", "City clinic 5", service_area="urban")
    assert route("health", case) == urban  # the incident was urban
    assert {other_region, other_district, rural}.isdisjoint({route("health", case)})


@pytest.mark.django_db
def test_restricted_case_gets_no_tasks(case, inspector):
    case.restricted = True
    case.save(update_fields=["restricted"])
    assert fire(trigger="report_registered", case=case, actor=inspector, key="report:1") == []
