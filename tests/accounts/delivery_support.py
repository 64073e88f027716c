"""Helpers of the delivery tests: staff with contacts, SMS gateways that fail, the SMS outbox."""

from __future__ import annotations

from typing import ClassVar

from qorgau.accounts.models import User
from qorgau.accounts.sms import LoggingSmsBackend, SmsError, SmsMessage


def with_contacts(user: User, *, email: str = "", phone: str = "") -> User:
    user.email, user.phone = email, phone
    user.save(update_fields=["email", "phone"])
    return user


def sms_outbox() -> list[SmsMessage]:
    return LoggingSmsBackend.outbox


class DownSms:
    """A gateway that is down: every send fails."""

    calls: ClassVar[int] = 0

    def send(self, phone: str, text: str) -> str:
        type(self).calls += 1
        raise SmsError("gateway_down")


class FlakySms(LoggingSmsBackend):
    """Fails the first send, then works (and keeps the outbox of the logging backend)."""

    calls: ClassVar[int] = 0

    def send(self, phone: str, text: str) -> str:
        type(self).calls += 1
        if type(self).calls == 1:
            raise SmsError("gateway_busy")
        return super().send(phone, text)
