"""The analytical note's tests' data: a small seeded data set in the monthly tallies (``note_seed``).

Tallies are written directly (the note reads them only through the selectors), for March 2025:
every region has reports (Ulytau, KZ-62, only 3: a small cell), reports with a female victim (Ulytau
2), orders and court decisions; deaths are 2 in the whole country (hidden nationally); among the
victim groups, children are 40 in Almaty and migrants' wives 3 (hidden). Two crisis centres, one
with shelter beds, are registered in Almaty.
"""

from __future__ import annotations

import datetime as dt

from qorgau.accounts.models import AgencyKind
from qorgau.accounts.services import unit_create
from qorgau.analytics.models import RefreshMark, Tally
from qorgau.core import clock
from qorgau.core.models import Region
from qorgau.shelters.services import centre_register

MONTH = dt.date(2025, 3, 1)
SMALL = "KZ-62"


def reports_of(iso: str, i: int) -> int:
    return 3 if iso == SMALL else 100 + 10 * i


def women_of(iso: str, i: int) -> int:
    return 2 if iso == SMALL else 80 + 5 * i


def note_seed() -> dict[str, int]:
    """Write the data set (reference data must be loaded); returns the national totals of reports."""
    rows = []
    totals = {"reports": 0, "women": 0}
    for i, region in enumerate(Region.objects.order_by("iso")):
        iso = region.iso
        rows += [
            Tally(month=MONTH, region=region, indicator="reports", value=reports_of(iso, i)),
            Tally(month=MONTH, region=region, indicator="reports", dimension="group:women", value=women_of(iso, i)),
            Tally(month=MONTH, region=region, indicator="orders", value=50),
            Tally(month=MONTH, region=region, indicator="court_decisions", value=10),
            Tally(month=MONTH, region=region, indicator="criminal_cases", value=7),
            Tally(month=MONTH, region=region, indicator="reports", dimension="form:physical", value=60),
        ]
        totals["reports"] += reports_of(iso, i)
        totals["women"] += women_of(iso, i)
    almaty = Region.objects.get(iso="KZ-75")
    rows += [
        Tally(month=MONTH, region=almaty, indicator="deaths", value=2),
        Tally(month=MONTH, region=almaty, indicator="grave_harm", value=9),
        Tally(month=MONTH, region=almaty, indicator="reports", dimension="group:children", value=40),
        Tally(month=MONTH, region=almaty, indicator="reports", dimension="group:migrant_wife", value=3),
    ]
    Tally.objects.bulk_create(rows)
    RefreshMark.objects.update_or_create(name="tallies", defaults={"at": clock.now(), "months": 1, "rows": len(rows)})
    kind = AgencyKind.objects.get(code="crisis_centre")
    for n, shelter in ((1, True), (2, False)):
        unit = unit_create(
            actor=None,
            kind=kind,
            region=almaty,
            name_ru=f"Кризисный центр {n}",
            name_kk=f"Дағдарыс орталығы {n}",
            name_en=f"Crisis centre {n}",
        )
        centre_register(
            actor=None,
            unit=unit,
            address="1",
            phone="",
            opening_hours="24/7",
            shelter=shelter,
            beds={"women": 4 if shelter else 0, "with_children": 0, "accessible": 0},
        )
    return totals
