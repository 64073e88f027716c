"""The session guard: two factors, idle timeout and "log out everywhere" on every request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation

from qorgau.accounts.models import ApiToken, Notification, NotificationKind
from qorgau.accounts.roles import Role
from qorgau.accounts.tokens import api_token_issue
from qorgau.core.models import AuditAction
from tests.accounts.support import audit
from tests.conftest import PASSWORD, current_code, sign_in

pytestmark = pytest.mark.django_db


def _authenticated(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_idle_session_is_ended_with_a_message_and_audited(make_user, frozen, settings):
    user = make_user(language="en")
    client = sign_in(Client(), user)
    assert client.get("/").status_code == 200

    frozen.advance(timedelta(seconds=settings.QORGAU_IDLE_TIMEOUT_SECONDS + 1))
    r = client.get("/")
    assert (r.status_code, r.url) == (302, "/login/")
    assert not _authenticated(client)
    expired = audit(AuditAction.SESSION_EXPIRED)
    assert [(e.actor_id, e.target_id) for e in expired] == [(user.pk, str(user.pk))]

    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Your session ended after a period of inactivity. Please sign in again." in page.content.decode()
    r = client.get("/")
    assert (r.status_code, r.url) == (302, "/login/?next=/")


def test_the_ending_message_is_in_the_users_language(make_user, frozen, settings):
    msgid = "Your session ended after a period of inactivity. Please sign in again."
    with translation.override("kk"):
        kazakh = translation.gettext(msgid)
    assert kazakh != msgid
    client = sign_in(Client(HTTP_ACCEPT_LANGUAGE="ru"), make_user(language="kk"))
    frozen.advance(timedelta(seconds=settings.QORGAU_IDLE_TIMEOUT_SECONDS + 1))
    page = client.get("/", follow=True)
    assert [str(m) for m in page.context["messages"]] == [kazakh]


def test_the_timeout_is_measured_from_the_last_request(make_user, frozen, settings):
    client = sign_in(Client(), make_user())
    timeout = settings.QORGAU_IDLE_TIMEOUT_SECONDS
    frozen.advance(timedelta(seconds=timeout))
    assert client.get("/").status_code == 200  # exactly the timeout is not yet idle
    frozen.advance(timedelta(seconds=timeout - 1))
    assert client.get("/").status_code == 200
    frozen.advance(timedelta(seconds=timeout - 1))
    assert client.get("/").status_code == 200
    frozen.advance(timedelta(seconds=timeout + 1))
    assert client.get("/").status_code == 302
    assert not _authenticated(client)


def test_idle_api_session_gets_a_json_401(make_user, frozen, settings):
    client = sign_in(Client(), make_user())
    assert client.get("/api/v1/me").status_code == 200
    frozen.advance(timedelta(seconds=settings.QORGAU_IDLE_TIMEOUT_SECONDS + 1))
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.json()["code"] == "session_ended"
    assert not _authenticated(client)


def test_a_session_without_the_second_factor_is_ended(make_user, frozen):
    user = make_user(language="en")
    client = Client()
    client.force_login(user)  # a password-only session, as if the OTP step were skipped
    r = client.get("/")
    assert (r.status_code, r.url) == (302, "/login/")
    assert not _authenticated(client)
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Please sign in with your second factor." in page.content.decode()

    client.force_login(user)
    r = client.get("/api/v1/me")
    assert r.status_code == 401
    assert r.json()["code"] == "session_ended"


def test_log_out_everywhere_ends_other_sessions_and_revokes_tokens(make_user, frozen):
    user = make_user(language="en")
    bystander = make_user(language="en")
    laptop, phone, other = sign_in(Client(), user), sign_in(Client(), user), sign_in(Client(), bystander)
    token = api_token_issue(actor=user, verified=True, name="laptop script").token
    other_token = api_token_issue(actor=bystander, verified=True, name="theirs").token
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200

    r = laptop.post("/logout/everywhere/")
    assert (r.status_code, r.url) == (302, "/login/")
    assert not _authenticated(laptop)

    r = phone.get("/")
    assert (r.status_code, r.url) == (302, "/login/")
    assert not _authenticated(phone)
    page = phone.get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "You were signed out on all devices. Please sign in again." in page.content.decode()

    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert ApiToken.objects.get(user=user).revoked_at is not None
    user.refresh_from_db()
    assert user.session_epoch == 1
    assert [e.actor_id for e in audit(AuditAction.LOGOUT_EVERYWHERE)] == [user.pk]
    assert Notification.objects.filter(recipient=user, kind=NotificationKind.LOGGED_OUT_EVERYWHERE).count() == 1

    # Nobody else is touched.
    assert other.get("/").status_code == 200
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {other_token}").status_code == 200

    # A fresh two-factor session after the purge works again.
    user.refresh_from_db()
    assert sign_in(Client(), user).get("/").status_code == 200


def test_log_out_everywhere_needs_post_and_a_session(make_user, frozen):
    client = sign_in(Client(), make_user(Role.SOCIAL_WORKER))
    assert client.get("/logout/everywhere/").status_code == 405
    r = Client().post("/logout/everywhere/")
    assert (r.status_code, r.url) == (302, "/login/?next=/logout/everywhere/")
    assert audit(AuditAction.LOGOUT_EVERYWHERE) == []


def test_a_session_ends_at_its_maximum_length_even_when_active(make_user, frozen, settings):
    settings.QORGAU_SESSION_MAX_SECONDS = 3 * settings.QORGAU_IDLE_TIMEOUT_SECONDS
    user = make_user(username="busy", language="en")
    client = Client()
    client.post("/login/", {"username": "busy", "password": PASSWORD})
    client.post("/login/verify/", {"code": current_code(user)})
    step = timedelta(seconds=settings.QORGAU_IDLE_TIMEOUT_SECONDS - 1)
    for _ in range(3):
        frozen.advance(step)
        assert client.get("/").status_code == 200
    frozen.advance(timedelta(seconds=4))  # 3 × (timeout − 1) + 4 = the maximum + 1
    r = client.get("/", follow=True)
    assert r.redirect_chain == [("/login/", 302)]
    assert [str(m) for m in r.context["messages"]] == ["Your session reached its maximum length. Please sign in again."]
    assert [e.actor_id for e in audit(AuditAction.SESSION_EXPIRED)] == [user.pk]
