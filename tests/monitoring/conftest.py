"""Shared fixtures of the monitoring tests (every part uses them; keep them stable).

``monitored`` is one offender set ready for pings: a case (Almaty, one victim) with a served police
order, a monitoring centre and its operator, his bracelet and her device (which can receive alerts)
assigned on the case, and a 200 m circle zone around her home. ``monitoring_factory`` builds more of
them (another offender, or the same victim device linked to a second offender); ``make_ping`` and
``offset`` build ping dicts in the message schema of ``docs/monitoring-messages.md``.

Rows are created directly here, not through ``qorgau.monitoring.devices`` (part C), so these
fixtures do not depend on the service layer they are used to test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from qorgau.accounts.models import AgencyKind, Unit, User
from qorgau.accounts.roles import Role
from qorgau.accounts.services import unit_create
from qorgau.cases.models import Case
from qorgau.cases.reference import markers_load
from qorgau.core import clock
from qorgau.core.models import Region
from qorgau.monitoring.models import (
    Assignment,
    Device,
    DeviceKind,
    DeviceStatus,
    OffenderSet,
    Wearer,
    Zone,
    ZonePlace,
    ZoneShape,
)
from qorgau.orders.models import Order
from qorgau.orders.services import order_issue, order_serve
from tests.orders.support import make_cases, police_input

# Her home (central Almaty) and the bracelet's usual place, 5 km away.
HOME = (43.2389, 76.8897)
HOME_RADIUS_M = 200
FAR = (43.2839, 76.8897)  # 5 km north of her home



def make_ping(
    device: Device | str,
    seq: int,
    at: dt.datetime | float,
    where: tuple[float, float],
    **extra: Any,
) -> dict[str, Any]:
    """One ping in the wire schema: ``at`` as an aware datetime (sent ISO-8601) or epoch seconds."""
    serial = device.serial if isinstance(device, Device) else device
    ts: Any = at.isoformat() if isinstance(at, dt.datetime) else at
    ping: dict[str, Any] = {"device": serial, "seq": seq, "ts": ts, "lat": where[0], "lon": where[1], "accuracy": 10.0}
    ping.update(extra)
    return ping


@dataclass
class Monitored:
    """One offender set and everything around it."""

    unit: Unit
    operator: User
    inspector: User
    case: Case
    order: Order
    offender_set: OffenderSet
    bracelet: Device
    victim_device: Device
    zone: Zone
    assignments: list[Assignment] = field(default_factory=list)
    home: tuple[float, float] = HOME


@pytest.fixture
def monitoring_unit(reference) -> Unit:
    return unit_create(
        actor=None,
        kind=AgencyKind.objects.get(code="monitoring_centre"),
        region=Region.objects.get(iso="KZ-71"),
        name_ru="Национальный центр мониторинга",
        name_kk="Ұлттық мониторинг орталығы",
        name_en="National monitoring centre",
    )


@pytest.fixture
def operator(monitoring_unit, make_user) -> User:
    return make_user(Role.MONITORING_OPERATOR, unit=monitoring_unit, username="mon_operator")


@pytest.fixture
def mon_inspector(reference, make_user) -> User:
    markers_load()
    return make_user(Role.POLICE_INSPECTOR, username="mon_inspector")


def _device(serial: str, kind: str, unit: Unit, by: User, **kw: Any) -> Device:
    return Device.objects.create(
        serial=serial, kind=kind, status=DeviceStatus.ASSIGNED, unit=unit, registered_at=clock.now(), registered_by=by, **kw
    )


def _assign(device: Device, case: Case, oset: OffenderSet, wearer: str, order: Order, unit: Unit, by: User, proximity_m: int) -> Assignment:
    return Assignment.objects.create(
        device=device, case=case, offender_set=oset, wearer=wearer, order=order, proximity_m=proximity_m, unit=unit,
        started_at=clock.now(), started_by=by,
    )


@pytest.fixture
def monitoring_factory(monitoring_unit, operator, mon_inspector) -> Callable[..., Monitored]:
    """``make(shard=0, serial=2000, victim_device=None, proximity_m=500, home=HOME)``: a new case
    (offender and victim from ``serial``) with a served order, an offender set on ``shard``, a
    bracelet, her device (or ``victim_device``, linking an existing one to this second offender), and
    a circle zone around ``home``."""
    counter = {"n": 0}

    def make(
        *, shard: int = 0, serial: int = 2000, victim_device: Device | None = None, proximity_m: int = 500,
        home: tuple[float, float] = HOME,
    ) -> Monitored:
        counter["n"] += 1
        n = counter["n"]
        (case,) = make_cases(mon_inspector, serial=serial)
        order = order_issue(actor=mon_inspector, case=case, data=police_input(case))
        order = order_serve(actor=mon_inspector, order=order, version=order.version)
        oset = OffenderSet.objects.create(offender=case.offender, shard=shard, created_at=clock.now())
        bracelet = _device(f"BR-{n:04d}", DeviceKind.BRACELET, monitoring_unit, operator)
        her = victim_device or _device(f"VD-{n:04d}", DeviceKind.VICTIM, monitoring_unit, operator, can_receive=True)
        assignments = [
            _assign(bracelet, case, oset, Wearer.OFFENDER, order, monitoring_unit, operator, proximity_m),
            _assign(her, case, oset, Wearer.VICTIM, order, monitoring_unit, operator, proximity_m),
        ]
        zone = Zone.objects.create(
            case=case, offender_set=oset, place=ZonePlace.HOME, shape=ZoneShape.CIRCLE,
            geometry=f'{{"lat": {home[0]}, "lon": {home[1]}, "radius_m": {HOME_RADIUS_M}}}',
            created_at=clock.now(), created_by=operator,
        )
        return Monitored(
            unit=monitoring_unit, operator=operator, inspector=mon_inspector, case=case, order=order, offender_set=oset,
            bracelet=bracelet, victim_device=her, zone=zone, assignments=assignments, home=home,
        )

    return make


@pytest.fixture
def monitored(monitoring_factory) -> Monitored:
    return monitoring_factory()
