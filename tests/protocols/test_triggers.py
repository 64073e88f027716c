"""The registry's own events reach the protocol engine: a report, a risk level raised (not a lower
one), a case closed — each creates its duties once, however often it is fired again."""

from __future__ import annotations

import pytest

from qorgau.accounts.roles import Role
from qorgau.cases.services import case_change_state
from qorgau.protocols.models import Task
from qorgau.risk.instruments import instruments_load, policy_load
from qorgau.risk.services import assessment_change_level
from tests.risk.support import answers_scoring, signed

pytestmark = pytest.mark.django_db


def duties(case) -> list[str]:
    return sorted(Task.objects.filter(case=case).values_list("duty__code", flat=True))


def test_a_report_gives_the_police_its_check_and_offers_the_family_support_centre(case, fsc_unit):
    assert duties(case) == ["fsc_first_contact", "police_check_report"]


def test_a_report_with_children_present_involves_the_school_and_the_commission(protocols, inspector, reference):
    from tests.protocols.support import agency_unit, make_case

    agency_unit("school", "KZ-75", "751110000", "School 12")
    agency_unit("minors_commission", "KZ-75", None, "Commission on minors of Almaty")
    case = make_case(inspector, circumstances={"children_present"})
    assert {"school_child_follow_up", "minors_commission_review"} <= set(duties(case))


def test_a_raised_level_creates_its_duties_a_lowered_one_does_not(case, inspector, make_user):
    instruments_load()
    policy_load()
    before = len(duties(case))
    a = signed(inspector, case, "odara", answers_scoring("odara", 7))  # critical
    raised = set(duties(case))
    assert {"police_protective_order", "police_patrol_visit"} <= raised and len(raised) > before
    supervisor = make_user(Role.POLICE_SUPERVISOR)
    assessment_change_level(actor=supervisor, assessment=a, to_level="medium", reason="he is in custody for a year")
    assert set(duties(case)) == raised  # lowering fires no "raised" duty
    total = Task.objects.filter(case=case).count()
    signed(inspector, case, "odara", answers_scoring("odara", 7))  # raised again: a new event, new tasks
    assert Task.objects.filter(case=case).count() > total


def test_closing_the_case_fires_its_closing_duties(case, inspector):
    case_change_state(actor=inspector, case=case, version=case.version, to_state="closed", reason="no contact for a year, she moved")
    assert {"probation_programme_check", "fsc_closing_contact"} <= set(duties(case))
