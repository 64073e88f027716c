"""Electronic monitoring over MQTT (issue 8), end to end through a real Mosquitto with the project's
configuration: gateways → router → shard topics → monitor → stored pings, episodes and alerts.

1. Throughput: gateways publish batches of 100 pings; pings/s from the first publish to the last
   ping stored, against the raw broker (the same messages published and received, no processing),
   same run. Goal ≥ 20,000 pings/s.
2. Alert latency: 10,000 devices (5,000 offender sets) pinging every 10 s of device time, sent at
   about 1,000 pings/s of wall time, each device on its own topic; scripted approaches; latency
   from the publish of the ping that crosses the line to the alert stored (p50, p99). Goal p99 < 1 s.
3. Correctness: every scripted approach raises exactly one alert; quiet sets raise none.

The router and the monitor run in this process (threads), on the bench's test database; on SQLite
(in memory, shared cache) their database work is serialised by one lock, as in the tests. On
PostgreSQL the throughput is measured again with the router and ``--monitors`` monitor processes of
their own, as deployed.

The machine is shared: ``--runs N`` repeats each throughput measurement N times (fresh pings each
time) and reports the median with the spread, and pings per CPU second of this process beside the
wall-clock rate (the CPU figure moves less with other people's load).

Run alone: ``.venv/bin/python -m bench.monitoring_mqtt --help`` (SQLite; set
``QORGAU_TEST_DATABASE_URL=postgres://…/<db>`` for PostgreSQL). In ``make bench`` the sizes come from
QORGAU_BENCH_MQTT_SETS (default 5,000), QORGAU_BENCH_MQTT_PINGS (default 100,000),
QORGAU_BENCH_MQTT_SHARDS (8), QORGAU_BENCH_MQTT_BATCH (pings per gateway message, 100),
QORGAU_BENCH_MQTT_RUNS (1) and QORGAU_BENCH_MQTT_MONITORS (2).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import Figure, Report
from qorgau.monitoring.geometry import offset

CENTRE = (43.2389, 76.8897)



def _world(n_sets: int, shards: int) -> list[tuple[str, str, tuple[float, float]]]:
    """One case with a served order; ``n_sets`` offender sets (bulk rows: the bench measures
    ingestion, not registration), each with a bracelet and her device; her home zone. Returns
    (bracelet serial, victim serial, where she is) per set."""
    from qorgau.accounts.models import AgencyKind, User
    from qorgau.accounts.roles import Role
    from qorgau.accounts.services import agency_kinds_load, roles_sync, unit_create, user_create
    from qorgau.cases.reference import markers_load
    from qorgau.core import clock
    from qorgau.core.geography import load_reference
    from qorgau.core.models import District, Region
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
    from qorgau.orders.services import order_issue, order_serve
    from qorgau.people.models import Person
    from tests.orders.support import make_cases, police_input

    if not Region.objects.exists():
        load_reference()
        agency_kinds_load()
        roles_sync()
    markers_load()
    police = unit_create(
        actor=None, kind=AgencyKind.objects.get(code="police"), region=Region.objects.get(iso="KZ-75"),
        district=District.objects.get(kato="751110000"), name_ru="Бенч полиция", name_kk="Бенч полиция", name_en="Bench police",
    )
    centre = unit_create(
        actor=None, kind=AgencyKind.objects.get(code="monitoring_centre"), region=Region.objects.get(iso="KZ-71"),
        name_ru="Бенч мониторинг", name_kk="Бенч мониторинг", name_en="Bench monitoring",
    )
    password = "bench-password-long-enough-42"
    inspector = user_create(actor=None, username=f"bench_insp_{os.getpid()}", password=password, role=Role.POLICE_INSPECTOR, unit=police, language="ru")
    operator: User = user_create(
        actor=None, username=f"bench_oper_{os.getpid()}", password=password, role=Role.MONITORING_OPERATOR, unit=centre, language="ru"
    )
    (case,) = make_cases(inspector, serial=7100)
    order = order_issue(actor=inspector, case=case, data=police_input(case))
    order = order_serve(actor=inspector, order=order, version=order.version)
    now = clock.now()
    people = Person.objects.bulk_create([Person(full_name=f"bench {i}", created_at=now, created_by_unit=police) for i in range(n_sets)])
    sets = OffenderSet.objects.bulk_create([OffenderSet(offender=p, shard=i % shards, created_at=now) for i, p in enumerate(people)])
    devices = Device.objects.bulk_create(
        [
            Device(serial=f"MB-{tag}{i:05d}", kind=kind, status=DeviceStatus.ASSIGNED, can_receive=False, unit=centre,
                   registered_at=now, registered_by=operator)
            for i in range(n_sets) for tag, kind in (("B", DeviceKind.BRACELET), ("V", DeviceKind.VICTIM))
        ],
        batch_size=2000,
    )
    Assignment.objects.bulk_create(
        [
            Assignment(device=d, case=case, offender_set=sets[k // 2], wearer=Wearer.OFFENDER if k % 2 == 0 else Wearer.VICTIM,
                       order=order, proximity_m=500, unit=centre, started_at=now, started_by=operator)
            for k, d in enumerate(devices)
        ],
        batch_size=2000,
    )
    out = []
    zones = []
    for i, oset in enumerate(sets):
        # Sets 2 km apart on a grid; her home zone (200 m) 3 km south of where she spends the bench.
        her = offset(CENTRE, north_m=2000.0 * (i // 100), east_m=2000.0 * (i % 100))
        home = offset(her, north_m=-3000)
        zones.append(Zone(case=case, offender_set=oset, place=ZonePlace.HOME, shape=ZoneShape.CIRCLE,
                          geometry=json.dumps({"lat": home[0], "lon": home[1], "radius_m": 200}), created_at=now, created_by=operator))
        out.append((devices[2 * i].serial, devices[2 * i + 1].serial, her))
    Zone.objects.bulk_create(zones, batch_size=2000)
    return out


def _quiet_messages(
    world: list[tuple[str, str, tuple[float, float]]], rounds: int, seq0: int, start: float, batch: int = 100,
) -> tuple[int, list[tuple[str, bytes]]]:
    """``rounds`` pings of every device, far apart (no alert), in gateway messages of ``batch``."""
    pings: list[dict[str, Any]] = []
    for r in range(rounds):
        ts = start + r * 10
        for bracelet, victim, her in world:
            him = offset(her, north_m=4000)
            pings.append({"device": victim, "seq": seq0 + r, "ts": ts, "lat": her[0], "lon": her[1], "accuracy": 8.0, "battery": 80.0})
            pings.append({"device": bracelet, "seq": seq0 + r, "ts": ts + 1, "lat": him[0], "lon": him[1], "accuracy": 8.0,
                          "battery": 90.0, "strap_ok": True})
    return len(pings), [
        (f"qorgau/gw/gw{(k // batch) % 10}/pings", json.dumps({"pings": pings[k : k + batch]}, separators=(",", ":")).encode())
        for k in range(0, len(pings), batch)
    ]


def _processes(broker: Any, shards: int, monitors: int) -> list[subprocess.Popen[bytes]]:
    """One router and ``monitors`` monitor processes on the bench's test database (PostgreSQL, or a
    SQLite file)."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":  # a file (--sqlite-file), in WAL mode as deployed
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "QORGAU_MODE": "test", "QORGAU_TEST_DATABASE_URL": url,
        "QORGAU_MONITORING_SHARDS": str(shards), "QORGAU_MONITORING_LEASE_SECONDS": "3", "QORGAU_MQTT_HOST": "127.0.0.1",
        "QORGAU_MQTT_PORT": str(broker.port), "QORGAU_MQTT_PASSWORD": broker.service_secret, "QORGAU_LOG_LEVEL": "ERROR",
    }
    cli = [sys.executable, "-m", "qorgau.cli"]
    commands = [[*cli, "route", "--name", "bench-router-p"]] + [[*cli, "monitor"] for _ in range(monitors)]
    return [subprocess.Popen(c, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for c in commands]


class _Pipeline:
    def __init__(self, endpoint: Any, lock: AbstractContextManager[Any]) -> None:
        from qorgau.monitoring.monitor import Monitor
        from qorgau.monitoring.router import Router

        self.router = Router(endpoint, name="bench-router", db_lock=lock)
        self.monitor = Monitor(endpoint, owner="bench-monitor", lease_seconds=60, db_lock=lock, on_processed=self._processed)
        # Pings committed so far, counted from the monitor's results: waiting on it costs the pipeline
        # nothing, where polling COUNT(*) would take the shared SQLite lock from it every few ms.
        self.accepted = 0
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.monitor.run, args=(self.stop_event,), kwargs={"interval": 1.0}, daemon=True)

    def _processed(self, _shard: int, result: Any) -> None:
        self.accepted += result.accepted

    def start(self, shards: int) -> None:
        gc.freeze()  # as `qorgau route` and `qorgau monitor` do after start-up
        self.router.start()
        self.thread.start()
        deadline = time.monotonic() + 60
        while len(self.monitor.shards) < shards:
            if time.monotonic() > deadline:
                raise TimeoutError("the monitor did not take the shards")
            time.sleep(0.05)

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(30)
        self.router.stop()


def _wait(condition: Any, timeout: float, lock: AbstractContextManager[Any], poll: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with lock:
            if condition():
                return
        if time.monotonic() > deadline:
            raise TimeoutError("the pipeline did not finish in time")
        time.sleep(poll)


def _raw_broker(endpoint: Any, messages: list[tuple[str, bytes]], tag: str = "") -> float:
    """Publish ``messages`` at QoS 1 and receive them on a subscriber: the broker's own rate."""
    from qorgau.monitoring import mqtt

    got = threading.Event()
    count = [0]

    def on_message(*_: Any) -> None:
        count[0] += 1
        if count[0] == len(messages):
            got.set()

    sub = mqtt.client_create(endpoint, client_id=f"bench-raw-sub{tag}")
    sub.on_message = on_message
    mqtt.connect_wait(sub, endpoint)
    sub.subscribe("qorgau/gw/raw/#", qos=1)
    time.sleep(0.2)
    pub = mqtt.client_create(endpoint, client_id=f"bench-raw-pub{tag}")
    mqtt.connect_wait(pub, endpoint)
    start = time.perf_counter()
    mqtt.publish_all(pub, [(t.replace("qorgau/gw/", "qorgau/gw/raw/"), p) for t, p in messages], timeout=120)
    if not got.wait(120):
        raise TimeoutError("raw subscriber missed messages")
    seconds = time.perf_counter() - start
    mqtt.disconnect(pub)
    mqtt.disconnect(sub)
    return seconds


@dataclass(frozen=True)
class Options:
    sets: int = 5000
    pings: int = 100_000
    shards: int = 8
    batch: int = 100
    runs: int = 1
    monitors: int = 2
    latency: bool = True

    @classmethod
    def from_env(cls) -> Options:
        env = os.environ.get
        return cls(
            sets=int(env("QORGAU_BENCH_MQTT_SETS", "5000")), pings=int(env("QORGAU_BENCH_MQTT_PINGS", "100000")),
            shards=int(env("QORGAU_BENCH_MQTT_SHARDS", "8")), batch=int(env("QORGAU_BENCH_MQTT_BATCH", "100")),
            runs=int(env("QORGAU_BENCH_MQTT_RUNS", "1")),
            monitors=int(env("QORGAU_BENCH_MQTT_MONITORS", "2")) if env("QORGAU_BENCH_MQTT_PROCESSES", "1") == "1" else 0,
        )


def _spread(values: list[float]) -> str:
    """Median, range and count of per-run rates, for the note."""
    if len(values) == 1:
        return f"{values[0]:,.0f}/s (1 run)"
    return f"median {statistics.median(values):,.0f}/s, range {min(values):,.0f}–{max(values):,.0f}/s over {len(values)} runs"


def run(report: Report, options: Options | None = None) -> None:
    from django.conf import settings
    from django.db import connection

    from qorgau.monitoring import mqtt
    from qorgau.monitoring.broker import Broker, free_port, mosquitto_binary
    from qorgau.monitoring.ingest import processors_reset
    from qorgau.monitoring.models import Alert, Ping

    if mosquitto_binary() is None:
        print("monitoring over MQTT: SKIPPED — mosquitto is not installed (apt-get install mosquitto)")
        return
    opts = options or Options.from_env()
    n_sets, shards = opts.sets, opts.shards
    lock: AbstractContextManager[Any] = threading.RLock() if connection.vendor == "sqlite" else nullcontext()

    broker = Broker(directory=Path(tempfile.mkdtemp(prefix="qorgau-bench-mqtt-")), port=free_port(), service_secret="bench-" + os.urandom(8).hex())
    broker.start()
    old_conf = settings.QORGAU_MONITORING
    conf = dict(old_conf)
    conf.update(SHARDS=shards, MQTT_HOST="127.0.0.1", MQTT_PORT=broker.port, MQTT_PASSWORD=broker.service_secret, MQTT_TLS_CA="")
    settings.QORGAU_MONITORING = conf
    processors_reset()
    pipeline: _Pipeline | None = None
    try:
        t0 = time.perf_counter()
        world = _world(n_sets, shards)
        print(f"monitoring over MQTT ({connection.vendor}): {n_sets} offender sets ({2 * n_sets} devices) on {shards} shards "
              f"built in {time.perf_counter() - t0:.1f} s; gateway messages of {opts.batch} pings; {opts.runs} run(s)")
        endpoint = mqtt.Endpoint.from_settings()
        pipeline = live = _Pipeline(endpoint, lock)
        pipeline.start(shards)
        pub = mqtt.client_create(endpoint, client_id="bench-gateways")
        mqtt.connect_wait(pub, endpoint)

        # 1. Throughput: quiet pings (every device stays put, far from her), ``batch`` a gateway message.
        now = time.time()
        rounds = max(1, opts.pings // (2 * n_sets))
        rates: list[float] = []
        cpu_rates: list[float] = []
        raw_rates: list[float] = []
        ratios: list[float] = []
        n_pings = 0
        n_messages = 0
        quiet_alerts = 0
        for r in range(opts.runs):
            seq0 = r * rounds
            n_pings, messages = _quiet_messages(world, rounds, seq0, now - 7200 + seq0 * 10, opts.batch)
            n_messages = len(messages)
            raw_seconds = _raw_broker(endpoint, messages, tag=str(r))
            accepted0 = live.accepted
            busy0 = sum(c.busy_seconds for c in pipeline.monitor.consumers.values())
            router0 = pipeline.router.stats.busy_seconds
            cpu0 = time.process_time()
            start = time.perf_counter()
            mqtt.publish_all(pub, messages, timeout=600)
            _wait(lambda a0=accepted0, n=n_pings: live.accepted >= a0 + n, 600, nullcontext(), poll=0.005)
            e2e_seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu0
            with lock:
                quiet_alerts = Alert.objects.count()
            busy = sum(c.busy_seconds for c in pipeline.monitor.consumers.values()) - busy0
            rates.append(n_pings / e2e_seconds)
            cpu_rates.append(n_pings / cpu)
            raw_rates.append(n_pings / raw_seconds)
            ratios.append(e2e_seconds / raw_seconds)
            print(f"  run {r + 1}: {n_pings / e2e_seconds:,.0f} pings/s (wall {e2e_seconds:.2f} s; this process's CPU {cpu:.2f} s, "
                  f"{n_pings / cpu:,.0f} pings per CPU second); router busy {pipeline.router.stats.busy_seconds - router0:.2f} s, "
                  f"monitor processing {busy:.2f} s")
        with lock:
            stored = Ping.objects.count()
        report.add(Figure(
            "MQTT end to end: gateway batches → stored pings", "raw broker publish→receive of the same messages",
            statistics.median(rates), statistics.median(raw_rates), statistics.median(ratios),
            note=f"{n_pings:,} pings a run in {n_messages} messages of {opts.batch}; {shards} shards; {_spread(rates)}; "
                 f"{statistics.median(cpu_rates):,.0f} pings per CPU second (router, monitor and publisher in one process); "
                 f"stored {stored:,}; alerts on quiet days {quiet_alerts}; goal ≥ 20,000 pings/s",
        ))
        print(f"  throughput: {_spread(rates)}; pings per CPU second {_spread(cpu_rates)}")
        seq0 = opts.runs * rounds

        if opts.latency:
            _latency(report, pipeline, pub, world, lock, seq0, quiet_alerts)
        seq0 += 1000
        if opts.monitors > 0 and (connection.vendor == "postgresql" or not connection.creation.is_in_memory_db(connection.settings_dict["NAME"])):
            # The same throughput with the router and the monitors as processes of their own, as
            # deployed (PostgreSQL, or SQLite in a file: the in-memory test database is not shared).
            pipeline.router.retire()
            pipeline.stop_event.set()
            pipeline.thread.join(30)
            pipeline = None
            _throughput_processes(report, broker, pub, world, shards, opts, seq0, now, lock, statistics.median(raw_rates))
        mqtt.disconnect(pub)
    finally:
        if pipeline is not None:
            pipeline.stop()
        broker.stop()
        settings.QORGAU_MONITORING = old_conf
        processors_reset()


def _latency(
    report: Report, pipeline: _Pipeline, pub: Any, world: list[tuple[str, str, tuple[float, float]]],
    lock: AbstractContextManager[Any], seq0: int, quiet_alerts: int,
) -> None:
    """2 + 3. Latency at national load, with scripted approaches, each device on its own topic."""
    from qorgau.monitoring.models import Alert

    n_sets = len(world)
    latency_seconds = float(os.environ.get("QORGAU_BENCH_MQTT_SECONDS", "30"))
    interval = 10.0
    approaches = set(range(0, n_sets, max(1, n_sets // 100)))  # about 100 scripted approaches
    steps = max(2, int(latency_seconds / (interval * n_sets * 2 / 1000.0)) if n_sets * 2 > 1000 else int(latency_seconds / interval))
    rate = 1000.0  # pings/s of wall time (10,000 devices every 10 s)
    crossing: dict[str, float] = {}  # bracelet → wall time its crossing ping was published
    schedule: list[tuple[str, dict[str, Any], bool]] = []
    base = time.time() - steps * interval  # device time: the stretch ends about now
    for step in range(steps):
        for i, (bracelet, victim, her) in enumerate(world):
            ts = base + step * interval
            near = i in approaches and step >= steps // 2
            him = offset(her, north_m=100 if near else 4000)
            schedule.append((victim, {"device": victim, "seq": seq0 + step, "ts": ts, "lat": her[0], "lon": her[1], "accuracy": 8.0}, False))
            schedule.append((bracelet, {"device": bracelet, "seq": seq0 + step, "ts": ts + 1, "lat": him[0], "lon": him[1],
                                        "accuracy": 8.0, "strap_ok": True}, near and step == steps // 2))
    with lock:
        alerts_before = Alert.objects.count()
    busy0 = sum(c.busy_seconds for c in pipeline.monitor.consumers.values())
    msgs0 = sum(c.messages for c in pipeline.monitor.consumers.values())
    router_busy0, router_batches0 = pipeline.router.stats.busy_seconds, pipeline.router.stats.batches
    started = time.perf_counter()
    for k, (serial, ping, crosses) in enumerate(schedule):
        due = started + k / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        info = pub.publish(f"qorgau/dev/{serial}/pings", json.dumps(ping, separators=(",", ":")), qos=1)
        if crosses:
            crossing[serial] = time.time()
        if k % 500 == 0:
            info.wait_for_publish(30)
    sent_seconds = time.perf_counter() - started
    expected = len(approaches)
    _wait(lambda: Alert.objects.count() >= alerts_before + expected, 120, lock, poll=0.05)
    time.sleep(2.0)  # room for a wrong second alert to show up before counting
    busy1 = sum(c.busy_seconds for c in pipeline.monitor.consumers.values())
    msgs1 = sum(c.messages for c in pipeline.monitor.consumers.values())
    print(f"  latency phase: monitor processed {msgs1 - msgs0} shard batches in {busy1 - busy0:.2f} s; "
          f"router {pipeline.router.stats.batches - router_batches0} batches, busy {pipeline.router.stats.busy_seconds - router_busy0:.2f} s")
    with lock:
        alerts = list(Alert.objects.select_related("device").order_by("pk")[alerts_before:].values_list("device__serial", "kind", "raised_at"))
    latencies = sorted(max(0.0, raised.timestamp() - crossing[serial]) for serial, kind, raised in alerts if serial in crossing)
    per_bracelet = {serial for serial, _k, _r in alerts}
    wrong = [a for a in alerts if a[0] not in crossing or a[1] != "proximity"]
    p50 = statistics.median(latencies) if latencies else float("nan")
    p99 = latencies[min(len(latencies) - 1, math.ceil(0.99 * len(latencies)) - 1)] if latencies else float("nan")
    print(
        f"monitoring over MQTT: {len(schedule):,} single-ping messages from {2 * n_sets:,} devices at "
        f"{len(schedule) / sent_seconds:,.0f} pings/s; alert latency publish→stored p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms (goal p99 < 1 s); scripted approaches {expected}, alerts {len(alerts)} "
        f"({len(per_bracelet)} bracelets), false or doubled {len(wrong) + len(alerts) - len(per_bracelet)}, quiet-day alerts {quiet_alerts}"
    )
    report.add(Figure(
        "MQTT alert latency p99 (publish → stored alert)", "the 1 s goal",
        1.0 / p99 if p99 > 0 else float("inf"), 1.0, p99 / 1.0,
        note=f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms over {len(latencies)} approaches at "
             f"{len(schedule) / sent_seconds:,.0f} pings/s; alerts {len(alerts)} for {expected} scripted approaches, "
             f"{len(wrong)} wrong, quiet-day alerts {quiet_alerts}",
    ))


def _throughput_processes(
    report: Report, broker: Any, pub: Any, world: list[tuple[str, str, tuple[float, float]]], shards: int, opts: Options,
    seq0: int, now: float, lock: AbstractContextManager[Any], raw_rate: float,
) -> None:
    from django.db.models import Max, Sum

    from qorgau.core import clock
    from qorgau.core.models import AuditEvent
    from qorgau.monitoring import mqtt
    from qorgau.monitoring.models import Alert, Ping, ShardLease

    procs = _processes(broker, shards, opts.monitors)
    try:
        def monitors_hold_shards() -> bool:
            fresh = ShardLease.objects.filter(shard__lt=shards, expires_at__gt=clock.now()).exclude(owner="")
            return fresh.count() == shards and fresh.values("owner").distinct().count() == min(opts.monitors, shards)

        _wait(monitors_hold_shards, 60, lock, poll=0.2)
        rounds = max(1, opts.pings // (2 * len(world)))
        rates: list[float] = []
        n2 = 0
        for r in range(opts.runs):
            first = seq0 + r * rounds
            n2, messages2 = _quiet_messages(world, rounds, first, now - 3600 + r * rounds * 10, opts.batch)
            # Done when the monitors' audit rows (one per committed shard batch, with its count and its
            # time) add up to the run: a small indexed read, where polling COUNT(*) over the growing
            # ping table would itself load the database the monitors write to.
            started_at = clock.now()
            mqtt.publish_all(pub, messages2, timeout=600)
            committed = AuditEvent.objects.filter(target_type="monitoring_shard", at__gte=started_at)
            _wait(lambda c=committed, n=n2: (c.aggregate(n=Sum("count"))["n"] or 0) >= n, 600, lock, poll=0.1)
            seconds = (committed.aggregate(last=Max("at"))["last"] - started_at).total_seconds()
            rates.append(n2 / seconds)
            print(f"  processes run {r + 1}: {n2 / seconds:,.0f} pings/s (wall {seconds:.2f} s)")
        stored, alerts = Ping.objects.count(), Alert.objects.count()
        median = statistics.median(rates)
        report.add(Figure(
            f"MQTT end to end, router + {opts.monitors} monitor processes", "raw broker publish→receive of the same messages",
            median, raw_rate, raw_rate / median,
            note=f"{n2:,} pings a run; {_vendor()}; {shards} shards over {opts.monitors} monitors; {_spread(rates)}; "
                 f"stored {stored:,} in all, alerts {alerts}; goal ≥ 20,000 pings/s",
        ))
        print(f"  processes: {_spread(rates)}")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def _vendor() -> str:
    from django.db import connection

    return "PostgreSQL" if connection.vendor == "postgresql" else "SQLite file (WAL)"


def main(argv: list[str] | None = None) -> None:
    defaults = Options.from_env()
    parser = argparse.ArgumentParser(
        prog="python -m bench.monitoring_mqtt",
        description="Electronic monitoring over MQTT end to end (issue 8): throughput, alert latency and correctness "
                    "through a real Mosquitto. SQLite by default; set QORGAU_TEST_DATABASE_URL for PostgreSQL.",
    )
    parser.add_argument("--sets", type=int, default=defaults.sets, help="offender sets, two devices each (default %(default)s)")
    parser.add_argument("--pings", type=int, default=defaults.pings, help="pings per throughput run (default %(default)s)")
    parser.add_argument("--shards", type=int, default=defaults.shards, help="virtual shards (default %(default)s)")
    parser.add_argument("--batch", type=int, default=defaults.batch, help="pings per gateway message, at most 5,000 (default %(default)s)")
    parser.add_argument("--runs", type=int, default=defaults.runs, help="throughput runs; the median and range are reported (default %(default)s)")
    parser.add_argument("--monitors", type=int, default=defaults.monitors,
                        help="monitor processes for the multi-process run (PostgreSQL, or --sqlite-file), 0 to skip it (default %(default)s)")
    parser.add_argument("--no-latency", action="store_true", help="skip the latency and correctness phase (30 s)")
    parser.add_argument("--sqlite-file", action="store_true",
                        help="SQLite: a test database in a file instead of memory, so the multi-process run takes place too")
    args = parser.parse_args(argv)
    options = Options(sets=args.sets, pings=args.pings, shards=args.shards, batch=args.batch, runs=max(1, args.runs),
                      monitors=args.monitors, latency=not args.no_latency)

    os.environ.setdefault("QORGAU_MODE", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.db import connection as conn
    from django.test.utils import setup_test_environment

    setup_test_environment()
    if args.sqlite_file and conn.vendor == "sqlite":
        conn.settings_dict["TEST"]["NAME"] = str(Path(tempfile.mkdtemp(prefix="qorgau-bench-db-")) / "bench.sqlite3")
    old = conn.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        run(Report(), options)
    finally:
        conn.creation.destroy_test_db(old, verbosity=0)


if __name__ == "__main__":
    main()
