"""Socio-economic support in a real browser: the inspector refers her from the case page to the
Almaty employment office's programme with her consent; the office's coordinator finds it in the
queue, accepts it, starts it and completes it with an outcome; the case card shows it."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.conftest import screenshot_path, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def support_case(demo):
    from qorgau.accounts.models import User
    from qorgau.cases.services import VictimInput, report_register
    from qorgau.demo.support import support_seed
    from tests.cases.factories import person, report_input

    support_seed()
    inspector = User.objects.get(username="inspector")
    victim = VictimInput(relationship="spouse", person=person("Нурланова Сауле", serial=8001))
    offender = person("Нурланов Бекзат", birth=dt.date(1984, 5, 6), sex="M", serial=8000)
    return report_register(actor=inspector, data=report_input(victims=[victim], offender=offender)).cases[0]


def _step(page, to: str, *, outcome: str = "") -> None:
    form = page.locator('form[data-testid="move"]')
    form.locator('select[name="to"]').select_option(to)
    if outcome:
        form.locator('select[name="outcome"]').select_option(outcome)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_refer_accept_start_complete(browser, page, support_case, url, watch, language):
    from qorgau.support.models import SupportProgramme, SupportReferral

    programme = SupportProgramme.objects.get(name_en="Employment support for women")
    sign_in(page, url, "inspector", language=language)
    page.goto(url(f"/cases/{support_case.pk}/"))
    page.locator('[data-testid="refer-support"]').click()
    page.wait_for_load_state("load")
    assert page.url == url(f"/support/case/{support_case.pk}/")

    form = page.locator('form[data-testid="referral-form"]')
    form.locator(f'[data-testid="programme-{programme.pk}"]').check()
    form.locator('select[name="consent_how"]').select_option("in_person")
    form.locator('input[name="contact"]').check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    referral = SupportReferral.objects.get(case=support_case)
    assert referral.status == "requested" and referral.shares_contact
    assert page.locator(f'[data-testid="referrals"] [data-referral="{referral.pk}"]').count() == 1
    page.screenshot(path=str(screenshot_path(language, "support-referred")), full_page=True)

    # The provider in a browser of its own (the inspector stays signed in).
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    inspector_page, page = page, ctx.new_page()
    watch.attach(page)
    sign_in(page, url, "coordinator", language=language)
    page.goto(url("/support/"))
    page.locator(f'[data-testid="queue"] [data-referral="{referral.pk}"] a').click()
    page.wait_for_load_state("load")
    assert page.url == url(f"/support/referrals/{referral.pk}/")
    _step(page, "accepted")
    _step(page, "started")
    _step(page, "completed", outcome="employed")
    referral.refresh_from_db()
    assert referral.status == "completed" and referral.outcome == "employed" and referral.completed_on is not None
    assert page.locator('[data-testid="outcome"]').count() == 1
    page.screenshot(path=str(screenshot_path(language, "support-completed")), full_page=True)

    ctx.close()
    page = inspector_page
    page.goto(url(f"/cases/{support_case.pk}/"))
    card = page.locator('[data-testid="support-card"]')
    assert card.locator(f'[data-referral="{referral.pk}"]').count() == 1
    card.screenshot(path=str(screenshot_path(language, "support-case-card")))
    assert watch.errors == []
