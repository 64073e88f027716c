"""A case conference in a real browser: a breach makes the sweep propose a conference to the family
support centre's coordinator, who schedules it with the police and records it; the decision appears
as a task in the police unit's work queue."""

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
def breached_case(demo):
    """A spouse case of the demo inspector with a served police order that he breached."""
    from qorgau.accounts.models import User
    from qorgau.cases.services import VictimInput, report_register
    from tests.cases.factories import person, report_input
    from tests.conferences.support import breach

    inspector = User.objects.get(username="inspector")
    victim = VictimInput(relationship="spouse", person=person("Сапарова Айгерим", serial=7001))
    offender = person("Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M", serial=7000)
    case = report_register(actor=inspector, data=report_input(victims=[victim], offender=offender)).cases[0]
    breach(case, inspector)
    return case


@pytest.mark.parametrize("language", LANGUAGES)
def test_proposal_schedule_record_and_the_task_in_the_owners_queue(browser, page, breached_case, url, watch, language):
    from qorgau.accounts.models import Unit
    from qorgau.protocols.models import Task, Trigger
    from qorgau.protocols.models_conferences import Conference
    from qorgau.protocols.sweep import sweep

    assert sweep()["conferences_proposed"] == 1
    conference = Conference.objects.get(case=breached_case)
    police = Unit.objects.get(name_en="Police department of Almaly district, Almaty")

    sign_in(page, url, "conference", language=language)
    page.goto(url("/protocols/conferences/"))
    row = page.locator(f'[data-testid="proposed"] [data-conference="{conference.pk}"]')
    assert row.count() == 1
    row.locator("a").click()
    page.wait_for_load_state("load")
    assert page.url == url(f"/protocols/conferences/{conference.pk}/")

    # Schedule: the day after tomorrow at 10:00 in Almaty, in room 3, with the police.
    when = (clock.now().astimezone(ZONE) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    form = page.locator('[data-testid="schedule-form"]')
    form.locator('input[name="when"]').fill(when.strftime("%Y-%m-%dT%H:%M"))
    form.locator('input[name="place"]').fill("301")
    form.locator(f'input[name="invited"][value="{police.pk}"]').check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    conference.refresh_from_db()
    assert conference.status == "scheduled" and conference.scheduled_for == when.astimezone(dt.UTC)
    page.screenshot(path=str(screenshot_path(language, "conference-scheduled")), full_page=True)

    # Record: both units attended; one decision for the police, due in four days.
    due = (clock.now().astimezone(ZONE) + timedelta(days=4)).date()
    form = page.locator('[data-testid="record-form"]')
    form.locator(f'input[name="attended"][value="{conference.convening_unit_id}"]').check()
    form.locator(f'input[name="attended"][value="{police.pk}"]').check()
    form.locator('textarea[name="minutes"]').fill("Обсудили нарушение, нужен патруль")
    form.locator('input[name="d0_text"]').fill("Патрульный визит к ней домой")
    form.locator('select[name="d0_owner"]').select_option(str(police.pk))
    form.locator('input[name="d0_due_on"]').fill(due.isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    conference.refresh_from_db()
    assert conference.status == "held"
    assert page.locator('[data-testid="decisions"] tbody tr').count() == 1
    task = Task.objects.get(case=breached_case, trigger=Trigger.CONFERENCE_DECISION)
    assert (task.unit_id, task.title) == (police.pk, "Патрульный визит к ней домой")

    # The police inspector finds it in the work queue and opens it.
    other = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU")
    try:
        police_page = other.new_page()
        watch.attach(police_page)
        sign_in(police_page, url, "inspector", language=language)
        police_page.goto(url("/protocols/queue/"))
        assert police_page.locator(f'[data-task="{task.pk}"]').count() == 1
        police_page.goto(url(f"/protocols/tasks/{task.pk}/"))
        assert "Патрульный визит к ней домой" in police_page.locator("h1").inner_text()
        police_page.screenshot(path=str(screenshot_path(language, "conference-task")), full_page=False)
    finally:
        other.close()
    assert watch.errors == []
