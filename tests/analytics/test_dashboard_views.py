"""The dashboard and the map pages: figures from the tallies with small cells hidden, filters with their
errors (never a 500), a period with no data, the region's districts, and access for analysts only."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from qorgau.accounts.roles import Role
from qorgau.analytics.choropleth import PALETTE
from tests.analytics.support_b import ALMATY_REPORTS, ASTANA, PARTNER, SMALL, TOTAL, picture
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_(reference, frozen_now, analyst) -> Client:
    picture()
    return sign_in(Client(), analyst)


def _row(html: str, key: str) -> str:
    match = re.search(rf'<tr data-key="{re.escape(key)}">(.*?)</tr>', html, re.S)
    assert match, f"no row {key}"
    return match.group(1)


def _cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", " ", c).split()[0] if re.sub(r"<[^>]+>", " ", c).split() else ""
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def test_the_dashboard_shows_the_regions_with_small_cells_hidden(client_):
    r = client_.get("/analytics/", {"show": ["reports", "deaths"]})
    assert r.status_code == 200
    html = r.content.decode()
    assert _cells(_row(html, "KZ-75"))[0] == str(ALMATY_REPORTS)
    small, partner = _row(html, SMALL), _row(html, PARTNER)
    assert "suppressed" in small and "suppressed" in partner  # 3 is hidden, and 8 so the total cannot reveal it
    assert ">3<" not in small and ">8<" not in partner
    total = re.search(r'<tr data-testid="total">(.*?)</tr>', html, re.S).group(1)
    assert _cells(total)[0] == str(TOTAL)
    assert 'data-testid="notices"' in html
    assert 'data-chart="line"' in html and 'data-chart="bars"' in html
    assert 'data-testid="key-figures"' in html
    # The series: March has 12 reports in Almaty, January's 3 (Mangystau) is hidden, so is one other month.
    series = re.search(r'data-testid="chart-series-reports".*?</svg>', html, re.S).group(0)
    assert 'data-month="03.2026"' in series and 'data-hidden="01.2026"' in series
    # The same figures as a table under the charts (reports is the first column).
    table = re.search(r'data-testid="series-table".*?</table>', html, re.S).group(0)
    assert re.search(r'<th scope="row">03\.2026</th><td class="num">12</td>', table)
    assert re.search(r'<th scope="row">01\.2026</th><td class="num suppressed">', table)


def test_the_rate_per_100000_is_shown_beside_the_count(client_):
    from qorgau.core.models import Region

    html = client_.get("/analytics/", {"show": ["reports"]}).content.decode()
    population = Region.objects.get(pk="KZ-75").population
    rate = ALMATY_REPORTS * 100_000 / population
    row = _row(html, "KZ-75")
    shown = re.findall(r'<span class="muted small">([^<]+)</span>', row)
    assert shown and float(shown[0].replace(",", ".").replace("\xa0", "")) == pytest.approx(rate, abs=0.05)


def test_bad_filters_give_the_form_with_errors_and_no_figures(client_):
    r = client_.get("/analytics/", {"start": "2025-13", "end": "2024-01", "region": "XX-99"})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="error-start"' in html and 'data-testid="error-region"' in html
    assert 'data-testid="no-figures"' in html and 'data-testid="places"' not in html


def test_a_district_with_a_breakdown_is_refused_with_the_coarsening_message(client_):
    r = client_.get("/analytics/", {"region": "KZ-75", "district": "751110000", "breakdown": "group:women"})
    assert r.status_code == 200
    assert 'data-testid="error-breakdown"' in r.content.decode()


def test_too_many_columns_is_refused(client_):
    from qorgau.analytics.indicators import INDICATORS

    r = client_.get("/analytics/", {"show": list(INDICATORS)})
    assert 'data-testid="error-show"' in r.content.decode()


def test_a_period_with_no_data_says_so_instead_of_empty_charts(client_):
    r = client_.get("/analytics/", {"start": "2020-01", "end": "2020-12"})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="no-data"' in html
    assert "<svg" not in html.split('data-testid="no-data"')[1].split("</main>")[0]


def test_a_region_shows_its_districts(client_):
    r = client_.get("/analytics/", {"region": "KZ-75", "show": ["reports"]})
    html = r.content.decode()
    assert _cells(_row(html, "751110000"))[0] == "12"
    assert _cells(_row(html, "751210000"))[0] == "6"
    assert 'name="district"' in html  # the district choice appears once a region is chosen
    assert 'value="751110000"' in html


def test_export_links_carry_the_filters(client_):
    html = client_.get("/analytics/", {"start": "2026-01", "end": "2026-04", "region": "KZ-75"}).content.decode()
    for fmt in ("csv", "xlsx", "pdf"):
        link = re.search(rf'href="(/analytics/export/{fmt}/\?[^"]+)"', html).group(1).replace("&amp;", "&")
        assert "start=2026-01" in link and "end=2026-04" in link and "region=KZ-75" in link


def test_the_analyst_has_the_menu_entry_and_others_are_refused(client_, make_user):
    assert 'href="/analytics/"' in client_.get("/").content.decode()
    inspector = sign_in(Client(), make_user(Role.POLICE_INSPECTOR))
    assert 'href="/analytics/"' not in inspector.get("/").content.decode()
    for path in ("/analytics/", "/analytics/map/", "/analytics/export/csv/"):
        assert inspector.get(path).status_code == 403
    assert Client().get("/analytics/").status_code == 302


def test_the_dashboard_read_is_audited(client_):
    from qorgau.core.models import AuditEvent

    before = AuditEvent.objects.filter(action="read", target_type="analytics").count()
    client_.get("/analytics/")
    assert AuditEvent.objects.filter(action="read", target_type="analytics").count() == before + 1


def test_the_map_colours_regions_and_hatches_hidden_ones(client_):
    r = client_.get("/analytics/map/", {"indicator": "reports"})
    assert r.status_code == 200
    html = r.content.decode()
    fills = {
        a: f for f, a in re.findall(r'fill="([^"]+)" stroke="[^"]+" stroke-width="[^"]+" data-area="([^"]+)"', html)
    }
    assert len(fills) == 20
    assert fills[SMALL] == "url(#map-hatch)" and fills[PARTNER] == "url(#map-hatch)"
    assert fills["KZ-75"] in PALETTE
    assert 'data-testid="legend"' in html and 'data-testid="attribution"' in html
    assert "geokz" in html
    assert 'data-testid="map-table"' in html and "suppressed" in _row(html, SMALL)


def test_the_map_of_a_region_colours_its_districts(client_):
    html = client_.get("/analytics/map/", {"indicator": "reports", "region": "KZ-75"}).content.decode()
    areas = set(re.findall(r'data-area="(\d{9})"', html))
    assert "751110000" in areas and "751210000" in areas
    assert 'data-area="KZ-' not in html


def test_the_map_of_a_region_with_a_breakdown_draws_the_country(client_):
    html = client_.get(
        "/analytics/map/", {"indicator": "reports", "region": ASTANA, "breakdown": "group:women"}
    ).content.decode()
    fills = {
        a: f for f, a in re.findall(r'fill="([^"]+)" stroke="[^"]+" stroke-width="[^"]+" data-area="([^"]+)"', html)
    }
    assert len(fills) == 20 and fills[ASTANA] in PALETTE  # a breakdown is kept by region only
    assert {f for a, f in fills.items() if a != ASTANA} == {"#f3f4f6"}  # the others: not in this view
    assert "10" in _row(html, ASTANA)
    # Almaty has fewer than 20 reports: the breakdown is coarsened to the whole, shown by district.
    html = client_.get(
        "/analytics/map/", {"indicator": "reports", "region": "KZ-75", "breakdown": "group:women"}
    ).content.decode()
    assert 'data-area="751110000"' in html and 'data-testid="notices"' in html


def test_the_map_refuses_an_unknown_indicator_with_the_form(client_):
    r = client_.get("/analytics/map/", {"indicator": "nonsense"})
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="error-indicator"' in html and 'data-testid="choropleth"' not in html


def test_the_map_with_only_hidden_places_says_so(client_):
    r = client_.get("/analytics/map/", {"indicator": "deaths", "start": "2026-03", "end": "2026-03"})
    html = r.content.decode()
    # Five deaths in Almaty in March: shown (5 is not under 5), so the map has a colour.
    assert 'data-testid="no-data"' not in html
    r = client_.get("/analytics/map/", {"indicator": "reports", "start": "2026-01", "end": "2026-01"})
    html = r.content.decode()
    assert 'data-testid="no-data"' in html  # January: only Mangystau's 3, hidden


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_pages_render_in_each_language(reference, frozen_now, make_user, lang):
    picture()
    client = sign_in(Client(), make_user(Role.ANALYST, language=lang))
    for path in ("/analytics/", "/analytics/map/"):
        r = client.get(path)
        assert r.status_code == 200
        assert f'<html lang="{lang}">' in r.content.decode()
