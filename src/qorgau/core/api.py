"""Reference data over the API: regions and districts (public facts, staff only)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from qorgau.accounts.api import STAFF_AUTH
from qorgau.core.models import District, Region

router = Router(tags=["reference"])


class RegionOut(Schema):
    iso: str
    kato_prefix: str
    kind: str
    name: str
    population: int
    timezone: str


class DistrictOut(Schema):
    kato: str
    region_iso: str
    name: str
    urban_default: bool


@router.get("/regions", response=list[RegionOut], auth=STAFF_AUTH)
def regions(request: HttpRequest) -> list[RegionOut]:
    return [
        RegionOut(iso=r.iso, kato_prefix=r.kato_prefix, kind=r.kind, name=r.name, population=r.population, timezone=r.timezone)
        for r in Region.objects.defer("boundary_geojson")
    ]


@router.get("/regions/{iso}/districts", response=list[DistrictOut], auth=STAFF_AUTH)
def districts(request: HttpRequest, iso: str) -> list[DistrictOut]:
    return [
        DistrictOut(kato=d.kato, region_iso=d.region_id, name=d.name, urban_default=d.urban_default)
        for d in District.objects.filter(region_id=iso).defer("boundary_geojson")
    ]
