"""Sign-in journeys in a real browser: every role in every language, errors, 404, CSP, sign-out, keyboard."""

from __future__ import annotations

import pytest

from qorgau.accounts.models import LoginThrottle
from qorgau.demo.seed import DEMO_PASSWORD, USERS
from tests.e2e.conftest import (
    LANGUAGES,
    code_step,
    password_step,
    screenshot_path,
    sign_in,
    switch_language,
    totp_code,
    wrong_totp_code,
)

pytestmark = pytest.mark.e2e

DEMO_USERNAMES = [username for username, *_ in USERS]


def html_lang(page) -> str:
    return page.locator("html").get_attribute("lang") or ""


def test_every_role_is_seeded_once():
    # The parametrisation below covers the roles of DESIGN §1 through the demo users: one each.
    from qorgau.accounts.roles import Role

    assert sorted(str(role) for _, role, *_ in USERS) == sorted(r.value for r in Role)
    assert len(DEMO_USERNAMES) == 18


@pytest.mark.parametrize("username", DEMO_USERNAMES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_role_signs_in_and_sees_home_in_language(page, demo, url, language, username):
    sign_in(page, url, username, language=language)
    # The screenshot is an artefact for people reading a failure too, so it is taken first.
    page.screenshot(path=str(screenshot_path(language, username)), full_page=True)

    assert html_lang(page) == language, (
        f"{username} chose {language!r} on the sign-in page but home is in {html_lang(page)!r}"
    )
    who = page.locator('[data-testid="who"]')
    assert who.is_visible()
    assert username in who.inner_text()
    assert page.locator('[data-testid="role-card"]').is_visible()


def test_wrong_password_message_in_each_language(page, demo, url):
    texts: dict[str, str] = {}
    for language in LANGUAGES:
        # Each attempt should be a first failure: no progressive delay text mixed into the message.
        LoginThrottle.objects.all().delete()
        page.goto(url("/login/"))
        switch_language(page, language)
        password_step(page, "inspector", "not-the-password")
        assert page.url == url("/login/")
        assert html_lang(page) == language
        error = page.locator('[data-testid="login-error"]')
        assert error.is_visible()
        texts[language] = error.inner_text().strip()
        assert texts[language]
    assert len(set(texts.values())) == 3, f"the wrong-password message is not translated: {texts}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_wrong_code_shows_otp_error(page, demo, url, language):
    page.goto(url("/login/"))
    switch_language(page, language)
    password_step(page, "inspector", DEMO_PASSWORD)
    assert page.url == url("/login/verify/")
    code_step(page, wrong_totp_code("inspector"))
    assert page.url == url("/login/verify/")
    assert html_lang(page) == language
    assert page.locator('[data-testid="otp-error"]').is_visible()
    assert page.locator('[data-testid="who"]').count() == 0  # not signed in


@pytest.mark.parametrize(
    ("signed_in", "path"),
    [(False, "/no-such-page/at/all/"), (True, "/no-such-page/at/all/"), (False, "/static/qorgau/no-such-file.css")],
    ids=["anonymous", "signed-in", "missing-static-file"],
)
def test_unknown_url_is_a_plain_404_page(page, demo, url, signed_in, path):
    if signed_in:
        sign_in(page, url, "inspector")
    response = page.goto(url(path))
    assert response is not None and response.status == 404
    body = page.locator("body").inner_text()
    assert page.locator("main h1").is_visible()
    assert "404" in page.title()
    for leak in ("Traceback", "Exception", "URLconf", "DEBUG = True", "django.", "File \""):
        assert leak not in body, f"the 404 page shows {leak!r}"
    assert page.locator('form[data-testid="language-switcher"]').is_visible()


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_console_errors_on_login_and_home(page, watch, demo, url, language):
    page.goto(url("/login/"))
    switch_language(page, language)
    page.wait_for_load_state("networkidle")
    assert watch.errors == [], f"console errors on the sign-in page: {watch.errors}"
    password_step(page, "inspector", DEMO_PASSWORD)
    code_step(page, totp_code("inspector"))
    assert page.url == url("/")
    page.wait_for_load_state("networkidle")
    assert watch.errors == [], f"console errors on the way to the home page: {watch.errors}"


def test_sign_out_returns_to_login(page, demo, url):
    sign_in(page, url, "inspector")
    page.locator('header form[action="/logout/"] button[type=submit]').click()
    page.wait_for_load_state("load")
    assert page.url == url("/login/")
    assert page.locator("#id_username").is_visible()
    assert page.locator('[data-testid="who"]').count() == 0
    assert page.locator(".messages").is_visible()  # "You have signed out."
    # The old session is gone: home sends the browser back to the sign-in page.
    page.goto(url("/"))
    assert page.url.startswith(url("/login/"))


def test_login_with_keyboard_only(page, demo, url):
    page.goto(url("/login/"))

    def focused() -> str:
        return page.evaluate(
            "() => { const e = document.activeElement;"
            " return e ? (e.id || e.getAttribute('type') || e.tagName).toLowerCase() : ''; }"
        )

    # The user-name field has the focus when the page opens; from there Tab and Enter are enough.
    assert focused() == "id_username"
    page.keyboard.type("inspector")
    page.keyboard.press("Tab")
    assert focused() == "id_password"
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Tab")
    assert focused() == "submit"
    page.keyboard.press("Enter")
    page.wait_for_url(url("/login/verify/"))

    assert focused() == "id_code"
    page.keyboard.type(totp_code("inspector"))
    page.keyboard.press("Enter")
    page.wait_for_url(url("/"))
    assert "inspector" in page.locator('[data-testid="who"]').inner_text()
