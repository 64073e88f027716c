"""Helpers for the accounts tests: valid IINs, TOTP codes for any device, audit look-ups."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Model
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from qorgau.core import clock
from qorgau.core import iin as iin_rules
from qorgau.core.models import AuditEvent

# A fixed instant for frozen-clock tests (after Kazakhstan moved to one zone, UTC+5).
T0 = datetime(2025, 3, 3, 6, 0, 0, tzinfo=UTC)


def valid_iin(first10: str = "9001014012") -> str:
    """A valid IIN: the 10 given digits, one serial digit chosen so a check digit exists, the check digit."""
    for last_serial in "0123456789":
        digit = iin_rules.check_digit(first10 + last_serial)
        if digit is not None:
            return f"{first10}{last_serial}{digit}"
    raise AssertionError("no valid IIN with this prefix")


def invalid_check_digit(iin: str) -> str:
    """The same IIN with a wrong check digit."""
    return iin[:11] + str((int(iin[11]) + 1) % 10)


def code_for(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The device's TOTP code at the project clock's time (confirmed or not)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = clock.now().timestamp() + offset_steps * device.step
    return f"{totp.token():06d}"


def english_client(**kw: Any) -> Client:
    """An anonymous browser that asks for English pages."""
    return Client(HTTP_ACCEPT_LANGUAGE="en", **kw)


def audit(action: str, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("id"))


def row_text(obj: Model) -> str:
    """Every concrete column of a row as text, for "this value is stored nowhere" checks."""
    return "\x1f".join(str(getattr(obj, f.attname)) for f in obj._meta.concrete_fields)


def wrong_code(device: TOTPDevice) -> str:
    """A well-formed code that no step within the device's tolerance accepts now."""
    near = {code_for(device, offset_steps=k) for k in range(-device.tolerance, device.tolerance + 1)}
    return next(c for c in (f"{n:06d}" for n in range(1_000_000)) if c not in near)
