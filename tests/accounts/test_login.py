"""Two-factor sign-in through the browser: password, then TOTP (or enrolment), then home."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

import qorgau.settings as project_settings
from qorgau.accounts import login as signin
from qorgau.accounts.models import LoginThrottle, User
from qorgau.accounts.roles import Role
from qorgau.accounts.services import user_create
from qorgau.accounts.views import PENDING_KEY, PENDING_SECONDS
from qorgau.core import crypto
from qorgau.core.models import AuditAction, AuditEvent
from tests.accounts.support import audit, code_for, english_client, row_text, wrong_code
from tests.conftest import PASSWORD, current_code

pytestmark = pytest.mark.django_db

WRONG = "not-the-password-at-all"


def _password(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


def _signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_password_then_code_signs_in_and_opens_home(make_user, frozen):
    user = make_user(username="aigerim", language="en")
    client = english_client()

    r = _password(client, "aigerim")
    assert (r.status_code, r.url) == (302, "/login/verify/")
    assert _signed_in_user_id(client) is None  # a password alone signs nobody in

    r = client.get("/login/verify/")
    assert r.status_code == 200

    r = client.post("/login/verify/", {"code": current_code(user)})
    assert (r.status_code, r.url) == (302, "/")
    assert _signed_in_user_id(client) == str(user.pk)
    assert PENDING_KEY not in client.session

    r = client.get("/")
    assert r.status_code == 200
    assert "Welcome, aigerim" in r.content.decode()
    assert r.wsgi_request.user.is_verified()

    logins = audit(AuditAction.LOGIN)
    assert [(e.actor_id, e.target_id, e.outcome) for e in logins] == [(user.pk, str(user.pk), "ok")]
    assert logins[0].client_hash == crypto.keyed_hash("client", "127.0.0.1")


def test_session_key_changes_at_each_login_step(make_user, frozen):
    user = make_user(username="dana")
    client = english_client()
    planted = client.session  # an attacker's session id planted in the victim's browser
    planted["planted"] = True
    planted.save()
    planted_key = planted.session_key

    _password(client, "dana")
    after_password = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after_password != planted_key
    assert not SessionStore().exists(planted_key)

    client.post("/login/verify/", {"code": current_code(user)})
    after_login = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after_login not in (planted_key, after_password)
    assert not SessionStore().exists(after_password)
    assert SessionStore(session_key=after_login).load()["_auth_user_id"] == str(user.pk)


def test_wrong_password_is_401_and_audited_without_the_user_name(make_user, frozen):
    make_user(username="gulnara.seitkali")
    client = english_client()

    r = _password(client, "gulnara.seitkali", WRONG)
    assert r.status_code == 401
    body = r.content.decode()
    assert "The user name or password is wrong." in body
    assert WRONG not in body
    assert _signed_in_user_id(client) is None
    assert PENDING_KEY not in client.session

    failed = audit(AuditAction.LOGIN_FAILED)
    assert len(failed) == 1
    assert failed[0].actor_id is None
    assert failed[0].outcome == "refused"
    assert failed[0].term_hash == crypto.keyed_hash("term", "gulnara.seitkali")
    for event in AuditEvent.objects.all():
        text = row_text(event).casefold()
        assert "gulnara" not in text and WRONG not in text
    for row in LoginThrottle.objects.all():
        assert "gulnara" not in row_text(row).casefold() and "127.0.0.1" not in row_text(row)


def test_unknown_user_name_is_the_same_401_as_a_wrong_password(make_user, frozen):
    make_user(username="known")
    r_unknown = _password(english_client(), "nobody-by-this-name", WRONG)
    r_wrong = _password(english_client(), "known", WRONG)
    assert r_unknown.status_code == r_wrong.status_code == 401
    assert r_unknown.context["error"] == r_wrong.context["error"]
    assert len(audit(AuditAction.LOGIN_FAILED)) == 2


def test_inactive_user_cannot_sign_in(make_user, frozen):
    user = make_user(username="left.the.service")
    User.objects.filter(pk=user.pk).update(is_active=False)
    r = _password(english_client(), "left.the.service")
    assert r.status_code == 401
    assert len(audit(AuditAction.LOGIN_FAILED)) == 1


def test_wrong_code_is_401_and_counted(make_user, frozen):
    user = make_user(username="marat", language="en")
    client = english_client()
    _password(client, "marat")
    good = current_code(user)
    wrong = wrong_code(TOTPDevice.objects.get(user=user))

    r = client.post("/login/verify/", {"code": wrong})
    assert r.status_code == 401
    assert "The code is wrong or has expired." in r.content.decode()
    assert _signed_in_user_id(client) is None
    assert [e.actor_id for e in audit(AuditAction.OTP_FAILED)] == [user.pk]
    account = LoginThrottle.objects.get(scope=LoginThrottle.Scope.ACCOUNT)
    assert account.failures == 1

    # The pending step survives a wrong code: the right one still signs in.
    r = client.post("/login/verify/", {"code": good})
    assert (r.status_code, r.url) == (302, "/")
    assert not LoginThrottle.objects.filter(scope=LoginThrottle.Scope.ACCOUNT).exists()


def test_a_code_from_the_previous_or_next_step_is_accepted_but_not_older(make_user, frozen):
    user = make_user(username="tolerant")
    device = TOTPDevice.objects.get(user=user)
    client = english_client()
    _password(client, "tolerant")
    r = client.post("/login/verify/", {"code": code_for(device, offset_steps=-3)})
    assert r.status_code == 401
    r = client.post("/login/verify/", {"code": code_for(device, offset_steps=-1)})
    assert (r.status_code, r.url) == (302, "/")


def test_a_code_cannot_be_used_twice(make_user, frozen):
    user = make_user(username="replay")
    code = current_code(user)
    client = english_client()
    _password(client, "replay")
    assert client.post("/login/verify/", {"code": code}).status_code == 302
    assert client.post("/logout/").status_code == 302

    _password(client, "replay")
    r = client.post("/login/verify/", {"code": code})
    assert r.status_code == 401
    assert _signed_in_user_id(client) is None

    frozen.advance(timedelta(seconds=30))
    r = client.post("/login/verify/", {"code": current_code(user)})
    assert (r.status_code, r.url) == (302, "/")


def test_the_code_follows_the_project_clock(make_user, frozen):
    """The second factor is checked against core.clock, like every other time in Qorgau."""
    user = make_user(username="clockwise")
    frozen.advance(timedelta(days=400))
    client = english_client()
    _password(client, "clockwise")
    r = client.post("/login/verify/", {"code": current_code(user)})
    assert (r.status_code, r.url) == (302, "/")


def test_user_without_a_device_enrols_with_qr_and_secret(police_unit, frozen):
    user = user_create(actor=None, username="newcomer", password=PASSWORD, role=Role.SOCIAL_WORKER, unit=police_unit, language="en")
    client = english_client()

    r = _password(client, "newcomer")
    assert (r.status_code, r.url) == (302, "/login/enrol/")
    assert client.get("/login/verify/").status_code == 200  # the pending step exists, but no code works there

    r = client.get("/login/enrol/")
    assert r.status_code == 200
    body = r.content.decode()
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed is False
    assert 'src="data:image/svg+xml' in body
    secret = signin.totp_secret_base32(device)
    assert len(secret) == 32
    assert f'<code data-testid="totp-secret">{secret}</code>' in body

    # Reloading the page shows the same device, it does not pile up new ones.
    client.get("/login/enrol/")
    assert TOTPDevice.objects.filter(user=user).count() == 1

    r = client.post("/login/enrol/", {"code": code_for(device)})
    assert (r.status_code, r.url) == (302, "/")
    device.refresh_from_db()
    assert device.confirmed is True
    assert _signed_in_user_id(client) == str(user.pk)
    assert client.get("/").status_code == 200
    assert [e.actor_id for e in audit(AuditAction.OTP_ENROLLED)] == [user.pk]
    assert [e.actor_id for e in audit(AuditAction.LOGIN)] == [user.pk]


def test_wrong_enrolment_code_is_401_and_leaves_the_device_unconfirmed(police_unit, frozen):
    user = user_create(actor=None, username="fumbles", password=PASSWORD, role=Role.HEALTH_WORKER, unit=police_unit)
    client = english_client()
    _password(client, "fumbles")
    client.get("/login/enrol/")
    device = TOTPDevice.objects.get(user=user)
    wrong = wrong_code(device)

    r = client.post("/login/enrol/", {"code": wrong})
    assert r.status_code == 401
    device.refresh_from_db()
    assert device.confirmed is False
    assert _signed_in_user_id(client) is None
    assert [e.actor_id for e in audit(AuditAction.OTP_FAILED)] == [user.pk]
    assert LoginThrottle.objects.get(scope=LoginThrottle.Scope.ACCOUNT).failures == 1


def test_enrolment_is_no_way_around_an_existing_second_factor(make_user, frozen):
    """Someone who knows the password of a user with a device must not enrol a device of their own."""
    user = make_user(username="has.device")
    client = english_client()
    _password(client, "has.device")

    r = client.get("/login/enrol/")
    assert (r.status_code, r.url) == (302, "/login/verify/")
    assert TOTPDevice.objects.filter(user=user).count() == 1

    r = client.post("/login/enrol/", {"code": "123456"})
    assert (r.status_code, r.url) == (302, "/login/verify/")
    assert _signed_in_user_id(client) is None
    assert list(TOTPDevice.objects.filter(user=user).values_list("confirmed", flat=True)) == [True]


def test_pending_step_expires_after_five_minutes(make_user, frozen):
    user = make_user(username="slow", language="en")
    client = english_client()
    _password(client, "slow")

    frozen.advance(timedelta(seconds=PENDING_SECONDS))
    assert client.get("/login/verify/").status_code == 200  # still within the five minutes

    frozen.advance(timedelta(seconds=1))
    r = client.get("/login/verify/")
    assert (r.status_code, r.url) == (302, "/login/")
    r = client.post("/login/verify/", {"code": current_code(user)})
    assert (r.status_code, r.url) == (302, "/login/")
    assert _signed_in_user_id(client) is None
    assert audit(AuditAction.LOGIN) == []
    page = client.get("/login/")
    assert "Your sign-in took too long. Please start again." in page.content.decode()


def test_enrolment_step_expires_too(police_unit, frozen):
    user_create(actor=None, username="late", password=PASSWORD, role=Role.JUDGE, unit=police_unit)
    client = english_client()
    _password(client, "late")
    frozen.advance(timedelta(seconds=PENDING_SECONDS + 1))
    r = client.get("/login/enrol/")
    assert (r.status_code, r.url) == (302, "/login/")


def test_verify_without_a_password_step_goes_back_to_login(db):
    r = english_client().get("/login/verify/")
    assert (r.status_code, r.url) == (302, "/login/")


def test_a_user_deactivated_between_the_steps_cannot_finish(make_user, frozen):
    user = make_user(username="deactivated.midway")
    client = english_client()
    _password(client, "deactivated.midway")
    User.objects.filter(pk=user.pk).update(is_active=False)
    r = client.post("/login/verify/", {"code": current_code(user)})
    assert (r.status_code, r.url) == (302, "/login/")
    assert _signed_in_user_id(client) is None
    assert audit(AuditAction.LOGIN) == []


def test_signed_in_user_visiting_login_goes_home(signed_in):
    r = signed_in().get("/login/")
    assert (r.status_code, r.url) == (302, "/")


def test_logout_ends_the_session_and_is_audited(make_user, frozen):
    user = make_user(username="leaving")
    client = english_client()
    _password(client, "leaving")
    client.post("/login/verify/", {"code": current_code(user)})

    assert client.get("/logout/").status_code == 405  # a link cannot sign anyone out
    r = client.post("/logout/")
    assert (r.status_code, r.url) == (302, "/login/")
    assert _signed_in_user_id(client) is None
    assert [e.actor_id for e in audit(AuditAction.LOGOUT)] == [user.pk]
    r = client.get("/")
    assert (r.status_code, r.url) == (302, "/login/?next=/")


def test_argon2_is_the_first_password_hasher():
    assert project_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@override_settings(PASSWORD_HASHERS=project_settings.PASSWORD_HASHERS)
def test_passwords_are_stored_with_argon2(police_unit):
    user = user_create(actor=None, username="hashed", password=PASSWORD, role=Role.POLICE_INSPECTOR, unit=police_unit)
    stored = User.objects.values_list("password", flat=True).get(pk=user.pk)
    assert stored.startswith("argon2$argon2id$")
    assert PASSWORD not in stored
    assert check_password(PASSWORD, stored)
    assert not check_password(WRONG, stored)
