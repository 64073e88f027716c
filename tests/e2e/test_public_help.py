"""The public help page on a 360 px phone, in each language: readable without sideways scrolling,
no cookie in the browser, and the quick exit leaves the page out of the back button's history."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import LANGUAGES, screenshot_path

pytestmark = pytest.mark.e2e

EXIT_HOST = "https://www.google.com/"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_help_page_on_a_phone_and_its_quick_exit(browser, demo, live_server, language):
    ctx = browser.new_context(viewport={"width": 360, "height": 740}, locale="ru-RU")
    try:
        page = ctx.new_page()
        # The exit target is outside this machine's reach: answer it locally, as a search page would.
        page.route(f"{EXIT_HOST}**", lambda route: route.fulfill(status=200, content_type="text/html", body="<p>weather</p>"))
        page.goto("data:text/html,<p>before</p>")  # where she was before
        page.goto(f"{live_server.url}/help/{language}/")
        assert page.locator("html").get_attribute("lang") == language
        assert page.locator('[data-testid="hotlines"] a[href="tel:150"]').is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
        page.screenshot(path=str(screenshot_path(language, "public-help-phone")), full_page=False)
        assert ctx.cookies() == []  # nothing stored about her
        page.locator('[data-testid="quick-exit"]').click()
        page.wait_for_url(f"{EXIT_HOST}**")
        page.go_back()
        page.wait_for_load_state("load")
        assert "/help/" not in page.url  # the help page is gone from her history
        assert page.url.startswith("data:text/html")
    finally:
        ctx.close()
