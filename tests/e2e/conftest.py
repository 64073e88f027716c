"""Browser-test fixtures: one system Chromium per session, a fresh context per test, demo data.

The browser tier runs on PostgreSQL (DESIGN §11) against pytest-django's ``live_server`` (a
transactional database, so the server thread sees the data the fixtures commit). Debian's Chromium
drives Playwright; ``playwright install`` cannot download browsers on these machines, so the
executable is always passed explicitly. With ``CI=true`` a missing Chromium fails the run instead of
skipping it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from qorgau.core import clock

PROJECT_ROOT = Path(__file__).parents[2]
SCREENSHOTS = PROJECT_ROOT / "var" / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("QORGAU_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LANGUAGES = ("ru", "kk", "en")
TIMEOUT_MS = 10_000


def totp_code(username: str, *, step_offset: int = 0) -> str:
    """The user's TOTP code now (as ``tests.conftest.current_code``), or ``step_offset`` steps away."""
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = clock.now().timestamp() + step_offset * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_totp_code(username: str) -> str:
    """A six-digit code that no tolerated time step around now accepts."""
    near = {totp_code(username, step_offset=k) for k in range(-3, 4)}
    candidate = 123456
    while f"{candidate:06d}" in near:
        candidate = (candidate + 1) % 1_000_000
    return f"{candidate:06d}"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        reason = (
            f"!!! BROWSER TESTS DID NOT RUN: Chromium not found at {CHROMIUM} "
            "(apt-get install chromium, or set QORGAU_CHROMIUM) !!!"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an asyncio event loop in the main thread; Django would then refuse
    # the ORM calls that fixtures and tests make in that thread (seeding, reading TOTP devices).
    # Set here, not at import, so collecting this file in a "not e2e" run changes nothing there.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()


@dataclass
class PageWatch:
    """Console errors and uncaught page errors seen by a page.

    Chromium reports CSP violations ("Refused to ...", "violates the following Content Security
    Policy directive") and failed sub-resource loads as console errors, so both are caught here.
    The one exception is ``/favicon.ico``: Chromium asks for it once per browser and host, so
    whether a test sees its 404 depends on test order; it is left out to keep the check exact.
    """

    errors: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, msg) -> None:
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        if where.endswith("/favicon.ico"):
            return
        self.errors.append(f"console: {msg.text} @ {where}")


@pytest.fixture
def context(browser) -> Iterator[object]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU")
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.set_default_navigation_timeout(TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def page(context, watch: PageWatch):
    pg = context.new_page()
    watch.attach(pg)
    return pg


@pytest.fixture
def demo(transactional_db, live_server) -> dict[str, object]:
    """Reference data, agency kinds, role groups and the demo agencies with one user per role."""
    from qorgau.accounts.services import agency_kinds_load, roles_sync
    from qorgau.cases.reference import markers_load
    from qorgau.core.geography import load_reference
    from qorgau.demo.seed import seed_demo
    from qorgau.risk.instruments import instruments_load, policy_load

    load_reference()
    agency_kinds_load()
    roles_sync()
    markers_load()
    instruments_load()
    policy_load()
    return {u.username: u for u in seed_demo()}


@pytest.fixture
def url(live_server) -> Callable[[str], str]:
    base = live_server.url.rstrip("/")
    return lambda path: base + path


def switch_language(page, language: str) -> None:
    """Choose a language with the header switcher and wait for the page to come back in it."""
    page.locator(f'form[data-testid="language-switcher"] button[name="language"][value="{language}"]').click()
    page.wait_for_load_state("load")
    page.wait_for_function("lang => document.documentElement.lang === lang", arg=language)


def password_step(page, username: str, password: str) -> None:
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")


def code_step(page, code: str) -> None:
    page.locator("#id_code").fill(code)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("load")


def sign_in(page, url: Callable[[str], str], username: str, *, language: str | None = None) -> None:
    """The full two-factor sign-in through the browser, optionally choosing the language first."""
    from qorgau.demo.seed import DEMO_PASSWORD

    page.goto(url("/login/"))
    if language:
        switch_language(page, language)
    password_step(page, username, DEMO_PASSWORD)
    assert page.url == url("/login/verify/"), f"after the password step the browser is at {page.url}"
    code_step(page, totp_code(username))
    assert page.url == url("/"), f"after the code step the browser is at {page.url}"


def screenshot_path(language: str, name: str) -> Path:
    path = SCREENSHOTS / language / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
