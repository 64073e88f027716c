"""Registering a report in a real browser, as the demo's inspector, in Kazakh, Russian and English, on a
tablet-sized screen: the form, its field errors, the htmx district list, and the case page it lands on."""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from qorgau.cases.models import Case, Report
from qorgau.core import clock
from qorgau.core import iin as iin_rules
from tests.e2e.conftest import LANGUAGES, screenshot_path, sign_in

pytestmark = pytest.mark.e2e

TABLET = {"width": 1024, "height": 768}
DESKTOP = {"width": 1280, "height": 800}
ZONE = ZoneInfo("Asia/Almaty")  # the demo inspector's unit: Almaly district, Almaty

VICTIMS = {
    "ru": "Сапарова Айгерим Нурлановна",
    "kk": "Сапарова Айгерім Нұрланқызы",
    "en": "Сапарова Айгерим",
}


def synthetic_iin(birth: dt.date, sex: str) -> str:
    serial = 4000
    while not (value := iin_rules.make(birth, sex, serial)):
        serial += 1
    return value


@pytest.fixture
def markers(demo) -> None:
    from qorgau.cases.reference import markers_load

    markers_load()


def register_button(page):
    return page.locator('[data-testid="register-submit"]')


@pytest.mark.parametrize("language", LANGUAGES)
def test_inspector_registers_a_report_and_lands_on_the_case(page, demo, markers, url, watch, language):
    page.set_viewport_size(TABLET)
    sign_in(page, url, "inspector", language=language)
    page.locator('nav.menu a[href="/cases/register/"]').click()
    page.wait_for_load_state("load")
    assert page.url == url("/cases/register/")
    # The region and district start from the inspector's unit.
    assert page.locator("#id_region").input_value() == "KZ-75"
    assert page.locator("#id_district").input_value() == "751110000"
    page.screenshot(path=str(screenshot_path(language, "register-form-tablet")), full_page=True)

    # Sent as it opened (no victim, no offender, no form of violence): refused field by field.
    register_button(page).click()
    page.wait_for_load_state("load")
    assert page.url == url("/cases/register/")
    assert page.locator('[data-testid="form-errors"]').is_visible()
    assert page.locator('[data-field="victim0_full_name"] .field-error').count() == 1
    assert page.locator('[data-field="offender_full_name"] .field-error').count() == 1
    assert page.locator('[data-field="forms"] .field-error').count() == 1
    page.screenshot(path=str(screenshot_path(language, "register-errors-tablet")), full_page=True)

    # The district list follows the region (htmx), and comes back.
    page.locator("#id_region").select_option("KZ-23")
    page.wait_for_function("() => !document.querySelector('#id_district option[value=\"751110000\"]')")
    assert page.locator("#id_district option").count() > 1
    page.locator("#id_region").select_option("KZ-75")
    page.wait_for_function("() => !!document.querySelector('#id_district option[value=\"751110000\"]')")
    page.locator("#id_district").select_option("751110000")

    occurred = (clock.now() - timedelta(hours=3)).astimezone(ZONE)
    page.locator('input[name="channel"][value="hotline_150"]').check()
    page.locator("#id_occurred_at").fill(occurred.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_locality").fill("мкр. Самал-2")
    page.locator('input[name="forms"][value="physical"]').check()
    page.locator('input[name="forms"][value="psychological"]').check()
    page.locator('input[name="circumstances"][value="injuries"]').check()
    page.locator('input[name="circumstances"][value="children_present"]').check()
    page.locator("#id_narrative").fill("Ударил, угрожал ножом. Дети были дома.")

    victim_birth = dt.date(1990, 5, 17)
    page.locator("#id_victim0_full_name").fill(VICTIMS[language])
    page.locator("#id_victim0_iin").fill(synthetic_iin(victim_birth, "F"))
    page.locator("#id_victim0_birth_date").fill(victim_birth.isoformat())
    page.locator('input[name="victim0_sex"][value="F"]').check()
    page.locator("#id_victim0_phone").fill("+7 701 111 22 33")
    page.locator("#id_victim0_address").fill("ул. Абая 10, кв. 5")
    page.locator("#id_victim0_relationship").select_option("spouse")
    page.locator('input[name="victim0_markers"][value="pregnant"]').check()

    page.locator("#id_offender_full_name").fill("Сапаров Ерлан")
    page.locator("#id_offender_iin").fill(synthetic_iin(dt.date(1986, 3, 2), "M"))
    page.locator('input[name="offender_sex"][value="M"]').check()

    page.locator('[data-testid="children"] summary').click()
    page.locator("#id_child0_full_name").fill("Сапаров Алихан")
    page.locator("#id_child0_birth_date").fill("2016-09-09")
    page.screenshot(path=str(screenshot_path(language, "register-filled-tablet")), full_page=True)

    register_button(page).click()
    page.wait_for_load_state("load")
    case = Case.objects.get()
    assert page.url == url(f"/cases/{case.pk}/")
    report = Report.objects.get()
    assert report.channel == "hotline_150" and report.incident.children_present
    assert page.locator("ul.messages").inner_text().count(case.number) == 1
    assert re.search(case.number, page.locator("h1").inner_text())
    assert page.locator('[data-field="victim_name"]').inner_text() == VICTIMS[language]
    assert page.locator('[data-testid="child-witnesses"]').inner_text() == "1"
    page.screenshot(path=str(screenshot_path(language, "register-case-tablet")), full_page=True)

    page.set_viewport_size(DESKTOP)
    page.reload()
    page.wait_for_load_state("load")
    page.screenshot(path=str(screenshot_path(language, "register-case")), full_page=True)
    # Nothing on the page is wider than the tablet screen.
    page.set_viewport_size(TABLET)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= TABLET["width"]
    assert watch.errors == []
