"""Take the README screenshots from a running demo server (``make demo``), in all three languages.

    .venv/bin/python scripts/screenshots.py [--url http://127.0.0.1:8000] [--out docs/screenshots]

Signs in as the demo user ``inspector`` (password ``DEMO_PASSWORD``; the second-factor code comes
from ``qorgau totp inspector`` with ``QORGAU_DEMO=1``, so run it with the same environment as the
server, e.g. the same ``QORGAU_VAR_DIR`` or ``DATABASE_URL``) and writes, at 1280x800:

    login-ru.png login-kk.png login-en.png home-ru.png home-kk.png home-en.png

It only talks to a server on this machine (127.0.0.1): it knows a demo password.
The language the inspector had before is restored at the end, so the demo is left as it was.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parents[1]
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
USERNAME = "inspector"
DEMO_PASSWORD = "Qorgau-demo-2026"  # qorgau.demo.seed.DEMO_PASSWORD; demo installations only
LOCAL_HOSTS = {"127.0.0.1"}


def totp_code(username: str) -> str:
    qorgau = PROJECT_ROOT / ".venv" / "bin" / "qorgau"
    env = {**os.environ, "QORGAU_DEMO": "1"}
    env.pop("QORGAU_MODE", None)  # QORGAU_MODE would override the demo mode
    result = subprocess.run(  # noqa: S603
        [str(qorgau), "totp", username], env=env, capture_output=True, text=True, check=False, timeout=60
    )
    code = result.stdout.strip()
    if result.returncode != 0 or not (code.isdigit() and len(code) == 6):
        raise SystemExit(f"could not get a TOTP code for {username}: {result.stderr.strip() or code!r}")
    return code


def switch_language(page, language: str) -> None:
    page.locator(f'form[data-testid="language-switcher"] button[name="language"][value="{language}"]').click()
    page.wait_for_load_state("load")
    page.wait_for_function("lang => document.documentElement.lang === lang", arg=language)


def new_context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, device_scale_factor=1, locale="ru-RU")
    context.set_default_timeout(15_000)
    return context


def shoot(page, path: Path) -> None:
    page.screenshot(path=str(path))
    print(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the running server (this machine only)")
    parser.add_argument("--out", default=str(PROJECT_ROOT / "docs" / "screenshots"), help="where to write the PNGs")
    args = parser.parse_args(argv)

    base = args.url.rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in {"http", "https"} or parts.hostname not in LOCAL_HOSTS:
        print(f"refused: {args.url} is not a server on this machine (use http://127.0.0.1:PORT)", file=sys.stderr)
        return 2
    if not Path(CHROMIUM).exists():
        print(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set QORGAU_CHROMIUM)", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = new_context(browser)
            page = context.new_page()
            response = page.goto(f"{base}/login/")
            if response is None or response.status != 200:
                print(f"{base}/login/ answered {response.status if response else 'nothing'}", file=sys.stderr)
                return 1

            # Sign in first, before any language is chosen: the sign-in keeps a language picked on
            # the sign-in page as the user's own, and the demo user's setting should stay as it was.
            page.locator("#id_username").fill(USERNAME)
            page.locator("#id_password").fill(DEMO_PASSWORD)
            page.locator("main form button[type=submit]").click()
            page.wait_for_load_state("load")
            if not page.url.startswith(f"{base}/login/verify/"):
                print(f"the password step did not lead to the code step (at {page.url})", file=sys.stderr)
                return 1
            page.locator("#id_code").fill(totp_code(USERNAME))
            page.locator("main form button[type=submit]").click()
            page.wait_for_load_state("load")
            if page.url != f"{base}/":
                print(f"the code step did not lead home (at {page.url})", file=sys.stderr)
                return 1
            original = page.locator("html").get_attribute("lang") or "ru"

            for language in LANGUAGES:
                switch_language(page, language)
                shoot(page, out / f"home-{language}.png")
            switch_language(page, original)
            page.locator('header form[action="/logout/"] button[type=submit]').click()
            page.wait_for_load_state("load")

            # A fresh context, so the sign-in page carries no "signed out" message.
            context.close()
            context = new_context(browser)
            page = context.new_page()
            page.goto(f"{base}/login/")
            for language in LANGUAGES:
                switch_language(page, language)
                shoot(page, out / f"login-{language}.png")
            context.close()
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
