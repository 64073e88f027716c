"""The one clock (DESIGN §3): every timestamp in Qorgau comes from ``now()``.

Tests move time with ``frozen()``; nothing else calls ``datetime.now`` or ``timezone.now``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import UTC as _UTC
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

UTC = _UTC
_state = threading.local()


def now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    fixed: datetime | None = getattr(_state, "fixed", None)
    if fixed is not None:
        return fixed
    return timezone.now()


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[FrozenClock]:
    if at.tzinfo is None:
        raise ValueError("the clock only holds timezone-aware times")
    clock = FrozenClock(at.astimezone(UTC))
    previous = getattr(_state, "fixed", None)
    _state.fixed = clock.at
    try:
        yield clock
    finally:
        _state.fixed = previous


class FrozenClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def advance(self, delta: timedelta) -> None:
        self.at = self.at + delta
        _state.fixed = self.at


def local(value: datetime, zone: str) -> datetime:
    """Show a stored UTC time in a unit's IANA zone (DESIGN §10)."""
    return value.astimezone(ZoneInfo(zone))
