"""The MQTT pipeline against a real broker: device and gateway topics → router → shard topics →
monitor → stored pings, episodes and alerts. A broker restart in the middle of a stream loses and
doubles nothing; two monitors share the shards, and when one goes the other takes its shards and
the messages queued for them meanwhile.

Each test has a broker of its own: the shards' persistent sessions would otherwise carry queued
batches from one test into the next.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest
from django.db import connection

from qorgau.monitoring import mqtt
from qorgau.monitoring.geometry import offset
from qorgau.monitoring.ingest import processors_reset
from qorgau.monitoring.messages import device_topic, gateway_topic
from qorgau.monitoring.models import Alert, ConditionKind, Episode, Ping, RejectCount
from qorgau.monitoring.monitor import Monitor
from qorgau.monitoring.router import Router
from tests.monitoring.conftest import HOME, Monitored, make_ping
from tests.monitoring.mqtt_fixtures import *  # noqa: F403
from tests.monitoring.mqtt_fixtures import Collector, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

# The tests' SQLite database is in memory with a shared cache, where a second connection writing at
# once fails at once ("table is locked") instead of waiting: there, every thread's database work
# takes this lock. PostgreSQL (CI's second tier) runs the same tests with real concurrency.
DB_LOCK: AbstractContextManager[Any] = threading.RLock() if connection.vendor == "sqlite" else nullcontext()


def db(fn: Callable[[], Any]) -> Callable[[], Any]:
    def locked() -> Any:
        with DB_LOCK:
            return fn()

    return locked

# Where she is: 3 km north of her home, so his approach to her is far from the home zone and raises
# a proximity alert only.
HER = offset(HOME, north_m=3000)
APPROACH_M = [3000, 2500, 2000, 1500, 1000, 700, 400, 150, 100, 120]  # his distance from her, step by step


def approach(m: Monitored, *, start: float, steps: list[float] = APPROACH_M, seq0: int = 0) -> list[dict[str, Any]]:
    """Her device and his bracelet ping together every 10 s while he closes in: one proximity alert."""
    pings = []
    for i, dist in enumerate(steps):
        at = start + 10 * i
        pings.append(make_ping(m.victim_device, seq0 + i, at, HER))
        pings.append(make_ping(m.bracelet, seq0 + i, at + 1, offset(HER, north_m=dist)))
    return pings


@pytest.fixture
def pipeline_broker(broker_factory, settings):
    processors_reset()
    b = broker_factory()
    conf = dict(settings.QORGAU_MONITORING)
    conf.update(
        SHARDS=4, LEASE_SECONDS=3, MQTT_HOST="127.0.0.1", MQTT_PORT=b.port, MQTT_USERNAME="qorgau-service",
        MQTT_PASSWORD=b.service_secret, MQTT_TLS_CA="",
    )
    settings.QORGAU_MONITORING = conf
    yield b
    b.stop()
    processors_reset()


@pytest.fixture
def endpoint(pipeline_broker) -> mqtt.Endpoint:
    return mqtt.Endpoint.from_settings()


@pytest.fixture
def router(endpoint) -> Iterator[Router]:
    r = Router(endpoint, name="router-test", db_lock=DB_LOCK)
    r.start()
    yield r
    r.stop()


class Looping:
    """A monitor whose lease loop runs in a thread (as in the ``monitor`` command)."""

    def __init__(self, endpoint: mqtt.Endpoint, owner: str, interval: float = 0.2) -> None:
        self.monitor = Monitor(endpoint, owner=owner, lease_seconds=3, db_lock=DB_LOCK)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.monitor.run, args=(self.stop_event,), kwargs={"interval": interval}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(20)


@pytest.fixture
def publisher(endpoint) -> Iterator[Any]:
    client = mqtt.client_create(endpoint, client_id="test-publisher", persistent=True)
    mqtt.connect_wait(client, endpoint)
    yield client
    mqtt.disconnect(client)


def publish_pings(client: Any, pings: list[dict[str, Any]]) -> None:
    """Each ping on its device's own topic (the service account may write any of them)."""
    mqtt.publish_all(client, [(device_topic(p["device"]), json.dumps(p).encode()) for p in pings], timeout=30)


def test_a_scripted_approach_becomes_one_stored_alert(monitoring_factory, endpoint, router, publisher) -> None:
    m = monitoring_factory(shard=1)
    alerts_seen = Collector(endpoint, [f"qorgau/dev/{m.victim_device.serial}/alerts"])
    looping = Looping(endpoint, "monitor-a")
    try:
        wait_until(lambda: looping.monitor.shards == {0, 1, 2, 3}, what="the monitor owning the four shards")
        pings = approach(m, start=time.time() - 600)
        publish_pings(publisher, pings[:10])
        # The rest as one gateway batch, and a ping of his on her topic (refused: foreign topic).
        mqtt.publish_wait(publisher, gateway_topic("gw-test"), json.dumps({"pings": pings[10:]}).encode())
        forged = make_ping(m.bracelet, 999, time.time() - 5, HER)
        mqtt.publish_wait(publisher, device_topic(m.victim_device.serial), json.dumps(forged).encode())
        wait_until(db(lambda: Ping.objects.count() == len(pings)), what=f"{len(pings)} stored pings")
        wait_until(db(lambda: Alert.objects.count() == 1), what="the alert")
        wait_until(db(lambda: RejectCount.objects.filter(reason="foreign_topic").first()), what="the foreign-topic reject")
        with DB_LOCK:
            alert = Alert.objects.get()
            assert (alert.kind, alert.case_id, alert.device_id) == (ConditionKind.PROXIMITY, m.case.pk, m.bracelet.pk)
            assert Episode.objects.filter(kind=ConditionKind.PROXIMITY, ended_at__isnull=True).count() == 1
            assert not Ping.objects.filter(seq=999).exists()
            assert RejectCount.objects.get(reason="foreign_topic").count == 1
        # Her device is told (part C publishes after commit).
        wait_until(lambda: alerts_seen.payloads(), what="the alert on her device's topic")
        assert json.loads(alerts_seen.payloads()[0])["alert"] == alert.pk
        # The whole stream again (a gateway resending after a lost ack): nothing new.
        processed = sum(c.messages for c in looping.monitor.consumers.values())
        publish_pings(publisher, pings)
        wait_until(
            lambda: sum(c.messages for c in looping.monitor.consumers.values()) >= processed + 1, what="the replay processed"
        )
        wait_until(db(lambda: RejectCount.objects.filter(reason="replayed", count__gte=len(pings)).exists()), what="replays counted")
        with DB_LOCK:
            assert (Ping.objects.count(), Alert.objects.count()) == (len(pings), 1)
    finally:
        looping.stop()
        alerts_seen.close()
    assert looping.monitor.shards == set()


def test_broker_restart_in_the_middle_of_a_stream(monitoring_factory, endpoint, router, publisher, pipeline_broker) -> None:
    sets = [monitoring_factory(shard=s, serial=3000 + 10 * s) for s in (0, 2)]
    start = time.time() - 900
    # Quiet pings first, then each offender's approach; 2 × (20 + 20) pings.
    streams = [
        approach(m, start=start, steps=[3000.0] * 10) + approach(m, start=start + 100, seq0=10) for m in sets
    ]
    pings = [p for pair in zip(*streams, strict=True) for p in pair]
    looping = Looping(endpoint, "monitor-a")
    try:
        wait_until(lambda: looping.monitor.shards == {0, 1, 2, 3}, what="the monitor owning the shards")
        half = len(pings) // 2
        publish_pings(publisher, pings[:half])
        pipeline_broker.restart()  # SIGTERM: mosquitto saves sessions and queues, then comes back
        wait_until(publisher.is_connected, what="the publisher reconnected")
        publish_pings(publisher, pings[half:])
        wait_until(db(lambda: Ping.objects.count() == len(pings)), timeout=30, what=f"{len(pings)} stored pings",
                   show=db(lambda: (Ping.objects.count(), str(pipeline_broker.directory), router.stats, [(c.shard, c.messages, c.client.is_connected()) for c in looping.monitor.consumers.values()],
                                     (pipeline_broker.directory / "mosquitto.log").read_text()[-3000:])))
        wait_until(db(lambda: Alert.objects.count() == 2), what="two alerts")
        with DB_LOCK:
            assert sorted(Alert.objects.values_list("device_id", "kind")) == sorted((m.bracelet.pk, "proximity") for m in sets)
            assert Episode.objects.count() == 2
    finally:
        looping.stop()


def _stored_for(m: Monitored) -> int:
    return Ping.objects.filter(device_id__in=[m.bracelet.pk, m.victim_device.pk]).count()


def test_two_monitors_share_shards_and_hand_over_queued_messages(monitoring_factory, endpoint, router, publisher) -> None:
    sets = {s: monitoring_factory(shard=s, serial=4000 + 10 * s) for s in range(4)}
    a = Monitor(endpoint, owner="monitor-a", lease_seconds=3, db_lock=DB_LOCK)
    b = Monitor(endpoint, owner="monitor-b", lease_seconds=3, db_lock=DB_LOCK)
    try:
        assert a.tick() == {0, 1, 2, 3}
        assert b.tick() == set()  # joined, nothing free yet
        assert a.tick() == {0, 1}  # a hands back its share over two …
        assert b.tick() == {2, 3}  # … which b takes
        a.shutdown()  # a stops cleanly; its shards' sessions stay on the broker, queuing
        pings = [p for m in sets.values() for p in approach(m, start=time.time() - 600)]
        publish_pings(publisher, pings)
        wait_until(db(lambda: all(_stored_for(sets[s]) == 20 for s in (2, 3))), what="b's own shards processed")
        with DB_LOCK:
            assert [_stored_for(sets[s]) for s in (0, 1)] == [0, 0]  # nobody consumes a's shards: queued
        assert b.tick() == {0, 1, 2, 3}
        wait_until(db(lambda: Ping.objects.count() == 80), what="the queued batches of a's shards")
        wait_until(db(lambda: Alert.objects.count() == 4), what="one alert per offender")
        with DB_LOCK:
            assert sorted(Alert.objects.values_list("device_id", flat=True)) == sorted(m.bracelet.pk for m in sets.values())
    finally:
        a.shutdown()
        b.shutdown()


def test_a_dead_monitors_shards_pass_on_when_its_leases_expire(monitoring_factory, endpoint, router, publisher) -> None:
    sets = {s: monitoring_factory(shard=s, serial=5000 + 10 * s) for s in (0, 3)}
    a = Monitor(endpoint, owner="monitor-a", lease_seconds=1, db_lock=DB_LOCK)
    b = Monitor(endpoint, owner="monitor-b", lease_seconds=1, db_lock=DB_LOCK)
    assert a.tick() == {0, 1, 2, 3}
    # a dies: its connections drop, its leases are never released.
    for consumer in a.consumers.values():
        consumer.stop()
    a.consumers.clear()
    try:
        pings = [p for m in sets.values() for p in approach(m, start=time.time() - 600)]
        publish_pings(publisher, pings)
        assert b.tick() == set()  # a's leases are still fresh
        wait_until(lambda: b.tick() == {0, 1, 2, 3}, timeout=5, what="b taking the expired leases")
        wait_until(db(lambda: Ping.objects.count() == 40), what="the batches queued while a was dead")
        wait_until(db(lambda: Alert.objects.count() == 2), what="one alert per offender")
    finally:
        b.shutdown()
        a.shutdown()


def test_pings_sent_while_no_router_is_connected_wait_for_it(monitoring_factory, endpoint, publisher) -> None:
    """The router's session is persistent and not shared (mosquitto queues nothing for an offline
    member of a shared subscription), so a router restart loses nothing."""
    m = monitoring_factory(shard=3)
    first = Router(endpoint, name="router-test", db_lock=DB_LOCK)
    first.start()  # its session and subscription now exist on the broker
    first.stop()
    looping = Looping(endpoint, "monitor-a")
    try:
        wait_until(lambda: looping.monitor.shards == {0, 1, 2, 3}, what="the monitor owning the shards")
        pings = approach(m, start=time.time() - 600)
        publish_pings(publisher, pings)  # no router connected
        with DB_LOCK:
            assert Ping.objects.count() == 0
        second = Router(endpoint, name="router-test", db_lock=DB_LOCK)
        second.start()
        try:
            wait_until(db(lambda: Ping.objects.count() == len(pings)), what="the pings queued for the router")
            wait_until(db(lambda: Alert.objects.count() == 1), what="the alert")
        finally:
            second.stop()
    finally:
        looping.stop()
