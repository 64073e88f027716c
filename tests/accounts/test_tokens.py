"""Personal API tokens (after 2FA, expiring, hashed) and machine tokens (hashed, revocable)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client

from qorgau.accounts.models import ApiToken, MachineToken, Notification, NotificationKind
from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from qorgau.accounts.tokens import api_token_issue, api_token_revoke, machine_token_issue
from qorgau.core import clock
from qorgau.core.errors import Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction, AuditEvent
from tests.accounts.support import audit, row_text
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _csrf_client(user) -> Client:
    """A browser session after two-factor login that enforces CSRF like a real one, with its token."""
    client = sign_in(Client(enforce_csrf_checks=True), user)
    assert client.get("/security/").status_code == 200  # sets the csrftoken cookie
    return client


def _issue_via_api(client: Client, name: str = "reporting script", **extra):
    return client.post(
        "/api/v1/tokens",
        data={"name": name},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
        **extra,
    )


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_session_with_csrf_issues_a_token_shown_once_and_stored_as_a_digest(make_user, frozen, settings):
    user = make_user()
    client = _csrf_client(user)

    r = _issue_via_api(client)
    assert r.status_code == 201
    body = r.json()
    token = body["token"]
    assert re.fullmatch(r"qgp_[0-9a-f]{10}_[A-Za-z0-9_-]{43}", token)
    assert body["prefix"] == token.split("_")[1]
    assert body["name"] == "reporting script"

    record = ApiToken.objects.get(pk=body["id"])
    assert record.user_id == user.pk
    assert record.digest == hashlib.sha256(token.encode()).hexdigest()
    assert record.expires_at == clock.now() + timedelta(days=settings.QORGAU_API_TOKEN_DAYS)
    secret = token.split("_", 2)[2]
    assert str(record) == f"qgp_{record.prefix}"
    with connection.cursor() as cur:
        cur.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        raw_rows = cur.fetchall()
    assert len(raw_rows) == 1
    raw = "\x1f".join(str(v) for v in raw_rows[0])
    assert token not in raw and secret not in raw
    for event in AuditEvent.objects.all():
        assert secret not in row_text(event)

    # Shown once: nothing later returns it.
    listing = client.get("/api/v1/tokens")
    assert [t["id"] for t in listing.json()] == [record.pk]
    assert "token" not in listing.json()[0] and secret not in listing.content.decode()
    assert secret not in client.get("/security/").content.decode()

    assert [e.actor_id for e in audit(AuditAction.TOKEN_ISSUED)] == [user.pk]
    assert Notification.objects.filter(recipient=user, kind=NotificationKind.TOKEN_ISSUED).count() == 1

    r = Client().get("/api/v1/me", **_bearer(token))
    assert r.status_code == 200
    assert (r.json()["username"], r.json()["role"]) == (user.username, Role.POLICE_INSPECTOR.value)
    assert r.json()["capabilities"] == sorted(c.value for c in ROLE_CAPABILITIES[Role.POLICE_INSPECTOR])
    record.refresh_from_db()
    assert record.last_used_at == clock.now()


def test_issuing_through_the_api_needs_the_csrf_token(make_user, frozen):
    client = _csrf_client(make_user())
    r = client.post("/api/v1/tokens", data={"name": "no csrf"}, content_type="application/json")
    assert r.status_code == 403
    assert not ApiToken.objects.exists()


def test_issuing_needs_a_session(db):
    r = Client().post("/api/v1/tokens", data={"name": "anonymous"}, content_type="application/json")
    assert r.status_code == 401
    assert not ApiToken.objects.exists()


def test_a_personal_token_cannot_mint_another(make_user, frozen):
    token = api_token_issue(actor=make_user(), verified=True, name="first").token
    r = Client().post("/api/v1/tokens", data={"name": "second"}, content_type="application/json", **_bearer(token))
    assert r.status_code == 401
    assert ApiToken.objects.count() == 1


def test_issuing_without_the_second_factor_is_refused(make_user):
    with pytest.raises(Forbidden):
        api_token_issue(actor=make_user(), verified=False, name="sneaky")
    assert not ApiToken.objects.exists()


def test_a_token_expires_after_the_configured_days(make_user, frozen, settings):
    token = api_token_issue(actor=make_user(), verified=True, name="expiring").token
    frozen.advance(timedelta(days=settings.QORGAU_API_TOKEN_DAYS) - timedelta(seconds=1))
    assert Client().get("/api/v1/me", **_bearer(token)).status_code == 200
    frozen.advance(timedelta(seconds=1))
    r = Client().get("/api/v1/me", **_bearer(token))
    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated"


def test_a_revoked_token_is_refused(make_user, frozen):
    user = make_user()
    issued = api_token_issue(actor=user, verified=True, name="to revoke")
    assert Client().get("/api/v1/me", **_bearer(issued.token)).status_code == 200
    r = Client().delete(f"/api/v1/tokens/{issued.record.pk}", **_bearer(issued.token))
    assert r.status_code == 204
    assert Client().get("/api/v1/me", **_bearer(issued.token)).status_code == 401
    assert ApiToken.objects.get(pk=issued.record.pk).revoked_at == clock.now()
    assert [e.target_id for e in audit(AuditAction.TOKEN_REVOKED)] == [str(issued.record.pk)]


def test_nobody_revokes_another_users_token(make_user, frozen):
    owner, other = make_user(), make_user()
    issued = api_token_issue(actor=owner, verified=True, name="mine")
    with pytest.raises(NotFound):
        api_token_revoke(actor=other, token_id=issued.record.pk)
    theirs = api_token_issue(actor=other, verified=True, name="theirs").token
    r = Client().delete(f"/api/v1/tokens/{issued.record.pk}", **_bearer(theirs))
    assert r.status_code == 404
    r_missing = Client().delete("/api/v1/tokens/987654", **_bearer(theirs))
    assert (r_missing.status_code, r_missing.json()) == (404, r.json())
    assert ApiToken.objects.get(pk=issued.record.pk).revoked_at is None


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "qgp_",
        "not-a-token",
        "qgm_0123456789_" + "A" * 43,  # the machine kind on a personal route
    ],
)
def test_malformed_bearer_tokens_are_refused(make_user, frozen, presented):
    make_user()
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {presented}").status_code == 401


def test_a_tampered_secret_with_a_real_prefix_is_refused(make_user, frozen):
    token = api_token_issue(actor=make_user(), verified=True, name="real").token
    tail = token[-1]
    forged = token[:-1] + ("A" if tail != "A" else "B")
    assert Client().get("/api/v1/me", **_bearer(forged)).status_code == 401


def test_a_deactivated_users_token_is_refused(make_user, frozen):
    user = make_user()
    token = api_token_issue(actor=user, verified=True, name="leaver").token
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert Client().get("/api/v1/me", **_bearer(token)).status_code == 401


@pytest.mark.parametrize("role", list(Role))
def test_issuing_follows_the_use_api_capability(make_user, frozen, role):
    user = make_user(role)
    if Capability.USE_API in ROLE_CAPABILITIES[role]:
        assert api_token_issue(actor=user, verified=True, name="ok").record.user_id == user.pk
    else:
        with pytest.raises(Forbidden):
            api_token_issue(actor=user, verified=True, name="no")


def test_a_role_without_use_api_cannot_issue_by_api_or_page(make_user, frozen):
    user = make_user(Role.ANALYST, language="en")
    client = _csrf_client(user)
    assert "Personal API tokens" in client.get("/security/").content.decode()
    Group.objects.get(name=Role.ANALYST).permissions.remove(Permission.objects.get(codename=Capability.USE_API))
    user = type(user).objects.get(pk=user.pk)  # no cached permissions
    assert not user.can(Capability.USE_API)

    r = _issue_via_api(client)
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"

    page = client.get("/security/")
    assert page.context["can_use_api"] is False
    assert "Personal API tokens" not in page.content.decode()
    r = client.post("/security/", {"action": "issue", "name": "x", "csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert r.status_code == 403
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(("name", "field"), [("", "name"), ("   ", "name"), ("x" * 81, "name")])
def test_token_names_are_validated(make_user, name, field):
    with pytest.raises(Invalid) as exc:
        api_token_issue(actor=make_user(), verified=True, name=name)
    assert list(exc.value.fields) == [field]


# --- machine tokens ------------------------------------------------------------------------------


def test_machine_token_issued_by_an_administrator_identifies_the_client(make_user, police_unit, frozen):
    admin = make_user(Role.ADMINISTRATOR)
    issued = machine_token_issue(actor=admin, name="gateway-almaty", purpose=MachineToken.Purpose.DEVICE_GATEWAY, unit=police_unit)
    assert issued.token.startswith(f"qgm_{issued.record.prefix}_")
    record = MachineToken.objects.get(pk=issued.record.pk)
    assert record.digest == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token.split("_", 2)[2] not in row_text(record)
    assert [e.actor_id for e in audit(AuditAction.MACHINE_TOKEN_ISSUED)] == [admin.pk]

    r = Client().get("/api/v1/machine/whoami", HTTP_X_MACHINE_TOKEN=issued.token)
    assert r.status_code == 200
    assert r.json() == {"name": "gateway-almaty", "purpose": "device_gateway", "unit_id": police_unit.pk}
    record.refresh_from_db()
    assert record.last_used_at == clock.now()


@pytest.mark.parametrize("role", [r for r in Role if Capability.MANAGE_USERS not in ROLE_CAPABILITIES[r]])
def test_only_user_managers_issue_machine_tokens(make_user, police_unit, role):
    with pytest.raises(Forbidden):
        machine_token_issue(actor=make_user(role), name="nope", purpose=MachineToken.Purpose.IMPORT, unit=police_unit)
    assert not MachineToken.objects.exists()
    assert audit(AuditAction.MACHINE_TOKEN_ISSUED) == []


def test_machine_route_refuses_personal_and_revoked_and_missing_tokens(make_user, police_unit, frozen):
    admin = make_user(Role.ADMINISTRATOR)
    machine = machine_token_issue(actor=admin, name="importer", purpose=MachineToken.Purpose.DEVICE_GATEWAY, unit=police_unit)
    personal = api_token_issue(actor=admin, verified=True, name="personal").token

    assert Client().get("/api/v1/machine/whoami").status_code == 401
    assert Client().get("/api/v1/machine/whoami", HTTP_X_MACHINE_TOKEN=personal).status_code == 401
    assert Client().get("/api/v1/machine/whoami", **_bearer(machine.token)).status_code == 401
    # And the other way round: a machine token is no personal token.
    assert Client().get("/api/v1/me", **_bearer(machine.token)).status_code == 401
    assert Client().get("/api/v1/machine/whoami", HTTP_X_MACHINE_TOKEN=machine.token[:-2] + "zz").status_code == 401

    MachineToken.objects.filter(pk=machine.record.pk).update(revoked_at=clock.now())
    r = Client().get("/api/v1/machine/whoami", HTTP_X_MACHINE_TOKEN=machine.token)
    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated"


def test_a_signed_in_session_is_no_machine_credential(signed_in):
    assert signed_in(Role.ADMINISTRATOR).get("/api/v1/machine/whoami").status_code == 401


# --- the security page ---------------------------------------------------------------------------


def test_security_page_issues_and_revokes_through_forms(make_user, frozen):
    user = make_user(language="en")
    client = _csrf_client(user)
    csrf = client.cookies["csrftoken"].value

    r = client.post("/security/", {"action": "issue", "name": "field tablet", "csrfmiddlewaretoken": csrf})
    assert r.status_code == 200
    shown = re.search(r'<code data-testid="new-token">([^<]+)</code>', r.content.decode())
    assert shown is not None
    token = shown.group(1)
    record = ApiToken.objects.get(user=user)
    assert record.name == "field tablet"
    assert record.digest == hashlib.sha256(token.encode()).hexdigest()
    assert Client().get("/api/v1/me", **_bearer(token)).status_code == 200

    page = client.get("/security/").content.decode()
    assert "field tablet" in page and record.prefix in page
    assert token not in page

    r = client.post("/security/", {"action": "revoke", "id": str(record.pk), "csrfmiddlewaretoken": csrf})
    assert (r.status_code, r.url) == (302, "/security/")
    record.refresh_from_db()
    assert record.revoked_at == clock.now()
    assert Client().get("/api/v1/me", **_bearer(token)).status_code == 401
    assert "field tablet" not in client.get("/security/").content.decode()


def test_security_page_form_needs_csrf(make_user, frozen):
    client = _csrf_client(make_user())
    r = client.post("/security/", {"action": "issue", "name": "forged"})
    assert r.status_code == 403
    assert not ApiToken.objects.exists()


def test_security_page_cannot_revoke_someone_elses_token(make_user, frozen):
    victim = api_token_issue(actor=make_user(), verified=True, name="victim's").record
    client = sign_in(Client(), make_user(language="en"))
    r = client.post("/security/", {"action": "revoke", "id": str(victim.pk)})
    assert r.status_code == 404
    victim.refresh_from_db()
    assert victim.revoked_at is None


def test_security_page_rejects_a_blank_name_and_unknown_actions(make_user, frozen):
    client = sign_in(Client(), make_user(language="en"))
    r = client.post("/security/", {"action": "issue", "name": ""})
    assert r.status_code == 200
    assert r.context["form"].errors["name"]
    assert r.context["issued"] is None
    assert client.post("/security/", {"action": "destroy"}).status_code == 400
    assert not ApiToken.objects.exists()
