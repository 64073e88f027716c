"""Data of helper B's tests (dashboard, map, exports, API): a small national picture written straight
into the monthly tallies (the selectors read only those; counting the sources is helper A's, tested
in test_tallies.py), so these tests do not depend on how each source is counted.

In the default period (June 2025 – May 2026, the clock frozen at 15 June 2026):

* Almaty (KZ-75): 12 reports in March 2026 in one district and 6 in February in another — 18; 5
  deaths in March (article 99);
* Atyrau region (KZ-23): 8 reports in April 2026, rural;
* Mangystau region (KZ-47): 3 reports in January 2026 — a small cell: hidden, and Atyrau's 8 with it
  (complementary suppression: the total minus the others would give Mangystau away);
* Astana (KZ-71): 25 reports in May 2026, 10 of them with a female victim (enough to break down:
  Almaty's 18 are under the coarsening threshold of 20).

National total: 54 reports.
"""

from __future__ import annotations

import datetime as dt

from qorgau.analytics.models import RefreshMark, Tally
from qorgau.analytics.refresh import MARK
from tests.analytics.conftest import ALMATY, ALMATY_DISTRICT, NOW

SMALL = "KZ-47"
PARTNER = "KZ-23"  # hidden with the small one
TOTAL = 54
ASTANA = "KZ-71"
ALMATY_REPORTS = 18
OTHER_ALMATY_DISTRICT = "751210000"
AS_OF = NOW - dt.timedelta(minutes=5)


def _tally(
    month: dt.date,
    region: str,
    indicator: str,
    value: int,
    *,
    district: str | None = None,
    urban: bool | None = True,
    dimension: str = "",
) -> Tally:
    return Tally(
        month=month,
        region_id=region,
        district_id=district,
        urban=urban,
        dimension=dimension,
        indicator=indicator,
        value=value,
    )


def picture() -> None:
    """The tallies above, and the refresh mark (the "as of" time)."""
    Tally.objects.bulk_create(
        [
            _tally(dt.date(2026, 3, 1), ALMATY, "reports", 12, district=ALMATY_DISTRICT),
            _tally(dt.date(2026, 2, 1), ALMATY, "reports", 6, district=OTHER_ALMATY_DISTRICT),
            _tally(dt.date(2026, 3, 1), ALMATY, "deaths", 5, district=ALMATY_DISTRICT),
            _tally(dt.date(2026, 3, 1), ALMATY, "criminal_cases", 5, district=ALMATY_DISTRICT),
            _tally(dt.date(2026, 4, 1), PARTNER, "reports", 8, district="231000000", urban=False),
            _tally(dt.date(2026, 1, 1), SMALL, "reports", 3, district="471000000"),
            # Region-level breakdown rows (forms and groups are never kept by district).
            _tally(dt.date(2026, 3, 1), ALMATY, "reports", 12, dimension="group:women"),
            _tally(dt.date(2026, 2, 1), ALMATY, "reports", 6, dimension="group:women"),
            _tally(dt.date(2026, 4, 1), PARTNER, "reports", 8, urban=False, dimension="group:women"),
            _tally(dt.date(2026, 5, 1), ASTANA, "reports", 25, district="711210000"),
            _tally(dt.date(2026, 5, 1), ASTANA, "reports", 10, dimension="group:women"),
        ]
    )
    RefreshMark.objects.update_or_create(name=MARK, defaults={"at": AS_OF, "months": 4, "rows": 11})
