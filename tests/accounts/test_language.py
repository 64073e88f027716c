"""Choosing the language: remembered per user and in a cookie; bad input is a clear 400."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from qorgau.accounts.models import User
from qorgau.core.models import AuditAction
from tests.accounts.support import audit, english_client
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_signed_in_choice_is_stored_on_the_user_and_in_a_cookie(make_user):
    user = make_user(language="ru")
    client = sign_in(Client(), user)
    r = client.post("/language/", {"language": "kk", "next": "/notifications/"})
    assert (r.status_code, r.url) == (302, "/notifications/")
    cookie = r.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "kk"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert User.objects.get(pk=user.pk).language == "kk"
    assert [(e.actor_id, e.target_id) for e in audit(AuditAction.LANGUAGE_CHANGED)] == [(user.pk, str(user.pk))]
    assert '<html lang="kk">' in client.get("/").content.decode()


def test_the_choice_follows_the_user_into_a_new_session(make_user):
    user = make_user(language="ru")
    sign_in(Client(), user).post("/language/", {"language": "en"})
    user.refresh_from_db()
    fresh = sign_in(Client(HTTP_ACCEPT_LANGUAGE="kk"), user)  # another browser, asking for Kazakh
    page = fresh.get("/")
    assert page.status_code == 200
    assert '<html lang="en">' in page.content.decode()


def test_anonymous_choice_sets_only_the_cookie(make_user):
    user = make_user(language="ru")
    client = Client()
    r = client.post("/language/", {"language": "en"})
    assert (r.status_code, r.url) == (302, "/")
    assert r.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert User.objects.get(pk=user.pk).language == "ru"
    assert audit(AuditAction.LANGUAGE_CHANGED) == []
    assert '<html lang="en">' in client.get("/login/").content.decode()


@pytest.mark.parametrize("language", ["xx", "", "ru-RU", "EN", "k" * 5000])
def test_an_unknown_language_is_a_400_page(make_user, language):
    user = make_user(language="ru")
    client = sign_in(english_client(), user)
    r = client.post("/language/", {"language": language})
    assert r.status_code == 400
    assert "<html" in r.content.decode()
    assert settings.LANGUAGE_COOKIE_NAME not in r.cookies
    assert User.objects.get(pk=user.pk).language == "ru"


def test_a_missing_language_is_a_400_page(db):
    r = english_client().post("/language/", {})
    assert r.status_code == 400


def test_get_is_not_allowed(db):
    assert Client().get("/language/?language=kk").status_code == 405


@pytest.mark.parametrize(
    "nxt",
    ["https://evil.example/phish", "//evil.example/phish", "http://testserver.evil.example/", "javascript:alert(1)", "\\\\evil.example"],
)
def test_next_to_another_host_is_ignored(db, nxt):
    r = Client().post("/language/", {"language": "kk", "next": nxt})
    assert (r.status_code, r.url) == (302, "/")


def test_next_on_this_site_is_followed(db):
    r = Client().post("/language/", {"language": "kk", "next": "/login/?x=1"})
    assert (r.status_code, r.url) == (302, "/login/?x=1")
