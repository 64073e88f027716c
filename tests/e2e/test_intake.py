"""Anonymous intake in a real browser, in Russian and English (issue 7): the crisis-centre worker
takes a woman in under an alias, admits her into a free bed, shares her record with the Almaly police
with her consent (identity and what happened only); the inspector sees exactly that — her phone and
whereabouts are hidden — and after the withdrawal the page is gone."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests.e2e.conftest import screenshot_path, sign_in

pytestmark = pytest.mark.e2e

ALIAS = "Сауле"
NAME = "Ермекова Сауле"
PHONE = "+7 705 123 45 67"
STORY = "Муж бил её и отнимал деньги"


def tr(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


@pytest.fixture
def centre(demo):
    from qorgau.demo.shelters import shelters_seed

    shelters_seed()
    return demo


@pytest.mark.parametrize("language", ["ru", "en"])
def test_anonymous_intake_shared_only_with_consent(page, context, centre, url, watch, language):
    from qorgau.accounts.models import User
    from qorgau.intake.models import AnonymousRecord, RecordShare

    police = User.objects.get(username="inspector").unit
    assert police is not None
    sign_in(page, url, "shelter", language=language)
    page.goto(url("/intake/"))
    page.get_by_test_id("new-record").click()
    page.locator("#id_alias").fill(ALIAS)
    page.locator("#id_full_name").fill(NAME)
    page.locator("#id_phone").fill(PHONE)
    page.locator("#id_birth_year").fill("1994")
    page.locator('input[name="forms_of_violence"][value="physical"]').check()
    page.locator('input[name="forms_of_violence"][value="economic"]').check()
    page.locator("#id_narrative").fill(STORY)
    page.get_by_test_id("record-form").locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    record = AnonymousRecord.objects.get()
    assert page.url == url(f"/intake/{record.pk}/")
    assert page.get_by_test_id("alias").inner_text() == ALIAS

    # an anonymous stay in the centre's own beds
    page.get_by_test_id("admit").locator("select[name=kind]").select_option("women")
    page.get_by_test_id("admit").locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    assert "/shelters/placements/" in page.url
    assert record.number in page.get_by_test_id("anonymous-record").inner_text()
    page.goto(url(f"/intake/{record.pk}/"))

    # sharing without a purpose is refused; with her consent it goes through
    form = page.get_by_test_id("share")
    form.locator("select[name=to_unit]").select_option(str(police.pk))
    form.locator("select[name=how]").select_option("in_person")
    form.locator('input[name="shares"][value="identity"]').check()
    form.locator('input[name="shares"][value="narrative"]').check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    assert tr(language, "Write what she agreed to share it for: without a purpose there is no consent.") in page.content()
    assert not RecordShare.objects.exists()
    form = page.get_by_test_id("share")
    form.locator("select[name=to_unit]").select_option(str(police.pk))
    form.locator("select[name=how]").select_option("in_person")
    form.locator("textarea[name=purpose]").fill("Заявление в полицию")
    form.locator('input[name="shares"][value="identity"]').check()
    form.locator('input[name="shares"][value="narrative"]').check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("load")
    share = RecordShare.objects.get()
    assert page.url == url(f"/intake/{record.pk}/")
    page.screenshot(path=str(screenshot_path(language, "intake-record")), full_page=True)

    # the inspector sees only what she agreed to share
    context.clear_cookies()
    sign_in(page, url, "inspector", language=language)
    page.goto(url("/intake/shared/"))
    page.get_by_role("link", name=record.number).click()
    page.wait_for_load_state("load")
    assert page.url == url(f"/intake/shared/{share.pk}/")
    shown = page.get_by_test_id("shared-record")
    assert shown.locator('[data-field="full_name"]').inner_text() == NAME
    assert STORY in shown.locator('[data-field="narrative"]').inner_text()
    hidden = str(tr(language, "hidden"))
    for field in ("phone", "region", "district", "shelter_city"):
        assert shown.locator(f'[data-field="{field}"]').inner_text() == hidden
    assert PHONE not in page.content()
    page.screenshot(path=str(screenshot_path(language, "intake-shared")), full_page=True)

    # she withdraws her consent: the inspector's page is gone at once
    from qorgau.intake.services import share_withdraw

    share_withdraw(actor=User.objects.get(username="shelter"), share_id=share.pk)
    response = page.goto(url(f"/intake/shared/{share.pk}/"))
    assert response is not None and response.status == 404
    # the only console errors are the refused share (422) and the withdrawn page (404), both expected
    assert all("status of 422" in e or "status of 404" in e for e in watch.errors), watch.errors
