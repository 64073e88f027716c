"""The shelter coverage page with its server-drawn map (ru and en), and registering a centre in the
browser as an administrator; no console or CSP error on either page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot_path, sign_in

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_coverage_page_draws_the_map(page, demo, url, watch, language):
    from qorgau.demo.shelters import shelters_seed

    shelters_seed()
    sign_in(page, url, "analyst", language=language)
    page.goto(url("/shelters/coverage/?km=150"))
    assert page.locator("html").get_attribute("lang") == language
    svg = page.locator("svg[role=img]")
    assert svg.is_visible()
    assert page.locator("svg path[data-region]").count() == 20
    assert page.locator("svg path[data-uncovered]").count() > 0
    assert page.locator('[data-testid="centre-dot"]').count() > 0
    assert page.locator('[data-testid="total"]').is_visible()
    page.screenshot(path=str(screenshot_path(language, "shelter-coverage")), full_page=True)
    page.select_option("#id_region", "KZ-19")
    page.locator('form[data-testid="filter"] button[type=submit]').click()
    page.wait_for_load_state("load")
    assert page.locator("svg path[data-region]").count() == 1
    assert page.locator('table[data-testid="coverage"] tbody tr').count() == 1
    page.screenshot(path=str(screenshot_path(language, "shelter-coverage-region")), full_page=False)
    assert watch.errors == []


def test_an_administrator_registers_a_centre(page, demo, url, watch):
    from qorgau.accounts.models import AgencyKind
    from qorgau.accounts.services import unit_create
    from qorgau.core.models import Region
    from qorgau.shelters.models import Centre

    unit = unit_create(actor=None, kind=AgencyKind.objects.get(code="family_support"), region=Region.objects.get(iso="KZ-23"),
                       name_ru="Центр поддержки семьи (e2e)", name_kk="Отбасын қолдау орталығы (e2e)", name_en="Family support centre (e2e)")
    sign_in(page, url, "admin", language="en")
    page.goto(url("/shelters/"))
    page.locator('[data-testid="register"]').click()
    page.wait_for_load_state("load")
    page.select_option("#id_unit", str(unit.pk))
    page.check("#id_serves_migrants")
    page.fill("#id_phone", "+7 7122 00 00 00")
    page.fill("#id_opening_hours", "09:00–18:00")
    page.fill("#id_address", "ул. Примерная, 3")
    page.fill("#id_beds_women", "-1")
    page.locator('form[data-testid="centre-form"] button[type=submit]').click()
    page.wait_for_load_state("load")
    assert page.locator("#id_beds_women").is_visible() and not Centre.objects.filter(unit=unit).exists()
    page.fill("#id_beds_women", "3")
    page.fill("#id_address", "ул. Примерная, 3")
    page.locator('form[data-testid="centre-form"] button[type=submit]').click()
    page.wait_for_load_state("load")
    centre = Centre.objects.get(unit=unit)
    assert page.url == url(f"/shelters/centres/{centre.pk}/")
    assert "ул. Примерная" not in page.content()  # the administrator does not read the address
    assert centre.address == "ул. Примерная, 3" and centre.serves_migrants
    page.screenshot(path=str(screenshot_path("en", "shelter-centre-registered")), full_page=True)
    page.locator('[data-testid="edit"]').click()
    page.wait_for_load_state("load")
    assert "Write-only" in page.locator('[data-testid="address-help"]').inner_text()
    assert watch.errors == []
