"""Bad input never becomes a 500 (DESIGN §5): clear errors, and a stale edit is a conflict."""

from __future__ import annotations

import pytest
from django.test import Client

from qorgau.accounts.models import LoginThrottle, User
from qorgau.accounts.roles import Role
from qorgau.accounts.services import user_update_profile
from qorgau.accounts.tokens import api_token_issue
from qorgau.core.errors import Conflict
from qorgau.core.models import AuditEvent
from tests.accounts.support import english_client, valid_iin
from tests.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

JUNK_BODIES = [
    (b"username=%ff%fe%00&password=\xff\xfe\x00", "application/x-www-form-urlencoded"),
    (b"\x00\x01\x02\xff" * 100, "application/x-www-form-urlencoded"),
    (b"username=a&username=b&password=", "application/x-www-form-urlencoded"),
    (b'{"username": "x", "password": "y"}', "application/json"),
    (b"", "text/plain"),
]


def _csrf_client(user) -> Client:
    client = sign_in(Client(enforce_csrf_checks=True), user)
    client.get("/security/")
    return client


def test_login_with_missing_fields_shows_the_form_again(make_user):
    make_user(username="present")
    for data in ({}, {"username": "present"}, {"password": PASSWORD}, {"username": "", "password": ""}):
        r = english_client().post("/login/", data)
        assert r.status_code == 200, data
        assert set(r.context["form"].errors) == {"username", "password"} - {k for k, v in data.items() if v}
    assert not LoginThrottle.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="login").exists()


def test_login_with_huge_fields_is_a_form_error(make_user):
    make_user(username="present")
    r = english_client().post("/login/", {"username": "a" * 10_000, "password": "b" * 10_000})
    assert r.status_code == 200
    assert set(r.context["form"].errors) == {"username", "password"}
    assert "b" * 256 not in r.content.decode()  # a password is never echoed back
    assert not LoginThrottle.objects.exists()


def test_login_with_a_null_character_is_a_form_error(make_user):
    make_user(username="present")
    r = english_client().post("/login/", {"username": "pre\x00sent", "password": PASSWORD})
    assert r.status_code == 200
    assert "username" in r.context["form"].errors


@pytest.mark.parametrize(("body", "content_type"), JUNK_BODIES)
def test_login_with_junk_bodies_is_never_a_500(make_user, body, content_type):
    make_user(username="present")
    r = english_client().post("/login/", data=body, content_type=content_type)
    assert r.status_code in (200, 400, 401)


def test_a_broken_multipart_body_is_a_400(db):
    r = english_client().post("/login/", data=b"--zzz\r\nContent-Disposition: form-data\r\n", content_type="multipart/form-data; boundary=")
    assert r.status_code == 400


def test_login_with_unicode_and_odd_user_names_is_a_plain_401(make_user):
    make_user(username="present")
    for name in ("Ақмарал", "'; DROP TABLE accounts_user; --", "present\u200b", "😀" * 16):
        r = english_client().post("/login/", {"username": name, "password": PASSWORD})
        assert r.status_code == 401, name
    assert User.objects.filter(username="present").exists()


@pytest.mark.parametrize("code", ["", "abcdef", "12345", "1234567", "9" * 10_000, "12 34 5", "²²²²²²", "１²３４５６"])
def test_verify_with_malformed_codes_is_a_form_error(make_user, code):
    """A malformed code is a form error; it is not checked and not counted."""
    make_user(username="present")
    client = english_client()
    client.post("/login/", {"username": "present", "password": PASSWORD})
    r = client.post("/login/verify/", {"code": code})
    assert r.status_code == 200
    assert "code" in r.context["form"].errors
    assert client.session.get("_auth_user_id") is None
    assert not LoginThrottle.objects.exists()


def test_api_missing_token_name_is_422_with_fields(make_user):
    client = _csrf_client(make_user())
    csrf = client.cookies["csrftoken"].value
    for body in ("{}", '{"name": null}', '{"name": 5}', '{"title": "x"}', "[]"):
        r = client.post("/api/v1/tokens", data=body, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
        assert r.status_code == 422, body
        data = r.json()
        assert data["code"] == "invalid"
        assert list(data["fields"]) == ["payload.name"], body


def test_api_bad_token_name_is_422_with_the_name_field(make_user):
    client = _csrf_client(make_user())
    csrf = client.cookies["csrftoken"].value
    for name in ("", "   ", "n" * 81):
        r = client.post("/api/v1/tokens", data={"name": name}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf)
        assert r.status_code == 422
        assert list(r.json()["fields"]) == ["name"]


@pytest.mark.parametrize("body", ["{not json", '{"name": "x"', "\xff\xfe", "name=x"])
def test_api_invalid_json_is_a_json_client_error_not_a_500(make_user, body):
    client = _csrf_client(make_user())
    r = client.post("/api/v1/tokens", data=body, content_type="application/json", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert 400 <= r.status_code < 500
    assert r["Content-Type"].startswith("application/json")
    assert "code" in r.json()


def test_api_invalid_json_is_422_with_fields(make_user):
    client = _csrf_client(make_user())
    r = client.post("/api/v1/tokens", data="{not json", content_type="application/json", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert r.status_code == 422
    assert r.json()["fields"]


def test_api_path_parameter_that_is_not_a_number_is_422(signed_in):
    client = signed_in()
    r = client.post("/api/v1/notifications/abc/read")
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["notification_id"]


def test_unknown_url_is_a_404_page(signed_in):
    r = signed_in(language="en").get("/no/such/page/")
    assert r.status_code == 404
    assert "Page not found" in r.content.decode()
    anonymous = english_client().get("/no/such/page/")
    assert anonymous.status_code == 404


def test_unknown_api_route_is_a_json_404(signed_in):
    r = signed_in().get("/api/v1/no-such-route")
    assert r.status_code == 404
    assert r.json()["code"] == "404"


def test_forbidden_page_is_a_403_page(signed_in):
    r = signed_in(Role.SOCIAL_WORKER, language="en").get("/staff/")
    assert r.status_code == 403
    assert "Access denied" in r.content.decode()


def test_wrong_method_on_the_api_is_405(signed_in):
    assert signed_in().put("/api/v1/me").status_code == 405


def test_a_stale_profile_edit_is_a_conflict_and_changes_nothing(make_user):
    admin = make_user(Role.ADMINISTRATOR)
    user = make_user(full_name="Первое Имя", iin=valid_iin("8001013011"))
    opened_at = user.version

    user_update_profile(actor=admin, user=user, version=opened_at, full_name="Второе Имя", iin=valid_iin("8102023022"))
    saved = User.objects.get(pk=user.pk)
    assert (saved.version, saved.full_name) == (opened_at + 1, "Второе Имя")
    audit_rows = AuditEvent.objects.count()

    with pytest.raises(Conflict):
        user_update_profile(actor=admin, user=user, version=opened_at, full_name="Третье Имя", iin=valid_iin("8203033033"))
    after = User.objects.get(pk=user.pk)
    assert (after.version, after.full_name, after.iin) == (saved.version, saved.full_name, saved.iin)
    assert (after.iin_bidx, after.name_bidx) == (saved.iin_bidx, saved.name_bidx)
    assert AuditEvent.objects.count() == audit_rows


HUGE_ID = "9" * 30


def test_odd_ids_on_pages_are_never_a_500(make_user, frozen):
    user = make_user(language="en")
    token = api_token_issue(actor=user, verified=True, name="kept")
    client = sign_in(Client(), user)
    assert client.post("/notifications/", {"id": HUGE_ID}).status_code == 404
    assert client.post("/notifications/", {"id": "²"}).status_code == 400
    assert client.post("/notifications/", {"id": "-1"}).status_code == 400
    for odd in (HUGE_ID, "²", "-1", "1.0"):
        r = client.post("/security/", {"action": "revoke", "id": odd})
        assert r.status_code in (200, 400, 404), odd
    token.record.refresh_from_db()
    assert token.record.revoked_at is None


def test_odd_ids_on_the_api_are_never_a_500(make_user, frozen):
    user = make_user()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(actor=user, verified=True, name='kept').token}"}
    for path in (f"/api/v1/notifications/{HUGE_ID}/read", "/api/v1/notifications/-5/read"):
        r = Client().post(path, **bearer)
        assert (r.status_code, r.json()["code"]) == (404, "not_found"), path
    r = Client().delete(f"/api/v1/tokens/{HUGE_ID}", **bearer)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = Client().post("/api/v1/notifications/²/read", **bearer)
    assert r.status_code in (404, 422)
