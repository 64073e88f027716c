"""What the public help page shows of the network of centres: names and towns, never an address.

Crisis centres and family support centres are listed by region with the district (or, for a unit
of the whole region, the region) they serve. Units hold no street address at all; a shelter's
address lives only in the shelters registry, behind its mask, and never reaches this page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import get_language

from qorgau.accounts.models import Unit
from qorgau.core.models import Region

PUBLIC_KINDS = ("crisis_centre", "family_support")


@dataclass
class PublicCentre:
    name: str
    kind: str
    place: str


@dataclass
class RegionCentres:
    region: str
    centres: list[PublicCentre] = field(default_factory=list)


def public_centres() -> list[RegionCentres]:
    """Every region (so that a woman sees hers even when it has no centre yet), with its active centres."""
    lang = (get_language() or "ru")[:2]
    units = Unit.objects.filter(kind_id__in=PUBLIC_KINDS, is_active=True).select_related("kind", "district", "region")
    by_region: dict[str, list[PublicCentre]] = {}
    for u in units:
        place = u.district.name if u.district is not None else str(getattr(u.region, f"centre_{lang}", "") or u.region.centre_ru)
        by_region.setdefault(u.region_id, []).append(PublicCentre(name=u.name, kind=u.kind.name, place=place))
    regions = sorted(Region.objects.all(), key=lambda r: r.name)
    return [RegionCentres(region=r.name, centres=sorted(by_region.get(r.pk, []), key=lambda c: c.name)) for r in regions]
