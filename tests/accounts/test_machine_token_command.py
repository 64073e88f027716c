"""`qorgau machine-token`: issue prints the token once, list shows it, revoke stops it working."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from qorgau.accounts.models import MachineToken
from qorgau.accounts.roles import Role
from qorgau.core.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("machine-token", *args, stdout=out)
    return out.getvalue().strip()


def test_issue_list_revoke(make_user, police_unit):
    admin = make_user(Role.ADMINISTRATOR)
    token = _run("issue", "gateway-almaty", "--unit", str(police_unit.pk), "--purpose", "device_gateway", "--by", admin.username)
    assert token.startswith("qgm_")
    assert MachineToken.objects.get(name="gateway-almaty").digest not in token  # only the hash is stored
    assert Client().get("/api/v1/machine/whoami", HTTP_X_MACHINE_TOKEN=token).json()["name"] == "gateway-almaty"
    assert "gateway-almaty" in _run("list") and "active" in _run("list")

    assert _run("revoke", "gateway-almaty", "--by", admin.username) == "revoked"
    assert Client().get("/api/v1/machine/whoami", HTTP_X_MACHINE_TOKEN=token).status_code == 401
    assert "revoked" in _run("list")
    assert AuditEvent.objects.filter(action=AuditAction.TOKEN_REVOKED, target_type="machine_token").count() == 1


def test_only_administrators_issue(make_user, police_unit):
    inspector = make_user(Role.POLICE_INSPECTOR)
    with pytest.raises(CommandError):
        _run("issue", "x", "--unit", str(police_unit.pk), "--purpose", "import", "--by", inspector.username)
    assert not MachineToken.objects.exists()


def test_revoking_an_unknown_token_is_an_error(make_user):
    admin = make_user(Role.ADMINISTRATOR)
    with pytest.raises(CommandError, match="no active machine token"):
        _run("revoke", "nope", "--by", admin.username)
