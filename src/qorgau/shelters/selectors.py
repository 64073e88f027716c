"""Reads of the shelter registry: occupancy, the address mask, the registry and "find a bed".

Distances are great-circle distances between centroids (the case's latest incident's district,
else its region's centre; each centre's district, else its region's centre). That is an
approximation of travel: roads and mountains are not counted, and a centre's real position is never
used, so its address cannot be recovered from a distance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import FieldRule, Relation, Sensitivity, Subject, mask
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.models import Case
from qorgau.core import clock
from qorgau.core.errors import NotFound
from qorgau.core.models import District, Region
from qorgau.shelters.models import BedHold, BedKind, BedPool, Centre, Placement

CENTRE_POLICY: dict[str, FieldRule] = {
    "name": FieldRule(Sensitivity.PUBLIC, Subject.SHELTER),
    "locality": FieldRule(Sensitivity.PUBLIC, Subject.SHELTER),
    "phone": FieldRule(Sensitivity.PUBLIC, Subject.SHELTER),
    "opening_hours": FieldRule(Sensitivity.PUBLIC, Subject.SHELTER),
    "address": FieldRule(Sensitivity.SHELTER_ADDRESS, Subject.SHELTER),
}


def live_holds(at: Any = None) -> QuerySet[BedHold]:
    return BedHold.objects.filter(released_at__isnull=True, held_until__gt=at or clock.now())


def live_placements() -> QuerySet[Placement]:
    return Placement.objects.filter(discharged_at__isnull=True)


def pool_occupancy(pool: BedPool, *, exclude_hold: int | None = None) -> int:
    holds = live_holds().filter(pool=pool)
    if exclude_hold is not None:
        holds = holds.exclude(pk=exclude_hold)
    return live_placements().filter(pool=pool).count() + holds.count()


def pools_with_use(centres: QuerySet[Centre] | list[Centre]) -> dict[int, list[BedPool]]:
    """Each centre's pools with ``occupied`` and ``free`` set (two counting queries in all)."""
    now = clock.now()
    ids = [c.pk for c in centres]
    pools = list(
        BedPool.objects.filter(centre_id__in=ids).annotate(
            placed=Count("placements", filter=Q(placements__discharged_at__isnull=True), distinct=True),
            held=Count("holds", filter=Q(holds__released_at__isnull=True, holds__held_until__gt=now), distinct=True),
        )
    )
    out: dict[int, list[BedPool]] = {i: [] for i in ids}
    for p in pools:
        p.occupied = p.placed + p.held  # type: ignore[attr-defined]
        p.free = max(p.capacity - p.occupied, 0)  # type: ignore[attr-defined]
        out[p.centre_id].append(p)
    return out


def sees_address(user: User, centre: Centre) -> bool:
    """Its own staff and placement coordinators (DESIGN §5), through the one mask layer."""
    return mask(_viewer(user, centre), {"address": True}, CENTRE_POLICY)["address"] is True


def _viewer(user: User, centre: Centre) -> Any:
    relations: set[Relation] = set()
    if user.unit_id is not None and user.unit_id == centre.unit_id and user.can(Capability.SHELTER_INTAKE):
        relations.add(Relation.SHELTER_STAFF)
    if user.can(Capability.PLACE_IN_SHELTER):
        relations.add(Relation.PLACING_COORDINATOR)
    return viewer_for(user, relations=frozenset(relations))


def centre_values(user: User, centre: Centre) -> dict[str, Any]:
    values = {"name": centre.unit.name, "locality": centre.place, "phone": centre.phone,
              "opening_hours": centre.opening_hours, "address": centre.address}
    return mask(_viewer(user, centre), values, CENTRE_POLICY)


@dataclass
class CentreRow:
    centre: Centre
    shown: dict[str, Any]
    pools: list[BedPool]
    distance_km: float | None = None
    languages: list[str] = field(default_factory=list)

    @property
    def free(self) -> int:
        return sum(p.free for p in self.pools)  # type: ignore[attr-defined]


def _languages(c: Centre) -> list[str]:
    return [code for code, on in (("kk", c.lang_kk), ("ru", c.lang_ru), ("en", c.lang_en), ("other", c.lang_other)) if on]


GROUPS = ("migrants", "ethnic", "disabilities")


def _serving(centres: QuerySet[Centre], groups: Iterable[str]) -> QuerySet[Centre]:
    """Centres that serve every one of the groups she belongs to (``serves_<group>``)."""
    for g in groups:
        if g in GROUPS:
            centres = centres.filter(**{f"serves_{g}": True})
    return centres


def registry(user: User, *, region: str = "", kind: str = "", free_only: bool = False, groups: Iterable[str] = ()) -> list[CentreRow]:
    centres = _serving(Centre.objects.select_related("unit", "unit__region", "unit__district").filter(unit__is_active=True), groups)
    if region:
        centres = centres.filter(unit__region_id=region)
    listed = list(centres)
    pools = pools_with_use(listed)
    rows = []
    for c in listed:
        ps = [p for p in pools[c.pk] if not kind or p.kind == kind]
        row = CentreRow(c, centre_values(user, c), ps, languages=_languages(c))
        if kind and not ps:
            continue
        if free_only and row.free == 0:
            continue
        rows.append(row)
    return rows


def centre_get(centre_id: int) -> Centre:
    found = Centre.objects.select_related("unit", "unit__region", "unit__district").filter(pk=centre_id).first()
    if found is None:
        raise NotFound()
    return found


def centre_placements(centre: Centre) -> QuerySet[Placement]:
    return live_placements().filter(centre=centre).select_related("case", "record", "pool")


def centre_holds(centre: Centre) -> QuerySet[BedHold]:
    return live_holds().filter(pool__centre=centre).select_related("case", "pool")


def placement_get_for(user: User, placement_id: int) -> Placement:
    """A placement is read by the staff of its centre only; anyone else gets 'not found'."""
    found = Placement.objects.select_related("case", "centre", "centre__unit", "pool").filter(pk=placement_id).first()
    if found is None or user.unit_id != found.centre.unit_id or not user.can(Capability.SHELTER_INTAKE):
        raise NotFound()
    return found


def hold_get_for(user: User, hold_id: int) -> BedHold:
    found = BedHold.objects.select_related("case", "pool", "pool__centre", "pool__centre__unit").filter(pk=hold_id).first()
    if found is None or user.unit_id != found.pool.centre.unit_id or not user.can(Capability.SHELTER_INTAKE):
        raise NotFound()
    return found


# --- find a bed ----------------------------------------------------------------------------------

EARTH_KM = 6371.0


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


def place_point(region_id: str | None, district_id: str | None) -> tuple[float, float] | None:
    if district_id:
        d = District.objects.filter(pk=district_id).values_list("point_lat", "point_lon").first()
        if d:
            return d
    if region_id:
        r = Region.objects.filter(pk=region_id).values_list("centre_lat", "centre_lon").first()
        if r:
            return r
    return None


def case_point(case: Case) -> tuple[float, float] | None:
    incident = case.incidents.order_by("-occurred_at", "-id").values("region_id", "district_id").first()
    if incident is not None:
        return place_point(incident["region_id"], incident["district_id"])
    return place_point(case.holding_unit.region_id, case.holding_unit.district_id)


def fitting_kind(children: int, disability: bool) -> str:
    if disability:
        return BedKind.ACCESSIBLE
    return BedKind.WITH_CHILDREN if children else BedKind.WOMEN


def find_beds(user: User, case: Case, *, children: int = 0, disability: bool = False, language: str = "",
              groups: Iterable[str] = ()) -> list[CentreRow]:
    """Centres with a free bed that fits her, nearest first (ties: more free beds, then id)."""
    kind = fitting_kind(children, disability)
    centres = Centre.objects.select_related("unit", "unit__region", "unit__district").filter(unit__is_active=True, shelter=True)
    if children:
        centres = centres.filter(accepts_children=True)
    if disability:
        centres = centres.filter(disability_access=True)
    if language in ("kk", "ru", "en", "other"):
        centres = centres.filter(**{f"lang_{language}": True})
    listed = list(_serving(centres, groups))
    pools = pools_with_use(listed)
    origin = case_point(case)
    rows = []
    for c in listed:
        ps = [p for p in pools[c.pk] if p.kind == kind and p.free > 0]  # type: ignore[attr-defined]
        if not ps:
            continue
        km = great_circle_km(origin, (c.lat, c.lon)) if origin else None
        rows.append(CentreRow(c, centre_values(user, c), ps, distance_km=round(km, 1) if km is not None else None,
                              languages=_languages(c)))
    rows.sort(key=lambda r: (r.distance_km if r.distance_km is not None else math.inf, -r.free, r.centre.pk))
    return rows
