"""Offender programmes over the API (/api/v1): the catalogue, enrolment from a court decision,
an enrolment (offender-facing: no victim data), sessions and the outcome."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from qorgau.accounts.api import STAFF_AUTH
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import case_get_for
from qorgau.cases.api import MAX_ID, Version, errors
from qorgau.core.errors import Forbidden
from qorgau.programmes import selectors, services
from qorgau.programmes.models import Attendance, Enrolment, EnrolmentStatus, Programme, ProgrammeKind

router = Router(tags=["programmes"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class ProgrammeOut(Schema):
    id: int
    kind: ProgrammeKind
    name: str
    unit_id: int
    unit: str
    region: str
    sessions_required: int
    languages: list[str]
    serves_migrants: bool
    serves_ethnic: bool
    serves_disabilities: bool
    active: bool


class CatalogueQuery(Schema):
    region: str = Field("", max_length=8)
    language: str = Field("", pattern="^(|kk|ru|en|other)$")
    migrants: bool = False
    ethnic: bool = False
    disabilities: bool = False


class EnrolIn(Schema):
    decision_id: int = Field(ge=1, le=MAX_ID)
    programme_id: int = Field(ge=1, le=MAX_ID)
    deadline: dt.date
    sessions_required: int | None = Field(None, ge=1, le=services.MAX_SESSIONS)
    allowed_absences: int = Field(2, ge=0, le=services.MAX_SESSIONS)
    breach_counts: bool = False


class EnrolmentOut(Schema):
    id: int
    case_id: int
    decision_id: int
    programme_id: int
    provider_id: int
    offender_name: str
    status: EnrolmentStatus
    sessions_required: int
    allowed_absences: int
    attended: int
    absences: int
    excused: int
    enrolled_on: dt.date
    deadline: dt.date
    breach_counts: bool
    breach_id: int | None
    cause: str
    ended_on: dt.date | None
    version: int


class SessionIn(Schema):
    version: Version
    held_on: dt.date
    attendance: Attendance
    note: str = Field("", max_length=services.TEXT_MAX)


class OutcomeIn(Schema):
    version: Version
    outcome: EnrolmentStatus
    reason: str = Field("", max_length=services.TEXT_MAX)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _programme_out(p: Programme) -> ProgrammeOut:
    return ProgrammeOut(id=p.pk, kind=ProgrammeKind(p.kind), name=p.name, unit_id=p.unit_id, unit=str(p.unit.name), region=p.region_id,
                        sessions_required=p.sessions_required, languages=p.languages, serves_migrants=p.serves_migrants,
                        serves_ethnic=p.serves_ethnic, serves_disabilities=p.serves_disabilities, active=p.active)


def _out(e: Enrolment) -> EnrolmentOut:
    progress = selectors.progress_of([e]).get(e.pk) or selectors.Progress(0, 0, 0)
    return EnrolmentOut(
        id=e.pk, case_id=e.case_id, decision_id=e.decision_id, programme_id=e.programme_id, provider_id=e.provider_id,
        offender_name=e.offender.full_name, status=EnrolmentStatus(e.status), sessions_required=e.sessions_required,
        allowed_absences=e.allowed_absences, attended=progress.attended, absences=progress.absent, excused=progress.excused,
        enrolled_on=e.enrolled_on, deadline=e.deadline, breach_counts=e.breach_counts, breach_id=e.breach_id, cause=e.cause,
        ended_on=e.ended_on, version=e.version,
    )


def _reloaded(user: User, enrolment_id: int, request: HttpRequest) -> EnrolmentOut:
    return _out(selectors.enrolment_get_for(user, enrolment_id, request=request).enrolment)


@router.get("/programmes", response={200: list[ProgrammeOut], **errors(401)}, auth=STAFF_AUTH)
def programme_catalogue(request: HttpRequest, filters: Query[CatalogueQuery]) -> list[ProgrammeOut]:
    """The active programmes, filtered by region, a language he speaks and the groups served."""
    groups = tuple(g for g in selectors.GROUPS if getattr(filters, g))
    return [_programme_out(p) for p in selectors.catalogue(region=filters.region, language=filters.language, groups=groups)]


@router.post("/cases/{case_id}/enrolments", response={201: EnrolmentOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def enrolment_create(request: HttpRequest, case_id: Id, payload: EnrolIn) -> Status[EnrolmentOut]:
    """Enrol the case's offender from one of its court decisions (court staff or probation)."""
    user = _user(request)
    if not selectors.may_enrol(user):
        raise Forbidden()
    case, _viewer = case_get_for(user, case_id, request=request)
    e = services.enrolment_create(actor=user, case=case, decision_id=payload.decision_id, programme_id=payload.programme_id,
                                  deadline=payload.deadline, sessions_required=payload.sessions_required,
                                  allowed_absences=payload.allowed_absences, breach_counts=payload.breach_counts)
    return Status(201, _out(e))


@router.get("/enrolments/{enrolment_id}", response={200: EnrolmentOut, **errors(401, 404)}, auth=STAFF_AUTH)
def enrolment_get(request: HttpRequest, enrolment_id: Id) -> EnrolmentOut:
    """The provider unit's staff, or a unit holding the case."""
    return _reloaded(_user(request), enrolment_id, request)


@router.post("/enrolments/{enrolment_id}/sessions", response={201: EnrolmentOut, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def session_create(request: HttpRequest, enrolment_id: Id, payload: SessionIn) -> Status[EnrolmentOut]:
    """Record one session (the provider unit's staff); the enrolment's status follows."""
    user = _user(request)
    if not user.can(Capability.RUN_PROGRAMMES):
        raise Forbidden()
    selectors.enrolment_get_for(user, enrolment_id, request=request)
    services.session_record(actor=user, enrolment_id=enrolment_id, version=payload.version, held_on=payload.held_on,
                            attendance=payload.attendance, note=payload.note)
    return Status(201, _reloaded(user, enrolment_id, request))


@router.post("/enrolments/{enrolment_id}/outcome", response={200: EnrolmentOut, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def enrolment_outcome(request: HttpRequest, enrolment_id: Id, payload: OutcomeIn) -> EnrolmentOut:
    """Completion or non-compliance (the provider), or a cancellation."""
    user = _user(request)
    selectors.enrolment_get_for(user, enrolment_id, request=request)
    services.enrolment_outcome(actor=user, enrolment_id=enrolment_id, version=payload.version, outcome=payload.outcome,
                               reason=payload.reason)
    return _reloaded(user, enrolment_id, request)
