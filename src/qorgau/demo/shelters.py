"""Demo shelters: every demo unit of a crisis-centre or family-support kind becomes a registry
centre with beds, and the Almaty crisis centre gets one current placement and one discharged one
(on demo cases of the Almaty police), so its page shows live occupancy.

Regional crisis centres are added in some regional centres (synthetic names, at the region's centre)
so that the coverage map and the public page look like a network; every centre gets a public phone,
opening hours, languages and groups served (filled in for centres that lack them).

Call after ``seed_demo`` and the cases: ``shelters_seed()``; safe to run again."""

from __future__ import annotations

from datetime import timedelta

from qorgau.accounts.models import AgencyKind, Unit, User
from qorgau.accounts.services import unit_create
from qorgau.cases.models import Case
from qorgau.core import clock
from qorgau.core.models import Region
from qorgau.shelters.models import Centre, Outcome, Ownership, Placement
from qorgau.shelters.services import CENTRE_KINDS, centre_register, placement_admit, placement_discharge

# Synthetic addresses: no real shelter is named or placed.
_ADDRESSES = ["ул. Примерная, 1", "ул. Учебная, 12", "пр. Демонстрационный, 5", "ул. Тестовая, 7"]


# Regions that get a demo crisis centre in their administrative centre.
_REGIONAL = ["KZ-71", "KZ-79", "KZ-35", "KZ-15", "KZ-63", "KZ-55", "KZ-31", "KZ-43", "KZ-11"]


def _regional_units() -> None:
    for iso in _REGIONAL:
        region = Region.objects.filter(pk=iso).defer("boundary_geojson").first()
        if region is None or Unit.objects.filter(kind_id="crisis_centre", region=region).exists():
            continue
        unit_create(actor=None, kind=AgencyKind.objects.get(code="crisis_centre"), region=region,
                    name_ru=f"Кризисный центр (демо), {region.centre_ru}", name_kk=f"Дағдарыс орталығы (демо), {region.centre_kk}",
                    name_en=f"Crisis centre (demo), {region.centre_en}")


def _fill_public_details() -> None:
    """Centres registered before without a phone or hours get them (no other field is touched)."""
    for n, centre in enumerate(Centre.objects.filter(phone="").order_by("id")):
        Centre.objects.filter(pk=centre.pk).update(phone=f"+7 700 100 {n:02d} {n:02d}", opening_hours=centre.opening_hours or "24/7")


def shelters_seed(*, shelter_username: str = "shelter") -> dict[str, int]:
    made = 0
    _regional_units()
    for n, unit in enumerate(Unit.objects.filter(kind_id__in=CENTRE_KINDS, is_active=True).exclude(centre__isnull=False).order_by("id")):
        crisis = unit.kind_id == "crisis_centre"
        centre_register(
            actor=None, unit=unit, ownership=Ownership.STATE if n % 2 == 0 else Ownership.NGO, address=_ADDRESSES[n % len(_ADDRESSES)],
            phone=f"+7 700 000 {n:02d} {n:02d}", opening_hours="24/7" if crisis else "09:00–18:00", shelter=crisis or n % 3 == 0,
            psychologist=True, lawyer=crisis, accepts_children=crisis or n % 2 == 0, disability_access=n % 3 == 0,
            lang_en=n % 4 == 0, lang_other=n % 3 == 1, serves_migrants=n % 3 == 0, serves_ethnic=n % 4 == 1,
            serves_disabilities=n % 3 == 0,
            beds={"women": 6, "with_children": 4, "accessible": 1} if crisis else {"women": 2, "with_children": 1, "accessible": 0},
        )
        made += 1
    _fill_public_details()
    placed = 0
    staff = User.objects.filter(username=shelter_username).select_related("unit").first()
    centre = Centre.objects.filter(unit=staff.unit).first() if staff is not None and staff.unit_id else None
    if staff is not None and centre is not None and not Placement.objects.filter(centre=centre).exists():
        cases = list(Case.objects.filter(holding_unit__region_id=centre.unit.region_id).order_by("id")[:2])
        now = clock.now()
        for i, case in enumerate(cases):
            pool = centre.pools.get(kind="with_children" if i == 0 else "women")
            p = placement_admit(actor=staff, case=case, pool_id=pool.pk, children=2 if i == 0 else 0, expected_days=30,
                                admitted_at=now - timedelta(days=10 + 20 * i), services=frozenset({"psychologist", "lawyer"}))
            if i == 1:
                placement_discharge(actor=staff, placement_id=p.pk, version=p.version, outcome=Outcome.RELATIVES,
                                    discharged_at=now - timedelta(days=2))
            placed += 1
    return {"centres": made, "placements": placed}
