"""A logging filter that keeps personal data out of application logs (DESIGN §5).

Request bodies, query strings and exception locals never reach a handler; digits that look like an
IIN or a phone number are masked in whatever message remains.
"""

from __future__ import annotations

import logging
import re

_IIN_OR_PHONE = re.compile(r"(?<!\d)(\+?\d[\d\s\-()]{8,}\d)(?!\d)")


def scrub(text: str) -> str:
    return _IIN_OR_PHONE.sub("[digits]", text)


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = scrub(str(record.msg))
        # Formatters append exc_text as they find it, so a scrubbed one replaces the exception's own
        # message (which may quote an IIN or a phone number) in every handler's output.
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        # Django attaches the request to error records; its body and query string may hold personal
        # data, so handlers never see it.
        if hasattr(record, "request"):
            record.request = None
        return True
