"""The one clock: aware UTC, frozen and advanced in tests, shown in a unit's IANA zone."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from qorgau.core import clock

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def test_now_is_aware_utc():
    value = clock.now()
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)
    assert value.tzinfo is clock.UTC is UTC


def test_frozen_fixes_now_and_advance_moves_it():
    with clock.frozen(T0) as frozen:
        assert clock.now() == T0
        assert clock.now() == T0  # it does not tick by itself
        frozen.advance(timedelta(minutes=5))
        assert clock.now() == T0 + timedelta(minutes=5)
        frozen.advance(timedelta(days=1, seconds=1))
        assert clock.now() == T0 + timedelta(days=1, minutes=5, seconds=1)
        assert frozen.at == clock.now()
    assert clock.now() != T0 + timedelta(days=1, minutes=5, seconds=1)
    assert clock.now() > datetime(2025, 6, 1, tzinfo=UTC)  # back to the real clock (this suite runs later)


def test_frozen_converts_other_zones_to_utc():
    almaty = datetime(2025, 6, 1, 17, 0, tzinfo=ZoneInfo("Asia/Almaty"))  # UTC+5 since March 2024
    with clock.frozen(almaty):
        assert clock.now() == T0
        assert clock.now().tzinfo is UTC
        assert clock.now().hour == 12
    plus_three = datetime(2025, 6, 1, 15, 0, tzinfo=timezone(timedelta(hours=3)))
    with clock.frozen(plus_three):
        assert (clock.now(), clock.now().hour) == (T0, 12)


def test_frozen_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="timezone-aware"), clock.frozen(datetime(2025, 6, 1, 12, 0)):
        pass


def test_frozen_nests_and_restores_the_outer_time():
    with clock.frozen(T0):
        with clock.frozen(T0 + timedelta(hours=1)) as inner:
            inner.advance(timedelta(minutes=1))
            assert clock.now() == T0 + timedelta(hours=1, minutes=1)
        assert clock.now() == T0


def test_frozen_restores_even_after_an_error():
    with pytest.raises(RuntimeError), clock.frozen(T0):
        raise RuntimeError
    assert clock.now() != T0


def test_frozen_time_belongs_to_its_thread():
    seen = []
    with clock.frozen(datetime(2001, 1, 1, tzinfo=UTC)):
        worker = threading.Thread(target=lambda: seen.append(clock.now()))
        worker.start()
        worker.join()
        assert clock.now() == datetime(2001, 1, 1, tzinfo=UTC)
    assert len(seen) == 1 and seen[0].year >= 2025


@pytest.mark.parametrize(
    ("utc", "zone", "wall", "hours"),
    [
        # Almaty: UTC+6 until clocks went back at midnight on 1 March 2024, UTC+5 after.
        (datetime(2023, 7, 1, 0, 0, tzinfo=UTC), "Asia/Almaty", datetime(2023, 7, 1, 6, 0), 6),
        (datetime(2024, 2, 29, 17, 59, 59, tzinfo=UTC), "Asia/Almaty", datetime(2024, 2, 29, 23, 59, 59), 6),
        (datetime(2024, 2, 29, 18, 0, tzinfo=UTC), "Asia/Almaty", datetime(2024, 2, 29, 23, 0), 5),
        (datetime(2024, 3, 1, 12, 0, tzinfo=UTC), "Asia/Almaty", datetime(2024, 3, 1, 17, 0), 5),
        (datetime(2025, 1, 15, 0, 0, tzinfo=UTC), "Asia/Almaty", datetime(2025, 1, 15, 5, 0), 5),
        # The western zones were already on UTC+5.
        (datetime(2023, 7, 1, 0, 0, tzinfo=UTC), "Asia/Oral", datetime(2023, 7, 1, 5, 0), 5),
        (datetime(2023, 7, 1, 0, 0, tzinfo=UTC), "Asia/Aqtau", datetime(2023, 7, 1, 5, 0), 5),
        (datetime(2025, 1, 15, 0, 0, tzinfo=UTC), "Asia/Atyrau", datetime(2025, 1, 15, 5, 0), 5),
        (datetime(2025, 1, 15, 0, 0, tzinfo=UTC), "Asia/Qyzylorda", datetime(2025, 1, 15, 5, 0), 5),
        (datetime(2025, 1, 15, 0, 0, tzinfo=UTC), "Asia/Aqtobe", datetime(2025, 1, 15, 5, 0), 5),
    ],
)
def test_local_shows_the_zone_offset_of_that_date(utc, zone, wall, hours):
    shown = clock.local(utc, zone)
    # The same instant (compared in UTC: Python never calls a time in a fold equal across zones).
    assert shown.astimezone(UTC) == utc
    assert shown.replace(tzinfo=None) == wall
    assert shown.utcoffset() == timedelta(hours=hours)
    assert shown.tzinfo == ZoneInfo(zone)
