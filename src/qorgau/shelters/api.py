"""The shelter registry over the API (/api/v1): the registry with free beds (addresses masked),
a bed hold for a case (which fires ``placement_requested``), and a discharge."""

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
from qorgau.shelters import centres, coverage, selectors, services
from qorgau.shelters.models import BedKind, Centre, Outcome, Ownership

router = Router(tags=["shelters"])

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class PoolOut(Schema):
    kind: BedKind
    capacity: int
    occupied: int
    free: int


class CentreOut(Schema):
    id: int
    name: str
    ownership: Ownership
    region: str
    locality: str = Field(description="City or district: public.")
    address: str | None = Field(description="The street address: only for the centre's own staff and placement coordinators, else null.")
    phone: str
    opening_hours: str
    accepts_children: bool
    disability_access: bool
    languages: list[str]
    groups: list[str] = Field(description="Groups served: migrants, ethnic, disabilities.")
    free_beds: int
    pools: list[PoolOut]


class RegistryQuery(Schema):
    region: str = Field("", max_length=8)
    kind: BedKind | None = None
    free_only: bool = False


class HoldIn(Schema):
    case_id: int = Field(ge=1, le=MAX_ID)
    children: int = Field(0, ge=0, le=services.MAX_CHILDREN)
    disability: bool = False
    hours: int = Field(services.HOLD_HOURS, ge=1, le=services.MAX_HOLD_HOURS)


class HoldOut(Schema):
    id: int
    centre_id: int
    kind: BedKind
    held_until: dt.datetime
    tasks: list[int]


class DischargeIn(Schema):
    version: Version
    outcome: Outcome
    discharged_at: dt.datetime | None = None


class PlacementOut(Schema):
    id: int
    centre_id: int
    admitted_at: dt.datetime
    discharged_at: dt.datetime | None
    outcome: str
    version: int


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _out(row: selectors.CentreRow) -> CentreOut:
    c = row.centre
    return CentreOut(
        id=c.pk, name=row.shown["name"], ownership=Ownership(c.ownership), region=c.unit.region_id, locality=row.shown["locality"],
        address=row.shown["address"] or None, phone=c.phone, opening_hours=c.opening_hours, accepts_children=c.accepts_children,
        disability_access=c.disability_access, languages=row.languages, free_beds=row.free,
        groups=[g for g in selectors.GROUPS if getattr(c, f"serves_{g}")],
        pools=[PoolOut(kind=BedKind(p.kind), capacity=p.capacity, occupied=p.occupied, free=p.free) for p in row.pools],  # type: ignore[attr-defined]
    )


@router.get("/shelters", response={200: list[CentreOut], **errors(401)}, auth=STAFF_AUTH)
def shelter_registry(request: HttpRequest, filters: Query[RegistryQuery]) -> list[CentreOut]:
    """The registry with live free beds; the address is null for whoever may not see it."""
    rows = selectors.registry(_user(request), region=filters.region, kind=filters.kind or "", free_only=filters.free_only)
    return [_out(r) for r in rows]


@router.post("/shelters/{centre_id}/holds", response={201: HoldOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def shelter_hold(request: HttpRequest, centre_id: Id, payload: HoldIn) -> Status[HoldOut]:
    """Hold a fitting bed for a case and refer her (the referral waits for her consent)."""
    user = _user(request)
    if not user.can(Capability.PLACE_IN_SHELTER):
        raise Forbidden()
    centre = selectors.centre_get(centre_id)
    case, _viewer = case_get_for(user, payload.case_id, request=request)
    done = services.placement_request(actor=user, case=case, centre=centre, children=payload.children,
                                      disability=payload.disability, hours=payload.hours)
    h = done.hold
    return Status(201, HoldOut(id=h.pk, centre_id=centre.pk, kind=BedKind(h.pool.kind), held_until=h.held_until, tasks=[t.pk for t in done.tasks]))


@router.post("/placements/{placement_id}/discharge", response={200: PlacementOut, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def placement_discharge(request: HttpRequest, placement_id: Id, payload: DischargeIn) -> PlacementOut:
    """Discharge her with the outcome of her stay (the centre's own staff)."""
    user = _user(request)
    if not user.can(Capability.SHELTER_INTAKE):
        raise Forbidden()
    selectors.placement_get_for(user, placement_id)
    p = services.placement_discharge(actor=user, placement_id=placement_id, version=payload.version, outcome=payload.outcome,
                                     discharged_at=payload.discharged_at)
    return PlacementOut(id=p.pk, centre_id=p.centre_id, admitted_at=p.admitted_at, discharged_at=p.discharged_at,
                        outcome=p.outcome, version=p.version)


# --- coverage and the centre registry's writes -------------------------------------------------------------


class CoverageQuery(Schema):
    km: int = Field(coverage.DEFAULT_KM, ge=coverage.MIN_KM, le=coverage.MAX_KM)
    region: str = Field("", max_length=8)


class RegionCoverageOut(Schema):
    region: str
    name: str
    centres: int
    centres_with_shelter: int
    beds: int
    free: int
    beds_per_100k: float | None
    districts: int
    districts_uncovered: int
    rural_districts: int
    rural_districts_uncovered: int
    rural_population_uncovered_estimate: int = Field(
        description="An ESTIMATE: the region's rural population × uncovered rural districts / rural districts.")


class ShelterCoverageOut(Schema):
    km: int
    regions: list[RegionCoverageOut]
    total: RegionCoverageOut
    uncovered_districts: list[str]


def _region_out(r: coverage.RegionCoverage) -> RegionCoverageOut:
    return RegionCoverageOut(region=r.iso, name=r.name, centres=r.centres, centres_with_shelter=r.centres_with_shelter, beds=r.beds,
                             free=r.free, beds_per_100k=r.beds_per_100k, districts=r.districts, districts_uncovered=r.uncovered,
                             rural_districts=r.rural_districts, rural_districts_uncovered=r.rural_uncovered,
                             rural_population_uncovered_estimate=r.rural_uncovered_estimate)


@router.get("/shelters/coverage", response={200: ShelterCoverageOut, **errors(401, 403, 422)}, auth=STAFF_AUTH)
def shelter_coverage(request: HttpRequest, filters: Query[CoverageQuery]) -> ShelterCoverageOut:
    """Districts with no active centre with shelter beds within ``km``, and capacity per region (no personal data)."""
    coverage.require_coverage(_user(request))
    cov = coverage.coverage(filters.km, region=filters.region)
    return ShelterCoverageOut(km=cov.distance_km, regions=[_region_out(r) for r in cov.regions], total=_region_out(cov.total),
                       uncovered_districts=sorted(cov.uncovered_districts))


class CentreFieldsIn(Schema):
    ownership: Ownership | None = None
    shelter: bool | None = None
    psychologist: bool | None = None
    lawyer: bool | None = None
    accepts_children: bool | None = None
    disability_access: bool | None = None
    lang_kk: bool | None = None
    lang_ru: bool | None = None
    lang_en: bool | None = None
    lang_other: bool | None = None
    serves_migrants: bool | None = None
    serves_ethnic: bool | None = None
    serves_disabilities: bool | None = None
    opening_hours: str | None = Field(None, max_length=120)
    phone: str | None = Field(None, max_length=32, pattern=r"^[0-9+()\- ]{3,32}$")
    locality: str | None = Field(None, max_length=120)
    address: str | None = Field(None, max_length=300, description="Write-only: replaced when given, never returned to whoever may not read it.")

    def values(self) -> dict[str, object]:
        return {k: v for k, v in self.dict().items() if v is not None and k in centres.EDITABLE}


class CentreIn(CentreFieldsIn):
    unit_id: int = Field(ge=1, le=MAX_ID)
    beds: dict[BedKind, Annotated[int, Field(ge=0, le=services.MAX_BEDS)]] = Field(default_factory=dict)


class CentrePatch(CentreFieldsIn):
    version: Version


class CentreWritten(Schema):
    id: int
    version: int
    address: str | None = Field(description="Null for whoever may not read it.")


def _written(user: User, centre: Centre) -> CentreWritten:
    return CentreWritten(id=centre.pk, version=centre.version, address=centre.address if selectors.sees_address(user, centre) else None)


@router.post("/shelters/centres", response={201: CentreWritten, **errors(401, 403, 422)}, auth=STAFF_AUTH)
def shelter_centre_register(request: HttpRequest, payload: CentreIn) -> Status[CentreWritten]:
    """Register a centre for a crisis-centre or family-support unit that has none (administrators)."""
    user = _user(request)
    values = payload.values()
    values.setdefault("ownership", Ownership.STATE)
    centre = centres.centre_create(actor=user, unit_id=payload.unit_id, values=values,
                                   beds={str(k.value if isinstance(k, BedKind) else k): v for k, v in payload.beds.items()})
    return Status(201, _written(user, centre))


@router.patch("/shelters/centres/{centre_id}", response={200: CentreWritten, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def shelter_centre_update(request: HttpRequest, centre_id: Id, payload: CentrePatch) -> CentreWritten:
    """Change a centre's details (administrators and its own staff); a stale version is 409."""
    user = _user(request)
    centre = centres.centre_update(actor=user, centre_id=centre_id, version=payload.version, values=payload.values())
    return _written(user, centre)
