"""The stateless router (DESIGN §7): device and gateway messages in, one batch per virtual shard out.

One active router (standbys wait for its lease), or with ``shared`` any number of them on an MQTT
shared subscription (see ROUTER_CLIENT_ID below for why that is not the default). A router splits the pings by the shards of their
devices' offender sets (``ingest.route``) and republishes them to ``qorgau/shard/<n>``, where the
monitor owning that shard consumes them in order through the shard's persistent session.

Nothing is lost in between: an incoming message is acknowledged (manual ack) only after the broker
has acknowledged every batch it produced. A crash before that makes the broker deliver it again;
the republished copies are then duplicates that ingestion drops by their replay key (device, seq).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter, defaultdict
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as paho
from django.db import close_old_connections, connection

from qorgau.monitoring import messages, mqtt

log = logging.getLogger("qorgau.monitoring.router")

SHARE_GROUP = "qorgau-routers"
DEVICE_TOPICS = "qorgau/dev/+/pings"
GATEWAY_TOPICS = "qorgau/gw/+/pings"
# Mosquitto (2.0.11, checked) queues nothing for an offline member of a shared subscription: while
# no router is connected — a router restarting, or the minutes after a broker restart before the
# routers are back — pings the broker has acknowledged are dropped. The default is therefore ONE
# active router under a fixed persistent session that queues while it is away, with standbys
# waiting for its lease; shared mode is for scaling out, with that risk stated (docs).
ROUTER_CLIENT_ID = "qorgau-router"
ROUTER_LEASE = 29999  # a ShardLease row above any shard, below the monitors' member slots


def subscriptions(shared: bool) -> list[tuple[str, int]]:
    if shared:
        return [(f"$share/{SHARE_GROUP}/{DEVICE_TOPICS}", 1), (f"$share/{SHARE_GROUP}/{GATEWAY_TOPICS}", 1)]
    return [(DEVICE_TOPICS, 1), (GATEWAY_TOPICS, 1)]


def shard_topic(shard: int) -> str:
    return messages.shard_topic(shard)


@dataclass
class _Incoming:
    mid: int
    qos: int
    topic: str
    payload: bytes
    received_at: float


@dataclass
class RouterStats:
    messages: int = 0
    pings: int = 0
    batches: int = 0
    busy_seconds: float = 0.0
    rejected: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class Router:
    """Subscribe (shared), coalesce per shard for up to ``linger`` seconds or ``max_pings``,
    republish at QoS 1, then acknowledge the incoming messages."""

    def __init__(
        self, endpoint: mqtt.Endpoint, *, name: str = "router-1", linger: float = 0.05, max_messages: int = 1000,
        max_pings: int = 5000, db_lock: AbstractContextManager[Any] | None = None, shared: bool = False,
    ) -> None:
        self.endpoint = endpoint
        # Serialises this router's database work with others' where the database cannot take
        # concurrent writers (the tests' in-memory SQLite); a no-op otherwise.
        self.db_lock = db_lock if db_lock is not None else nullcontext()
        self.name = name
        self.linger = linger
        self.max_messages = max_messages
        self.max_pings = max_pings
        self.stats = RouterStats()
        self._inbox: queue.Queue[_Incoming] = queue.Queue()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        # Two connections: the subscriber's network thread must stay free to deliver PUBACKs for
        # the publisher while the worker waits on them. The subscriber's session is persistent under
        # the router's stable name, so the messages it has not acknowledged survive a broker restart
        # and come back to it (a clean session would drop them with the connection).
        self.shared = shared
        self.client_id = f"qorgau-{self.name}-in" if shared else ROUTER_CLIENT_ID
        self.sub = mqtt.client_create(endpoint, client_id=self.client_id, persistent=True, manual_ack=True)
        self.pub = mqtt.client_create(endpoint, client_id=f"qorgau-{self.name}-out")
        self.sub.on_connect = self._on_connect
        self.sub.on_message = self._on_message

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if not reason.is_failure:
            client.subscribe(subscriptions(self.shared))

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        self._inbox.put(_Incoming(msg.mid, msg.qos, msg.topic, bytes(msg.payload), time.time()))

    def start(self) -> None:
        mqtt.connect_wait(self.pub, self.endpoint)
        mqtt.connect_wait(self.sub, self.endpoint)
        self._worker = threading.Thread(target=self._run, name=f"{self.name}-worker", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        self._stop.set()
        if self._worker is not None:
            self._worker.join(10)
        mqtt.disconnect(self.sub)
        mqtt.disconnect(self.pub)

    def retire(self) -> None:
        """Stop and drop the persistent session, so the share group stops handing it messages."""
        self.stop()
        mqtt.session_discard(self.endpoint, self.client_id)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    first = self._inbox.get(timeout=0.2)
                except queue.Empty:
                    continue
                taken = [first]
                deadline = time.monotonic() + self.linger
                while len(taken) < self.max_messages:
                    wait = deadline - time.monotonic()
                    try:
                        item = self._inbox.get(timeout=wait) if wait > 0 else self._inbox.get_nowait()
                    except queue.Empty:
                        break
                    taken.append(item)
                self._handle_retrying(taken)
        finally:
            connection.close()

    def _handle_retrying(self, items: list[_Incoming]) -> None:
        for attempt in range(5):
            try:
                began = time.perf_counter()
                self.handle(items)
                self.stats.busy_seconds += time.perf_counter() - began
                return
            except Exception:
                # A database or broker hiccup: the messages are not acknowledged yet, so trying
                # again can at worst republish a batch twice, which ingestion drops by replay key.
                log.exception("router %s: batch of %d messages failed (attempt %d)", self.name, len(items), attempt + 1)
                connection.close()
                if self._stop.wait(min(0.2 * 2**attempt, 5.0)):
                    return
        # Still failing: drop the connection; the broker redelivers what we never acknowledged.
        log.error("router %s: giving up on %d messages; reconnecting to receive them again", self.name, len(items))
        mqtt.disconnect(self.sub)
        mqtt.connect_wait(self.sub, self.endpoint)

    def handle(self, items: list[_Incoming]) -> None:
        """Parse, route by shard and republish. The routing table lives in memory: the database is
        read only when the table is due for its stamp check (every few seconds, or sooner for an
        unknown serial) and written only for reject counts, once per call, so on the tests'
        in-memory SQLite this router seldom waits for ``db_lock`` while a monitor holds it."""
        from qorgau.monitoring.ingest import future_slack, rejects_record, route_due, route_refresh, route_split

        slack = future_slack()
        now = time.time()
        refused: Counter[tuple[str, str]] = Counter()
        parsed_items: list[tuple[_Incoming, list[dict[str, Any]]]] = []
        for item in items:
            # A device may publish only its own pings on its own topic (the ACL lets it write no other).
            parsed = messages.parse(item.payload, now=now, slack=slack, topic_serial=messages.topic_device(item.topic))
            refused.update(parsed.refused)
            if parsed.pings:
                parsed_items.append((item, parsed.pings))
        every = [p for _item, pings in parsed_items for p in pings]
        if route_due(every):
            with self.db_lock:
                close_old_connections()
                route_refresh(every)
        by_shard: dict[int, list[dict[str, Any]]] = defaultdict(list)
        received: dict[int, float] = {}
        for item, pings in parsed_items:
            routed, unrouted = route_split(pings)
            refused.update(unrouted)
            for shard, shard_pings in routed.items():
                by_shard[shard].extend(shard_pings)
                # A batch carries its earliest arrival, so latency is measured from the first receipt.
                received[shard] = min(received.get(shard, item.received_at), item.received_at)
            self.stats.pings += len(pings)
        if refused:
            for (reason, _serial), n in refused.items():
                self.stats.rejected[reason] += n
            with self.db_lock:
                close_old_connections()
                rejects_record(refused)
        out: list[tuple[str, bytes]] = []
        for shard, shard_pings in sorted(by_shard.items()):
            for start in range(0, len(shard_pings), self.max_pings):
                out.append((shard_topic(shard), messages.shard_message(shard_pings[start : start + self.max_pings], received[shard])))
        if out:
            mqtt.publish_all(self.pub, out)
        for item in items:
            self.sub.ack(item.mid, item.qos)
        self.stats.messages += len(items)
        self.stats.batches += len(out)


def run_router(endpoint: mqtt.Endpoint, stop: threading.Event, *, name: str = "router-1", shared: bool = False) -> Router:
    """Run a router until ``stop`` is set (the ``route`` command). Single mode: act only while
    holding the router lease, so a standby never fights the active router for its session."""
    from qorgau.monitoring import leases

    router = Router(endpoint, name=name, shared=shared)
    if shared:
        router.start()
        try:
            while not stop.wait(1.0):
                pass
        finally:
            router.stop()
        return router
    owner = f"{name}:{leases.owner_name()}"
    seconds = leases.lease_seconds()
    active = False
    try:
        while not stop.is_set():
            try:
                leases.lease_row_ensure(ROUTER_LEASE)
                held = leases.lease_acquire(owner, ROUTER_LEASE, seconds)
            except Exception:
                log.exception("router %s: lease round failed", name)
                connection.close()
                held = active  # keep going on a database hiccup; the lease expires if it lasts
            if held and not active:
                log.info("router %s: active", name)
                router = Router(endpoint, name=name, shared=False)
                router.start()
                active = True
            elif not held and active:
                log.warning("router %s: lost the router lease; standing by", name)
                router.stop()
                active = False
            stop.wait(max(1.0, seconds / 3))
    finally:
        if active:
            router.stop()
        leases.lease_release(owner)
        connection.close()
    return router
