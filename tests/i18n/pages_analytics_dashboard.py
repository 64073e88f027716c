"""Language-walker pages of the analytics dashboard and map (merged into ``test_languages.PAGES``).

An analyst, and twelve complete months of reports and orders written into the tallies for every
region (one region with a small, hidden count, so the notices and the hatched map class appear):
the dashboard, a region's districts, bad filters (the form with its errors), a period without data,
the map, and an export refused for its filters (an HTML page, 422)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ANALYST = "walker_analytics_analyst"


def _tallies() -> None:
    from qorgau.analytics.filters import add_months, filters_default
    from qorgau.analytics.models import RefreshMark, Tally
    from qorgau.analytics.refresh import MARK, ZONE
    from qorgau.core import clock
    from qorgau.core.models import District, Region

    if Tally.objects.exists():
        return
    period = filters_default(clock.now().astimezone(ZONE).date())
    rows = []
    for n, region in enumerate(Region.objects.order_by("iso")):
        district = District.objects.filter(region=region).order_by("kato").values_list("kato", flat=True).first()
        for i in range(12):
            month = add_months(period.start, i)
            reports = (3 if i == 0 else 0) if region.iso == "KZ-47" else 10 + 3 * n + i % 4
            rows.append(
                Tally(month=month, region=region, district_id=district, urban=True, indicator="reports", value=reports)
            )
            rows.append(
                Tally(
                    month=month,
                    region=region,
                    district_id=district,
                    urban=True,
                    indicator="orders",
                    value=reports * 7 // 10,
                )
            )
    Tally.objects.bulk_create(rows)
    RefreshMark.objects.update_or_create(name=MARK, defaults={"at": clock.now(), "months": 12, "rows": len(rows)})


def _analyst(w: Any, lang: str) -> Any:
    from django.test import Client

    from qorgau.accounts.models import User
    from tests.conftest import sign_in

    _tallies()
    user = User.objects.filter(username=ANALYST).first() or w._make_user("analyst", username=ANALYST)
    User.objects.filter(pk=user.pk).update(language=lang)
    user.refresh_from_db()
    return sign_in(Client(), user)


PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "analytics-dashboard": (200, lambda w, lang: _analyst(w, lang).get("/analytics/")),
    "analytics-dashboard-region": (
        200,
        lambda w, lang: _analyst(w, lang).get("/analytics/", {"region": "KZ-75", "show": ["reports", "orders"]}),
    ),
    "analytics-dashboard-breakdown": (
        200,
        lambda w, lang: _analyst(w, lang).get("/analytics/", {"region": "KZ-75", "breakdown": "group:women"}),
    ),
    "analytics-dashboard-bad": (
        200,
        lambda w, lang: _analyst(w, lang).get(
            "/analytics/",
            {"start": "2025-13", "region": "KZ-75", "district": "751110000", "breakdown": "form:physical", "show": []},
        ),
    ),
    "analytics-dashboard-empty": (
        200,
        lambda w, lang: _analyst(w, lang).get("/analytics/", {"start": "2020-01", "end": "2020-12"}),
    ),
    "analytics-map": (200, lambda w, lang: _analyst(w, lang).get("/analytics/map/", {"indicator": "orders"})),
    "analytics-map-region": (200, lambda w, lang: _analyst(w, lang).get("/analytics/map/", {"region": "KZ-75"})),
    "analytics-map-bad": (200, lambda w, lang: _analyst(w, lang).get("/analytics/map/", {"indicator": "nonsense"})),
    "analytics-export-bad": (422, lambda w, lang: _analyst(w, lang).get("/analytics/export/pdf/", {"end": "1999-13"})),
}
