"""Web controls proven (issue 11): CSRF, the exact headers and CSP, cookies, uploads, production
hardening, and the API rate limit. Controls already tested elsewhere are listed, with their tests, in
docs/web-security-tests.md rather than tested twice."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.translation import gettext, ngettext

from qorgau.accounts.models import ApiToken, LoginThrottle, MachineToken, User
from qorgau.accounts.rate_limit import ApiRateLimit, api_rate_check, window_start
from qorgau.accounts.roles import Role
from qorgau.accounts.tokens import api_token_issue, machine_token_issue
from qorgau.cases.attachments import attachment_file_check
from qorgau.cases.models import Report
from qorgau.cases.reference import markers_load
from qorgau.core import clock, crypto
from qorgau.core.errors import Invalid
from qorgau.core.models import AuditAction, AuditEvent
from tests.api.test_cases_api import report_json
from tests.conftest import PASSWORD, current_code, sign_in

pytestmark = pytest.mark.django_db

# A window boundary (windows are aligned on the epoch, 60 s long): T0 + 20 s leaves 40 s of window.
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def csp_directives(header: str) -> dict[str, str]:
    """django-csp writes the directives in no fixed order: compare them as a mapping, each exactly once."""
    parts = [p.strip().split(" ", 1) for p in header.split(";")]
    assert len({p[0] for p in parts}) == len(parts), header
    return {p[0]: p[1] for p in parts}


def assert_headers(headers: object, label: object = "") -> None:
    assert csp_directives(headers["Content-Security-Policy"]) == csp_directives(CSP), label  # type: ignore[index]
    for name, value in HEADERS.items():
        assert headers[name] == value, (label, name)  # type: ignore[index]


FORM_EXPIRED = "The form had expired. Reload the page and submit it again."


@pytest.fixture
def at_t0():
    with clock.frozen(T0 + timedelta(seconds=20)) as fixed:
        yield fixed


@pytest.fixture
def db_limits(settings):
    """Small limits, counted in the database (no shared cache); each test turns on the counter it is about."""
    settings.QORGAU_API_RATE_PER_MINUTE = 0
    settings.QORGAU_API_ADDRESS_RATE_PER_MINUTE = 0
    return settings


@pytest.fixture(params=["database", "shared cache"])
def limits(request, db_limits):
    """As ``db_limits``, once with the counters in the database and once in the shared cache (ADR 0017)."""
    if request.param == "shared cache":
        request.getfixturevalue("shared_cache")
    return db_limits


def _csrf_client(user: User) -> Client:
    client = sign_in(Client(enforce_csrf_checks=True), user)
    assert client.get("/security/").status_code == 200  # sets the csrftoken cookie, as a browser would have it
    return client


def _throttled_detail(seconds: int, language: str) -> str:
    with translation.override(language):
        return ngettext(
            "Too many requests. Wait %(seconds)d second and try again.",
            "Too many requests. Wait %(seconds)d seconds and try again.",
            seconds,
        ) % {"seconds": seconds}


# --- CSRF -------------------------------------------------------------------------------------------


def test_a_signed_in_form_post_without_the_csrf_token_is_a_403_page_in_her_language_and_saves_nothing(make_user):
    user = make_user(Role.POLICE_INSPECTOR, language="kk")
    client = _csrf_client(user)
    response = client.post("/security/", {"action": "issue", "name": "no token"})
    assert response.status_code == 403
    with translation.override("kk"):
        expected = gettext(FORM_EXPIRED)
    assert expected != FORM_EXPIRED  # there is a Kazakh text to show
    page = response.content.decode()
    assert expected in page and FORM_EXPIRED not in page
    assert response["Content-Type"].startswith("text/html")
    assert not ApiToken.objects.exists()
    # the same form with its token goes through: the refusal above was the token's absence only
    ok = client.post("/security/", {"action": "issue", "name": "with token", "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert ok.status_code in (200, 302)
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["with token"]


def test_the_api_refuses_a_session_write_without_csrf_and_accepts_a_bearer_token(make_user):
    markers_load()
    user = make_user(Role.POLICE_INSPECTOR, language="en")
    body = json.dumps(report_json())
    session = _csrf_client(user)
    refused = session.post("/api/v1/reports", data=body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json() == {"code": "403", "detail": "The request could not be completed."}
    assert Report.objects.count() == 0

    token = api_token_issue(actor=user, verified=True, name="bearer").token
    bearer = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {token}")
    created = bearer.post("/api/v1/reports", data=body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert Report.objects.count() == 1

    with_csrf = session.post("/api/v1/reports", data=body, content_type="application/json",
                             HTTP_X_CSRFTOKEN=session.cookies["csrftoken"].value)
    assert with_csrf.status_code == 201
    assert Report.objects.count() == 2


# --- headers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/login/", "/no-such-page/", "/api/v1/no-such-route", "/healthz"])
def test_every_security_header_on_pages_api_and_errors(path):
    response = Client().get(path)
    assert_headers(response, path)
    assert "Strict-Transport-Security" not in response  # HTTPS-only headers are production's (below)


def test_the_public_help_page_has_the_same_policy_and_sends_no_referrer(db):
    """Its stricter referrer policy and no-store are asserted in tests/public/test_help_page.py; here the rest."""
    response = Client().get("/help/ru/")
    assert response.status_code == 200
    assert csp_directives(response["Content-Security-Policy"]) == csp_directives(CSP)
    assert (response["X-Frame-Options"], response["X-Content-Type-Options"], response["Cross-Origin-Opener-Policy"]) == (
        "DENY", "nosniff", "same-origin",
    )
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_exact_headers_on_a_signed_in_page_and_an_api_answer(signed_in):
    client = signed_in(Role.POLICE_INSPECTOR)
    page = client.get("/cases/")
    api = client.get("/api/v1/cases")
    assert page.status_code == api.status_code == 200
    assert page["Content-Type"].startswith("text/html") and api["Content-Type"] == "application/json; charset=utf-8"
    for response in (page, api):
        assert_headers(response)


# --- cookies ----------------------------------------------------------------------------------------


def test_session_and_csrf_cookies_are_httponly_and_samesite_lax(make_user):
    with clock.frozen(T0):
        user = make_user(Role.POLICE_INSPECTOR, username="cookie_user")
        client = Client()
        form = client.get("/login/")
        csrf = form.cookies["csrftoken"]
        assert (csrf["httponly"], csrf["samesite"], csrf["secure"]) == (True, "Lax", "")
        client.post("/login/", {"username": "cookie_user", "password": PASSWORD})
        signed = client.post("/login/verify/", {"code": current_code(user)})
        assert signed.status_code == 302
        session = signed.cookies[django_settings.SESSION_COOKIE_NAME]
        assert (session["httponly"], session["samesite"], session["secure"]) == (True, "Lax", "")
        assert session["max-age"] == 12 * 3600


# --- production hardening (a subprocess with production settings) -----------------------------------

PRODUCTION_PROBE = """
import json, django
django.setup()
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import Client, RequestFactory
client = Client(HTTP_HOST="qorgau.gov.kz")
plain = client.get("/healthz")
secure = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
def view(request):
    get_token(request)
    return HttpResponse()
cookie = CsrfViewMiddleware(view)(RequestFactory(HTTP_HOST="qorgau.gov.kz").get("/", secure=True)).cookies["csrftoken"]
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location")],
    "secure": [secure.status_code, {k: v for k, v in secure.items()}],
    "csrf_cookie": [cookie["secure"], cookie["httponly"], cookie["samesite"]],
}))
"""


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def test_production_redirects_to_https_sends_hsts_and_secure_cookies(tmp_path: Path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "qorgau.settings",
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2] / "src")]),
        "QORGAU_VAR_DIR": str(tmp_path / "var"),
        "QORGAU_SECRET_KEY": secrets.token_urlsafe(60)[:60],
        "QORGAU_FIELD_KEYS": f"f1:{_key()}",
        "QORGAU_BLIND_INDEX_KEYS": f"b1:{_key()}",
        "QORGAU_AUDIT_KEY": _key(),
        "QORGAU_ALLOWED_HOSTS": "qorgau.gov.kz",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }
    result = subprocess.run([sys.executable, "-c", PRODUCTION_PROBE], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["plain"] == [301, "https://qorgau.gov.kz/healthz"]
    status, headers = out["secure"]
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert_headers(headers)
    assert out["csrf_cookie"] == [True, True, "Lax"]


# --- uploads ----------------------------------------------------------------------------------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><script>fetch('/api/v1/cases')</script></html>"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
NOT_ACCEPTED = "Attach a JPEG or PNG photo or a PDF document; this file is none of them."


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        ("photo.png", SVG, "image/png"),  # script in an image's clothes
        ("drawing.svg", SVG, "image/svg+xml"),  # SVG is not accepted at all: it can carry script
        ("statement.pdf", HTML, "application/pdf"),
        ("page.html", HTML, "text/html"),
        ("anim.gif", GIF, "image/gif"),
        ("photo.jpg", b" \xff\xd8\xff" + b"\x00" * 32, "image/jpeg"),  # the signature must come first
    ],
)
def test_a_file_whose_content_is_not_an_accepted_type_is_refused_whatever_it_claims(name, content, declared):
    with translation.override("en"), pytest.raises(Invalid) as exc:
        attachment_file_check(SimpleUploadedFile(name, content, content_type=declared))
    assert exc.value.fields == {"file": [NOT_ACCEPTED]}


# --- API rate limit ---------------------------------------------------------------------------------


def test_the_limits_are_generous_by_default():
    assert django_settings.QORGAU_API_RATE_PER_MINUTE == 3000
    assert django_settings.QORGAU_API_ADDRESS_RATE_PER_MINUTE == 10000
    assert django_settings.QORGAU_API_RATE_WINDOW_SECONDS == 60


def test_windows_are_aligned_on_the_clock():
    assert window_start(T0 + timedelta(seconds=59, microseconds=999999), 60) == T0
    assert window_start(T0 + timedelta(seconds=60), 60) == T0 + timedelta(seconds=60)


def test_past_the_limit_a_user_gets_429_with_retry_after_until_the_window_ends(make_user, limits, at_t0):
    limits.QORGAU_API_RATE_PER_MINUTE = 3
    client = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, language="en"))
    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    refused = client.get("/api/v1/me")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"
    assert refused.json() == {"code": "throttled", "detail": "Too many requests. Wait 40 seconds and try again."}
    at_t0.advance(timedelta(seconds=39))
    last = client.get("/api/v1/me")
    assert (last.status_code, last["Retry-After"]) == (429, "1")
    assert last.json()["detail"] == "Too many requests. Wait 1 second and try again."
    at_t0.advance(timedelta(seconds=1))  # the next window
    assert [client.get("/api/v1/me").status_code for _ in range(4)] == [200, 200, 200, 429]


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_the_429_is_in_the_users_language(make_user, limits, at_t0, language):
    limits.QORGAU_API_RATE_PER_MINUTE = 1
    user = make_user(Role.POLICE_INSPECTOR, language=language)
    token = api_token_issue(actor=user, verified=True, name="lang").token
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/me").status_code == 200
    refused = client.get("/api/v1/me")
    assert refused.status_code == 429
    assert refused.json() == {"code": "throttled", "detail": _throttled_detail(40, language)}


def test_the_refusal_is_audited_once_per_window(make_user, limits, at_t0):
    limits.QORGAU_API_RATE_PER_MINUTE = 2
    user = make_user(Role.POLICE_INSPECTOR, language="en")
    client = sign_in(Client(), user)
    statuses = [client.get("/api/v1/me").status_code for _ in range(6)]
    assert statuses == [200, 200, 429, 429, 429, 429]
    rows = AuditEvent.objects.filter(action=AuditAction.DENIED, outcome="throttled")
    assert list(rows.values_list("actor_id", "target_type", "target_id", "count")) == [(user.pk, "api_user", "api/v1/me", 2)]
    assert rows.get().client_hash != ""
    at_t0.advance(timedelta(seconds=60))
    assert [client.get("/api/v1/me").status_code for _ in range(4)] == [200, 200, 429, 429]
    assert rows.count() == 2


def test_the_session_and_the_users_tokens_share_one_budget(make_user, limits, at_t0):
    limits.QORGAU_API_RATE_PER_MINUTE = 3
    user = make_user(Role.POLICE_INSPECTOR, language="en")
    session = sign_in(Client(), user)
    tokens = [Client(HTTP_AUTHORIZATION=f"Bearer {api_token_issue(actor=user, verified=True, name=f't{i}').token}") for i in range(2)]
    assert session.get("/api/v1/me").status_code == 200
    assert tokens[0].get("/api/v1/me").status_code == 200
    assert tokens[1].get("/api/v1/me").status_code == 200
    assert tokens[1].get("/api/v1/me").status_code == 429
    assert session.get("/api/v1/me").status_code == 429
    other = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, language="en"))
    assert other.get("/api/v1/me").status_code == 200  # another user has a budget of their own


def test_a_machine_token_is_limited_on_its_own(make_user, police_unit, db_limits, at_t0):
    limits = db_limits
    limits.QORGAU_API_RATE_PER_MINUTE = 2
    admin = make_user(Role.ADMINISTRATOR)
    issued = machine_token_issue(actor=admin, name="gw-1", purpose=MachineToken.Purpose.DEVICE_GATEWAY, unit=police_unit)
    machine = Client(HTTP_X_MACHINE_TOKEN=issued.token)
    assert [machine.get("/api/v1/machine/whoami").status_code for _ in range(3)] == [200, 200, 429]
    row = AuditEvent.objects.get(action=AuditAction.DENIED, outcome="throttled")
    assert (row.actor_id, row.target_type, row.target_id) == (None, "api_user", "api/v1/machine/whoami")
    assert LoginThrottle.objects.get(
        scope=LoginThrottle.Scope.API_PRINCIPAL, key=crypto.keyed_hash("api-principal", f"machine:{issued.record.pk}")
    ).failures == 3


def test_one_client_address_is_limited_across_users(make_user, limits, at_t0):
    limits.QORGAU_API_ADDRESS_RATE_PER_MINUTE = 3
    first = sign_in(Client(REMOTE_ADDR="10.1.1.1"), make_user(Role.POLICE_INSPECTOR, language="en"))
    second = sign_in(Client(REMOTE_ADDR="10.1.1.1"), make_user(Role.POLICE_INSPECTOR, language="en"))
    elsewhere = sign_in(Client(REMOTE_ADDR="10.2.2.2"), make_user(Role.POLICE_INSPECTOR, language="en"))
    assert [first.get("/api/v1/me").status_code for _ in range(2)] == [200, 200]
    assert [second.get("/api/v1/me").status_code for _ in range(2)] == [200, 429]
    assert elsewhere.get("/api/v1/me").status_code == 200
    row = AuditEvent.objects.get(action=AuditAction.DENIED, outcome="throttled")
    assert (row.target_type, row.client_hash) == ("api_addr", crypto.keyed_hash("client", "10.1.1.1"))


def test_behind_a_trusted_proxy_the_forwarded_address_is_counted(make_user, limits, at_t0):
    limits.QORGAU_API_ADDRESS_RATE_PER_MINUTE = 1
    limits.QORGAU_TRUSTED_PROXIES = 1
    a = sign_in(Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7"), make_user(language="en"))
    b = sign_in(Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8"), make_user(language="en"))
    assert a.get("/api/v1/me").status_code == 200
    assert b.get("/api/v1/me").status_code == 200  # the same proxy, two clients
    assert a.get("/api/v1/me").status_code == 429


def _another_process_refuses(user: User) -> None:
    """A fresh throttle object — as another gunicorn process holds — sees the same count (3) and refuses."""
    request = RequestFactory().get("/api/v1/me")
    request.auth = user  # type: ignore[attr-defined]  # what ninja sets after authentication
    other_process = ApiRateLimit()
    assert other_process.allow_request(request) is False
    assert other_process.wait() == 40.0
    assert api_rate_check(request).count == 5


def test_counters_live_in_the_database_as_keyed_hashes_shared_by_every_process(make_user, db_limits, at_t0):
    limits = db_limits
    limits.QORGAU_API_RATE_PER_MINUTE = 3
    limits.QORGAU_API_ADDRESS_RATE_PER_MINUTE = 100
    user = make_user(Role.POLICE_INSPECTOR, language="en")
    client = sign_in(Client(), user)
    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    rows = {r.scope: r for r in LoginThrottle.objects.all()}
    assert set(rows) == {"api_user", "api_addr"}
    assert rows["api_user"].key == crypto.keyed_hash("api-principal", f"user:{user.pk}")
    assert rows["api_addr"].key == crypto.keyed_hash("api-client", "127.0.0.1")
    assert [(r.failures, r.last_failure_at, r.blocked_until) for r in rows.values()] == [(3, T0, None)] * 2
    _another_process_refuses(user)


def test_with_a_shared_cache_the_counters_live_in_redis_as_keyed_hashes_shared_by_every_process(make_user, db_limits, shared_cache, at_t0):
    db_limits.QORGAU_API_RATE_PER_MINUTE = 3
    db_limits.QORGAU_API_ADDRESS_RATE_PER_MINUTE = 100
    user = make_user(Role.POLICE_INSPECTOR, language="en")
    client = sign_in(Client(), user)
    assert [client.get("/api/v1/me").status_code for _ in range(3)] == [200, 200, 200]
    assert not LoginThrottle.objects.exists()
    raw = redis.Redis.from_url(django_settings.QORGAU_CACHE_URL)
    window = int(T0.timestamp())
    principal = crypto.keyed_hash("api-principal", f"user:{user.pk}")
    address = crypto.keyed_hash("api-client", "127.0.0.1")
    assert raw.get(f"{shared_cache}:rate:n:api_user:{principal}:{window}") == b"3"
    assert raw.get(f"{shared_cache}:rate:n:api_addr:{address}:{window}") == b"3"
    assert 60 < raw.ttl(f"{shared_cache}:rate:n:api_user:{principal}:{window}") <= 120  # gone soon after its window
    # Keyed hashes only: no user id or address in clear among the keys.
    assert {k.decode() for k in raw.scan_iter(f"{shared_cache}:rate:*")} == {
        f"{shared_cache}:rate:n:api_user:{principal}:{window}", f"{shared_cache}:rate:n:api_addr:{address}:{window}",
    }
    _another_process_refuses(user)


def test_the_counting_script_is_loaded_again_when_redis_has_lost_it(make_user, db_limits, shared_cache, at_t0):
    """The counters are one Lua script (accounts.rate_counters); a restarted Redis has forgotten it."""
    db_limits.QORGAU_API_RATE_PER_MINUTE = 2
    client = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, language="en"))
    assert client.get("/api/v1/me").status_code == 200
    redis.Redis.from_url(django_settings.QORGAU_CACHE_URL).script_flush()
    assert [client.get("/api/v1/me").status_code for _ in range(2)] == [200, 429]


def test_limits_set_to_zero_count_nothing(make_user, db_limits, at_t0):
    client = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, language="en"))
    assert {client.get("/api/v1/me").status_code for _ in range(5)} == {200}
    assert not LoginThrottle.objects.exists()


def test_a_throttled_write_changes_nothing(make_user, limits, at_t0):
    markers_load()
    limits.QORGAU_API_RATE_PER_MINUTE = 1
    user = make_user(Role.POLICE_INSPECTOR, language="en")
    token = api_token_issue(actor=user, verified=True, name="w").token
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get("/api/v1/me").status_code == 200
    response = client.post("/api/v1/reports", data=json.dumps(report_json()), content_type="application/json")
    assert response.status_code == 429
    assert Report.objects.count() == 0


def test_the_login_delays_are_untouched_by_api_counters(make_user, limits, at_t0):
    """API rows share the table with the login delays but never slow a sign-in."""
    limits.QORGAU_API_ADDRESS_RATE_PER_MINUTE = 1
    user = make_user(Role.POLICE_INSPECTOR, username="still_signs_in", language="en")
    api_client = sign_in(Client(), make_user(language="en"))
    assert [api_client.get("/api/v1/me").status_code for _ in range(3)] == [200, 429, 429]
    browser = Client()
    assert browser.post("/login/", {"username": "still_signs_in", "password": PASSWORD}).status_code == 302
    assert browser.post("/login/verify/", {"code": current_code(user)}).status_code == 302


def test_refused_credentials_count_against_the_address(make_user, limits, at_t0):
    """Guessing tokens from one address is limited too, though no principal is known."""
    limits.QORGAU_API_ADDRESS_RATE_PER_MINUTE = 2
    guesser = Client(REMOTE_ADDR="10.9.9.9", HTTP_AUTHORIZATION="Bearer qgp_0123456789_" + "x" * 43)
    statuses = [guesser.get("/api/v1/me").status_code for _ in range(4)]
    assert statuses == [401, 401, 429, 429]
    refused = guesser.get("/api/v1/cases")
    assert (refused.status_code, refused["Retry-After"]) == (429, "40")
    assert refused.json()["code"] == "throttled"
    row = AuditEvent.objects.get(action=AuditAction.DENIED, outcome="throttled")
    assert (row.actor_id, row.target_type, row.target_id) == (None, "api_addr", "api/v1/me")
    at_t0.advance(timedelta(seconds=40))
    assert guesser.get("/api/v1/me").status_code == 401
