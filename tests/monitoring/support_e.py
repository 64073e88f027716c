"""Helpers of the operator-screen tests (part E): alerts raised on the ``monitored`` fixture's set
(or any object with its ``bracelet``, ``victim_device``, ``offender_set`` and ``zone``), and pings of
his bracelet and her device."""

from __future__ import annotations

import datetime as dt

from qorgau.core import clock
from qorgau.monitoring.alerts import alert_raise
from qorgau.monitoring.models import Alert, ConditionKind, Device, Episode, Ping


def raise_alert(monitored, *, kind: str = ConditionKind.PROXIMITY, at: dt.datetime | None = None, seq: int = 1) -> Alert:
    """An episode and its alert, as ingestion would open them."""
    at = at or clock.now()
    bracelet, her = monitored.bracelet, monitored.victim_device
    subject, counterpart, zone = {
        ConditionKind.PROXIMITY: (f"proximity:{bracelet.pk}:{her.pk}", her, None),
        ConditionKind.ZONE: (f"zone:{bracelet.pk}:{monitored.zone.pk}", None, monitored.zone),
        ConditionKind.TAMPER: (f"tamper:{bracelet.pk}", None, None),
        ConditionKind.LOW_BATTERY: (f"low_battery:{bracelet.pk}", None, None),
    }[ConditionKind(kind)]
    episode = Episode.objects.create(kind=kind, subject=subject, offender_set=monitored.offender_set, device=bracelet,
                                     counterpart=counterpart, zone=zone, started_at=at, started_seq=seq)
    return alert_raise(episode=episode, received_at=at)


def his_ping(device: Device, seq: int, where: tuple[float, float], *, at: dt.datetime | None = None, battery: int | None = 80) -> Ping:
    at = at or clock.now()
    return Ping.objects.create(device=device, seq=seq, ts=at, received_at=at, lat=where[0], lon=where[1], accuracy_m=10.0, battery=battery)


def her_ping(device: Device, seq: int, where: tuple[float, float], *, at: dt.datetime | None = None) -> Ping:
    at = at or clock.now()
    return Ping.objects.create(device=device, seq=seq, ts=at, received_at=at, position=f"{where[0]},{where[1]}", accuracy_m=10.0)
