"""Writes of risk assessment: start, save and sign an assessment, a supervisor's change of level, the
protection measures applied. Each write checks the case's gate, audits in its transaction and keeps
the case's level (``CaseRisk``) in step (DESIGN §10)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases import triggers
from qorgau.cases.access import scope_for
from qorgau.cases.ledger import event_add
from qorgau.cases.models import Case, EventKind
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.risk.models import (
    Assessment,
    AssessmentStatus,
    CaseRisk,
    InstrumentKind,
    InstrumentVersion,
    Level,
    LevelChange,
    LevelMeasure,
    LevelPolicy,
    Measure,
    MeasureRecord,
    MeasureStatus,
    VersionStatus,
)
from qorgau.risk.prefill import latest_incident, prefill_answers
from qorgau.risk.scoring import Spec, bad_answers, evaluate, higher, is_lower
from qorgau.training.models import Action
from qorgau.training.services import certificate_required

MIN_REASON = 10


def may_assess(actor: User, scope: Scope | str | None) -> bool:
    return actor.can(Capability.ASSESS_RISK) and scope in (Scope.FULL, Scope.WORKER)


def _require_assess(actor: User, case: Case) -> None:
    scope = scope_for(actor, case)
    if scope is None:
        raise NotFound()
    if not may_assess(actor, scope):
        raise Forbidden()


def versions_for(case: Case) -> list[InstrumentVersion]:
    """The published instruments that apply to the pair's relationship, primary first."""
    versions = (
        InstrumentVersion.objects.filter(status=VersionStatus.PUBLISHED, relationships__relationship=case.relationship)
        .select_related("instrument").order_by("-relationships__primary", "instrument__code")
    )
    return list(versions)


@transaction.atomic
def assessment_start(*, actor: User, case: Case, version_id: int) -> Assessment:
    """A draft on the case's latest incident, with what the registry already knows proposed."""
    _require_assess(actor, case)
    assert actor.unit is not None  # a grant to work on the case means a unit
    if case.merged_into_id is not None:
        raise Invalid(fields={"version": [_("This case was merged into another: assess risk there.")]})
    version = next((v for v in versions_for(case) if v.pk == version_id), None)
    if version is None:
        raise Invalid(fields={"version": [_("Choose one of the instruments offered for this relationship.")]})
    incident = latest_incident(case)
    prefill = prefill_answers(case, list(version.items.exclude(prefill="").values_list("code", "prefill")), incident=incident)
    at = clock.now()
    assessment = Assessment.objects.create(
        case=case, version=version, incident=incident, prefill=prefill, unit=actor.unit, assessed_by=actor,
        language=(get_language() or "ru")[:2], created_at=at, updated_at=at,
    )
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="assessment", target_id=assessment.pk)
    return assessment


def _answers_checked(spec: Spec, answers: dict[str, str]) -> dict[str, str]:
    bad = bad_answers(spec, answers)
    if bad:
        raise Invalid(fields={f"item_{code}": [_("Choose yes, no or not known.")] for code in bad})
    return {code: answers[code] for code in spec.weights if code in answers}


@transaction.atomic
def assessment_save(*, actor: User, assessment: Assessment, row_version: int, answers: dict[str, str]) -> Assessment:
    """Save a draft's answers (incomplete is fine); a signed assessment never changes."""
    _require_assess(actor, assessment.case)
    if assessment.status != AssessmentStatus.DRAFT:
        raise Invalid(fields={"__all__": [_("A signed assessment cannot be changed. Start a reassessment instead.")]})
    spec = Spec.of(assessment.version)
    clean = _answers_checked(spec, answers)
    result = evaluate(spec, clean)
    updated = Assessment.objects.filter(pk=assessment.pk, row_version=row_version, status=AssessmentStatus.DRAFT).update(
        answers=clean, score=result.score, computed_level=result.level, flag=result.flag,
        updated_at=clock.now(), row_version=row_version + 1,
    )
    if not updated:
        raise Conflict()
    assessment.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="assessment", target_id=assessment.pk)
    return assessment


def _level_checked(actor: User, computed: Level, final_level: str, reason: str) -> Level:
    if not final_level:
        return computed
    if final_level not in Level.values:
        raise Invalid(fields={"final_level": [_("Choose one of the offered values.")]})
    final = Level(final_level)
    if final == computed:
        return final
    if is_lower(final, computed) and not actor.can(Capability.SUPERVISE_UNIT):
        raise Invalid(fields={"final_level": [_(
            "Only a supervisor may set a level lower than the computed one. You may raise it, with a reason, "
            "or sign it as computed and ask your supervisor to review it."
        )]})
    if len(reason.strip()) < MIN_REASON:
        raise Invalid(fields={"level_reason": [_("Write why the level differs from the computed one (at least 10 characters).")]})
    return final


def _policy_days(level: Level | str) -> int:
    """Days to the next reassessment: configuration (risk/policy.json, loaded by load-reference)."""
    return LevelPolicy.objects.get(level=level).reassess_days


def case_risk_refresh(case: Case) -> CaseRisk | None:
    """The case's level (DESIGN §10): the latest signed assessment by the primary instrument for its
    relationship, raised (never lowered) by the latest signed actuarial one; due by that level."""
    signed = Assessment.objects.filter(case=case, status=AssessmentStatus.SIGNED).select_related("version__instrument")
    primary = signed.filter(version__relationships__relationship=case.relationship, version__relationships__primary=True).order_by("-signed_at", "-id").first()
    actuarial = signed.filter(version__instrument__kind=InstrumentKind.ACTUARIAL).order_by("-signed_at", "-id").first()
    latest = signed.order_by("-signed_at", "-id").first()
    lead = primary or actuarial or latest
    if lead is None:
        CaseRisk.objects.filter(case=case).delete()
        return None
    level = Level(lead.final_level)
    if actuarial is not None and actuarial.pk != lead.pk:
        level = higher(level, actuarial.final_level)
    assessed_at = max(a.signed_at for a in (primary, actuarial, latest) if a is not None and a.signed_at is not None)
    risk, _created = CaseRisk.objects.update_or_create(
        case=case, defaults={"level": level, "assessment": lead, "assessed_at": assessed_at,
                             "due_at": assessed_at + timedelta(days=_policy_days(level))},
    )
    return risk


@transaction.atomic
def assessment_sign(*, actor: User, assessment: Assessment, row_version: int, final_level: str = "", reason: str = "") -> Assessment:
    """Sign a complete draft with its final level: the computed one, raised with a reason, or lowered
    with a reason by a supervisor. The case's level and reassessment date follow. A role that needs a
    current training certificate to sign (``training/courses.json``, when enforced) is refused first."""
    _require_assess(actor, assessment.case)
    certificate_required(actor, Action.SIGN_RISK_ASSESSMENT)
    if assessment.status != AssessmentStatus.DRAFT:
        raise Invalid(fields={"__all__": [_("This assessment is already signed.")]})
    if assessment.row_version != row_version:
        raise Conflict()
    spec = Spec.of(assessment.version)
    result = evaluate(spec, _answers_checked(spec, assessment.answers))
    if result.missing:
        raise Invalid(fields={
            "__all__": [_("Answer every question before signing (\"not known\" is an answer). The draft is saved.")],
            **{f"item_{code}": [_("Answer this question.")] for code in result.missing},
        })
    final = _level_checked(actor, result.level, final_level, reason)
    at = clock.now()
    updated = Assessment.objects.filter(pk=assessment.pk, row_version=row_version, status=AssessmentStatus.DRAFT).update(
        status=AssessmentStatus.SIGNED, score=result.score, computed_level=result.level, flag=result.flag, final_level=final,
        level_reason=reason.strip() if final != result.level else "", signed_at=at, updated_at=at, row_version=row_version + 1,
    )
    if not updated:
        raise Conflict()
    assessment.refresh_from_db()
    before = CaseRisk.objects.filter(case=assessment.case).values_list("level", flat=True).first()
    risk = case_risk_refresh(assessment.case)
    event_add(assessment.case, EventKind.RISK_ASSESSED, actor, reason=assessment.level_reason)
    if risk is not None:
        triggers.level_changed(actor=actor, case=assessment.case, before=before, after=risk.level, key=f"assessment:{assessment.pk}")
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="assessment", target_id=assessment.pk)
    return assessment


@transaction.atomic
def assessment_change_level(*, actor: User, assessment: Assessment, to_level: str, reason: str) -> Assessment:
    """Change a signed assessment's final level after review. Anyone who assesses may raise it; only
    a supervisor may lower it. The assessment keeps its answers and computed level; the change is kept."""
    _require_assess(actor, assessment.case)
    if assessment.status != AssessmentStatus.SIGNED:
        raise Invalid(fields={"to_level": [_("Sign the assessment first.")]})
    newest = Assessment.objects.filter(case=assessment.case, version__instrument=assessment.version.instrument_id, status=AssessmentStatus.SIGNED)
    if newest.order_by("-signed_at", "-id").values_list("pk", flat=True).first() != assessment.pk:
        raise Invalid(fields={"to_level": [_("Only the latest assessment by this instrument can be reviewed.")]})
    if to_level not in Level.values or to_level == assessment.final_level:
        raise Invalid(fields={"to_level": [_("Choose a level other than the current one.")]})
    if is_lower(to_level, assessment.final_level) and not actor.can(Capability.SUPERVISE_UNIT):
        raise Invalid(fields={"to_level": [_("Only a supervisor may lower a risk level.")]})
    if len(reason.strip()) < MIN_REASON:
        raise Invalid(fields={"reason": [_("Write the reason (at least 10 characters).")]})
    change = LevelChange.objects.create(
        assessment=assessment, from_level=assessment.final_level, to_level=to_level, reason=reason.strip(), by=actor, at=clock.now()
    )
    Assessment.objects.filter(pk=assessment.pk).update(final_level=to_level, row_version=assessment.row_version + 1)
    assessment.refresh_from_db()
    before = CaseRisk.objects.filter(case=assessment.case).values_list("level", flat=True).first()
    risk = case_risk_refresh(assessment.case)
    if risk is not None:
        triggers.level_changed(actor=actor, case=assessment.case, before=before, after=risk.level, key=f"level-change:{change.pk}")
    event_add(assessment.case, EventKind.RISK_LEVEL, actor, reason=reason.strip())
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="assessment", target_id=assessment.pk)
    return assessment


def measures_required(level: Level | str) -> list[Measure]:
    codes = set(LevelMeasure.objects.filter(policy_id=level).values_list("measure", flat=True))
    return [m for m in Measure if m.value in codes]


@transaction.atomic
def measure_record(*, actor: User, case: Case, measure: str, status: str, note: str = "") -> MeasureRecord:
    """Record whether a measure the case's current level requires was applied (or why not)."""
    _require_assess(actor, case)
    risk = CaseRisk.objects.filter(case=case).select_related("assessment").first()
    if risk is None:
        raise Invalid(fields={"measure": [_("Assess the risk first: the level decides the measures.")]})
    if measure not in {m.value for m in measures_required(risk.level)}:
        raise Invalid(fields={"measure": [_("This measure is not required at the case's level.")]})
    if status not in MeasureStatus.values:
        raise Invalid(fields={"status": [_("Choose one of the offered values.")]})
    note = note.strip()
    if status == MeasureStatus.NOT_APPLIED and len(note) < MIN_REASON:
        raise Invalid(fields={"note": [_("Write why the measure was not applied (at least 10 characters).")]})
    record, _created = MeasureRecord.objects.update_or_create(
        assessment=risk.assessment, measure=measure, defaults={"status": status, "note": note, "by": actor, "at": clock.now()}
    )
    event_add(case, EventKind.MEASURE, actor, reason=note)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="case", target_id=case.pk)
    return record


def measure_applied_by_task(*, actor: User, case: Case, measure: str) -> MeasureRecord | None:
    """A protocol task that carries out ``measure`` is done: record the measure as applied on the
    case's current assessment, on behalf of the task's unit (whose worker may not assess risk, so the
    gate of ``measure_record`` does not apply; the task gate already did). Nothing when the case has no
    level yet or its level no longer requires the measure. Runs in the caller's transaction."""
    risk = CaseRisk.objects.filter(case=case).select_related("assessment").first()
    if risk is None or measure not in {m.value for m in measures_required(risk.level)}:
        return None
    record, _created = MeasureRecord.objects.update_or_create(
        assessment=risk.assessment, measure=measure, defaults={"status": MeasureStatus.APPLIED, "note": "", "by": actor, "at": clock.now()}
    )
    event_add(case, EventKind.MEASURE, actor)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="case", target_id=case.pk)
    return record
