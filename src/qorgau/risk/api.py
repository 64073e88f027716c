"""Risk assessment over the API (/api/v1): the case's risk, assessing it from another system, the
unit's reassessments due, and the published instruments (so a client can build the questionnaire).

Case-bound routes pass the case gate (404 alike for missing and forbidden); a reason written about
her is a narrative for the mask layer, ``null`` when hidden.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import AfterValidator

from qorgau.accounts.api import STAFF_AUTH
from qorgau.accounts.masks import MASKED, Viewer, mask
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import case_get_for
from qorgau.cases.api import CaseId as CaseIdPath
from qorgau.cases.api import Code, Id, Long, _case_reader, _clean_text, errors
from qorgau.cases.selectors import REPORT_POLICY
from qorgau.core.errors import Forbidden
from qorgau.risk import selectors, services
from qorgau.risk.models import Answer, Assessment, InstrumentVersion, Item, Level, Measure, VersionStatus

router = Router(tags=["risk"])

AnswerValue = Annotated[str, Field(max_length=10), AfterValidator(_clean_text)]


class MeasureOut(Schema):
    measure: Measure
    status: str | None = Field(description="applied, not_applied, or null while not recorded")
    recorded_at: dt.datetime | None


class AssessmentOut(Schema):
    id: int
    instrument: str
    version: int
    status: str
    score: int | None
    computed_level: Level | None
    final_level: Level | None
    flag: bool
    level_reason: str | None = Field(description="Null when the mask hides it from you.")
    answers: dict[str, Answer]
    prefilled: dict[str, Answer] = Field(description="What the registry proposed before the answers were given.")
    signed_at: dt.datetime | None


class CaseRiskOut(Schema):
    case_id: int
    level: Level | None = Field(description="Null while the case was never assessed.")
    set_by: int | None = Field(description="The assessment that sets the level.")
    assessed_at: dt.datetime | None
    due_at: dt.datetime | None
    overdue: bool
    forced_by_incident: bool
    measures: list[MeasureOut]
    assessments: list[AssessmentOut]


class AssessmentIn(Schema):
    version_id: Id
    answers: dict[Code, AnswerValue] = Field(max_length=60)
    sign: bool = False
    final_level: Level | None = None
    level_reason: Long = ""


class DueOut(Schema):
    case_id: int
    number: str
    level: Level | None
    due_at: dt.datetime
    overdue: bool
    reason: str = Field(description="never, incident or scheduled")


class ItemOut(Schema):
    code: str
    section: str
    question: str
    help: str
    weight: int
    prefill: str | None


class InstrumentOut(Schema):
    version_id: int
    code: str
    number: int
    name: str
    kind: str
    applies_to: list[str]
    primary_for: list[str]
    cutoffs: dict[str, int]
    items: list[ItemOut]


def _assessor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not user.can(Capability.ASSESS_RISK):
        raise Forbidden()
    return user


def _assessment_out(a: Assessment, viewer: Viewer) -> AssessmentOut:
    reason = mask(viewer, {"narrative": a.level_reason}, REPORT_POLICY)["narrative"]
    return AssessmentOut(
        id=a.pk, instrument=a.version.instrument.code, version=a.version.number, status=a.status, score=a.score,
        computed_level=Level(a.computed_level) if a.computed_level else None, final_level=Level(a.final_level) if a.final_level else None,
        flag=a.flag, level_reason=None if reason is MASKED else reason, answers=a.answers, prefilled=a.prefill, signed_at=a.signed_at,
    )


def _case_risk_out(case_id: int, user: User, request: HttpRequest) -> CaseRiskOut:
    case, viewer = case_get_for(user, case_id, request=request)
    panel = selectors.case_risk_panel(case)
    risk = panel.risk
    return CaseRiskOut(
        case_id=case.pk, level=Level(risk.level) if risk else None, set_by=risk.assessment_id if risk else None,
        assessed_at=risk.assessed_at if risk else None, due_at=panel.due_at, overdue=panel.overdue, forced_by_incident=panel.forced_by_incident,
        measures=[MeasureOut(measure=r.measure, status=r.record.status if r.record else None, recorded_at=r.record.at if r.record else None)
                  for r in panel.measures],
        assessments=[_assessment_out(a, viewer) for a in [*panel.drafts, *panel.signed]],
    )


@router.get("/cases/{case_id}/risk", response={200: CaseRiskOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def case_risk(request: HttpRequest, case_id: CaseIdPath) -> CaseRiskOut:
    """The case's level (DESIGN §10), reassessment date, the measures its level requires and its assessments."""
    return _case_risk_out(case_id, _case_reader(request), request)


@router.post("/cases/{case_id}/risk/assessments", response={201: AssessmentOut, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def assessment_create(request: HttpRequest, case_id: CaseIdPath, payload: AssessmentIn) -> Status[AssessmentOut]:
    """Assess from another system: the answers are checked against the instrument version; with
    ``sign`` the assessment is signed (complete answers; raising needs a reason, lowering a supervisor).
    A refused signature leaves nothing behind."""
    user = _assessor(request)
    case, viewer = case_get_for(user, case_id, request=request)
    with transaction.atomic():
        a = services.assessment_start(actor=user, case=case, version_id=payload.version_id)
        a = services.assessment_save(actor=user, assessment=a, row_version=a.row_version, answers=dict(payload.answers))
        if payload.sign:
            a = services.assessment_sign(
                actor=user, assessment=a, row_version=a.row_version,
                final_level=payload.final_level.value if payload.final_level else "", reason=payload.level_reason,
            )
    a.case = case
    return Status(201, _assessment_out(a, viewer))


@router.get("/risk/due", response={200: list[DueOut], **errors(401, 403)}, auth=STAFF_AUTH)
def due(request: HttpRequest) -> list[DueOut]:
    """The unit's cases whose risk must be assessed now or within 7 days, overdue first."""
    user = _assessor(request)
    return [
        DueOut(case_id=r.case.pk, number=r.case.number, level=r.level, due_at=r.due_at, overdue=r.overdue, reason=r.reason)
        for r in selectors.reassessments_due(user)
    ]


@router.get("/risk/instruments", response={200: list[InstrumentOut], **errors(401, 403)}, auth=STAFF_AUTH)
def instrument_list(request: HttpRequest) -> list[InstrumentOut]:
    """The published instrument versions, in the caller's language."""
    _assessor(request)
    out = []
    # The questions of every version in one query (ordered by position, as ``v.items`` is), not one per version.
    published = InstrumentVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related("instrument").prefetch_related(
        "relationships", "cutoffs", Prefetch("items", queryset=Item.objects.select_related("section")))
    for v in published:
        rels = list(v.relationships.all())
        out.append(InstrumentOut(
            version_id=v.pk, code=v.instrument.code, number=v.number, name=v.instrument.name, kind=v.instrument.kind,
            applies_to=[r.relationship for r in rels], primary_for=[r.relationship for r in rels if r.primary],
            cutoffs={c.level: c.min_score for c in v.cutoffs.all()},
            items=[ItemOut(code=i.code, section=i.section.code, question=i.question, help=i.help, weight=i.weight, prefill=i.prefill or None)
                   for i in v.items.all()],
        ))
    return out

