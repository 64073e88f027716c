"""The proposal rules (``conferences_propose``): each rule proposes, once; restricted and closed cases
never; a held or dismissed conference comes back only with a new event."""

from __future__ import annotations

import pytest

from qorgau.accounts.models import Notification, NotificationKind
from qorgau.cases.access import grants_in_force
from qorgau.cases.ledger import case_restrict
from qorgau.cases.models import CaseEvent, CaseState, EventKind
from qorgau.core.models import AuditEvent
from qorgau.protocols.conferences import conference_dismiss, conferences_propose, convening_unit_for, grounds_due
from qorgau.protocols.models_conferences import Conference, ConferenceReason, ConferenceStatus
from qorgau.risk.models import CaseRisk
from tests.conferences.support import add_incident, agency_unit, breach, make_case, reasons, sign_dash

pytestmark = pytest.mark.django_db


def test_a_quiet_case_is_not_proposed(case, inspector, risk, coordinator):
    sign_dash(case, inspector, score=9)
    add_incident(case, days_ago=30)  # two incidents: not yet three
    assert conferences_propose() == 0
    assert not Conference.objects.exists()


def test_checklist_14_proposes_to_the_family_support_centre_with_a_coordinator(case, inspector, risk, coordinator, fsc_unit):
    a = sign_dash(case, inspector, score=14)
    assert (a.score, a.final_level) == (14, "high")
    assert conferences_propose() == 1
    conference = Conference.objects.get(case=case)
    assert conference.status == ConferenceStatus.PROPOSED
    assert conference.convening_unit == fsc_unit and conference.proposed_by is None
    assert [(g.reason, g.source_id) for g in conference.grounds.all()] == [(ConferenceReason.CHECKLIST_14, a.pk)]
    # The convening unit may open the case; its coordinator is told; timeline and audit are written.
    assert grants_in_force().filter(case=case, unit=fsc_unit, scope="worker").exists()
    assert Notification.objects.filter(recipient=coordinator, kind=NotificationKind.CONFERENCE_PROPOSED, target_id=str(conference.pk)).count() == 1
    assert CaseEvent.objects.filter(case=case, kind=EventKind.CONFERENCE, to_state="proposed").count() == 1
    assert AuditEvent.objects.filter(target_type="conference", target_id=str(conference.pk), outcome="proposed").count() == 1


def test_13_points_do_not_propose(case, inspector, risk, coordinator):
    sign_dash(case, inspector, score=13)
    assert conferences_propose() == 0


def test_only_the_latest_checklist_counts(case, inspector, risk, coordinator):
    sign_dash(case, inspector, score=15)
    sign_dash(case, inspector, score=8)
    assert grounds_due() == {}


def test_critical_level_proposes(case, inspector, risk, coordinator):
    a = sign_dash(case, inspector, score=3, flag=True)
    a.refresh_from_db()
    CaseRisk.objects.filter(case=case).update(level="critical")  # raised by the officer
    assert conferences_propose() == 1
    assert [(g.reason, g.source_id) for g in Conference.objects.get(case=case).grounds.all()] == [(ConferenceReason.CRITICAL, a.pk)]


def test_critical_and_14_together_are_one_conference_with_two_reasons(case, inspector, risk, coordinator):
    a = sign_dash(case, inspector, score=16, flag=True)
    assert a.final_level == "critical"
    assert conferences_propose() == 1
    assert reasons(Conference.objects.get(case=case)) == ["checklist_14", "critical"]


def test_third_incident_within_12_months_proposes(case, inspector, coordinator):
    add_incident(case, days_ago=200)
    assert conferences_propose() == 0
    third = add_incident(case, days_ago=10)
    assert conferences_propose() == 1
    ground = Conference.objects.get(case=case).grounds.get()
    assert (ground.reason, ground.source_id) == (ConferenceReason.THIRD_INCIDENT, third.pk)


def test_incidents_older_than_12_months_do_not_count(case, inspector, coordinator):
    add_incident(case, days_ago=400)
    add_incident(case, days_ago=500)
    assert conferences_propose() == 0


def test_a_breach_proposes(case, inspector, coordinator):
    b = breach(case, inspector)
    assert conferences_propose() == 1
    ground = Conference.objects.get(case=case).grounds.get()
    assert (ground.reason, ground.source_id) == (ConferenceReason.BREACH, b.pk)


def test_the_sweep_proposes_once(case, inspector, risk, coordinator):
    sign_dash(case, inspector, score=14)
    assert conferences_propose() == 1
    assert conferences_propose() == 0
    assert Conference.objects.count() == 1
    assert Notification.objects.filter(kind=NotificationKind.CONFERENCE_PROPOSED).count() == 1


def test_a_reassessment_at_the_same_score_is_not_a_new_event(case, inspector, risk, coordinator):
    sign_dash(case, inspector, score=14)
    conferences_propose()
    conference = Conference.objects.get()
    conference_dismiss(actor=coordinator, conference=conference, version=conference.version, reason="Уже работаем с ней")
    sign_dash(case, inspector, score=17)  # still 14 or more: the same run
    assert conferences_propose() == 0
    # The score falls below 14 and rises again: a new event.
    sign_dash(case, inspector, score=5)
    again = sign_dash(case, inspector, score=14)
    assert conferences_propose() == 1
    live = Conference.objects.get(status=ConferenceStatus.PROPOSED)
    assert [(g.reason, g.source_id) for g in live.grounds.all()] == [(ConferenceReason.CHECKLIST_14, again.pk)]


def test_a_new_event_joins_the_live_conference(case, inspector, risk, coordinator):
    sign_dash(case, inspector, score=14)
    conferences_propose()
    b = breach(case, inspector)
    assert conferences_propose() == 1
    conference = Conference.objects.get()
    assert reasons(conference) == ["breach", "checklist_14"]
    assert conference.grounds.get(reason="breach").source_id == b.pk
    # Told once, when proposed; the new reason shows on the timeline.
    assert Notification.objects.filter(kind=NotificationKind.CONFERENCE_PROPOSED).count() == 1
    assert CaseEvent.objects.filter(case=case, kind=EventKind.CONFERENCE).count() == 2


def test_a_new_breach_after_a_dismissal_proposes_again(case, inspector, coordinator):
    breach(case, inspector)
    conferences_propose()
    first = Conference.objects.get()
    conference_dismiss(actor=coordinator, conference=first, version=first.version, reason="Обсудили на планёрке")
    assert conferences_propose() == 0
    breach(case, inspector)
    assert conferences_propose() == 1
    assert Conference.objects.filter(case=case).count() == 2


def test_restricted_cases_are_never_proposed(case, inspector, risk, coordinator):
    sign_dash(case, inspector, score=16, flag=True)
    breach(case, inspector)
    case_restrict(case, None)
    assert conferences_propose() == 0
    assert not Conference.objects.exists()


def test_closed_cases_are_not_proposed(case, inspector, coordinator):
    breach(case, inspector)
    type(case).objects.filter(pk=case.pk).update(state=CaseState.CLOSED)
    assert conferences_propose() == 0


def test_police_convene_when_no_family_support_centre_has_a_coordinator(case, inspector, risk, make_user, police_unit, fsc_unit):
    police_coordinator = make_user("conference_coordinator", unit=police_unit, username="police_coordinator")
    assert convening_unit_for(case) == police_unit
    breach(case, inspector)
    conferences_propose()
    assert Conference.objects.get().convening_unit == police_unit
    assert Notification.objects.filter(recipient=police_coordinator, kind=NotificationKind.CONFERENCE_PROPOSED).count() == 1


def test_without_any_coordinator_the_routed_family_support_centre_convenes(case, fsc_unit):
    assert convening_unit_for(case) == fsc_unit


def test_the_rule_follows_the_routing_to_the_case_district(reference, protocols, make_user, coordinator):
    # A case in Atyrau: the Almaty centre does not convene; with no unit there, the national one would.
    atyrau_fsc = agency_unit("family_support", "KZ-23", None, "FSC Atyrau")
    atyrau_police = agency_unit("police", "KZ-23", None, "Police Atyrau")
    inspector = make_user("police_inspector", unit=atyrau_police, username="atyrau_inspector")
    other = make_case(inspector, serial=2000, region="KZ-23", district="")
    assert convening_unit_for(other) == atyrau_fsc
