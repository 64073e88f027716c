"""Courts in a real browser, in Kazakh, Russian and English: the police investigator records a
criminal case on the case; the court clerk schedules a hearing, finds it on the docket (today, this
week, later) of her specialised court, and records the conviction with the sentence, which settles the
criminal case."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from qorgau.core import clock
from tests.e2e.conftest import LANGUAGES, screenshot_path, sign_in

pytestmark = pytest.mark.e2e

ZONE = ZoneInfo("Asia/Almaty")


@pytest.fixture
def court_case(demo):
    """A spouse case registered by the demo inspector; the demo court works on it (a supervisor's
    grant) and is a specialised court."""
    from qorgau.accounts.masks import Scope
    from qorgau.accounts.models import User
    from qorgau.cases.ledger import grant_add
    from qorgau.cases.models import GrantReason
    from qorgau.cases.services import VictimInput, report_register
    from qorgau.orders.models import SpecialisedCourt
    from tests.cases.factories import person, report_input

    inspector = User.objects.get(username="inspector")
    clerk = User.objects.get(username="clerk")
    victim = VictimInput(relationship="spouse", person=person("Сапарова Айгерим", serial=7001))
    offender = person("Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M", serial=7000)
    case = report_register(actor=inspector, data=report_input(victims=[victim], offender=offender)).cases[0]
    assert clerk.unit is not None
    grant_add(case, clerk.unit, GrantReason.SUPERVISOR, Scope.WORKER, by=None)
    SpecialisedCourt.objects.get_or_create(unit=clerk.unit)
    return case


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_criminal_case_a_hearing_on_the_docket_and_the_verdict(page, context, court_case, url, watch, language):
    from qorgau.orders.models import CourtHearing, CriminalCase, CriminalCaseStatus

    today = clock.local(clock.now(), "Asia/Almaty").date()
    court_url = url(f"/orders/case/{court_case.pk}/court/")

    # The investigator records the criminal case.
    sign_in(page, url, "inspector", language=language)
    page.goto(court_url)
    page.locator("details:has([data-testid=criminal-form]) > summary").click()
    form = page.get_by_test_id("criminal-form")
    form.locator('input[name="number"]').fill("251750031000123")
    form.locator('input[name="registered_on"]').fill(today.isoformat())
    form.locator('input[name="article"]').fill("108-1")
    form.locator("button[type=submit]").click()
    errors = page.locator(".field-error").all_inner_texts()
    assert errors == [], errors
    record = CriminalCase.objects.get(case=court_case)
    assert page.locator(f'[data-criminal-case="{record.pk}"]').count() == 1
    assert page.get_by_test_id("hearing-form").count() == 0  # the police schedule no hearing
    context.clear_cookies()

    # The court clerk schedules the trial for the day after tomorrow.
    sign_in(page, url, "clerk", language=language)
    page.goto(court_url)
    page.locator("details:has([data-testid=hearing-form]) > summary").click()
    form = page.get_by_test_id("hearing-form")
    form.locator('select[name="kind"]').select_option("criminal_trial")
    when = dt.datetime.combine(today + timedelta(days=2), dt.time(10, 30), tzinfo=ZONE)
    form.locator('input[name="scheduled_for"]').fill(when.strftime("%Y-%m-%dT%H:%M"))
    form.locator('select[name="criminal_case"]').select_option(str(record.pk))
    form.locator("button[type=submit]").click()
    errors = page.locator(".field-error").all_inner_texts()
    assert errors == [], errors
    hearing = CourtHearing.objects.get(case=court_case)
    assert (hearing.scheduled_for, hearing.criminal_case_id) == (when, record.pk)

    # On the docket, in this week's hearings, with the specialised court marked.
    page.goto(url("/orders/docket/"))
    assert page.get_by_test_id("specialised").count() == 1
    assert page.get_by_test_id("docket-week").locator(f'[data-hearing="{hearing.pk}"]').count() == 1
    assert when.strftime("%d.%m.%Y 10:30") in page.get_by_test_id("docket-week").inner_text()
    page.screenshot(path=str(screenshot_path(language, "court-docket")), full_page=True)

    # The verdict: a conviction with the sentence, settling the criminal case.
    page.goto(court_url)
    page.locator("details:has([data-testid=court-form]) > summary").click()
    form = page.get_by_test_id("court-form")
    form.locator('select[name="kind"]').select_option("criminal_conviction")
    form.locator('input[name="decided_on"]').fill(today.isoformat())
    form.locator('input[name="reference"]').fill("1-77/2026")
    form.locator('select[name="criminal_case"]').select_option(str(record.pk))
    form.locator('textarea[name="sentence"]').fill("2")
    form.locator("button[type=submit]").click()
    errors = page.locator(".field-error").all_inner_texts()
    assert errors == [], errors
    record.refresh_from_db()
    assert record.status == CriminalCaseStatus.CONVICTED and record.decision is not None and record.decision.sentence == "2"
    page.goto(url(f"/orders/criminal-cases/{record.pk}/"))
    assert page.get_by_test_id("criminal-decision").count() == 1
    page.screenshot(path=str(screenshot_path(language, "criminal-case")), full_page=True)
    assert watch.errors == []
