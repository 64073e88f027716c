"""Assessments through the services: pre-fill from the registry, drafts and signing, raising and
lowering the level, the case's level and reassessment date, measures, and the gate."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import translation

from qorgau.accounts.roles import Role
from qorgau.cases.models import CaseEvent, EventKind
from qorgau.cases.services import VictimInput, report_register
from qorgau.core import clock
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditEvent
from qorgau.risk.models import Assessment, AssessmentStatus, CaseRisk, Level, LevelChange, MeasureRecord
from qorgau.risk.selectors import case_risk_panel, reassessments_due
from qorgau.risk.services import (
    assessment_change_level,
    assessment_save,
    assessment_sign,
    assessment_start,
    measure_record,
    measures_required,
    versions_for,
)
from tests.cases.factories import person, report_input
from tests.risk.support import answers_scoring, make_case, signed, version

pytestmark = pytest.mark.django_db

NO_FLAG = ("current_injury", "very_frightened", "fears_what", "isolated", "victim_depressed", "child_contact_conflict",
           "pregnancy_recent_birth", "hurt_others", "pet_harmed", "stalking", "more_often", "sexual_abuse", "third_party",
           "financial", "offender_suicide", "substance_mental_health", "breach", "criminal_history")


def dash(n: int, *extra_yes: str) -> dict[str, str]:
    """n "yes" answers on items that raise no flag, plus the named ones."""
    answers = answers_scoring("dash", 0)
    for code in NO_FLAG[:n]:
        answers[code] = "yes"
    for code in extra_yes:
        answers[code] = "yes"
    return answers


@pytest.fixture
def inspector(instruments, make_user):
    return make_user(Role.POLICE_INSPECTOR)


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.POLICE_SUPERVISOR)


def test_the_instruments_offered_follow_the_relationship(inspector):
    partner = make_case(inspector, relationship="spouse")
    child = make_case(inspector, relationship="parent", serial=2000)
    assert [v.instrument.code for v in versions_for(partner)] == ["dash", "odara"]
    assert [v.instrument.code for v in versions_for(child)] == ["family"]
    with pytest.raises(Invalid):
        assessment_start(actor=inspector, case=child, version_id=version("dash").pk)


def test_the_incident_and_the_registry_prefill_items(inspector, other_unit, make_user):
    # An earlier incident by the same man against another woman, in a unit the inspector cannot see.
    elsewhere = make_user(Role.POLICE_INSPECTOR, unit=other_unit)
    other_victim = VictimInput(relationship="ex_spouse", person=person("Ахметова Дана", birth=dt.date(1992, 1, 9), serial=3000))
    offender = person("Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M", serial=1000)
    with clock.frozen(clock.now() - timedelta(days=200)):
        report_register(actor=elsewhere, data=report_input(victims=[other_victim], offender=offender, region="KZ-23", district=""))
    case = make_case(inspector, circumstances={"strangulation", "alcohol"}, markers=["pregnant"])
    dash_draft = assessment_start(actor=inspector, case=case, version_id=version("dash").pk)
    assert dash_draft.prefill["strangulation"] == "yes"
    assert dash_draft.prefill["weapons"] == "no"
    assert dash_draft.prefill["pregnancy_recent_birth"] == "yes"
    assert dash_draft.prefill["hurt_others"] == "yes"  # his other victim, in a case the inspector cannot open
    assert dash_draft.answers == {}  # proposals, not answers: the officer confirms
    odara = assessment_start(actor=inspector, case=case, version_id=version("odara").pk)
    assert odara.prefill["prior_domestic"] == "yes"
    assert odara.prefill["assault_pregnant"] == "yes"


def test_nothing_known_is_not_prefilled_as_no(inspector):
    case = make_case(inspector)
    draft = assessment_start(actor=inspector, case=case, version_id=version("odara").pk)
    assert "prior_domestic" not in draft.prefill  # no earlier incident on record is not "no"


def test_a_draft_saves_incomplete_but_cannot_be_signed(inspector):
    case = make_case(inspector)
    a = assessment_start(actor=inspector, case=case, version_id=version("odara").pk)
    a = assessment_save(actor=inspector, assessment=a, row_version=a.row_version, answers={"prior_domestic": "yes", "threat_index": "yes"})
    assert (a.status, a.score, a.computed_level) == (AssessmentStatus.DRAFT, 2, Level.MEDIUM)
    with pytest.raises(Invalid) as exc:
        assessment_sign(actor=inspector, assessment=a, row_version=a.row_version)
    assert "item_prior_custody" in exc.value.fields and "__all__" in exc.value.fields
    a.refresh_from_db()
    assert a.status == AssessmentStatus.DRAFT and a.answers == {"prior_domestic": "yes", "threat_index": "yes"}
    assert not CaseRisk.objects.filter(case=case).exists()


def test_an_answer_outside_the_values_is_refused(inspector):
    a = assessment_start(actor=inspector, case=make_case(inspector), version_id=version("odara").pk)
    with pytest.raises(Invalid) as exc:
        assessment_save(actor=inspector, assessment=a, row_version=a.row_version, answers={"prior_domestic": "maybe", "nonsense": "yes"})
    assert set(exc.value.fields) == {"item_prior_domestic", "item_nonsense"}
    a.refresh_from_db()
    assert a.answers == {} and a.row_version == 1


def test_a_stale_draft_is_a_conflict(inspector):
    a = assessment_start(actor=inspector, case=make_case(inspector), version_id=version("odara").pk)
    assessment_save(actor=inspector, assessment=a, row_version=1, answers={"prior_domestic": "yes"})
    with pytest.raises(Conflict):
        assessment_save(actor=inspector, assessment=a, row_version=1, answers={"prior_domestic": "no"})
    a.refresh_from_db()
    assert a.answers == {"prior_domestic": "yes"}


def test_signing_sets_the_case_level_and_due_date(inspector):
    case = make_case(inspector)
    at = clock.now()
    with clock.frozen(at):
        a = signed(inspector, case, "dash", dash(10))
    assert (a.status, a.score, a.computed_level, a.final_level, a.flag) == (AssessmentStatus.SIGNED, 10, "medium", "medium", False)
    risk = CaseRisk.objects.get(case=case)
    assert (risk.level, risk.assessment_id, risk.due_at) == ("medium", a.pk, at + timedelta(days=30))
    assert CaseEvent.objects.filter(case=case, kind=EventKind.RISK_ASSESSED).count() == 1
    assert AuditEvent.objects.filter(target_type="assessment", target_id=str(a.pk), action="write").count() == 3
    with pytest.raises(Invalid):
        assessment_save(actor=inspector, assessment=a, row_version=a.row_version, answers={})


def test_the_homicide_flag_makes_high_critical(inspector):
    case = make_case(inspector)
    a = signed(inspector, case, "dash", dash(13, "strangulation"))
    assert (a.score, a.flag, a.computed_level, a.final_level) == (14, True, "critical", "critical")
    assert CaseRisk.objects.get(case=case).due_at == a.signed_at + timedelta(days=3)


def test_the_officer_raises_with_a_reason_and_never_lowers(inspector):
    case = make_case(inspector)
    with pytest.raises(Invalid) as exc:
        signed(inspector, case, "dash", dash(10), final_level="high")
    assert "level_reason" in exc.value.fields
    with translation.override("en"), pytest.raises(Invalid) as exc:
        signed(inspector, case, "dash", dash(10), final_level="low", reason="she seems calm today, he left town")
    assert "Only a supervisor may set a level lower" in str(exc.value.fields["final_level"][0])
    a = signed(inspector, case, "dash", dash(10), final_level="high", reason="he bought a hunting rifle last week")
    assert (a.computed_level, a.final_level, a.level_reason) == ("medium", "high", "he bought a hunting rifle last week")
    assert CaseRisk.objects.get(case=case).level == "high"
    drafts = Assessment.objects.filter(case=case, status=AssessmentStatus.DRAFT).count()
    assert drafts == 2  # the refused signatures left their drafts, answers kept


def test_a_supervisor_may_lower_with_a_reason(inspector, supervisor):
    case = make_case(inspector)
    a = signed(inspector, case, "dash", dash(10))
    with pytest.raises(Invalid):
        assessment_change_level(actor=inspector, assessment=a, to_level="low", reason="he moved to another region")
    with pytest.raises(Invalid) as exc:
        assessment_change_level(actor=supervisor, assessment=a, to_level="low", reason="short")
    assert "reason" in exc.value.fields
    a = assessment_change_level(actor=supervisor, assessment=a, to_level="low", reason="he is in custody for 2 years")
    assert (a.computed_level, a.final_level) == ("medium", "low")
    change = LevelChange.objects.get(assessment=a)
    assert (change.from_level, change.to_level, change.by) == ("medium", "low", supervisor)
    risk = CaseRisk.objects.get(case=case)
    assert (risk.level, risk.due_at) == ("low", a.signed_at + timedelta(days=60))
    assessment_change_level(actor=inspector, assessment=a, to_level="high", reason="he was released early, she called")
    assert CaseRisk.objects.get(case=case).level == "high"


def test_the_actuarial_score_only_raises_the_case_level(inspector):
    case = make_case(inspector)
    signed(inspector, case, "dash", dash(10))  # medium
    odara = signed(inspector, case, "odara", answers_scoring("odara", 5))  # high
    assert odara.final_level == "high"
    assert CaseRisk.objects.get(case=case).level == "high"
    signed(inspector, case, "odara", answers_scoring("odara", 0))  # low: does not lower the checklist's medium
    assert CaseRisk.objects.get(case=case).level == "medium"


def test_measures_follow_the_level(inspector):
    case = make_case(inspector)
    with pytest.raises(Invalid):
        measure_record(actor=inspector, case=case, measure="safety_plan", status="applied")
    signed(inspector, case, "dash", dash(10))
    assert [m.value for m in measures_required("medium")] == ["patrol_visits", "safety_plan", "support_referral"]
    with pytest.raises(Invalid) as exc:
        measure_record(actor=inspector, case=case, measure="monitoring_proposal", status="applied")
    assert "measure" in exc.value.fields
    with pytest.raises(Invalid) as exc:
        measure_record(actor=inspector, case=case, measure="safety_plan", status="not_applied", note="no")
    assert "note" in exc.value.fields
    measure_record(actor=inspector, case=case, measure="safety_plan", status="applied", note="made with her at the station")
    measure_record(actor=inspector, case=case, measure="patrol_visits", status="not_applied", note="she asked for no visits at home")
    panel = case_risk_panel(case)
    assert [(r.measure.value, r.done) for r in panel.measures] == [("patrol_visits", False), ("safety_plan", True), ("support_referral", False)]
    assert MeasureRecord.objects.count() == 2


def test_the_gate_and_the_roles(inspector, other_unit, make_user):
    case = make_case(inspector)
    stranger = make_user(Role.POLICE_INSPECTOR, unit=other_unit)
    with pytest.raises(NotFound):
        assessment_start(actor=stranger, case=case, version_id=version("dash").pk)
    judge = make_user(Role.JUDGE)  # works on cases of the unit, does not assess risk
    with pytest.raises(Forbidden):
        assessment_start(actor=judge, case=case, version_id=version("dash").pk)


def test_the_reassessment_queue(inspector):
    never = make_case(inspector, serial=1000)
    scheduled = make_case(inspector, serial=2000)
    forced = make_case(inspector, serial=3000)
    start = clock.now()
    with clock.frozen(start):
        signed(inspector, scheduled, "dash", dash(14))  # high: due in 7 days
        signed(inspector, forced, "dash", dash(0))  # low: due in 60 days
    with clock.frozen(start + timedelta(days=1)):
        # A new incident on the low-risk pair forces a reassessment at once.
        victim = VictimInput(relationship="spouse", person=person("Сапарова Айгерим", serial=3000))
        offender = person("Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M", serial=3000)
        report_register(actor=inspector, data=report_input(victims=[victim], offender=offender))
        rows = {r.case.pk: r for r in reassessments_due(inspector, within_days=0)}
    assert set(rows) == {never.pk, forced.pk}
    assert (rows[never.pk].reason, rows[never.pk].overdue) == ("never", True)
    assert (rows[forced.pk].reason, rows[forced.pk].overdue, rows[forced.pk].level) == ("incident", True, Level.LOW)
    assert case_risk_panel(forced).forced_by_incident
    with clock.frozen(start + timedelta(days=8)):
        rows = {r.case.pk: r for r in reassessments_due(inspector, within_days=0)}
    assert rows[scheduled.pk].reason == "scheduled" and rows[scheduled.pk].overdue
    with clock.frozen(start + timedelta(days=2)):
        soon = {r.case.pk: r for r in reassessments_due(inspector, within_days=7)}
    assert soon[scheduled.pk].overdue is False
