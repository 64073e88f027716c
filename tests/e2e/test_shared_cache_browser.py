"""A real browser with the shared cache on (ADR 0017): sign in, work, and be signed out on every device.

The live server runs in the test's process, so the ``shared_cache`` fixture's settings are the
server's: the signed-in user comes from Redis. (Its session middleware was built when the live server
started, so its sessions stay in the database; ``tests/accounts/test_shared_cache.py`` covers cached
sessions.) ``demo`` commits (``transactional_db``), so a write drops the cached users as in production.
"""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from tests.e2e.conftest import LANGUAGES, TIMEOUT_MS, code_step, password_step, sign_in, switch_language, totp_code

pytestmark = pytest.mark.e2e

SIGNED_OUT_EVERYWHERE = "You were signed out on all devices. Please sign in again."


@pytest.mark.parametrize("language", LANGUAGES)
def test_signed_out_on_all_devices_from_one_browser_ends_the_other_with_the_user_cached(shared_cache, demo, browser, page, url, language):
    sign_in(page, url, "inspector", language=language)
    page.goto(url("/cases/"))
    assert page.url == url("/cases/")
    assert page.locator('[data-testid="who"]').is_visible()
    keys = [k.decode() for k in redis.Redis.from_url(settings.QORGAU_CACHE_URL).scan_iter(f"{shared_cache}:*")]
    assert any(":accounts:user:" in k for k in keys), keys  # the signed-in user came through the cache

    other = browser.new_context(viewport={"width": 1280, "height": 800})
    other.set_default_timeout(TIMEOUT_MS)
    try:
        phone = other.new_page()
        phone.goto(url("/login/"))
        switch_language(phone, language)
        password_step(phone, "inspector", demo_password())
        code_step(phone, totp_code("inspector", step_offset=1))  # the first browser used this step's code
        assert phone.url == url("/")
        phone.goto(url("/security/"))
        phone.locator('form[action="/logout/everywhere/"] button[type=submit]').click()
        phone.wait_for_load_state("load")
        assert phone.url.startswith(url("/login/"))
    finally:
        other.close()

    page.goto(url("/cases/"))
    assert page.url.startswith(url("/login/")), f"the first browser is still signed in at {page.url}"
    with translation.override(language):
        expected = gettext(SIGNED_OUT_EVERYWHERE)
    assert expected in page.locator(".messages").inner_text()


def demo_password() -> str:
    from qorgau.demo.seed import DEMO_PASSWORD

    return DEMO_PASSWORD
