"""Protective orders and the protocol in a real browser (issue 6, first part), in Kazakh, Russian and
English: a critical assessment gives the police its protocol tasks in the work queue; the inspector
issues a police order, serves it and records a breach; the case's risk card then asks for a
reassessment at once; a missed deadline escalates after the sweep."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from qorgau.core import clock
from tests.e2e.conftest import LANGUAGES, screenshot_path, sign_in

pytestmark = pytest.mark.e2e

ZONE = ZoneInfo("Asia/Almaty")


def tr(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


@pytest.fixture
def critical_case(demo):
    """A spouse case registered by the demo inspector, the national protocol loaded, a critical
    actuarial assessment signed (the protocol's level duties fire)."""
    from qorgau.accounts.models import User
    from qorgau.cases.services import VictimInput, report_register
    from qorgau.protocols.definitions import protocols_load
    from tests.cases.factories import person, report_input
    from tests.risk.support import answers_scoring, signed

    assert protocols_load().errors == []
    inspector = User.objects.get(username="inspector")
    victim = VictimInput(relationship="spouse", person=person("Сапарова Айгерим", serial=6001))
    offender = person("Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M", serial=6000)
    case = report_register(actor=inspector, data=report_input(victims=[victim], offender=offender)).cases[0]
    signed(inspector, case, "odara", answers_scoring("odara", 8))
    return case


@pytest.mark.parametrize("language", LANGUAGES)
def test_protocol_tasks_an_order_and_a_breach_that_forces_reassessment(page, critical_case, url, watch, language):
    from qorgau.protocols.models import Task

    sign_in(page, url, "inspector", language=language)
    page.goto(url("/protocols/queue/"))
    queue = page.locator("main").inner_text()
    assert critical_case.number in queue
    order_task = Task.objects.get(case=critical_case, duty__code="police_protective_order")
    assert page.locator(f'[data-task="{order_task.pk}"]').count() == 1
    page.screenshot(path=str(screenshot_path(language, "work-queue")), full_page=False)

    # Issue a police order from the case page, for her.
    page.goto(url(f"/cases/{critical_case.pk}/"))
    page.get_by_test_id("order-issue").click()
    page.locator('input[name="kind"][value="police"]').check()
    page.locator('input[name="protected"]').first.check()
    page.locator('input[name="ban_contact"]').check()
    page.get_by_test_id("order-submit").click()
    assert "/orders/" in page.url
    assert page.get_by_test_id("order-status").count() == 1

    # Served, then breached: the risk card asks for a reassessment now.
    page.locator("details:has([data-testid=serve-form]) > summary").click()
    page.get_by_test_id("serve-form").locator("button[type=submit]").click()
    page.locator("details:has([data-testid=breach-form]) > summary").click()
    when = (clock.now() + timedelta(minutes=1)).astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")
    form = page.get_by_test_id("breach-form")
    form.locator('input[name="occurred_at"]').fill(when)
    form.locator('textarea[name="what"]').fill("1234567890")
    form.locator("button[type=submit]").click()
    errors = page.locator(".field-error").all_inner_texts()
    assert errors == [], errors
    assert page.locator("[data-breach]").count() == 1
    page.goto(url(f"/cases/{critical_case.pk}/"))
    due = page.get_by_test_id("due").inner_text()
    assert tr(language, "overdue") in due
    assert Task.objects.filter(case=critical_case, duty__code="police_breach_response").count() == 1
    page.get_by_test_id("orders").screenshot(path=str(screenshot_path(language, "case-orders")))
    assert [e for e in watch.errors if "status of 422" not in e] == []


def test_a_missed_deadline_escalates_after_the_sweep(critical_case):
    from qorgau.protocols.models import Task, TaskStatus
    from qorgau.protocols.sweep import sweep

    task = Task.objects.get(case=critical_case, duty__code="police_protective_order")
    with clock.frozen(task.due_at + timedelta(minutes=1)):
        first, second = sweep(), sweep()
    task.refresh_from_db()
    assert first["escalated"] >= 1 and second["escalated"] == 0
    assert task.status == TaskStatus.ESCALATED and task.escalation_level == 1
