"""Protocol versions and manual routing in a real browser: the administrator uploads a broken file
and sees where it is broken, uploads a new version as a draft and publishes it; then routes an
unrouted task (a referral on a case in a region without a family support centre) to the suggested unit."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.e2e.conftest import screenshot_path, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def loaded(demo):
    from qorgau.protocols.definitions import protocols_load

    assert protocols_load().errors == []
    return demo


def _next() -> bytes:
    from qorgau.protocols.definitions import FILES_DIR

    data = json.loads((FILES_DIR / "national-5.json").read_text(encoding="utf-8"))  # the newest shipped
    data["version"] = 6
    data["duties"][0]["hours"] = 12
    return json.dumps(data, ensure_ascii=False).encode()


def test_upload_a_broken_file_then_a_draft_and_publish_it(page, loaded, url, watch):
    from qorgau.protocols.models import ProtocolVersion, VersionStatus

    sign_in(page, url, "admin", language="en")
    page.goto(url("/protocols/admin/"))
    broken = json.loads(_next())
    broken["duties"][0]["agency_kind"] = "fire_brigade"
    page.locator('input[name="file"]').set_input_files(
        files=[{"name": "national-6.json", "mimeType": "application/json", "buffer": json.dumps(broken).encode()}])
    page.get_by_test_id("upload").click()
    page.wait_for_load_state("load")
    errors = page.locator(".field-error").all_inner_texts()
    assert errors == ["duties[0] (police_check_report).agency_kind: unknown agency kind 'fire_brigade'"], errors
    assert not ProtocolVersion.objects.filter(number=6).exists()

    page.locator('input[name="file"]').set_input_files(files=[{"name": "national-6.json", "mimeType": "application/json", "buffer": _next()}])
    page.get_by_test_id("upload").click()
    page.wait_for_load_state("load")
    assert page.get_by_test_id("version-status").inner_text() == "Draft"
    assert "Check the report: hours" in page.get_by_test_id("diff").inner_text()
    page.screenshot(path=str(screenshot_path("en", "protocol-draft")), full_page=False)
    page.get_by_test_id("publish").click()
    page.wait_for_load_state("load")
    assert page.get_by_test_id("version-status").inner_text() == "Published"
    assert list(ProtocolVersion.objects.filter(status=VersionStatus.PUBLISHED).values_list("number", flat=True)) == [6]
    assert [e for e in watch.errors if "status of 422" not in e] == []


def test_route_an_unrouted_task_to_the_suggested_unit(page, loaded, url, watch):
    from qorgau.accounts.models import Unit, User
    from qorgau.cases.services import VictimInput, report_register
    from qorgau.protocols.models import Task
    from tests.cases.factories import person, report_input

    inspector = User.objects.get(username="inspector")
    victim = VictimInput(relationship="spouse", person=person("Жумабаева Асель", serial=7001))
    offender = person("Жумабаев Ерлан", birth=dt.date(1984, 1, 2), sex="M", serial=7000)
    case = report_register(actor=inspector, data=report_input(victims=[victim], offender=offender, region="KZ-23", district=None)).cases[0]
    referral = Task.objects.get(case=case, duty__code="fsc_first_contact")
    assert referral.unit is None  # the demo's only family support centre is in Almaty
    fsc = Unit.objects.get(kind_id="family_support")

    sign_in(page, url, "admin", language="ru")
    page.goto(url("/protocols/unrouted/"))
    row = page.locator(f'[data-task="{referral.pk}"]')
    assert row.locator("select[name=unit]").input_value() == str(fsc.pk)  # suggested: the nearest of its kind
    page.screenshot(path=str(screenshot_path("ru", "protocols-unrouted")), full_page=False)
    row.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    assert page.locator(f'[data-task="{referral.pk}"]').count() == 0
    referral.refresh_from_db()
    assert referral.unit == fsc and referral.status == "awaiting_consent"
    assert watch.errors == []
