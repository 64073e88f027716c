"""No personal data in application logs: IIN- and phone-like digits masked, requests dropped."""

from __future__ import annotations

import io
import logging

import pytest

from qorgau.core.logscrub import ScrubFilter, scrub


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("IIN 791028302728 rejected", "IIN [digits] rejected"),
        ("iin=791028302728", "iin=[digits]"),
        ("call +7 701 234 56 78 now", "call [digits] now"),
        ("call +77012345678", "call [digits]"),
        ("call 8 (701) 234-56-78.", "call [digits]."),
        ("phones 87012345678, 87079876543", "phones [digits], [digits]"),
        ("+7-727-250-00-00", "[digits]"),
    ],
)
def test_iin_and_phone_like_digits_are_masked(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "case 12345 opened",
        "unit 42, user 7, 3 results",
        "took 1500 ms",
        "version 1.2.3",
        "uuid 9b2c3d4e",
        "",
    ],
)
def test_short_numbers_are_kept(text):
    assert scrub(text) == text


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("qorgau.test", logging.INFO, __file__, 1, msg, args or None, None)
    for name, value in extra.items():
        setattr(record, name, value)
    return record


def test_args_are_merged_into_the_message_and_scrubbed():
    record = _record("user %s searched for %s, %d results", "aigerim", "791028302728", 2)
    assert ScrubFilter().filter(record) is True
    assert record.msg == "user aigerim searched for [digits], 2 results"
    assert record.args is None
    assert record.getMessage() == "user aigerim searched for [digits], 2 results"


def test_mapping_args_are_merged_too():
    record = logging.LogRecord(
        "qorgau.test", logging.INFO, __file__, 1, "phone %(phone)s", ({"phone": "+7 701 234 56 78"},), None
    )
    ScrubFilter().filter(record)
    assert (record.msg, record.args) == ("phone [digits]", None)


def test_non_string_messages_are_scrubbed_as_text():
    record = _record(ValueError("bad IIN 791028302728"))  # type: ignore[arg-type]
    ScrubFilter().filter(record)
    assert record.msg == "bad IIN [digits]"


def test_request_attribute_is_dropped():
    record = _record("Internal Server Error: /cases/1", request=object(), status_code=500)
    assert ScrubFilter().filter(record) is True
    assert record.request is None
    assert record.status_code == 500
    assert record.msg == "Internal Server Error: /cases/1"


def test_a_record_without_a_request_gets_no_request_attribute():
    record = _record("plain")
    ScrubFilter().filter(record)
    assert not hasattr(record, "request")


def _logger_with_scrubbing(stream: io.StringIO) -> logging.Logger:
    logger = logging.getLogger("qorgau.tests.logscrub")
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.INFO)
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    return logger


def test_a_handler_with_the_filter_writes_no_iin_or_phone():
    stream = io.StringIO()
    logger = _logger_with_scrubbing(stream)
    logger.info("victim %s, phone %s", "791028302728", "+7 701 234 56 78")
    assert stream.getvalue() == "INFO victim [digits], phone [digits]\n"


def test_exception_text_is_scrubbed_too():
    stream = io.StringIO()
    logger = _logger_with_scrubbing(stream)
    try:
        raise ValueError("IIN 791028302728 does not match phone +77012345678")
    except ValueError:
        logger.exception("import of row %d failed", 7)
    output = stream.getvalue()
    assert output.startswith("ERROR import of row 7 failed\nTraceback (most recent call last):")
    assert "ValueError: IIN [digits] does not match phone [digits]" in output
    assert "791028302728" not in output and "77012345678" not in output


def test_settings_install_the_filter_on_the_console_handler():
    root = logging.getLogger()
    scrubbing = [h for h in root.handlers if any(isinstance(f, ScrubFilter) for f in h.filters)]
    assert len(scrubbing) == 1
    assert isinstance(scrubbing[0], logging.StreamHandler)
