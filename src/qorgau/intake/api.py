"""Anonymous intake over the API (/api/v1/intake): the unit's own records, a share on her consent
and its withdrawal, and a shared record as the receiving unit sees it (hidden fields are null and
named in ``hidden``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status

from qorgau.accounts.api import STAFF_AUTH
from qorgau.accounts.masks import MASKED
from qorgau.accounts.models import User
from qorgau.cases.api import MAX_ID, Version, errors
from qorgau.core.errors import Forbidden
from qorgau.intake import selectors, services
from qorgau.intake.models import AgeBand, AnonymousRecord, ConsentHow, RecordOutcome, RecordShare
from qorgau.shelters.services import MAX_CHILDREN

router = Router(tags=["intake"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Form = Annotated[str, Field(pattern="^(physical|psychological|economic|sexual)$")]
Service = Annotated[str, Field(pattern="^(psychologist|lawyer|medical|social)$")]
Share = Annotated[str, Field(pattern="^(identity|contact|whereabouts|narrative)$")]


class AnonymousRecordIn(Schema):
    region: str = Field(max_length=8)
    district: str | None = Field(None, max_length=12)
    alias: str = Field("", max_length=services.TEXT_LIMIT)
    full_name: str = Field("", max_length=services.TEXT_LIMIT)
    iin: str = Field("", max_length=12)
    phone: str = Field("", max_length=32)
    birth_year: int | None = Field(None, ge=1900, le=2100)
    age_band: AgeBand | None = None
    children: int = Field(0, ge=0, le=MAX_CHILDREN)
    forms: list[Form] = Field(default_factory=list, max_length=4)
    narrative: str = Field("", max_length=services.NARRATIVE_LIMIT)
    services: list[Service] = Field(default_factory=list, max_length=4)
    taken_in_at: dt.datetime | None = None


class RecordPatch(Schema):
    version: Version
    region: str | None = Field(None, max_length=8)
    district: str | None = Field(None, max_length=12)
    alias: str | None = Field(None, max_length=services.TEXT_LIMIT)
    full_name: str | None = Field(None, max_length=services.TEXT_LIMIT)
    iin: str | None = Field(None, max_length=12)
    phone: str | None = Field(None, max_length=32)
    birth_year: int | None = Field(None, ge=1900, le=2100)
    age_band: AgeBand | None = None
    children: int | None = Field(None, ge=0, le=MAX_CHILDREN)
    forms: list[Form] | None = Field(None, max_length=4)
    narrative: str | None = Field(None, max_length=services.NARRATIVE_LIMIT)
    services: list[Service] | None = Field(None, max_length=4)
    taken_in_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    outcome: RecordOutcome | None = None


class RecordOut(Schema):
    id: int
    number: str
    alias: str
    full_name: str
    iin: str
    phone: str
    birth_year: int | None
    age_band: str
    region: str
    district: str | None
    children: int
    forms: list[str]
    narrative: str
    services: list[str]
    taken_in_at: dt.datetime
    closed_at: dt.datetime | None
    outcome: str
    version: int


class ShareIn(Schema):
    to_unit_id: int = Field(ge=1, le=MAX_ID)
    purpose: str = Field("", max_length=services.PURPOSE_LIMIT)
    how: ConsentHow
    shares: list[Share] = Field(default_factory=list, max_length=4)
    given_at: dt.datetime | None = None


class ShareOut(Schema):
    id: int
    record_id: int
    to_unit_id: int
    how: str
    shares: list[str]
    given_at: dt.datetime
    withdrawn_at: dt.datetime | None


class SharedOut(Schema):
    share_id: int
    number: str
    holding_unit: str
    purpose: str
    taken_in_at: dt.datetime
    hidden: list[str] = Field(description="Fields her consent does not cover: null below.")
    alias: str | None
    full_name: str | None
    iin: str | None
    birth_year: int | None
    age_band: str | None
    phone: str | None
    region: str | None
    district: str | None
    shelter_city: str | None
    forms: list[str] | None
    narrative: str | None
    children: int | None
    services: list[str] | None


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not any(user.can(c) for c in selectors.INTAKE_CAPABILITIES):
        raise Forbidden()
    return user


def _out(r: AnonymousRecord) -> RecordOut:
    return RecordOut(id=r.pk, number=r.number or "", alias=r.alias, full_name=r.full_name, iin=r.iin, phone=r.phone, birth_year=r.birth_year,
                     age_band=r.age_band, region=r.region_id, district=r.district_id, children=r.children, forms=r.forms,
                     narrative=r.narrative, services=r.services, taken_in_at=r.taken_in_at, closed_at=r.closed_at, outcome=r.outcome,
                     version=r.version)


def _share_out(s: RecordShare) -> ShareOut:
    return ShareOut(id=s.pk, record_id=s.record_id, to_unit_id=s.to_unit_id, how=s.how, shares=sorted(x.value for x in selectors.share_shares(s)),
                    given_at=s.given_at, withdrawn_at=s.withdrawn_at)


def _input(data: dict[str, Any]) -> services.RecordInput:
    return services.RecordInput(
        region=data["region"], district=data.get("district") or None, alias=data.get("alias") or "", full_name=data.get("full_name") or "",
        iin=data.get("iin") or "", phone=data.get("phone") or "", birth_year=data.get("birth_year"), age_band=data.get("age_band") or "",
        children=data.get("children") or 0, forms=frozenset(data.get("forms") or ()), narrative=data.get("narrative") or "",
        services=frozenset(data.get("services") or ()), taken_in_at=data.get("taken_in_at"), closed_at=data.get("closed_at"),
        outcome=data.get("outcome") or "",
    )


@router.get("/intake/records", response={200: list[RecordOut], **errors(401, 403)}, auth=STAFF_AUTH)
def intake_records(request: HttpRequest) -> list[RecordOut]:
    """The anonymous records of the caller's own centre."""
    user = _user(request)
    return [_out(r) for r in selectors.unit_records(user)[:500]]


@router.post("/intake/records", response={201: RecordOut, **errors(401, 403, 422)}, auth=STAFF_AUTH)
def intake_register(request: HttpRequest, payload: AnonymousRecordIn) -> Status[RecordOut]:
    """Take her in anonymously (alias, or nothing); never linked to people or cases."""
    record = services.record_register(actor=_user(request), data=_input(payload.dict()))
    return Status(201, _out(record))


@router.get("/intake/records/{record_id}", response={200: RecordOut, **errors(401, 403, 404)}, auth=STAFF_AUTH)
def intake_record(request: HttpRequest, record_id: Id) -> RecordOut:
    return _out(selectors.record_get_for(_user(request), record_id, request=request))


@router.patch("/intake/records/{record_id}", response={200: RecordOut, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def intake_update(request: HttpRequest, record_id: Id, payload: RecordPatch) -> RecordOut:
    """Change the given fields (close it with ``closed_at`` and ``outcome``); a stale version is 409."""
    user = _user(request)
    record = selectors.record_get_for(user, record_id, request=request, audit=False)
    current = {
        "region": record.region_id, "district": record.district_id, "alias": record.alias, "full_name": record.full_name, "iin": record.iin,
        "phone": record.phone, "birth_year": record.birth_year, "age_band": record.age_band, "children": record.children,
        "forms": record.forms, "narrative": record.narrative, "services": record.services, "taken_in_at": record.taken_in_at,
        "closed_at": record.closed_at, "outcome": record.outcome,
    }
    changes = payload.dict(exclude_unset=True)
    version = changes.pop("version")
    record = services.record_update(actor=user, record_id=record.pk, version=version, data=_input({**current, **changes}))
    return _out(record)


@router.post("/intake/records/{record_id}/shares", response={201: ShareOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def intake_share(request: HttpRequest, record_id: Id, payload: ShareIn) -> Status[ShareOut]:
    """Share with another unit on her recorded consent: purpose, how, and what it covers."""
    share = services.share_give(actor=_user(request), record_id=record_id, to_unit_id=payload.to_unit_id, purpose=payload.purpose,
                                how=payload.how, shares=frozenset(payload.shares), given_at=payload.given_at)
    return Status(201, _share_out(share))


@router.post("/intake/shares/{share_id}/withdraw", response={200: ShareOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def intake_withdraw(request: HttpRequest, share_id: Id) -> ShareOut:
    """She withdrew her consent: the share ends at once."""
    return _share_out(services.share_withdraw(actor=_user(request), share_id=share_id))


@router.get("/intake/shared/{share_id}", response={200: SharedOut, **errors(401, 404)}, auth=STAFF_AUTH)
def intake_shared(request: HttpRequest, share_id: Id) -> SharedOut:
    """A record shared with the caller's unit: only what her consent covers; the rest null."""
    user = request.user
    assert isinstance(user, User)
    share = selectors.share_get_for(user, share_id, request=request)
    shown = selectors.shared_values(user, share)
    hidden = sorted(k for k, v in shown.items() if v is MASKED)
    visible = {k: (None if v is MASKED else v) for k, v in shown.items()}
    return SharedOut(share_id=share.pk, number=share.record.number or "", holding_unit=str(share.record.unit), purpose=share.purpose,
                     taken_in_at=share.record.taken_in_at, hidden=hidden,
                     **{k: visible[k] for k in ("alias", "full_name", "iin", "birth_year", "age_band", "phone", "region", "district",
                                                "shelter_city", "forms", "narrative", "children", "services")})
