"""Demo shelters: every demo unit of a crisis-centre or family-support kind becomes a registry
centre with beds, and the Almaty crisis centre gets one current placement and one discharged one
(on demo cases of the Almaty police), so its page shows live occupancy.

Call after ``seed_demo`` and the cases: ``shelters_seed()``; safe to run again."""

from __future__ import annotations

from datetime import timedelta

from qorgau.accounts.models import Unit, User
from qorgau.cases.models import Case
from qorgau.core import clock
from qorgau.shelters.models import Centre, Outcome, Ownership, Placement
from qorgau.shelters.services import CENTRE_KINDS, centre_register, placement_admit, placement_discharge

# Synthetic addresses: no real shelter is named or placed.
_ADDRESSES = ["ул. Примерная, 1", "ул. Учебная, 12", "пр. Демонстрационный, 5", "ул. Тестовая, 7"]


def shelters_seed(*, shelter_username: str = "shelter") -> dict[str, int]:
    made = 0
    for n, unit in enumerate(Unit.objects.filter(kind_id__in=CENTRE_KINDS, is_active=True).exclude(centre__isnull=False).order_by("id")):
        crisis = unit.kind_id == "crisis_centre"
        centre_register(
            actor=None, unit=unit, ownership=Ownership.STATE if n % 2 == 0 else Ownership.NGO, address=_ADDRESSES[n % len(_ADDRESSES)],
            phone=f"+7 700 000 {n:02d} {n:02d}", opening_hours="24/7" if crisis else "09:00–18:00", shelter=crisis or n % 3 == 0,
            psychologist=True, lawyer=crisis, accepts_children=crisis or n % 2 == 0, disability_access=n % 3 == 0,
            lang_en=n % 4 == 0, serves_migrants=n % 5 == 0,
            beds={"women": 6, "with_children": 4, "accessible": 1} if crisis else {"women": 2, "with_children": 1, "accessible": 0},
        )
        made += 1
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
