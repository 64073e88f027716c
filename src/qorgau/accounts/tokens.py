"""Personal API tokens (issued after two-factor login, expiring) and machine tokens; hashed at rest."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from qorgau.accounts.models import ApiToken, MachineToken, NotificationKind, Unit, User
from qorgau.accounts.roles import Capability
from qorgau.accounts.services import notify
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction

PERSONAL = "qgp"
MACHINE = "qgm"


@dataclass
class IssuedToken:
    token: str  # shown once, never stored
    record: ApiToken | MachineToken


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new(kind: str) -> tuple[str, str]:
    prefix = secrets.token_hex(5)
    return prefix, f"{kind}_{prefix}_{secrets.token_urlsafe(32)}"


@transaction.atomic
def api_token_issue(*, actor: User, verified: bool, name: str) -> IssuedToken:
    if not verified:
        raise Forbidden(_("Sign in with your second factor before issuing a token."))
    if not actor.can(Capability.USE_API):
        raise Forbidden()
    name = name.strip()
    if not name or len(name) > 80:
        raise Invalid(fields={"name": [_("Give the token a name of up to 80 characters.")]})
    prefix, token = _new(PERSONAL)
    at = clock.now()
    record = ApiToken.objects.create(
        user=actor,
        name=name,
        prefix=prefix,
        digest=_digest(token),
        created_at=at,
        expires_at=at + timedelta(days=settings.QORGAU_API_TOKEN_DAYS),
    )
    audit_record(actor=actor, action=AuditAction.TOKEN_ISSUED, target_type="api_token", target_id=record.pk)
    notify(recipients=[actor], kind=NotificationKind.TOKEN_ISSUED, target_type="api_token", target_id=record.pk)
    return IssuedToken(token, record)


@transaction.atomic
def api_token_revoke(*, actor: User, token_id: int) -> None:
    updated = ApiToken.objects.filter(pk=token_id, user=actor, revoked_at__isnull=True).update(revoked_at=clock.now())
    if not updated:
        raise NotFound()
    audit_record(actor=actor, action=AuditAction.TOKEN_REVOKED, target_type="api_token", target_id=token_id)


@transaction.atomic
def machine_token_issue(
    *, actor: User, name: str, purpose: str, unit: Unit, acts_for: User | None = None
) -> IssuedToken:
    if not actor.can(Capability.MANAGE_USERS):
        raise Forbidden()
    if acts_for is not None and (acts_for.unit_id != unit.pk or not acts_for.is_active):
        raise Invalid(fields={"acts_for": [_("The service account must be an active user of the same unit.")]})
    if purpose == MachineToken.Purpose.IMPORT and acts_for is None:
        raise Invalid(fields={"acts_for": [_("An import client needs the service account it registers reports for.")]})
    prefix, token = _new(MACHINE)
    record = MachineToken.objects.create(
        name=name, purpose=purpose, unit=unit, acts_for=acts_for, prefix=prefix, digest=_digest(token),
        created_by=actor, created_at=clock.now(),
    )
    audit_record(actor=actor, action=AuditAction.MACHINE_TOKEN_ISSUED, target_type="machine_token", target_id=record.pk)
    return IssuedToken(token, record)


def _split(token: str, kind: str) -> str | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != kind:
        return None
    return parts[1]


def api_token_user(token: str) -> User | None:
    """The active user behind a valid, unexpired, unrevoked personal token."""
    prefix = _split(token, PERSONAL)
    if prefix is None:
        return None
    record = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    at = clock.now()
    if (
        record is None
        or not hmac.compare_digest(record.digest, _digest(token))
        or record.revoked_at is not None
        or record.expires_at <= at
        or not record.user.is_active
    ):
        return None
    ApiToken.objects.filter(pk=record.pk).update(last_used_at=at)
    return record.user


def machine_token_client(token: str) -> MachineToken | None:
    prefix = _split(token, MACHINE)
    if prefix is None:
        return None
    record = MachineToken.objects.select_related("unit").filter(prefix=prefix).first()
    if record is None or record.revoked_at is not None or not hmac.compare_digest(record.digest, _digest(token)):
        return None
    MachineToken.objects.filter(pk=record.pk).update(last_used_at=clock.now())
    return record
