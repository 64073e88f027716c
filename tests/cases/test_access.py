"""The one access gate of the case aggregate: grants, scopes, expiry, audit of reads and refusals."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import AgencyKind, Unit
from qorgau.accounts.roles import Role
from qorgau.accounts.services import unit_create
from qorgau.cases.access import case_get_by_number_for, case_get_for, cases_visible_to, live_grants, scope_for
from qorgau.cases.models import Case, Grant, GrantReason
from qorgau.cases.selectors import case_workers
from qorgau.cases.services import VictimInput, case_break_glass, report_register
from qorgau.core import clock
from qorgau.core.errors import NotFound
from qorgau.core.models import AuditAction, AuditEvent, Region
from tests.cases.factories import person, report_input

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 3, 10, 6, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _unit(code: str, name: str, region: str = "KZ-75") -> Unit:
    return unit_create(actor=None, kind=AgencyKind.objects.get(code=code), region=Region.objects.get(iso=region), name_ru=name, name_kk=name, name_en=name)


def _case(actor, **kw) -> Case:
    return report_register(actor=actor, data=report_input(**kw)).cases[0]


def _audit(action: str) -> list[tuple]:
    return list(AuditEvent.objects.filter(action=action).order_by("id").values_list("actor_id", "actor_unit_id", "target_type", "target_id", "outcome"))


def test_a_read_through_the_gate_returns_the_case_and_viewer_and_is_audited(make_user):
    inspector = make_user()
    case = _case(inspector)
    seen, viewer = case_get_for(inspector, case.pk)
    assert seen.pk == case.pk
    assert (viewer.role, viewer.scope) == (Role.POLICE_INSPECTOR, Scope.FULL)
    assert _audit(AuditAction.READ) == [(inspector.pk, inspector.unit_id, "case", str(case.pk), "ok")]
    assert _audit(AuditAction.DENIED) == []


def test_missing_and_forbidden_are_the_same_not_found_and_both_are_audited_as_denied(make_user, other_unit):
    case = _case(make_user())
    stranger = make_user("police_inspector", unit=other_unit)
    with pytest.raises(NotFound) as forbidden:
        case_get_for(stranger, case.pk)
    with pytest.raises(NotFound) as missing:
        case_get_for(stranger, case.pk + 1000)
    assert (str(forbidden.value.message), forbidden.value.fields, forbidden.value.status) == (str(missing.value.message), missing.value.fields, missing.value.status) == ("Not found, or you have no access to it.", {}, 404)
    assert _audit(AuditAction.DENIED) == [
        (stranger.pk, other_unit.pk, "case", str(case.pk), "refused"),
        (stranger.pk, other_unit.pk, "case", str(case.pk + 1000), "refused"),
    ]
    assert _audit(AuditAction.READ) == []


def test_the_grant_belongs_to_the_unit_so_every_colleague_sees_the_case(make_user):
    inspector = make_user()
    case = _case(inspector)
    colleague = make_user("social_worker")  # same unit, another role
    assert case_get_for(colleague, case.pk)[1].scope == Scope.FULL


def test_expired_and_not_yet_started_grants_do_not_count(make_user, reference):
    case = _case(make_user())
    past, future, live = _unit("health", "Past"), _unit("health", "Future"), _unit("health", "Live")
    now = clock.now()
    Grant.objects.create(case=case, unit=past, reason=GrantReason.TASK, scope=Scope.FULL, since=now - timedelta(days=2), until=now - timedelta(seconds=1))
    Grant.objects.create(case=case, unit=future, reason=GrantReason.TASK, scope=Scope.FULL, since=now + timedelta(hours=1))
    Grant.objects.create(case=case, unit=live, reason=GrantReason.TASK, scope=Scope.WORKER, since=now - timedelta(days=2), until=now + timedelta(days=1))
    for unit in (past, future):
        worker = make_user("health_worker", unit=unit)
        assert scope_for(worker, case) is None
        assert not cases_visible_to(worker).exists()
        with pytest.raises(NotFound):
            case_get_for(worker, case.pk)
    assert case_get_for(make_user("health_worker", unit=live), case.pk)[1].scope == Scope.WORKER


def test_a_grant_ends_exactly_at_its_until(make_user, reference):
    with clock.frozen(T0) as frozen:
        case = _case(make_user())
        unit = _unit("health", "Clinic")
        Grant.objects.create(case=case, unit=unit, reason=GrantReason.TASK, scope=Scope.WORKER, since=T0, until=T0 + timedelta(hours=1))
        worker = make_user("health_worker", unit=unit)
        frozen.advance(timedelta(minutes=59, seconds=59))
        assert scope_for(worker, case) == Scope.WORKER
        frozen.advance(timedelta(seconds=1))
        assert scope_for(worker, case) is None


def test_the_widest_live_scope_wins(make_user, other_unit):
    case = _case(make_user())
    stranger = make_user("police_inspector", unit=other_unit)
    now = clock.now()
    Grant.objects.create(case=case, unit=other_unit, reason=GrantReason.REFERRAL, scope=Scope.CONSENT, since=now)
    assert scope_for(stranger, case) == Scope.CONSENT
    case_break_glass(actor=stranger, case_id=case.pk, justification="Срочно: угроза жизни")
    assert scope_for(stranger, case) == Scope.WORKER
    Grant.objects.create(case=case, unit=other_unit, reason=GrantReason.SUPERVISOR, scope=Scope.FULL, since=now)
    assert scope_for(stranger, case) == Scope.FULL
    assert list(cases_visible_to(stranger)) == [case]  # one case, however many grants


def test_the_gate_reads_the_grants_once_for_its_scope_and_the_working_units(make_user, other_unit, reference):
    """Issue 10: the gate's scope comes from the case's grants in force read with the case, and the
    case page's list of working units reuses them; both agree with the statements they replace."""
    case = _case(make_user())
    stranger = make_user("police_inspector", unit=other_unit)
    past = _unit("health", "Past")
    now = clock.now()
    Grant.objects.create(case=case, unit=past, reason=GrantReason.TASK, scope=Scope.FULL, since=now - timedelta(days=2), until=now - timedelta(seconds=1))
    Grant.objects.create(case=case, unit=other_unit, reason=GrantReason.REFERRAL, scope=Scope.CONSENT, since=now)
    Grant.objects.create(case=case, unit=other_unit, reason=GrantReason.SUPERVISOR, scope=Scope.WORKER, since=now)
    seen, viewer = case_get_for(stranger, case.pk)
    assert viewer.scope == scope_for(stranger, case) == Scope.WORKER  # the widest of the unit's two
    expected = [(g.unit_id, g.scope) for g in Grant.objects.filter(case=case).exclude(unit=past).order_by("since", "pk")]
    with CaptureQueriesContext(connection) as reads:
        workers = case_workers(seen)
    assert [(g.unit_id, g.scope) for g in workers] == expected  # the expired grant is not among them
    assert [g.unit.name for g in workers][-2:] == [other_unit.name, other_unit.name]
    assert reads.captured_queries == []
    assert [(g.unit_id, g.scope) for g in case_workers(Case.objects.get(pk=case.pk))] == expected  # read anew


def test_analysts_never_get_a_case_even_with_a_grant_for_their_unit(make_user, reference):
    ministry = _unit("ministry", "Ministry")
    analyst = make_user("analyst", unit=ministry)
    inspector = make_user()
    case = _case(inspector)
    Grant.objects.create(case=case, unit=ministry, reason=GrantReason.SUPERVISOR, scope=Scope.FULL, since=clock.now())
    # Even an analyst placed in a unit that holds the case.
    analyst_in_police = make_user("analyst")
    for a in (analyst, analyst_in_police):
        assert not live_grants(a).exists()
        assert not cases_visible_to(a).exists()
        assert scope_for(a, case) is None
        with pytest.raises(NotFound):
            case_get_for(a, case.pk)
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, target_id=str(case.pk)).count() == 2


def test_a_grant_of_another_case_does_not_open_this_one(make_user, other_unit):
    inspector = make_user()
    stranger = make_user("police_inspector", unit=other_unit)
    mine = _case(inspector)
    theirs = _case(stranger, region="KZ-23", district="", victims=None)  # the same pair: links to mine
    assert theirs.pk == mine.pk
    other = _case(stranger, region="KZ-23", district="", victims=[VictimInput(relationship="partner", person=person("Другая Женщина", serial=5000))])
    assert other.pk != mine.pk
    assert case_get_for(stranger, other.pk)[0].pk == other.pk
    with pytest.raises(NotFound):
        case_get_for(inspector, other.pk)


def test_the_gate_by_number_accepts_any_case_of_letters_and_spaces_and_hides_alike(make_user, other_unit):
    inspector = make_user()
    case = _case(inspector)
    seen, _ = case_get_by_number_for(inspector, f"  {case.number.lower()} ")
    assert seen.pk == case.pk
    stranger = make_user("police_inspector", unit=other_unit)
    with pytest.raises(NotFound):
        case_get_by_number_for(stranger, case.number)
    with pytest.raises(NotFound):
        case_get_by_number_for(stranger, "C-1999-0000001")
    # Both refusals are audited alike: the unknown number only as a keyed hash of what was asked.
    assert _audit(AuditAction.DENIED) == [
        (stranger.pk, other_unit.pk, "case", str(case.pk), "refused"),
        (stranger.pk, other_unit.pk, "case", "", "refused"),
    ]
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, target_id="").get().term_hash != ""


def test_a_restricted_case_is_seen_by_every_oversight_unit_and_nobody_else(make_user, other_unit, reference):
    first, second = _unit("oversight", "Oversight A", "KZ-71"), _unit("oversight", "Oversight B", "KZ-75")
    retired = _unit("oversight", "Oversight closed", "KZ-79")
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    inspector = make_user()
    case = _case(inspector, restricted=True)
    assert set(Grant.objects.filter(case=case, reason=GrantReason.OVERSIGHT).values_list("unit_id", "scope")) == {(first.pk, Scope.FULL), (second.pk, Scope.FULL)}
    for unit in (first, second):
        assert case_get_for(make_user("oversight", unit=unit), case.pk)[1].scope == Scope.FULL
    for outsider in (inspector, make_user("police_supervisor"), make_user("police_inspector", unit=other_unit), make_user("oversight", unit=retired)):
        with pytest.raises(NotFound):
            case_get_for(outsider, case.pk)


def test_the_registering_unit_keeps_its_grant_rows_but_they_end_when_the_case_is_restricted(make_user, reference):
    _unit("oversight", "Oversight", "KZ-71")
    inspector = make_user()
    with clock.frozen(T0) as frozen:
        case = _case(inspector)
        assert scope_for(inspector, case) == Scope.FULL
        frozen.advance(timedelta(hours=1))
        report_register(actor=inspector, data=report_input(restricted=True))
        assert scope_for(inspector, Case.objects.get(pk=case.pk)) is None
    grant = Grant.objects.get(case=case, unit=inspector.unit)
    assert (grant.since, grant.until) == (T0, T0 + timedelta(hours=1))  # nothing deleted
