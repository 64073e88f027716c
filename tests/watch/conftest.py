"""Fixtures of the watch tests: a unit with a supervisor and inspectors, another unit with its own
supervisor, an internal-oversight unit, and a writer of audit rows at chosen times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from qorgau.accounts.models import User
from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.core.models import AuditEvent
from tests.protocols.conftest import protocols  # noqa: F401  (a fixture)
from tests.protocols.support import agency_unit

# 12:00 UTC is 17:00 in Almaty (UTC+5): well inside the local day of 10 March 2026.
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def now():
    with clock.frozen(NOW) as frozen:
        yield frozen


@pytest.fixture
def watch_settings(settings):
    settings.QORGAU_WATCH_CASES_MIN = 5
    settings.QORGAU_WATCH_CASES_FACTOR = 3
    settings.QORGAU_WATCH_BREAK_GLASS = 3
    settings.QORGAU_WATCH_EXPORTS = 5
    settings.QORGAU_WATCH_EXPORT_ROWS = 500
    settings.QORGAU_WATCH_DENIED = 20
    return settings


@pytest.fixture
def supervisor(make_user) -> User:
    return make_user(Role.POLICE_SUPERVISOR, username="w_supervisor")


@pytest.fixture
def inspector(make_user) -> User:
    return make_user(Role.POLICE_INSPECTOR, username="w_inspector")


@pytest.fixture
def colleague(make_user) -> User:
    return make_user(Role.POLICE_INSPECTOR, username="w_colleague")


@pytest.fixture
def other_supervisor(make_user, other_unit) -> User:
    return make_user(Role.POLICE_SUPERVISOR, unit=other_unit, username="w_other_supervisor")


@pytest.fixture
def overseer(make_user, reference) -> User:
    unit = agency_unit("oversight", "KZ-75", None, "Internal oversight")
    return make_user(Role.OVERSIGHT, unit=unit, username="w_overseer")


@pytest.fixture
def audit() -> Callable[..., list[AuditEvent]]:
    """``audit(user, action, at, n=1, target_type="case", ids=None, count=None)``: n audit rows by the
    user at ``at`` (targets 1..n, or the given ids)."""

    def write(user: User, action: str, at: dt.datetime, n: int = 1, *, target_type: str = "case",
              ids: list[int] | None = None, count: int | None = None) -> list[AuditEvent]:
        targets = ids if ids is not None else list(range(1, n + 1))
        return AuditEvent.objects.bulk_create([
            AuditEvent(at=at, actor_id=user.pk, actor_unit_id=user.unit_id, action=action, target_type=target_type,
                       target_id=str(t), count=count)
            for t in targets
        ])

    return write
