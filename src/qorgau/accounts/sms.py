"""The SMS gateway interface and the logging backend that ships with Qorgau.

``settings.SMS_BACKEND`` names a class whose instances have ``send(phone, text) -> str``: they hand
one message to the gateway and return the gateway's message id, or raise (``SmsError`` with a short
code, or any exception). A real gateway is plugged in by writing such a class (see
docs/notifications.md) and naming it in ``QORGAU_SMS_BACKEND``.

Nothing here may log a phone number or a message text (DESIGN §5): only ids and lengths.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

# A usable number: an optional +, then 10 to 15 digits once spaces, dashes, dots and brackets are gone.
_SEPARATORS = re.compile(r"[\s\-().]")
_NUMBER = re.compile(r"\+?\d{10,15}")


class SmsError(Exception):
    """A gateway refused or failed; ``code`` is short and holds no personal data."""

    def __init__(self, code: str) -> None:
        self.code = code[:64]
        super().__init__(self.code)


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> str: ...


def phone_normalise(raw: str) -> str:
    """``+77011234567`` from what people type (``8 701 123-45-67``, ``+7 (701) 123 45 67``), or ""
    when it is not a phone number. Kazakhstan's trunk prefix 8 becomes +7."""
    number = _SEPARATORS.sub("", raw or "")
    if not _NUMBER.fullmatch(number):
        return ""
    if number.startswith("+"):
        return number
    if len(number) == 11 and number[0] == "8":
        return "+7" + number[1:]
    if len(number) == 11 and number[0] == "7":
        return "+" + number
    return "+" + number


def sms_backend() -> SmsBackend:
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    return backend


@dataclass(frozen=True)
class SmsMessage:
    message_id: str
    phone: str
    text: str


class LoggingSmsBackend:
    """Sends nothing: logs one line per message (its id and length, never the number or the text)
    and keeps the message in ``outbox``, as Django's locmem e-mail backend does, for tests and demos."""

    outbox: ClassVar[list[SmsMessage]] = []

    def send(self, phone: str, text: str) -> str:
        message_id = uuid.uuid4().hex
        type(self).outbox.append(SmsMessage(message_id, phone, text))
        log.info("sms accepted id=%s chars=%d", message_id, len(text))
        return message_id
