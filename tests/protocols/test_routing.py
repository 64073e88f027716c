"""Routing unrouted tasks by hand (administrators): one task to a unit of its duty's kind, the nearest
suggested; all of a kind in a region at once; grant, notice, timeline and audit; a stale version is
a conflict, a unit of another kind a clear error; the page names no person."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from qorgau.accounts.models import AgencyKind, Notification, NotificationKind
from qorgau.accounts.roles import Role
from qorgau.cases.models import CaseEvent, EventKind, Grant
from qorgau.cases.services import VictimInput, report_register
from qorgau.core import clock
from qorgau.core.errors import Conflict, Forbidden, Invalid
from qorgau.core.models import AuditEvent, Region
from qorgau.protocols.models import Task, TaskStatus
from qorgau.protocols.routing import unrouted_overview
from qorgau.protocols.services import task_route, tasks_route_bulk
from tests.cases.factories import person, report_input
from tests.conftest import sign_in
from tests.protocols.support import agency_unit, fire_one, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMINISTRATOR, username="routing_admin", language="en")


@pytest.fixture
def unrouted(case, inspector) -> Task:
    """No school exists anywhere: the child duty is unrouted."""
    task = fire_one(case, inspector, "school_child_follow_up", trigger="child_involved", key="child:1")
    assert task.unit is None
    return task


def test_route_one_task_gives_grant_notice_timeline_and_a_fresh_deadline(unrouted, admin, make_user):
    school = agency_unit("school", "KZ-19", None, "School of Almaty region")
    teacher = make_user(Role.SCHOOL_WORKER, unit=school, username="teacher")
    at, version, hours = clock.now(), unrouted.version, unrouted.due_at - unrouted.created_at
    task = task_route(actor=admin, task=unrouted, unit=school, version=version)
    assert task.unit == school and task.version == version + 1 and task.status == TaskStatus.OPEN
    assert task.due_at >= at + hours  # counted again from now: 72 h
    assert Grant.objects.filter(case=task.case, unit=school, scope="worker").exists()
    assert Notification.objects.filter(recipient=teacher, kind=NotificationKind.TASK_ROUTED, target_id=str(task.pk)).exists()
    assert CaseEvent.objects.filter(case=task.case, kind=EventKind.TASK_ROUTED).count() == 1
    assert AuditEvent.objects.filter(actor_id=admin.pk, target_type="task", target_id=str(task.pk)).exists()


def test_a_referral_routed_by_hand_still_waits_for_her_consent(protocols, inspector, admin, make_user):
    case = make_case(inspector, serial=2000)  # no family support centre anywhere
    referral = Task.objects.get(case=case, duty__code="fsc_first_contact")
    assert referral.unit is None and referral.status == TaskStatus.AWAITING_CONSENT
    fsc = agency_unit("family_support", "KZ-75", None, "FSC of Almaty")
    worker = make_user(Role.SOCIAL_WORKER, unit=fsc, username="fsc_routed")
    task = task_route(actor=admin, task=referral, unit=fsc, version=referral.version)
    assert task.unit == fsc and task.status == TaskStatus.AWAITING_CONSENT
    assert not Grant.objects.filter(case=case, unit=fsc).exists()
    assert not Notification.objects.filter(recipient=worker, kind=NotificationKind.TASK_ROUTED).exists()


def test_wrong_kind_stale_version_and_non_admin_are_refused(unrouted, admin, inspector):
    police = inspector.unit
    with translation.override("en"), pytest.raises(Invalid) as exc:
        task_route(actor=admin, task=unrouted, unit=police, version=unrouted.version)
    assert "this task needs a unit of the kind" in exc.value.fields["unit"][0]
    school = agency_unit("school", "KZ-75", None, "School of Almaty")
    with pytest.raises(Conflict):
        task_route(actor=admin, task=unrouted, unit=school, version=unrouted.version + 1)
    with pytest.raises(Forbidden):
        task_route(actor=inspector, task=unrouted, unit=school, version=unrouted.version)
    task_route(actor=admin, task=unrouted, unit=school, version=unrouted.version)
    stale = Task.objects.get(pk=unrouted.pk)
    stale.unit = None  # a page opened before the routing: same version as then
    stale.version = unrouted.version
    with pytest.raises(Conflict):
        task_route(actor=admin, task=stale, unit=school, version=unrouted.version)
    with pytest.raises(Invalid):  # already routed, read afresh
        fresh = Task.objects.get(pk=unrouted.pk)
        task_route(actor=admin, task=fresh, unit=school, version=fresh.version)


def test_the_nearest_unit_is_suggested(unrouted):
    far = agency_unit("school", "KZ-27", None, "School of West Kazakhstan")
    near = agency_unit("school", "KZ-19", None, "School of Almaty region")  # around Almaty
    row = next(r for r in unrouted_overview().rows if r.task.pk == unrouted.pk)
    assert row.region is not None and row.region.pk == "KZ-75"
    assert row.units == [near, far] and row.suggested == near
    same_region = agency_unit("school", "KZ-75", "751210000", "School of another Almaty district")
    assert next(r for r in unrouted_overview().rows if r.task.pk == unrouted.pk).suggested == same_region


def _other_pair_case(actor, region: str):
    victim = VictimInput(relationship="spouse", person=person("Нурланова Дана", serial=3100))
    offender = person("Нурланов Бауыржан", birth=dt.date(1980, 5, 5), sex="M", serial=3100)
    return report_register(actor=actor, data=report_input(victims=[victim], offender=offender, region=region, district=None)).cases[0]


def test_bulk_routes_a_kind_in_a_region(case, inspector, admin):
    almaty = [fire_one(case, inspector, "school_child_follow_up", trigger="child_involved", key=f"child:{i}") for i in range(3)]
    atyrau = fire_one(_other_pair_case(inspector, "KZ-23"), inspector, "school_child_follow_up", trigger="child_involved", key="child:9")
    assert all(t.unit is None for t in [*almaty, atyrau])
    school = agency_unit("school", "KZ-75", None, "School of Almaty")
    with pytest.raises(Invalid):
        tasks_route_bulk(actor=admin, kind=AgencyKind.objects.get(code="health"), region=Region.objects.get(iso="KZ-75"), unit=school)
    n = tasks_route_bulk(actor=admin, kind=AgencyKind.objects.get(code="school"), region=Region.objects.get(iso="KZ-75"), unit=school)
    assert n == 3
    assert set(Task.objects.filter(unit=school).values_list("pk", flat=True)) == {t.pk for t in almaty}
    assert Task.objects.get(pk=atyrau.pk).unit is None  # Atyrau's waits for another unit
    assert CaseEvent.objects.filter(kind=EventKind.TASK_ROUTED).count() == 3
    overview = unrouted_overview()
    assert [(g.kind.pk, g.region.pk, g.count) for g in overview.groups if g.kind.pk == "school"] == [("school", "KZ-23", 1)]


def test_the_page_routes_and_says_so(unrouted, admin, client, make_user):
    school = agency_unit("school", "KZ-75", None, "School of Almaty")
    c = sign_in(client, admin)
    page = c.get("/protocols/unrouted/").content.decode()
    assert f'data-task="{unrouted.pk}"' in page and f'<option value="{school.pk}" selected>' in page
    assert unrouted.case.number not in page  # no case number, no person
    wrong = c.post("/protocols/unrouted/", {"action": "route", "task": unrouted.pk, "version": unrouted.version, "unit": admin.unit_id})
    assert wrong.status_code == 422 and "needs a unit of the kind" in wrong.content.decode()
    stale = c.post("/protocols/unrouted/", {"action": "route", "task": unrouted.pk, "version": unrouted.version + 5, "unit": school.pk})
    assert stale.status_code == 409
    ok = c.post("/protocols/unrouted/", {"action": "route", "task": unrouted.pk, "version": unrouted.version, "unit": school.pk}, follow=True)
    assert ok.status_code == 200 and Task.objects.get(pk=unrouted.pk).unit == school
    assert f'data-task="{unrouted.pk}"' not in ok.content.decode() and "The task was routed to" in ok.content.decode()
    bad = c.post("/protocols/unrouted/", {"action": "route", "task": "x", "version": "1", "unit": school.pk})
    assert bad.status_code == 422
    inspector_client = sign_in(client.__class__(), make_user(Role.POLICE_INSPECTOR, username="not_admin"))
    assert inspector_client.post("/protocols/unrouted/", {"action": "route", "task": unrouted.pk, "version": 1, "unit": school.pk}).status_code == 403
