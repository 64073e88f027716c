"""The analytics dashboard and map in a real browser, in Kazakh, Russian and English: the analyst opens
the dashboard, narrows it to a region (its districts appear), follows the link to the map with the
same filters, changes the indicator, and sees the coloured regions with the legend and the
boundaries' attribution; no console or CSP error on any page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot_path, sign_in

pytestmark = pytest.mark.e2e


def _tallies() -> None:
    """Twelve complete months of reports and orders in every region (one small region hidden)."""
    from qorgau.analytics.filters import filters_default
    from qorgau.analytics.models import RefreshMark, Tally
    from qorgau.analytics.refresh import MARK, ZONE
    from qorgau.core import clock
    from qorgau.core.models import District, Region

    period = filters_default(clock.now().astimezone(ZONE).date())
    months = [
        period.start.replace(
            year=period.start.year + (period.start.month - 1 + i) // 12, month=(period.start.month - 1 + i) % 12 + 1
        )
        for i in range(12)
    ]
    rows = []
    for n, region in enumerate(Region.objects.order_by("iso")):
        district = District.objects.filter(region=region).order_by("kato").values_list("kato", flat=True).first()
        for i, month in enumerate(months):
            reports = 0 if region.iso == "KZ-47" and i else (2 if region.iso == "KZ-47" else 10 + 3 * n + i % 4)
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


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_dashboard_filters_and_map(page, demo, url, watch, language):
    _tallies()
    sign_in(page, url, "analyst", language=language)
    page.goto(url("/analytics/"))
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator('[data-testid="key-figures"] li').count() == 6
    assert page.locator('table[data-testid="places"] tbody tr').count() == 20
    assert page.locator('svg[data-chart="line"]').count() >= 2
    assert page.locator('svg[data-chart="bars"] rect[data-hidden]').count() >= 1  # the small region, hatched
    assert page.locator('[data-testid="notices"]').is_visible()
    page.screenshot(path=str(screenshot_path(language, "analytics-dashboard")), full_page=True)

    page.select_option("#id_region", "KZ-75")
    page.locator('form[data-testid="filters"] button[type=submit]').click()
    page.wait_for_load_state("load")
    assert "region=KZ-75" in page.url
    assert page.locator("#id_district").is_visible()
    district_rows = page.locator('table[data-testid="places"] tbody tr')
    assert district_rows.count() >= 2 and (district_rows.first.get_attribute("data-key") or "").isdigit()
    export = page.locator('[data-testid="export-xlsx"]').get_attribute("href") or ""
    assert "region=KZ-75" in export
    page.screenshot(path=str(screenshot_path(language, "analytics-dashboard-region")), full_page=True)

    page.locator('[data-testid="to-map"]').click()
    page.wait_for_load_state("load")
    assert "/analytics/map/" in page.url and "region=KZ-75" in page.url
    assert page.locator('svg[data-testid="choropleth"] path[data-area]').count() >= 2
    page.select_option("#id_region", "")
    page.select_option("#id_indicator", "orders")
    page.locator('form[data-testid="filters"] button[type=submit]').click()
    page.wait_for_load_state("load")
    assert page.locator('svg[data-testid="choropleth"] path[data-area]').count() == 20
    assert page.locator('svg[data-testid="choropleth"] path[data-class="hidden"]').count() >= 1
    assert page.locator('[data-testid="legend"] li').count() >= 3
    assert "geokz" in page.locator('[data-testid="attribution"]').inner_text()
    assert page.locator('table[data-testid="map-table"] tbody tr').count() == 20
    page.screenshot(path=str(screenshot_path(language, "analytics-map")), full_page=True)
    assert watch.errors == []


def test_bad_filters_show_errors_in_the_browser(page, demo, url, watch):
    sign_in(page, url, "analyst", language="en")
    page.goto(url("/analytics/?start=2026-05&end=2020-01"))
    assert page.locator('[data-testid="error-end"]').is_visible()
    assert page.locator('[data-testid="no-figures"]').is_visible()
    assert watch.errors == []
