"""Progressive delays after failed sign-ins, per account and per client address (DESIGN §5).

There is no hard lock-out: waits double up to a cap, and an attempt during a wait is refused without
checking the password, so guessing gains nothing and nobody can lock an inspector out for good.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from qorgau.accounts import login as signin
from qorgau.accounts.login import delay_for
from qorgau.accounts.models import LoginThrottle
from qorgau.accounts.roles import Role
from qorgau.accounts.services import user_create
from qorgau.accounts.views import PENDING_KEY
from qorgau.core import clock, crypto
from qorgau.core.models import AuditAction
from tests.accounts.support import audit, code_for, english_client, wrong_code
from tests.conftest import PASSWORD, current_code

WRONG = "wrong-password-0000"
ADDR_A = "10.20.30.40"
ADDR_B = "10.20.30.99"
DELAYED_TEXT = "Too many failed attempts. Try again in {} seconds."


def _attempt(client: Client, username: str, password: str, addr: str = ADDR_A):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=addr)


def _account(username: str) -> LoginThrottle:
    return LoginThrottle.objects.get(
        scope=LoginThrottle.Scope.ACCOUNT, key=crypto.keyed_hash("login-account", username.strip().casefold())
    )


def _client_row(addr: str) -> LoginThrottle:
    return LoginThrottle.objects.get(scope=LoginThrottle.Scope.CLIENT, key=crypto.keyed_hash("login-client", addr))


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0), (1, 0), (2, 0), (3, 2), (4, 4), (5, 8), (6, 16), (10, 256), (11, 512), (12, 900), (13, 900), (60, 900)],
)
def test_delay_for_with_the_project_settings(settings, failures, seconds):
    assert (settings.QORGAU_LOGIN_FREE_ATTEMPTS, settings.QORGAU_LOGIN_MAX_DELAY_SECONDS) == (3, 900)
    assert delay_for(failures) == seconds


@override_settings(QORGAU_LOGIN_FREE_ATTEMPTS=1, QORGAU_LOGIN_MAX_DELAY_SECONDS=10)
def test_delay_for_reads_the_settings():
    assert [delay_for(n) for n in range(7)] == [0, 2, 4, 8, 10, 10, 10]


@pytest.mark.django_db
def test_free_attempts_then_a_wait_that_refuses_even_the_right_password(make_user, frozen, monkeypatch):
    make_user(username="inspector.a")
    client = english_client()

    for n in (1, 2):
        r = _attempt(client, "inspector.a", WRONG)
        assert r.status_code == 401
        assert "Too many failed attempts" not in r.content.decode()
        assert _account("inspector.a").failures == n
        assert _account("inspector.a").blocked_until is None

    r = _attempt(client, "inspector.a", WRONG)  # the third failure starts the first wait
    assert r.status_code == 401
    assert DELAYED_TEXT.format(2) in r.content.decode()
    assert _account("inspector.a").blocked_until == clock.now() + timedelta(seconds=2)

    def must_not_check(*args, **kwargs):
        raise AssertionError("the password was checked during a wait")

    frozen.advance(timedelta(seconds=1))
    monkeypatch.setattr(signin, "authenticate", must_not_check)
    r = _attempt(client, "inspector.a", PASSWORD)
    assert r.status_code == 401
    assert DELAYED_TEXT.format(1) in r.content.decode()
    assert PENDING_KEY not in client.session
    # Refused without checking the password: no further failure is counted.
    assert _account("inspector.a").failures == 3
    assert len(audit(AuditAction.LOGIN_FAILED)) == 3
    delayed = audit(AuditAction.LOGIN_DELAYED)
    assert [(e.outcome, e.term_hash) for e in delayed] == [("refused", crypto.keyed_hash("term", "inspector.a"))]

    # A wrong password during the wait is refused the same way and is not counted either.
    r = _attempt(client, "inspector.a", WRONG)
    assert DELAYED_TEXT.format(1) in r.content.decode()
    assert _account("inspector.a").failures == 3


@pytest.mark.django_db
def test_each_further_failure_doubles_the_wait_up_to_the_cap(make_user, frozen, settings):
    make_user(username="inspector.b")
    client = english_client()
    cap = settings.QORGAU_LOGIN_MAX_DELAY_SECONDS
    waits = []
    for n in range(1, 15):
        _attempt(client, "inspector.b", WRONG)
        account, address = _account("inspector.b"), _client_row(ADDR_A)
        assert (account.failures, address.failures) == (n, n)
        wait = 0 if account.blocked_until is None else int((account.blocked_until - clock.now()).total_seconds())
        assert wait == delay_for(n)
        assert address.blocked_until == account.blocked_until
        waits.append(wait)
        frozen.advance(timedelta(seconds=wait))
    assert waits == [0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512, cap, cap, cap]


@pytest.mark.django_db
def test_after_the_wait_the_right_password_and_code_work_and_clear_the_account(make_user, frozen):
    user = make_user(username="inspector.c")
    client = english_client()
    for _ in range(3):
        _attempt(client, "inspector.c", WRONG)

    frozen.advance(timedelta(seconds=2))
    r = _attempt(client, "inspector.c", PASSWORD)
    assert (r.status_code, r.url) == (302, "/login/verify/")
    r = client.post("/login/verify/", {"code": current_code(user)}, REMOTE_ADDR=ADDR_A)
    assert (r.status_code, r.url) == (302, "/")

    assert not LoginThrottle.objects.filter(scope=LoginThrottle.Scope.ACCOUNT).exists()
    # The address keeps its history: its next failure waits again at once.
    assert _client_row(ADDR_A).failures == 3
    client.post("/logout/")
    _attempt(client, "inspector.c", WRONG)
    assert _account("inspector.c").failures == 1
    assert _client_row(ADDR_A).failures == 4
    assert _client_row(ADDR_A).blocked_until == clock.now() + timedelta(seconds=4)


@pytest.mark.django_db
def test_user_name_case_and_spaces_do_not_escape_the_account_counter(make_user, frozen):
    make_user(username="inspector.d")
    for typed, addr in (("inspector.d", "10.0.0.1"), (" INSPECTOR.D ", "10.0.0.2"), ("Inspector.D", "10.0.0.3")):
        _attempt(english_client(), typed, WRONG, addr=addr)
    assert _account("inspector.d").failures == 3
    r = _attempt(english_client(), "inspector.d", PASSWORD, addr="10.0.0.4")
    assert DELAYED_TEXT.format(2) in r.content.decode()


@pytest.mark.django_db
def test_one_address_trying_many_user_names_is_slowed_down(make_user, frozen):
    user = make_user(username="inspector.e")
    for name in ("guess.one", "guess.two", "guess.three"):
        r = _attempt(english_client(), name, WRONG, addr=ADDR_A)
        assert r.status_code == 401
    for name in ("guess.one", "guess.two", "guess.three"):
        assert _account(name).failures == 1
    assert _client_row(ADDR_A).failures == 3

    # A real user behind the same address waits too, though their own account has no failures ...
    r = _attempt(english_client(), "inspector.e", PASSWORD, addr=ADDR_A)
    assert r.status_code == 401
    assert DELAYED_TEXT.format(2) in r.content.decode()
    assert not LoginThrottle.objects.filter(
        scope=LoginThrottle.Scope.ACCOUNT, key=crypto.keyed_hash("login-account", "inspector.e")
    ).exists()

    # ... while from another address they sign in at once.
    client = english_client()
    r = _attempt(client, "inspector.e", PASSWORD, addr=ADDR_B)
    assert (r.status_code, r.url) == (302, "/login/verify/")
    r = client.post("/login/verify/", {"code": current_code(user)}, REMOTE_ADDR=ADDR_B)
    assert (r.status_code, r.url) == (302, "/")


@pytest.mark.django_db
def test_another_address_does_not_free_a_throttled_account(make_user, frozen):
    make_user(username="inspector.f")
    for _ in range(3):
        _attempt(english_client(), "inspector.f", WRONG, addr=ADDR_A)

    r = _attempt(english_client(), "inspector.f", PASSWORD, addr=ADDR_B)
    assert r.status_code == 401
    assert DELAYED_TEXT.format(2) in r.content.decode()
    assert not LoginThrottle.objects.filter(scope=LoginThrottle.Scope.CLIENT, key=crypto.keyed_hash("login-client", ADDR_B)).exists()

    frozen.advance(timedelta(seconds=2))
    r = _attempt(english_client(), "inspector.f", PASSWORD, addr=ADDR_B)
    assert (r.status_code, r.url) == (302, "/login/verify/")


@pytest.mark.django_db
def test_wrong_codes_count_and_a_right_code_waits_out_the_delay(make_user, frozen):
    user = make_user(username="inspector.g")
    client = english_client()
    _attempt(client, "inspector.g", PASSWORD)
    wrong = wrong_code(TOTPDevice.objects.get(user=user))
    for _ in range(3):
        assert client.post("/login/verify/", {"code": wrong}, REMOTE_ADDR=ADDR_A).status_code == 401
    assert _account("inspector.g").failures == 3

    r = client.post("/login/verify/", {"code": current_code(user)}, REMOTE_ADDR=ADDR_A)
    assert r.status_code == 401
    assert client.session.get("_auth_user_id") is None
    assert _account("inspector.g").failures == 3

    frozen.advance(timedelta(seconds=2))
    r = client.post("/login/verify/", {"code": current_code(user)}, REMOTE_ADDR=ADDR_A)
    assert (r.status_code, r.url) == (302, "/")


@pytest.mark.django_db
def test_the_throttle_table_holds_neither_names_nor_addresses(make_user, frozen):
    _attempt(english_client(), "someone.typed.this", WRONG, addr=ADDR_A)
    for row in LoginThrottle.objects.all():
        assert "someone" not in row.key and ADDR_A not in row.key
    assert {r.scope for r in LoginThrottle.objects.all()} == {LoginThrottle.Scope.ACCOUNT, LoginThrottle.Scope.CLIENT}


@pytest.mark.django_db
def test_failures_are_forgotten_after_a_quiet_period(make_user, frozen, settings):
    make_user(username="inspector.h")
    for _ in range(3):
        _attempt(english_client(), "inspector.h", WRONG)
    assert _account("inspector.h").failures == 3

    frozen.advance(timedelta(seconds=settings.QORGAU_LOGIN_FORGET_SECONDS))
    _attempt(english_client(), "inspector.h", WRONG)  # not yet quiet long enough: counts on
    assert _account("inspector.h").failures == 4

    frozen.advance(timedelta(seconds=settings.QORGAU_LOGIN_FORGET_SECONDS + 1))
    r = _attempt(english_client(), "inspector.h", WRONG)
    assert "Too many failed attempts" not in r.content.decode()
    assert (_account("inspector.h").failures, _account("inspector.h").blocked_until) == (1, None)
    assert _client_row(ADDR_A).failures == 1


@pytest.mark.django_db
def test_a_forwarded_for_header_is_not_trusted_without_a_proxy(make_user, frozen, settings):
    settings.QORGAU_TRUSTED_PROXIES = 0
    for n, spoofed in enumerate(("1.1.1.1", "2.2.2.2", "3.3.3.3"), start=1):
        english_client().post(
            "/login/", {"username": f"guess.{n}", "password": WRONG}, REMOTE_ADDR=ADDR_A, HTTP_X_FORWARDED_FOR=spoofed
        )
    assert _client_row(ADDR_A).failures == 3
    assert LoginThrottle.objects.filter(scope=LoginThrottle.Scope.CLIENT).count() == 1


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_forwarded_address_is_throttled(make_user, frozen, settings):
    settings.QORGAU_TRUSTED_PROXIES = 1
    proxy = "192.168.0.1"
    for n in range(1, 4):
        english_client().post(
            "/login/", {"username": f"guess.{n}", "password": WRONG}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {ADDR_A}"
        )
    assert _client_row(ADDR_A).failures == 3
    assert not LoginThrottle.objects.filter(scope=LoginThrottle.Scope.CLIENT, key=crypto.keyed_hash("login-client", proxy)).exists()
    # Another client behind the same proxy is not slowed down by the first one.
    make_user(username="inspector.i")
    r = english_client().post(
        "/login/", {"username": "inspector.i", "password": PASSWORD}, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=ADDR_B
    )
    assert (r.status_code, r.url) == (302, "/login/verify/")


@pytest.mark.django_db
def test_enrolment_codes_are_slowed_down_like_sign_in_codes(police_unit, frozen):
    user = user_create(actor=None, username="inspector.j", password=PASSWORD, role=Role.POLICE_INSPECTOR, unit=police_unit)
    client = english_client()
    _attempt(client, "inspector.j", PASSWORD)
    client.get("/login/enrol/", REMOTE_ADDR=ADDR_A)
    device = TOTPDevice.objects.get(user=user)
    for _ in range(3):
        assert client.post("/login/enrol/", {"code": wrong_code(device)}, REMOTE_ADDR=ADDR_A).status_code == 401

    r = client.post("/login/enrol/", {"code": code_for(device)}, REMOTE_ADDR=ADDR_A)
    assert r.status_code == 401
    device.refresh_from_db()
    assert device.confirmed is False
    assert _account("inspector.j").failures == 3

    frozen.advance(timedelta(seconds=2))
    r = client.post("/login/enrol/", {"code": code_for(device)}, REMOTE_ADDR=ADDR_A)
    assert (r.status_code, r.url) == (302, "/")
