"""What the public help page shows of the network of centres: read from the shelters registry.

Active centres by region with their name, kind, public locality (``Centre.place``: the locality
given, else the district, else the region's centre), public phone and opening hours. The street
address is secret (DESIGN §5): it is never read here, so it cannot reach this page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qorgau.core.models import Region
from qorgau.shelters.models import Centre


@dataclass
class PublicCentre:
    name: str
    kind: str
    place: str
    phone: str = ""
    opening_hours: str = ""


@dataclass
class RegionCentres:
    region: str
    centres: list[PublicCentre] = field(default_factory=list)


def public_centres() -> list[RegionCentres]:
    """Every region (so that a woman sees hers even when it has no centre yet), with its active centres."""
    centres = (Centre.objects.filter(unit__is_active=True).select_related("unit", "unit__kind", "unit__district", "unit__region")
               .defer("address", "unit__region__boundary_geojson", "unit__district__boundary_geojson"))
    by_region: dict[str, list[PublicCentre]] = {}
    for c in centres:
        by_region.setdefault(c.unit.region_id, []).append(
            PublicCentre(name=c.unit.name, kind=c.unit.kind.name, place=c.place, phone=c.phone, opening_hours=c.opening_hours))
    regions = sorted(Region.objects.defer("boundary_geojson"), key=lambda r: r.name)
    return [RegionCentres(region=r.name, centres=sorted(by_region.get(r.pk, []), key=lambda c: c.name)) for r in regions]
