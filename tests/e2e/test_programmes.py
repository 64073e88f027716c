"""Offender programmes in a real browser, in Russian and English: from a court decision to
non-compliance. The court clerk enrols the offender from the case page (no unexcused absence
allowed); the provider, who never sees the victim, records an unexcused absence; the enrolment
becomes non-compliant and the court and police get their tasks."""

from __future__ import annotations

import datetime as dt

import pytest

from qorgau.core import clock
from tests.e2e.conftest import screenshot_path, sign_in

pytestmark = pytest.mark.e2e

VICTIM = "Сапарова Айгерим"


@pytest.fixture
def programme_case(demo):
    from qorgau.accounts.masks import Scope
    from qorgau.accounts.models import User
    from qorgau.cases.ledger import grant_add
    from qorgau.cases.models import GrantReason
    from qorgau.cases.services import VictimInput, report_register
    from qorgau.demo.programmes import programmes_seed
    from qorgau.orders.court import court_decision_record
    from qorgau.protocols.definitions import protocols_load
    from tests.cases.factories import person, report_input

    protocols_load()
    inspector = User.objects.get(username="inspector")
    clerk = User.objects.get(username="clerk")
    victim = VictimInput(relationship="spouse", person=person(VICTIM, serial=7101))
    offender = person("Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M", serial=7100)
    case = report_register(actor=inspector, data=report_input(victims=[victim], offender=offender)).cases[0]
    assert clerk.unit is not None
    grant_add(case, clerk.unit, GrantReason.SUPERVISOR, Scope.WORKER, by=None)
    decision = court_decision_record(actor=clerk, case=case, kind="administrative_penalty",
                                     decided_on=clock.local(clock.now(), "Asia/Almaty").date(), reference="7511-26-00-4/901")
    programmes_seed(enrolments=False)  # the demo catalogue
    return case, decision


@pytest.mark.parametrize("language", ["ru", "en"])
def test_from_a_court_decision_to_non_compliance(page, context, programme_case, url, watch, language):
    from qorgau.programmes.models import Enrolment, Programme
    from qorgau.protocols.models import Task

    case, decision = programme_case
    programme = Programme.objects.get(name_en="Anger management")
    today = clock.local(clock.now(), "Asia/Almaty").date()

    # The clerk enrols him from the case page.
    sign_in(page, url, "clerk", language=language)
    page.goto(url(f"/cases/{case.pk}/"))
    page.get_by_test_id("enrol-programme").click()
    page.wait_for_load_state("load")
    form = page.get_by_test_id("enrol")
    form.locator(f'input[name="decision"][value="{decision.pk}"]').check()
    form.locator(f'input[name="programme"][value="{programme.pk}"]').check()
    form.locator('input[name="deadline"]').fill((today + dt.timedelta(days=90)).isoformat())
    form.locator('input[name="allowed_absences"]').fill("0")
    page.screenshot(path=str(screenshot_path(language, "programmes-enrol")), full_page=True)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    errors = page.locator(".field-error, .errorlist").all_inner_texts()
    assert errors == [], errors
    enrolment = Enrolment.objects.get(case=case)
    assert page.url == url(f"/cases/{case.pk}/")
    assert page.locator(f'[data-enrolment="{enrolment.pk}"]').count() == 1
    context.clear_cookies()

    # The provider sees it in his list, without the victim, and records an unexcused absence.
    sign_in(page, url, "programme", language=language)
    page.goto(url("/programmes/"))
    assert VICTIM not in page.content()
    page.goto(url(f"/programmes/enrolments/{enrolment.pk}/"))
    assert VICTIM not in page.content() and "Сапаров Ерлан" in page.get_by_test_id("offender").inner_text()
    form = page.get_by_test_id("session-form")
    form.locator('input[name="held_on"]').fill(today.isoformat())
    form.locator('select[name="attendance"]').select_option("absent")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    enrolment.refresh_from_db()
    assert enrolment.status == "noncompliant"
    assert page.get_by_test_id("session-form").count() == 0  # closed: nothing more to record
    assert VICTIM not in page.content()
    page.screenshot(path=str(screenshot_path(language, "programmes-noncompliant")), full_page=True)
    kinds = sorted(Task.objects.filter(case=case, duty__trigger="programme_noncompliance").values_list("duty__agency_kind_id", flat=True))
    assert kinds == ["court", "police"]
    context.clear_cookies()

    # The court's card shows the non-compliance (the judge of the same court).
    sign_in(page, url, "judge", language=language)
    page.goto(url(f"/cases/{case.pk}/"))
    status = page.locator(f'[data-enrolment="{enrolment.pk}"] [data-testid="programme-status"]').inner_text()
    assert status.strip() == {"en": "Non-compliant"}.get(language, status.strip()) and status.strip()
    page.screenshot(path=str(screenshot_path(language, "programmes-case-card")), full_page=True)
    assert watch.errors == []
