"""Fixtures for the accounts tests (none of them autouse)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from qorgau.core import clock
from tests.accounts.support import T0


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    """The project clock held at T0 for the whole test; ``frozen.advance(...)`` moves it."""
    with clock.frozen(T0) as fixed:
        yield fixed


@pytest.fixture
def sms_outbox() -> Iterator[list]:
    """The logging SMS backend's outbox, empty at the start of the test (and the fake gateways reset)."""
    from qorgau.accounts.sms import LoggingSmsBackend
    from tests.accounts.delivery_support import DownSms, FlakySms

    LoggingSmsBackend.outbox.clear()
    DownSms.calls = FlakySms.calls = 0
    yield LoggingSmsBackend.outbox
    LoggingSmsBackend.outbox.clear()
