"""The device simulator (``qorgau simulate-devices``): scripted days for N offender sets — her home and
work, his home and work, travel between them along a route — with the events a scenario adds: an
approach to her, entering her home zone, a tamper, a draining battery, a device going silent.

It plans every ping first (``plan``), then sends them paced by their device time (``run``), so what
it scripted is known before the first ping leaves: the demo, the tests and the bench compare the
alerts stored with ``Plan.expected`` ("each scripted approach raises exactly one alert; quiet days
raise none").

Geometry: her home H is a set's centre; her work is 4 km east of it; his home 6 km north and his
work 6 km north-west — so on a quiet day he never comes within 4 km of her or her zone.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from secrets import token_urlsafe
from typing import Any

from qorgau.monitoring.geometry import offset

SCENARIOS = ("quiet", "approach", "zone", "tamper", "battery", "silent")
MIXED_CYCLE = ("quiet", "approach", "quiet", "zone", "tamper", "quiet", "battery", "silent")

# What each scenario raises in the engine (no_signal comes from the sweep, once the device has been
# silent for NO_SIGNAL_MINUTES of real time, so it is listed apart).
EXPECTED = {
    "quiet": {},
    "approach": {"proximity": 1},
    "zone": {"zone": 1},
    "tamper": {"tamper": 1},
    "battery": {"low_battery": 1},
    "silent": {},
}
EXPECTED_AFTER_SWEEP = {"silent": {"no_signal": 1}}



def _lerp(a: tuple[float, float], b: tuple[float, float], f: float) -> tuple[float, float]:
    f = min(1.0, max(0.0, f))
    return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f)


@dataclass(frozen=True)
class SimSet:
    """One scripted offender set: his bracelet, her device, her home (the zone's centre)."""

    bracelet: str
    victim: str
    home: tuple[float, float]
    scenario: str
    proximity_m: float = 500.0
    zone_radius_m: float = 200.0

    @property
    def her_work(self) -> tuple[float, float]:
        return offset(self.home, east_m=4000)

    @property
    def his_home(self) -> tuple[float, float]:
        return offset(self.home, north_m=6000)

    @property
    def his_work(self) -> tuple[float, float]:
        return offset(self.home, north_m=6000, east_m=-6000)


@dataclass
class Plan:
    pings: list[dict[str, Any]]  # sorted by ts (epoch seconds)
    expected: Counter[str] = field(default_factory=Counter)  # engine alerts, by kind
    expected_after_sweep: Counter[str] = field(default_factory=Counter)
    per_scenario: Counter[str] = field(default_factory=Counter)
    start: float = 0.0
    end: float = 0.0

    def summary(self) -> str:
        sets = ", ".join(f"{k} {v}" for k, v in sorted(self.per_scenario.items()))
        alerts = ", ".join(f"{k} {v}" for k, v in sorted(self.expected.items())) or "none"
        later = ", ".join(f"{k} {v}" for k, v in sorted(self.expected_after_sweep.items())) or "none"
        return (f"scripted {len(self.pings)} pings over {(self.end - self.start) / 60:.0f} min for {sum(self.per_scenario.values())} "
                f"sets ({sets}); expected alerts: {alerts}; after the no-signal sweep: {later}")


def scenario_for(index: int, scenario: str) -> str:
    return MIXED_CYCLE[index % len(MIXED_CYCLE)] if scenario == "mixed" else scenario


def _his_path(s: SimSet, f: float) -> tuple[float, float]:
    """Where he is at fraction ``f`` of the day (quiet): home, travel to work, work, travel home."""
    if f < 0.2:
        return s.his_home
    if f < 0.35:
        return _lerp(s.his_home, s.his_work, (f - 0.2) / 0.15)
    if f < 0.75:
        return s.his_work
    if f < 0.9:
        return _lerp(s.his_work, s.his_home, (f - 0.75) / 0.15)
    return s.his_home


def _her_path(s: SimSet, f: float) -> tuple[float, float]:
    if f < 0.15:
        return s.home
    if f < 0.3:
        return _lerp(s.home, s.her_work, (f - 0.15) / 0.15)
    if f < 0.8:
        return s.her_work
    if f < 0.95:
        return _lerp(s.her_work, s.home, (f - 0.8) / 0.15)
    return s.home


def _excursion(base: tuple[float, float], target: tuple[float, float], f: float, closest: float = 60.0) -> tuple[float, float]:
    """He leaves his path at 30 % of the day, reaches ``closest`` metres of ``target`` by 40 %, stays
    there to 50 %, and is back on his path by 60 % — one approach."""
    near = offset(target, north_m=closest)
    if f < 0.3 or f >= 0.6:
        return base
    if f < 0.4:
        return _lerp(base, near, (f - 0.3) / 0.1)
    if f < 0.5:
        return near
    return _lerp(near, base, (f - 0.5) / 0.1)


def plan(sets: Iterable[SimSet], *, start: float, minutes: float, interval: float, seed: int = 0, first_seq: int = 1) -> Plan:
    """Every ping of the day, both devices of every set, every ``interval`` seconds of device time,
    with a little GPS noise (a few metres, well inside the hysteresis margins)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible script, not a secret
    duration = minutes * 60.0
    steps = max(2, int(duration // interval) + 1)
    out = Plan(pings=[], start=start, end=start + (steps - 1) * interval + interval / 2)
    for s in sets:
        out.per_scenario[s.scenario] += 1
        out.expected.update(EXPECTED[s.scenario])
        out.expected_after_sweep.update(EXPECTED_AFTER_SWEEP.get(s.scenario, {}))
        jitter = rng.uniform(0, interval / 2)  # devices are not in lockstep
        for i in range(steps):
            f = i / (steps - 1)
            ts = start + i * interval + jitter
            her = _her_path(s, f)
            his = _his_path(s, f)
            if s.scenario == "approach":
                his = _excursion(his, her, f)
            elif s.scenario == "zone":
                his = _excursion(his, s.home, f, closest=30.0)  # she is at work, far from her home then
            extra: dict[str, Any] = {"battery": 90.0, "strap_ok": True}
            if s.scenario == "tamper" and f >= 0.5:
                extra["strap_ok"] = False
            if s.scenario == "battery":
                extra["battery"] = round(max(1.0, 60.0 - 58.0 * f), 1)  # below 15 % after ~78 % of the day
            devices = [(s.bracelet, his, extra), (s.victim, her, {"battery": 80.0})]
            if s.scenario == "silent" and f > 0.5:
                devices = devices[1:]  # his bracelet stops; hers goes on
            for serial, where, more in devices:
                noisy = offset(where, north_m=rng.gauss(0, 3), east_m=rng.gauss(0, 3))
                out.pings.append({
                    "device": serial, "seq": first_seq + i, "ts": round(ts, 3), "lat": round(noisy[0], 6), "lon": round(noisy[1], 6),
                    "accuracy": round(rng.uniform(4, 15), 1), **more,
                })
    out.pings.sort(key=lambda p: (p["ts"], p["device"]))
    return out


def start_for(now: float, minutes: float, speed: float) -> float:
    """The day's device-time start: a live run (speed 1) starts now; a faster one starts in the past
    so its last ping is not in the future when sent (``speed`` 0: as fast as possible)."""
    if speed <= 0:
        return now - minutes * 60.0
    return now - minutes * 60.0 * max(0.0, 1.0 - 1.0 / speed)


@dataclass
class RunReport:
    sent: int = 0
    batches: int = 0
    seconds: float = 0.0


def run(
    the_plan: Plan, send: Callable[[list[dict[str, Any]]], None], *, speed: float = 0.0, batch_size: int = 2000,
    tick: float = 1.0, sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic,
) -> RunReport:
    """Send the pings in device-time order, batched per ``tick`` of real time (at most ``batch_size``
    pings a batch); ``speed`` 0 sends everything at once, batch after batch."""
    report = RunReport()
    began = monotonic()
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        if pending:
            send(list(pending))
            report.sent += len(pending)
            report.batches += 1
            pending.clear()

    window_end = the_plan.start
    for ping in the_plan.pings:
        if speed > 0 and ping["ts"] > window_end:
            flush()
            due = began + (ping["ts"] - the_plan.start) / speed
            wait = due - monotonic()
            if wait > 0:
                sleep(wait)
            window_end = ping["ts"] + tick * speed
        pending.append(ping)
        if len(pending) >= batch_size:
            flush()
    flush()
    report.seconds = monotonic() - began
    return report


# --- transports -----------------------------------------------------------------------------------


def http_sender(url: str, token: str, *, timeout: float = 30.0) -> Callable[[list[dict[str, Any]]], None]:
    import json
    import urllib.request

    def send(pings: list[dict[str, Any]]) -> None:
        body = json.dumps({"pings": pings}).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json", "X-Machine-Token": token})  # noqa: S310
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the operator gives the URL
            if response.status != 202:
                raise RuntimeError(f"the endpoint answered {response.status}")

    return send


def mqtt_gateway_sender(client: Any, gateway: str) -> Callable[[list[dict[str, Any]]], None]:
    """Batches to ``qorgau/gw/<gateway>/pings`` at QoS 1, waiting for each PUBACK."""
    import json

    from qorgau.monitoring import mqtt
    from qorgau.monitoring.messages import gateway_topic

    topic = gateway_topic(gateway)

    def send(pings: list[dict[str, Any]]) -> None:
        mqtt.publish_wait(client, topic, json.dumps({"pings": pings}, separators=(",", ":")))

    return send


def mqtt_device_sender(clients: dict[str, Any]) -> Callable[[list[dict[str, Any]]], None]:
    """Each ping on its own device's topic, with that device's connection (its credentials and ACL)."""
    import json

    from qorgau.monitoring import mqtt
    from qorgau.monitoring.messages import device_topic

    def send(pings: list[dict[str, Any]]) -> None:
        by_client: dict[str, list[tuple[str, bytes | str]]] = {}
        for ping in pings:
            by_client.setdefault(ping["device"], []).append((device_topic(ping["device"]), json.dumps(ping, separators=(",", ":"))))
        for serial, msgs in by_client.items():
            mqtt.publish_all(clients[serial], msgs)

    return send


def inline_sender() -> Callable[[list[dict[str, Any]]], None]:
    """Straight into this process's shard processors (the bench and tests without a web server)."""
    from qorgau.core import clock
    from qorgau.monitoring import ingest

    def send(pings: list[dict[str, Any]]) -> None:
        ingest.process_inline(ingest.route(pings), clock.now())

    return send


# --- making the devices on demo cases (``--create``) ----------------------------------------------


def _seconds(value: dt.datetime) -> float:
    return value.timestamp()


def provision(n: int, scenario: str, *, prefix: str = "SIM", proximity_m: int = 500, seed: int = 0) -> tuple[list[SimSet], dict[str, str]]:
    """Devices, offender sets, assignments and a home zone for ``n`` demo cases with an order in force
    (one case per offender). Rows are made directly — the services check an operator's grants on each
    case, which a simulator has no business holding — but the set is found or made by
    ``devices.offender_set_for`` so its shard is the real one. Returns the sets and, per device
    serial, an MQTT password (issued here, stored only as its digest)."""
    import json

    from django.db import transaction

    from qorgau.accounts.models import Unit, User
    from qorgau.accounts.roles import Role
    from qorgau.cases.models import Case
    from qorgau.core import clock
    from qorgau.monitoring import devices as device_services
    from qorgau.monitoring.broker import password_digest
    from qorgau.monitoring.models import (
        Assignment,
        Device,
        DeviceKind,
        DeviceStatus,
        Wearer,
        Zone,
        ZonePlace,
        ZoneShape,
    )
    from qorgau.orders.models import OPEN_STATUSES, OrderCase

    rng = random.Random(seed)  # noqa: S311 - where her home is put in the demo, not a secret
    centre = Unit.objects.filter(kind__code="monitoring_centre").order_by("pk").first()
    actor = User.objects.filter(groups__name=Role.MONITORING_OPERATOR.value).order_by("pk").first() or User.objects.filter(
        is_superuser=True).order_by("pk").first()
    if centre is None or actor is None:
        raise RuntimeError("no monitoring centre or operator: run the demo (or create them) first")
    taken = set(Assignment.objects.filter(ended_at__isnull=True, wearer=Wearer.OFFENDER).values_list("offender_set__offender_id", flat=True))
    links = (OrderCase.objects.filter(order__status__in=list(OPEN_STATUSES), case__merged_into__isnull=True)
             .select_related("case__holding_unit__district", "case__holding_unit__region").order_by("case_id"))
    cases: list[tuple[Case, int]] = []
    seen: set[int] = set()
    for link in links:
        case = link.case
        if case.offender_id in seen or case.offender_id in taken:
            continue
        seen.add(case.offender_id)
        cases.append((case, link.order_id))
        if len(cases) == n:
            break
    if len(cases) < n:
        raise RuntimeError(f"only {len(cases)} demo cases with an order in force and no bracelet yet; asked for {n}")
    sets: list[SimSet] = []
    secrets_out: dict[str, str] = {}
    now = clock.now()
    with transaction.atomic():
        start = Device.objects.filter(serial__startswith=f"{prefix}-").count()
        for i, (case, order_id) in enumerate(cases):
            district = case.holding_unit.district
            base = (district.point_lat, district.point_lon) if district is not None else (43.2389, 76.8897)
            home = offset(base, north_m=rng.uniform(-1500, 1500), east_m=rng.uniform(-1500, 1500))
            oset = device_services.offender_set_for(case)
            made = []
            for kind, tag in ((DeviceKind.BRACELET, "B"), (DeviceKind.VICTIM, "V")):
                serial = f"{prefix}-{tag}{start + i + 1:05d}"
                password = token_urlsafe(18)
                device = Device.objects.create(
                    serial=serial, kind=kind, status=DeviceStatus.ASSIGNED, can_receive=kind == DeviceKind.VICTIM, unit=centre,
                    registered_at=now, registered_by=actor, secret_digest=password_digest(password),
                )
                secrets_out[serial] = password
                Assignment.objects.create(
                    device=device, case=case, offender_set=oset, wearer=Wearer.OFFENDER if kind == DeviceKind.BRACELET else Wearer.VICTIM,
                    order_id=order_id, proximity_m=proximity_m, unit=centre, started_at=now, started_by=actor,
                )
                made.append(serial)
            Zone.objects.create(
                case=case, offender_set=oset, place=ZonePlace.HOME, shape=ZoneShape.CIRCLE,
                geometry=json.dumps({"lat": home[0], "lon": home[1], "radius_m": 200}), created_at=now, created_by=actor,
            )
            sets.append(SimSet(bracelet=made[0], victim=made[1], home=home, scenario=scenario_for(i, scenario), proximity_m=proximity_m))
    return sets, secrets_out


def sets_existing(n: int, scenario: str, *, prefix: str = "SIM") -> list[SimSet]:
    """The sets a previous ``--create`` made (their home zone gives her home back)."""
    import json

    from qorgau.monitoring.models import Assignment, Wearer, Zone, ZonePlace

    out: list[SimSet] = []
    bracelets = (Assignment.objects.filter(ended_at__isnull=True, wearer=Wearer.OFFENDER, device__serial__startswith=f"{prefix}-")
                 .select_related("device").order_by("device__serial"))
    for a in bracelets[:n]:
        victim = Assignment.objects.filter(ended_at__isnull=True, wearer=Wearer.VICTIM, case_id=a.case_id).select_related("device").first()
        zone = Zone.objects.filter(case_id=a.case_id, place=ZonePlace.HOME, ended_at__isnull=True, shape="circle").first()
        if victim is None or zone is None:
            continue
        g = json.loads(zone.geometry)
        out.append(SimSet(bracelet=a.device.serial, victim=victim.device.serial, home=(g["lat"], g["lon"]),
                          scenario=scenario_for(len(out), scenario), proximity_m=float(victim.proximity_m)))
    return out


def resume_point(serials: Iterable[str]) -> tuple[int, float | None]:
    """(a sequence number above every ping these devices have sent, the device time of their latest
    ping): a second run must be neither a replay nor older than what the engine has already seen
    (older pings are stored but decide nothing)."""
    from django.db.models import Max

    from qorgau.monitoring.models import Ping

    top = Ping.objects.filter(device__serial__in=list(serials)).aggregate(seq=Max("seq"), ts=Max("ts"))
    return int(top["seq"] or 0) + 1, (top["ts"].timestamp() if top["ts"] is not None else None)


def start_after(now: float, minutes: float, speed: float, interval: float, last_ts: float | None) -> tuple[float, float]:
    """(the day's start, how long to wait before sending): ``start_for``, unless the previous run's
    pings reach past it — then the day starts after them, which a faster-than-life day can only do
    once the clock has caught up (the wait)."""
    start = start_for(now, minutes, speed)
    if last_ts is None or last_ts + interval <= start:
        return start, 0.0
    if speed == 1:
        return last_ts + interval, 0.0
    return last_ts + interval, last_ts + interval - start
