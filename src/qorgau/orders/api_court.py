"""Criminal cases and court hearings over the API (/api/v1).

Case-bound routes pass the case gate (404 alike for missing and forbidden); a criminal case passes the
gate of its case. A change of status carries the ``version`` (a stale one is 409). Analysts never read
a case (403). A hearing's outcome may name people: it is a narrative for the mask layer, ``null`` when
hidden.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status
from pydantic import AfterValidator

from qorgau.accounts.api import STAFF_AUTH
from qorgau.accounts.masks import MASKED, Viewer
from qorgau.cases.access import case_get_for
from qorgau.cases.api import MAX_ID, Id, Version, When, _case_reader, _clean_text, errors
from qorgau.cases.api import CaseId as CaseIdPath
from qorgau.orders import court, hearings, selectors
from qorgau.orders.models import CourtHearing, CriminalCase, CriminalCaseStatus, HearingKind, HearingStatus

router = Router(tags=["court"])

RecordIdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
Number = Annotated[str, Field(min_length=1, max_length=40), AfterValidator(_clean_text)]
Article = Annotated[str, Field(min_length=1, max_length=60), AfterValidator(_clean_text)]


class CriminalCaseIn(Schema):
    number: Number = Field(description="The registration number (ERDR).")
    registered_on: dt.date
    article: Article = Field(description="The article of the Criminal Code, e.g. 108-1.")
    status: CriminalCaseStatus = Field(CriminalCaseStatus.REGISTERED, description="registered or in_court; a verdict comes later.")


class CriminalCaseChange(Schema):
    status: CriminalCaseStatus
    version: Version
    status_on: dt.date | None = Field(None, description="Null: today in your unit's zone.")
    decision_id: Id | None = Field(None, description="The court decision: required for a conviction (it holds the sentence).")


class CriminalCaseOut(Schema):
    id: int
    case_id: int
    number: str
    registered_on: dt.date
    article: str
    status: CriminalCaseStatus
    status_on: dt.date | None
    decision_id: int | None
    unit: str
    version: int


class HearingIn(Schema):
    kind: HearingKind
    scheduled_for: When
    order_id: Id | None = None
    criminal_case_id: Id | None = None


class HearingOut(Schema):
    id: int
    case_id: int
    court_unit: str
    kind: HearingKind
    status: HearingStatus
    scheduled_for: dt.datetime
    order_id: int | None
    criminal_case_id: int | None
    decision_id: int | None
    outcome: str | None = Field(description="Null when the mask hides it from you.")
    version: int


def _criminal_out(record: CriminalCase) -> CriminalCaseOut:
    return CriminalCaseOut(
        id=record.pk, case_id=record.case_id, number=record.number, registered_on=record.registered_on, article=record.article,
        status=CriminalCaseStatus(record.status), status_on=record.status_on, decision_id=record.decision_id, unit=record.unit.name,
        version=record.version,
    )


def _hearing_out(hearing: CourtHearing, viewer: Viewer) -> HearingOut:
    outcome = selectors.narrative(viewer, hearing.outcome)
    return HearingOut(
        id=hearing.pk, case_id=hearing.case_id, court_unit=hearing.court_unit.name, kind=HearingKind(hearing.kind),
        status=HearingStatus(hearing.status), scheduled_for=hearing.scheduled_for, order_id=hearing.order_id,
        criminal_case_id=hearing.criminal_case_id, decision_id=hearing.decision_id, outcome=None if outcome is MASKED else outcome,
        version=hearing.version,
    )


@router.get("/cases/{case_id}/criminal-cases", response={200: list[CriminalCaseOut], **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def criminal_cases(request: HttpRequest, case_id: CaseIdPath) -> list[CriminalCaseOut]:
    """The criminal cases on the case, newest registration first."""
    case, _viewer = case_get_for(_case_reader(request), case_id, request=request)
    return [_criminal_out(r) for r in selectors.case_criminal_cases(case)]


@router.post("/cases/{case_id}/criminal-cases", response={201: CriminalCaseOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def criminal_case_create(request: HttpRequest, case_id: CaseIdPath, payload: CriminalCaseIn) -> Status[CriminalCaseOut]:
    """Record a criminal case on the case: police investigators (a police unit) and courts."""
    user = _case_reader(request)
    case, _viewer = case_get_for(user, case_id, request=request)
    record = court.criminal_case_record(
        actor=user, case=case, number=payload.number, registered_on=payload.registered_on, article=payload.article, status=payload.status.value,
    )
    return Status(201, _criminal_out(record))


@router.patch("/criminal-cases/{record_id}", response={200: CriminalCaseOut, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def criminal_case_update(request: HttpRequest, record_id: RecordIdPath, payload: CriminalCaseChange) -> CriminalCaseOut:
    """Move the criminal case on: to court or discontinued (investigators, courts); a verdict (courts)."""
    user = _case_reader(request)
    record, _case, _viewer = selectors.criminal_case_get_for(user, record_id, request=request)
    record = court.criminal_case_change(
        actor=user, record=record, version=payload.version, status=payload.status.value, status_on=payload.status_on,
        decision_id=payload.decision_id,
    )
    return _criminal_out(record)


@router.get("/cases/{case_id}/hearings", response={200: list[HearingOut], **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def case_hearings(request: HttpRequest, case_id: CaseIdPath) -> list[HearingOut]:
    """The case's hearings, earliest first."""
    case, viewer = case_get_for(_case_reader(request), case_id, request=request)
    return [_hearing_out(h, viewer) for h in selectors.case_hearings(case)]


@router.post("/cases/{case_id}/hearings", response={201: HearingOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def hearing_create(request: HttpRequest, case_id: CaseIdPath, payload: HearingIn) -> Status[HearingOut]:
    """Schedule a hearing in your court (court staff); the unit holding the case is told."""
    user = _case_reader(request)
    case, viewer = case_get_for(user, case_id, request=request)
    hearing = hearings.hearing_schedule(
        actor=user, case=case, kind=payload.kind.value, scheduled_for=payload.scheduled_for, order_id=payload.order_id,
        criminal_case_id=payload.criminal_case_id,
    )
    return Status(201, _hearing_out(hearing, viewer))
