"""The risk levels' measures as protocol tasks (national-2): every required measure has a duty on
level_set and level_raised, a signed level gives one task per measure, and a measure task done is the
measure applied on the case's current assessment (declined: nothing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qorgau.cases.models import CaseEvent, EventKind
from qorgau.protocols.consent import referral_consent_record
from qorgau.protocols.definitions import (
    FILES_DIR,
    Gap,
    ProtocolFileError,
    measure_gaps,
    protocol_file_check,
    protocols_load,
)
from qorgau.protocols.models import ProtocolVersion, Task, TaskStatus, VersionStatus
from qorgau.protocols.services import task_decline, task_done
from qorgau.risk.instruments import instruments_load, policy_load
from qorgau.risk.models import CaseRisk, Measure, MeasureRecord, MeasureStatus
from qorgau.risk.services import measures_required
from tests.protocols.support import agency_unit
from tests.risk.support import answers_scoring, signed

pytestmark = pytest.mark.django_db

NATIONAL_2 = json.loads((FILES_DIR / "national-2.json").read_text(encoding="utf-8"))


@pytest.fixture
def risk_ready(reference) -> None:
    instruments_load()
    policy_load()


def test_the_measure_key_is_checked(reference):
    data = json.loads(json.dumps(NATIONAL_2))
    data["duties"][2]["measure"] = "curfew"
    with pytest.raises(ProtocolFileError) as exc:
        protocol_file_check(json.dumps(data, ensure_ascii=False).encode())
    assert str(exc.value).startswith("duties[2] (fsc_support).measure: unknown measure 'curfew'")


def test_national_2_covers_every_required_measure_and_retires_national_1(risk_ready):
    report = protocols_load()
    assert report.errors == [] and report.warnings == [] and report.new == 5
    published = ProtocolVersion.objects.get(status=VersionStatus.PUBLISHED)
    # national-5 (after the shelters', the programmes' and the monitoring duties) keeps national-2's measures and is in force now.
    assert published.number == 5 and ProtocolVersion.objects.get(number=1).status == VersionStatus.RETIRED
    assert measure_gaps(published) == [] and measure_gaps(ProtocolVersion.objects.get(number=2)) == []
    # The shipped first version would leave gaps (no level_set duties; the order only at critical).
    v1 = ProtocolVersion.objects.get(number=1)
    gaps = measure_gaps(v1)
    assert Gap("high", "level_raised", "protective_order") in gaps and Gap("low", "level_set", "support_referral") in gaps
    assert not any(g.measure == Measure.CASE_CONFERENCE for g in gaps)  # the conference module proposes it


def test_a_version_without_a_measure_loads_with_a_warning(risk_ready, tmp_path: Path):
    (tmp_path / "national-1.json").write_bytes((FILES_DIR / "national-1.json").read_bytes())
    report = protocols_load(tmp_path)
    assert report.new == 1 and report.errors == []
    assert "national-1.json: level high: no duty on level_set carries out protective_order" in report.warnings
    assert ProtocolVersion.objects.get(status=VersionStatus.PUBLISHED).number == 1  # in force all the same


def test_a_signed_level_gives_one_task_per_measure(risk_ready, protocols, case, inspector):
    signed(inspector, case, "odara", answers_scoring("odara", 8))  # critical: level_set and level_raised, one key
    level = CaseRisk.objects.get(case=case).level
    assert level == "critical"
    by_measure: dict[str, list[Task]] = {}
    for task in Task.objects.filter(case=case).exclude(duty__measure="").select_related("duty"):
        by_measure.setdefault(task.duty.measure, []).append(task)
    required = {m.value for m in measures_required(level)} - {Measure.CASE_CONFERENCE}
    assert set(by_measure) == required
    assert all(len(tasks) == 1 for tasks in by_measure.values()), by_measure
    # The family support referral is the registration's first contact, still waiting for her consent.
    assert by_measure["support_referral"][0].duty.code == "fsc_first_contact"
    # The same level signed again while the tasks are open: no second set.
    measure_tasks = Task.objects.filter(case=case).exclude(duty__measure="")
    before = measure_tasks.count()
    signed(inspector, case, "odara", answers_scoring("odara", 8))
    assert measure_tasks.count() == before == len(required)


def test_a_done_measure_task_applies_the_measure(risk_ready, protocols, case, inspector):
    assessment = signed(inspector, case, "odara", answers_scoring("odara", 5))  # high
    task = Task.objects.get(case=case, duty__code="police_patrol_visit")
    task_done(actor=inspector, task_id=task.pk, version=task.version, outcome="Visited, she is safe")
    record = MeasureRecord.objects.get(assessment=assessment, measure="patrol_visits")
    assert record.status == MeasureStatus.APPLIED and record.by == inspector
    assert CaseEvent.objects.filter(case=case, kind=EventKind.MEASURE).count() == 1


def test_a_referral_done_by_a_consent_unit_applies_it_too(risk_ready, protocols, inspector, make_user):
    from tests.protocols.support import make_case

    fsc = agency_unit("family_support", "KZ-75", "751110000", "FSC Almaly")
    worker = make_user("social_worker", unit=fsc, username="fsc_measures")
    case = make_case(inspector)
    assessment = signed(inspector, case, "odara", answers_scoring("odara", 2))  # medium
    referral = Task.objects.get(case=case, duty__code="fsc_first_contact")
    referral_consent_record(actor=inspector, task_id=referral.pk, version=referral.version, purpose="Support", how="in_person",
                            identity=True, contact=True)
    referral.refresh_from_db()
    # The FSC sees the case under a consent grant: it may not assess risk, yet its done task records the measure.
    task_done(actor=worker, task_id=referral.pk, version=referral.version, outcome="Counselling agreed")
    record = MeasureRecord.objects.get(assessment=assessment, measure="support_referral")
    assert record.status == MeasureStatus.APPLIED and record.by == worker


def test_declined_or_not_required_records_nothing(risk_ready, protocols, case, inspector):
    signed(inspector, case, "odara", answers_scoring("odara", 5))  # high
    order = Task.objects.get(case=case, duty__code="police_protective_order")
    task_decline(actor=inspector, task_id=order.pk, version=order.version, reason="An order was issued yesterday")
    assert not MeasureRecord.objects.filter(measure="protective_order").exists()
    # Finished before the case has any level (the registration's police check carries no measure; a
    # first contact done before an assessment has no assessment to record on).
    patrol = Task.objects.get(case=case, duty__code="police_patrol_visit")
    CaseRisk.objects.filter(case=case).delete()
    task_done(actor=inspector, task_id=patrol.pk, version=patrol.version, outcome="Visited")
    assert Task.objects.get(pk=patrol.pk).status == TaskStatus.DONE
    assert not MeasureRecord.objects.filter(measure="patrol_visits").exists()
