"""Electronic monitoring in bulk, on a share of the served court orders and capped at about 10,000
devices in all (DESIGN §9): the offender's bracelet and her device, one offender set per offender
(its shard as ``monitoring.devices.shard_of`` computes it), the two assignments on her case with the
order as their legal ground, ended when the order ended; and a few alerts per assignment — each with
its episode, ended, and the alert acknowledged and resolved by the monitoring centre's operator.
Zones and raw pings are not generated (pings are kept only for a configured period anyway)."""

from __future__ import annotations

import datetime as dt
import random
from datetime import timedelta

from qorgau.cases.models import CaseEvent, EventKind
from qorgau.demo.national.cases import Pair, WrittenCase
from qorgau.demo.national.context import Context
from qorgau.demo.national.tables import Loader, encrypted, sealed
from qorgau.monitoring.devices import shard_of
from qorgau.monitoring.models import (
    Alert,
    AlertOutcome,
    AlertStatus,
    Assignment,
    ConditionKind,
    Device,
    DeviceKind,
    DeviceStatus,
    Episode,
    OffenderSet,
    Severity,
    Wearer,
)

DEVICE_CAP = 10_000
MONITORED_SHARE = 0.3  # of served court orders, while devices last

DEVICE = ("id", "serial", "kind", "status", "can_receive", "reports_phone_link", "unit_id", "registered_at", "registered_by_id")
ASSIGNMENT = ("device_id", "case_id", "offender_set_id", "wearer", "order_id", "proximity_m", "unit_id", "started_at", "started_by_id", "ended_at", "ended_by_id")
EPISODE = ("id", "kind", "subject", "offender_set_id", "device_id", "counterpart_id", "started_at", "ended_at", "min_distance_m")
ALERT = (
    "episode_id", "kind", "severity", "offender_set_id", "device_id", "case_id", "unit_id", "occurred_at", "received_at",
    "raised_at", "status", "acknowledged_at", "acknowledged_by_id", "dispatched_at", "dispatched_by_id", "resolved_at",
    "resolved_by_id", "outcome",
)  # fmt: skip
_EVENT_REASON = encrypted(CaseEvent, "reason")
KINDS = [
    (ConditionKind.PROXIMITY, Severity.CRITICAL, 3),
    (ConditionKind.LOW_BATTERY, Severity.TECHNICAL, 4),
    (ConditionKind.NO_SIGNAL, Severity.TECHNICAL, 2),
    (ConditionKind.TAMPER, Severity.TECHNICAL, 1),
]


def monitoring_tables(loader: Loader) -> None:
    loader.table("device", Device, DEVICE)
    loader.table("offender_set", OffenderSet, ("id", "offender_id", "shard", "created_at"))
    loader.table("assignment", Assignment, ASSIGNMENT)
    loader.table("episode", Episode, EPISODE)
    loader.table("alert", Alert, ALERT)


class Monitoring:
    def __init__(self, loader: Loader, ctx: Context, devices_before: int) -> None:
        self.loader, self.ctx = loader, ctx
        self.left = max(0, DEVICE_CAP - devices_before)
        self.devices = 0
        self.alerts = 0

    def _device(self, kind: DeviceKind, active: bool, at: dt.datetime) -> int:
        ctx = self.ctx
        pk = self.loader.next_id(Device)
        code = "B" if kind == DeviceKind.BRACELET else "V"
        status = DeviceStatus.ASSIGNED if active else DeviceStatus.IN_STOCK
        self.loader.add("device", (
            pk, f"KZN-{code}-{pk:07d}", kind.value, status.value, kind == DeviceKind.VICTIM, kind == DeviceKind.BRACELET,
            ctx.monitoring_unit, at - timedelta(days=2), ctx.operator_id,
        ))  # fmt: skip
        self.left -= 1
        self.devices += 1
        return pk

    def write(self, pair: Pair, court: list[tuple[int, WrittenCase, dt.datetime, dt.datetime, str]], rng: random.Random) -> None:
        ctx = self.ctx
        if ctx.monitoring_unit is None or ctx.operator_id is None:
            return
        offender_set: int | None = None
        for order_id, case, served, ends, status in court:
            if self.left < 2 or rng.random() >= MONITORED_SHARE:
                continue
            started = served + timedelta(days=rng.uniform(1, 5))
            if started >= min(ends, ctx.anchor):
                continue
            active = status == "active" and ends > ctx.anchor
            ended = None if active else ends
            if offender_set is None:
                offender_set = self.loader.next_id(OffenderSet)
                self.loader.add("offender_set", (offender_set, pair.offender_id, shard_of(offender_set), started))
            bracelet = self._device(DeviceKind.BRACELET, active, started)
            hers = self._device(DeviceKind.VICTIM, active, started)
            for device, wearer in ((bracelet, Wearer.OFFENDER), (hers, Wearer.VICTIM)):
                self.loader.add("assignment", (
                    device, case.id, offender_set, wearer.value, order_id, 500, ctx.monitoring_unit, started, ctx.operator_id,
                    ended, None if ended is None else ctx.operator_id,
                ))  # fmt: skip
            self.loader.add("event", (case.id, started, EventKind.MONITORING, ctx.operator_id, ctx.monitoring_unit, None, "", "", sealed("", _EVENT_REASON)))
            last = min(ended or ctx.anchor, ctx.anchor) - timedelta(hours=2)
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                self._alert(rng, case.id, offender_set, bracelet, hers, started, last)

    def _alert(self, rng: random.Random, case_id: int, offender_set: int, bracelet: int, hers: int, start: dt.datetime, last: dt.datetime) -> None:
        if last <= start:
            return
        ctx = self.ctx
        kind, severity, _w = rng.choices(KINDS, weights=[w for _, _, w in KINDS])[0]
        occurred = start + (last - start) * rng.random()
        episode = self.loader.next_id(Episode)
        proximity = kind == ConditionKind.PROXIMITY
        subject = f"{kind.value}:{bracelet}:{hers}:{episode}" if proximity else f"{kind.value}:{bracelet}:{episode}"
        ended_at = occurred + timedelta(minutes=rng.uniform(3, 90))
        self.loader.add("episode", (
            episode, kind.value, subject, offender_set, bracelet, hers if proximity else None, occurred, ended_at,
            rng.uniform(60, 480) if proximity else None,
        ))  # fmt: skip
        received = occurred + timedelta(seconds=rng.uniform(0.5, 5))
        acknowledged = received + timedelta(seconds=rng.uniform(20, 240))
        dispatched = acknowledged + timedelta(minutes=rng.uniform(1, 5)) if proximity else None
        resolved = acknowledged + timedelta(minutes=rng.uniform(10, 120))
        if proximity:
            outcome = rng.choice([AlertOutcome.NO_BREACH, AlertOutcome.NO_BREACH, AlertOutcome.FALSE_ALARM])
        else:
            outcome = AlertOutcome.TECHNICAL
        op = ctx.operator_id
        self.loader.add("alert", (
            episode, kind.value, severity.value, offender_set, bracelet, case_id, ctx.monitoring_unit, occurred, received,
            received, AlertStatus.RESOLVED.value, acknowledged, op, dispatched, op if dispatched else None, resolved, op, outcome.value,
        ))  # fmt: skip
        self.alerts += 1
