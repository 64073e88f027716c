"""Repeat reports in a real browser, in Kazakh, Russian and English (issue 4): the same woman, without
an IIN, registered again under another spelling in another district is recognised before saving and
joins her case; a surname typo waits in the review queue, the reviewer links it, and undoes it."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from qorgau.cases.models import Case, Report
from qorgau.core import clock
from qorgau.core import iin as iin_rules
from qorgau.people.models import MatchReview, PersonLink, ReviewStatus
from tests.e2e.conftest import LANGUAGES, screenshot_path, sign_in

pytestmark = pytest.mark.e2e

ZONE = ZoneInfo("Asia/Almaty")
BIRTH = dt.date(1990, 5, 17)


def _iin(birth: dt.date, sex: str) -> str:
    serial = 4000
    while not (value := iin_rules.make(birth, sex, serial)):
        serial += 1
    return value


OFFENDER_IIN = _iin(dt.date(1986, 3, 2), "M")


def _register(username: str, victim_name: str, *, district: str = "751110000", birth: dt.date | None = BIRTH):
    from qorgau.accounts.models import User
    from qorgau.cases.services import VictimInput, report_register
    from qorgau.people.services import PersonInput
    from tests.cases.factories import report_input

    victim = PersonInput(full_name=victim_name, birth_date=birth, sex="F")
    offender = PersonInput(full_name="Сапаров Ерлан", iin=OFFENDER_IIN, sex="M")
    data = report_input(victims=[VictimInput(relationship="spouse", person=victim)], offender=offender, district=district)
    return report_register(actor=User.objects.get(username=username), data=data)


@pytest.fixture
def first_report(demo):
    from qorgau.cases.reference import markers_load

    markers_load()
    with clock.frozen(clock.now() - timedelta(days=20)):
        return _register("inspector", "Сапарова Айгерім Нұрланқызы")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_same_woman_in_latin_letters_is_recognised_before_saving_and_joins_her_case(page, demo, first_report, url, watch, language):
    case = first_report.cases[0]
    sign_in(page, url, "inspector", language=language)
    page.goto(url("/cases/register/"))
    occurred = (clock.now() - timedelta(hours=3)).astimezone(ZONE)
    page.locator('input[name="channel"][value="police_102"]').check()
    page.locator("#id_occurred_at").fill(occurred.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#id_district").select_option("751210000")  # another district of Almaty
    page.locator('input[name="forms"][value="physical"]').check()
    page.locator("#id_victim0_full_name").fill("SAPAROVA AIGERIM")  # her passport spelling, no IIN
    page.locator("#id_victim0_birth_date").fill(BIRTH.isoformat())
    page.locator('input[name="victim0_sex"][value="F"]').check()
    page.locator("#id_victim0_relationship").select_option("spouse")
    page.locator("#id_offender_full_name").fill("SAPAROV YERLAN")
    page.locator("#id_offender_iin").fill(OFFENDER_IIN)

    page.locator('[data-testid="registry-check-submit"]').click()
    page.wait_for_load_state("load")
    check = page.locator('[data-testid="registry-check"]')
    assert check.is_visible()
    assert page.locator('[data-testid="check-known"]').count() == 2  # she and he, both known with certainty
    assert Report.objects.count() == 1  # a check saves nothing
    # A flag, never her name nor the other case's number.
    assert case.number not in check.inner_text()
    page.screenshot(path=str(screenshot_path(language, "register-registry-check")), full_page=True)

    page.locator('[data-testid="register-submit"]').click()
    page.wait_for_load_state("load")
    assert page.url == url(f"/cases/{case.pk}/")
    assert Case.objects.count() == 1 and case.incidents.count() == 2
    flags = page.locator('[data-testid="flags"]').inner_text()
    assert "2" in flags  # her two incidents, in two districts
    page.screenshot(path=str(screenshot_path(language, "case-repeat-flags")), full_page=True)
    assert watch.errors == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_reviewer_links_a_surname_typo_and_undoes_it(page, demo, first_report, url, watch, language):
    second = _register("inspector", "Сапорова Айгерим", district="751210000")
    assert Case.objects.count() == 2
    review = MatchReview.objects.get(status=ReviewStatus.OPEN)

    sign_in(page, url, "reviewer", language=language)
    page.locator('nav.menu a[href="/cases/review/"]').click()
    page.wait_for_load_state("load")
    page.locator(f'a[href="/cases/review/{review.pk}/"]').click()
    page.wait_for_load_state("load")
    item = page.locator('[data-testid="review-item"]')
    assert page.locator('[data-testid="new-name"]').inner_text() == "Сапорова Айгерим"
    assert page.locator('[data-testid="existing-name"]').inner_text() == "Сапарова Айгерім Нұрланқызы"
    assert page.locator('[data-testid="review-reasons"] li').count() >= 2
    assert "Абая" not in item.inner_text()  # never her address
    page.screenshot(path=str(screenshot_path(language, "review-item")), full_page=True)

    page.locator('input[name="decision"][value="same"]').check()
    page.locator('[data-testid="review-submit"]').click()
    page.wait_for_load_state("load")
    assert page.url == url("/cases/review/")
    assert page.locator('[data-testid="review-empty"]').is_visible()
    merged = Case.objects.get(pk=second.cases[0].pk)
    assert merged.merged_into_id == first_report.cases[0].pk
    assert first_report.cases[0].incidents.count() == 2

    link = PersonLink.objects.get(how="review")
    page.goto(url("/cases/links/"))
    page.screenshot(path=str(screenshot_path(language, "links")), full_page=True)
    page.locator(f'[data-testid="undo-{link.pk}"]').click()
    page.wait_for_load_state("load")
    page.locator("#id_reason").fill("Другая женщина: проверено по документам")
    page.locator('[data-testid="undo-submit"]').click()
    page.wait_for_load_state("load")
    assert page.url == url("/cases/links/")
    merged.refresh_from_db()
    assert merged.merged_into_id is None and first_report.cases[0].incidents.count() == 1
    page.screenshot(path=str(screenshot_path(language, "links-after-undo")), full_page=True)
    assert watch.errors == []
