"""The risk panel's hand-written reads (risk.panel_reads, ADR 0018) give what the ORM gives: the same
rows in the same order, the same values (decrypted reasons and notes, aware times, the answers'
JSON), the same related rows attached — on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from qorgau.accounts.roles import Role
from qorgau.risk import panel_reads
from qorgau.risk.models import Assessment, AssessmentStatus, CaseRisk, LevelChange, MeasureRecord
from qorgau.risk.selectors import case_risk_panel
from qorgau.risk.services import assessment_change_level, assessment_start, measure_record
from tests.hand_reads import same
from tests.risk.support import answers_scoring, make_case, signed, version

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(instruments, make_user):
    inspector, supervisor = make_user(Role.POLICE_INSPECTOR), make_user(Role.POLICE_SUPERVISOR)
    assessed = make_case(inspector, serial=1000)
    first = signed(inspector, assessed, "dash", answers_scoring("dash", 10))
    assessment_change_level(actor=supervisor, assessment=first, to_level="low", reason="Он под стражей на два года.")
    assessment_change_level(actor=inspector, assessment=first, to_level="high", reason="Освобождён досрочно, она звонила.")
    signed(inspector, assessed, "odara", answers_scoring("odara", 3))  # the actuarial one beside the level
    assessment_start(actor=inspector, case=assessed, version_id=version("dash").pk)  # a draft
    measure_record(actor=inspector, case=assessed, measure="safety_plan", status="applied", note="Составлен с ней в отделе.")
    measure_record(actor=supervisor, case=assessed, measure="patrol_visits", status="not_applied", note="Нет патруля в селе ночью.")
    never = make_case(inspector, serial=1100)
    return assessed, never


def test_the_case_risk_is_the_orms(cases):
    assessed, never = cases
    assert panel_reads.case_risk(never) is None
    ours = panel_reads.case_risk(assessed)
    orm = CaseRisk.objects.select_related("assessment__version__instrument").get(case=assessed)
    same(ours, orm)
    same(ours.assessment, orm.assessment)
    same(ours.assessment.version, orm.assessment.version)
    same(ours.assessment.version.instrument, orm.assessment.version.instrument)


def test_the_assessments_are_the_orms_newest_first(cases):
    assessed, never = cases
    assert panel_reads.assessments(never) == []
    ours = panel_reads.assessments(assessed)
    orm = list(Assessment.objects.filter(case=assessed).select_related("version__instrument", "assessed_by", "unit"))
    assert [a.pk for a in ours] == [a.pk for a in orm]
    assert {a.status for a in ours} == {AssessmentStatus.SIGNED, AssessmentStatus.DRAFT}
    for a, b in zip(ours, orm, strict=True):
        same(a, b)
        for related in ("version", "assessed_by", "unit"):
            same(getattr(a, related), getattr(b, related))
        same(a.version.instrument, b.version.instrument)
    assert any(a.answers for a in ours)  # the JSON read as a dict


def test_the_measures_and_level_changes_are_the_orms(cases):
    assessed, _never = cases
    risk = CaseRisk.objects.get(case=assessed)
    ours = panel_reads.measure_records(risk.assessment_id)
    orm = list(MeasureRecord.objects.filter(assessment_id=risk.assessment_id).select_related("by").order_by("pk"))
    assert len(ours) == 2
    for a, b in zip(ours, orm, strict=True):
        same(a, b)
        same(a.by, b.by)
    assert {r.note for r in ours} == {"Составлен с ней в отделе.", "Нет патруля в селе ночью."}
    changes = panel_reads.level_changes(assessed)
    orm_changes = list(LevelChange.objects.filter(assessment__case=assessed).select_related("by").order_by("-at", "-id"))
    assert [c.to_level for c in changes] == ["high", "low"]
    for a, b in zip(changes, orm_changes, strict=True):
        same(a, b)
        same(a.by, b.by)


def test_the_panel_is_six_statements_whatever_its_rows(cases, django_assert_max_num_queries):
    assessed, _never = cases
    with django_assert_max_num_queries(6) as captured:  # five by hand (one for the forcing events), the level's measures
        panel = case_risk_panel(assessed)
    assert panel.risk is not None and panel.risk.level == "high"
    assert panel.actuarial is not None and panel.actuarial.version.instrument.kind == "actuarial"
    assert len(panel.drafts) == 1 and len(panel.changes) == 2
    assert {row.measure for row in panel.measures if row.record is not None} == {"safety_plan", "patrol_visits"}
    assert len(captured.captured_queries) == 6
