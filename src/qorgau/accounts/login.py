"""Sign-in: password, then the TOTP second factor; progressive delays instead of a lock-out.

A failed attempt records one failure against the account (a keyed hash of the user name typed) and
one against the client address. Past the free attempts each failure doubles the wait, up to a cap;
an attempt during a wait is refused without checking the password, so guessing gains nothing and
nobody can lock an inspector out for good (DESIGN §5).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from qorgau.accounts.models import LoginThrottle, User
from qorgau.core import clock, crypto
from qorgau.core.audit import audit_record
from qorgau.core.client import client_address
from qorgau.core.models import AuditAction


class Outcome(StrEnum):
    OK = "ok"
    NEEDS_ENROLMENT = "needs_enrolment"
    BAD_CREDENTIALS = "bad_credentials"
    DELAYED = "delayed"


@dataclass
class PasswordResult:
    outcome: Outcome
    user: User | None = None
    retry_after: int = 0


def _keys(username: str, request: HttpRequest) -> list[tuple[str, str]]:
    return [
        (LoginThrottle.Scope.ACCOUNT, crypto.keyed_hash("login-account", username.strip().casefold())),
        (LoginThrottle.Scope.CLIENT, crypto.keyed_hash("login-client", client_address(request))),
    ]


def delay_for(failures: int) -> int:
    free = settings.QORGAU_LOGIN_FREE_ATTEMPTS
    if failures < free:
        return 0
    return int(min(2 ** (failures - free + 1), settings.QORGAU_LOGIN_MAX_DELAY_SECONDS))


def _wait_remaining(keys: list[tuple[str, str]], at: datetime) -> int:
    waits = [
        (t.blocked_until - at).total_seconds()
        for t in LoginThrottle.objects.filter(
            scope__in=[k[0] for k in keys], key__in=[k[1] for k in keys], blocked_until__gt=at
        )
        if (t.scope, t.key) in keys and t.blocked_until is not None
    ]
    return int(max(waits) + 0.999) if waits else 0


def _record_failure(keys: list[tuple[str, str]], at: datetime) -> None:
    quiet = at - timedelta(seconds=settings.QORGAU_LOGIN_FORGET_SECONDS)
    for scope, key in keys:
        with transaction.atomic():
            # Failures are forgotten after a quiet period, so a shared office address or an old typo
            # does not keep a delay growing for ever.
            LoginThrottle.objects.filter(scope=scope, key=key, last_failure_at__lt=quiet).update(failures=0)
            updated = LoginThrottle.objects.filter(scope=scope, key=key).update(
                failures=F("failures") + 1, last_failure_at=at
            )
            if not updated:
                try:
                    with transaction.atomic():
                        LoginThrottle.objects.create(scope=scope, key=key, failures=1, last_failure_at=at)
                except IntegrityError:
                    LoginThrottle.objects.filter(scope=scope, key=key).update(failures=F("failures") + 1)
            row = LoginThrottle.objects.get(scope=scope, key=key)
            wait = delay_for(row.failures)
            row.blocked_until = at + timedelta(seconds=wait) if wait else None
            row.save(update_fields=["blocked_until"])


def _clear_account(keys: list[tuple[str, str]]) -> None:
    scope, key = keys[0]
    LoginThrottle.objects.filter(scope=scope, key=key).delete()


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def password_step(*, request: HttpRequest, username: str, password: str) -> PasswordResult:
    at = clock.now()
    keys = _keys(username, request)
    wait = _wait_remaining(keys, at)
    if wait:
        audit_record(actor=None, action=AuditAction.LOGIN_DELAYED, term=username, request=request, outcome="refused")
        return PasswordResult(Outcome.DELAYED, retry_after=wait)
    user = authenticate(request, username=username, password=password)
    if not isinstance(user, User) or not user.is_active:
        _record_failure(keys, at)
        audit_record(actor=None, action=AuditAction.LOGIN_FAILED, term=username, request=request, outcome="refused")
        return PasswordResult(Outcome.BAD_CREDENTIALS, retry_after=_wait_remaining(keys, at))
    if not has_second_factor(user):
        return PasswordResult(Outcome.NEEDS_ENROLMENT, user=user)
    return PasswordResult(Outcome.OK, user=user)


def _verify_totp(device: TOTPDevice, code: str) -> bool:
    """TOTP against the one clock (DESIGN §3): django-otp's ``verify_token`` reads ``time.time()``.

    A code is accepted once: ``last_t`` moves forward with a conditional update, so a replayed or
    concurrently submitted code fails. Repeated wrong codes are slowed by the login delays.
    """
    if not code:
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = clock.now().timestamp()
    if not totp.verify(int(code), device.tolerance, device.last_t + 1):
        return False
    return bool(
        TOTPDevice.objects.filter(pk=device.pk, last_t__lt=totp.t()).update(
            last_t=totp.t(), drift=totp.drift, last_used_at=clock.now()
        )
    )


def otp_step(*, request: HttpRequest, user: User, code: str) -> TOTPDevice | None:
    """Check the TOTP code; a wrong code counts as a failed login for the delays too."""
    at = clock.now()
    keys = _keys(user.username, request)
    if _wait_remaining(keys, at):
        return None
    code = "".join(ch for ch in code if ch.isdecimal())
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if _verify_totp(device, code):
            _clear_account(keys)
            audit_record(actor=user, action=AuditAction.LOGIN, target_type="user", target_id=user.pk, request=request)
            return device
    _record_failure(keys, at)
    audit_record(actor=user, action=AuditAction.OTP_FAILED, target_type="user", target_id=user.pk, request=request, outcome="refused")
    return None


def enrolment_device(*, user: User) -> TOTPDevice:
    """The user's unconfirmed TOTP device, created on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Qorgau", confirmed=False)
    return device


@transaction.atomic
def enrolment_confirm(*, request: HttpRequest, user: User, code: str) -> TOTPDevice | None:
    device = enrolment_device(user=user)
    keys = _keys(user.username, request)
    if _wait_remaining(keys, clock.now()):
        return None
    code = "".join(ch for ch in code if ch.isdecimal())
    if not _verify_totp(device, code):
        _record_failure(keys, clock.now())
        audit_record(actor=user, action=AuditAction.OTP_FAILED, target_type="user", target_id=user.pk, request=request, outcome="refused")
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit_record(actor=user, action=AuditAction.OTP_ENROLLED, target_type="user", target_id=user.pk, request=request)
    audit_record(actor=user, action=AuditAction.LOGIN, target_type="user", target_id=user.pk, request=request)
    return device


def totp_secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_uri(device: TOTPDevice) -> str:
    return device.config_url
