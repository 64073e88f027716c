"""Coverage of the shelter network: which districts have no active centre with shelter beds within
D km, and the capacity of each region (issue 7).

A district is *covered* when the great-circle distance between its reference point (District.point_lat
/ point_lon) and some active centre with shelter beds is at most D km. A centre's position is the
centroid of its district (else its region's centre), never its real address, so nothing here is personal
data. Coverage is national: a centre across a regional border covers a district too.

District populations are not in the reference data, so the rural population left uncovered is an
ESTIMATE: the region's rural population × (uncovered rural districts / rural districts), i.e. as if
every rural district of a region held the same number of people.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Sum

from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.core.errors import Forbidden
from qorgau.core.models import District, Region
from qorgau.shelters.models import BedPool, Centre
from qorgau.shelters.selectors import great_circle_km, pools_with_use

DEFAULT_KM = 100
MIN_KM = 10
MAX_KM = 500
VIEWING = (Capability.VIEW_AGGREGATES, Capability.PLACE_IN_SHELTER, Capability.MANAGE_REFERENCE)


def may_see_coverage(user: User) -> bool:
    return any(user.can(c) for c in VIEWING)


def require_coverage(user: User) -> None:
    if not may_see_coverage(user):
        raise Forbidden()


@dataclass
class RegionCoverage:
    iso: str
    name: str
    population: int = 0
    population_rural: int = 0
    centres: int = 0
    centres_with_shelter: int = 0
    beds: int = 0
    free: int = 0
    districts: int = 0
    uncovered: int = 0
    rural_districts: int = 0
    rural_uncovered: int = 0
    rural_uncovered_estimate: int = 0

    @property
    def beds_per_100k(self) -> float | None:
        return round(self.beds * 100_000 / self.population, 1) if self.population else None


@dataclass
class CentrePoint:
    id: int
    region: str
    lat: float
    lon: float
    shelter: bool


@dataclass
class Coverage:
    distance_km: int
    regions: list[RegionCoverage]
    total: RegionCoverage
    uncovered_districts: set[str] = field(default_factory=set)
    centres: list[CentrePoint] = field(default_factory=list)


def rural_estimate(rural_population: int, rural_uncovered: int, rural_districts: int) -> int:
    """The ESTIMATED rural population left uncovered (equal shares per rural district)."""
    if not rural_districts:
        return 0
    return round(rural_population * rural_uncovered / rural_districts)


def coverage(distance_km: int = DEFAULT_KM, *, region: str = "") -> Coverage:
    """Coverage at ``distance_km``; ``region`` only narrows the rows (coverage itself is national)."""
    centres = list(Centre.objects.select_related("unit").filter(unit__is_active=True))
    capacity = dict(BedPool.objects.filter(centre__in=centres).values("centre_id").annotate(n=Sum("capacity")).values_list("centre_id", "n"))
    sheltering = [c for c in centres if c.shelter and (capacity.get(c.pk) or 0) > 0]
    free = {cid: sum(p.free for p in ps) for cid, ps in pools_with_use(centres).items()}  # type: ignore[attr-defined]
    points = [(c.lat, c.lon) for c in sheltering]

    regions = Region.objects.defer("boundary_geojson").order_by("iso")
    if region:
        regions = regions.filter(pk=region)
    rows = {r.iso: RegionCoverage(iso=r.iso, name=r.name, population=r.population, population_rural=r.population_rural) for r in regions}
    uncovered: set[str] = set()
    for d in District.objects.filter(region_id__in=rows).defer("boundary_geojson"):
        row = rows[d.region_id]
        covered = any(great_circle_km((d.point_lat, d.point_lon), p) <= distance_km for p in points)
        row.districts += 1
        if not d.urban_default:
            row.rural_districts += 1
        if not covered:
            uncovered.add(d.kato)
            row.uncovered += 1
            if not d.urban_default:
                row.rural_uncovered += 1
    for c in centres:
        row = rows.get(c.unit.region_id)  # type: ignore[assignment]
        if row is None:
            continue
        row.centres += 1
        row.centres_with_shelter += c in sheltering
        row.beds += capacity.get(c.pk) or 0
        row.free += free.get(c.pk, 0)
    total = RegionCoverage(iso="", name="")
    for row in rows.values():
        row.rural_uncovered_estimate = rural_estimate(row.population_rural, row.rural_uncovered, row.rural_districts)
        for name in ("population", "population_rural", "centres", "centres_with_shelter", "beds", "free", "districts",
                     "uncovered", "rural_districts", "rural_uncovered", "rural_uncovered_estimate"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    ordered = sorted(rows.values(), key=lambda r: r.name)
    dots = [CentrePoint(c.pk, c.unit.region_id, c.lat, c.lon, c in sheltering) for c in centres if c.unit.region_id in rows]
    return Coverage(distance_km=distance_km, regions=ordered, total=total, uncovered_districts=uncovered, centres=dots)


def coverage_by_region(distance_km: int = DEFAULT_KM) -> list[RegionCoverage]:
    """For analytics: one row per region (no personal data)."""
    return coverage(distance_km).regions
