"""API routes for the signed-in user: who am I, notifications, personal tokens; machine whoami."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils import translation
from ninja import Router, Schema, Status
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from qorgau.accounts import selectors, services, tokens
from qorgau.accounts.access import notification_get_for, require
from qorgau.accounts.masks import MASKED
from qorgau.accounts.models import MachineToken, User
from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction


class PersonalToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = tokens.api_token_user(token)
        if user is not None:
            request.user = user
            # UserLocaleMiddleware ran before the token was read: answer in the token owner's language.
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return user


class MachineBearer(APIKeyHeader):
    param_name = "X-Machine-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> MachineToken | None:
        return tokens.machine_token_client(key) if key else None


class ImportClient(APIKeyHeader):
    """A machine import client (X-Machine-Token, purpose ``import``), acting for its service account."""

    param_name = "X-Machine-Token"

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        client = tokens.machine_token_client(key) if key else None
        if client is None or client.purpose != MachineToken.Purpose.IMPORT or client.acts_for is None:
            return None
        user = client.acts_for
        if not user.is_active or user.unit_id != client.unit_id:
            return None
        request.user = user
        translation.activate(user.language)
        return user


class VerifiedSession(SessionAuth):
    """The browser session; the session guard has already ended any session without two factors."""


# The bearer token is tried first: the session check enforces CSRF and would refuse a token client.
STAFF_AUTH = [PersonalToken(), VerifiedSession()]

router = Router(tags=["me"])
machine_router = Router(tags=["machine"])


class MeOut(Schema):
    username: str
    role: str
    role_label: str
    unit_id: int | None
    unit_name: str
    language: str
    capabilities: list[str]


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    target_type: str
    target_id: str
    created_at: datetime
    read: bool


class TokenIn(Schema):
    name: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime


class IssuedTokenOut(TokenOut):
    token: str


class MachineOut(Schema):
    name: str
    purpose: str
    unit_id: int


class StaffOut(Schema):
    """A staff member as the caller may see them; a field the mask hides is null and named in ``masked``."""

    id: int
    username: str
    role: str
    unit: str
    full_name: str | None
    iin: str | None
    masked: list[str]


class CountOut(Schema):
    updated: int


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@router.get("/me", response=MeOut, auth=STAFF_AUTH)
def me(request: HttpRequest) -> MeOut:
    user = _user(request)
    role = Role(user.role)
    return MeOut(
        username=user.username,
        role=role.value,
        role_label=str(role.label),
        unit_id=user.unit_id,
        unit_name=user.unit.name if user.unit else "",
        language=user.language,
        capabilities=sorted(c.value for c in ROLE_CAPABILITIES[role]),
    )


@router.get("/notifications", response=list[NotificationOut], auth=STAFF_AUTH)
def notifications(request: HttpRequest) -> list[NotificationOut]:
    return [
        NotificationOut(
            id=n.pk,
            kind=n.kind,
            text=str(n.get_kind_display()),
            target_type=n.target_type,
            target_id=n.target_id,
            created_at=n.created_at,
            read=n.read_at is not None,
        )
        for n in selectors.notifications_for(_user(request))
    ]


@router.post("/notifications/{notification_id}/read", response=CountOut, auth=STAFF_AUTH)
def notification_read(request: HttpRequest, notification_id: int) -> CountOut:
    user = _user(request)
    notification_get_for(user, notification_id)
    return CountOut(updated=services.notification_mark_read(actor=user, notification_id=notification_id))


@router.get("/staff", response=list[StaffOut], auth=STAFF_AUTH)
def staff(request: HttpRequest) -> list[StaffOut]:
    user = _user(request)
    require(user, Capability.MANAGE_USERS)
    rows = selectors.staff_rows_for(user)
    audit_record(actor=user, action=AuditAction.READ, target_type="staff_directory", count=len(rows), request=request)
    def shown(value: object) -> str | None:
        return None if value is MASKED else str(value)

    return [
        StaffOut(
            id=r["id"],
            username=str(r["username"]),
            role=str(r["role"]),
            unit=str(r["unit"]),
            full_name=shown(r["full_name"]),
            iin=shown(r["iin"]),
            masked=sorted(k for k, v in r.items() if v is MASKED),
        )
        for r in rows
    ]


@router.get("/tokens", response=list[TokenOut], auth=STAFF_AUTH)
def token_list(request: HttpRequest) -> list[TokenOut]:
    return [TokenOut.model_validate(t, from_attributes=True) for t in selectors.active_tokens_for(_user(request))]


@router.post("/tokens", response={201: IssuedTokenOut}, auth=[VerifiedSession()])
def token_issue(request: HttpRequest, payload: TokenIn) -> Status[IssuedTokenOut]:
    """Only from a browser session with two factors: a token cannot mint another token."""
    user = _user(request)
    issued = tokens.api_token_issue(actor=user, verified=user.is_verified(), name=payload.name)  # type: ignore[attr-defined]
    record = issued.record
    return Status(201, IssuedTokenOut(
        id=record.pk, name=record.name, prefix=record.prefix, created_at=record.created_at,
        expires_at=record.expires_at, token=issued.token,  # type: ignore[union-attr]
    ))


@router.delete("/tokens/{token_id}", response={204: None}, auth=STAFF_AUTH)
def token_revoke(request: HttpRequest, token_id: int) -> Status[None]:
    tokens.api_token_revoke(actor=_user(request), token_id=token_id)
    return Status(204, None)


@machine_router.get("/whoami", response=MachineOut, auth=MachineBearer())
def machine_whoami(request: HttpRequest) -> MachineOut:
    client: MachineToken = request.auth  # type: ignore[attr-defined]
    return MachineOut(name=client.name, purpose=client.purpose, unit_id=client.unit_id)
