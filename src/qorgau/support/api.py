"""Victim socio-economic support over the API (/api/v1): a case's referrals (list, refer with her
consent), one referral (read, move along), and the programme catalogue."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from qorgau.accounts.api import STAFF_AUTH
from qorgau.accounts.models import User
from qorgau.cases.access import case_get_for
from qorgau.cases.api import MAX_ID, CaseId, Version, errors
from qorgau.core.errors import Forbidden, Invalid, NotFound
from qorgau.support import selectors, services
from qorgau.support.models import (
    ConsentWay,
    DeclinedBy,
    SupportKind,
    SupportOutcome,
    SupportProgramme,
    SupportReferral,
    SupportStatus,
)

router = Router(tags=["support"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class SupportProgrammeOut(Schema):
    id: int
    kind: SupportKind
    name: str = Field(description="In the reader's language.")
    unit_id: int
    unit: str
    region: str
    languages: list[str]
    serves_migrants: bool
    serves_ethnic: bool
    serves_disabilities: bool
    active: bool


class ProgrammeQuery(Schema):
    kind: SupportKind | None = None
    region: str = Field("", max_length=8)
    language: str = Field("", pattern="^(|kk|ru|en|other)$")
    migrants: bool = False
    ethnic: bool = False
    disabilities: bool = False


class ReferralOut(Schema):
    id: int
    case_id: int
    programme_id: int
    kind: SupportKind
    unit_id: int
    status: SupportStatus
    requested_on: dt.date
    accepted_on: dt.date | None
    started_on: dt.date | None
    completed_on: dt.date | None
    ended_on: dt.date | None
    declined_by: str
    outcome: str
    consent_how: ConsentWay
    shares_contact: bool
    version: int


class ReferralIn(Schema):
    programme_id: int = Field(ge=1, le=MAX_ID)
    consent_how: ConsentWay
    identity: bool = True
    contact: bool = False
    requested_on: dt.date | None = None
    note: str = Field("", max_length=services.NOTE_LIMIT)


class MoveIn(Schema):
    version: Version
    status: SupportStatus
    on: dt.date | None = None
    outcome: SupportOutcome | None = None
    declined_by: DeclinedBy | None = None
    note: str | None = Field(None, max_length=services.NOTE_LIMIT)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _programme(p: SupportProgramme) -> SupportProgrammeOut:
    return SupportProgrammeOut(id=p.pk, kind=SupportKind(p.kind), name=p.name, unit_id=p.unit_id, unit=p.unit.name, region=p.region_id,
                        languages=p.languages, serves_migrants=p.serves_migrants, serves_ethnic=p.serves_ethnic,
                        serves_disabilities=p.serves_disabilities, active=p.active)


def _referral(r: SupportReferral) -> ReferralOut:
    return ReferralOut(
        id=r.pk, case_id=r.case_id, programme_id=r.programme_id, kind=SupportKind(r.programme.kind), unit_id=r.unit_id,
        status=SupportStatus(r.status), requested_on=r.requested_on, accepted_on=r.accepted_on, started_on=r.started_on,
        completed_on=r.completed_on, ended_on=r.ended_on, declined_by=r.declined_by, outcome=r.outcome,
        consent_how=ConsentWay(r.consent_how), shares_contact=r.shares_contact, version=r.version,
    )


@router.get("/support/programmes", response={200: list[SupportProgrammeOut], **errors(401)}, auth=STAFF_AUTH)
def support_programmes(request: HttpRequest, filters: Query[ProgrammeQuery]) -> list[SupportProgrammeOut]:
    """The active programmes, filtered by kind, region, a language she speaks and groups she belongs to."""
    groups = tuple(g for g in ("migrants", "ethnic", "disabilities") if getattr(filters, g))
    rows = selectors.programmes(kind=filters.kind or "", region=filters.region, language=filters.language, groups=groups)
    return [_programme(p) for p in rows]


@router.get("/cases/{case_id}/support", response={200: list[ReferralOut], **errors(401, 403, 404)}, auth=STAFF_AUTH)
def case_support(request: HttpRequest, case_id: CaseId) -> list[ReferralOut]:
    """What she was referred to (a provider under consent sees only its own referrals)."""
    user = _user(request)
    if not services.works_on_cases(user):
        raise Forbidden()
    case, viewer = case_get_for(user, case_id, request=request)
    return [_referral(r) for r in selectors.case_referrals(case, viewer, user)]


@router.post("/cases/{case_id}/support", response={201: ReferralOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def case_support_refer(request: HttpRequest, case_id: CaseId, payload: ReferralIn) -> Status[ReferralOut]:
    """Refer her to a programme with her recorded consent (at least her identity)."""
    user = _user(request)
    if not services.works_on_cases(user):
        raise Forbidden()
    case, viewer = case_get_for(user, case_id, request=request)
    try:
        programme = selectors.programme_get(payload.programme_id)
    except NotFound:
        raise Invalid(fields={"programme_id": [str(NotFound.default_message)]}) from None
    r = services.referral_create(actor=user, case=case, viewer=viewer, programme=programme, consent_how=payload.consent_how,
                                 identity=payload.identity, contact=payload.contact, requested_on=payload.requested_on, note=payload.note)
    return Status(201, _referral(r))


@router.get("/support/referrals/{referral_id}", response={200: ReferralOut, **errors(401, 404)}, auth=STAFF_AUTH)
def support_referral(request: HttpRequest, referral_id: Id) -> ReferralOut:
    return _referral(selectors.referral_get_for(_user(request), referral_id).referral)


@router.patch("/support/referrals/{referral_id}", response={200: ReferralOut, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def support_referral_move(request: HttpRequest, referral_id: Id, payload: MoveIn) -> ReferralOut:
    """Move the referral one step (the provider: accepted, started, completed, declined; the
    referring unit: withdrawn, or declined because she refused)."""
    user = _user(request)
    access = selectors.referral_get_for(user, referral_id)
    r = services.referral_move(actor=user, referral_id=access.referral.pk, version=payload.version, to=payload.status, on=payload.on,
                               outcome=payload.outcome or "", declined_by=payload.declined_by or "", note=payload.note,
                               as_referrer=access.referrer)
    return _referral(r)
