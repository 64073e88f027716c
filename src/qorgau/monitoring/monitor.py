"""A monitor process (DESIGN §7): owns virtual shards through leases and consumes each one's queue.

Each owned shard has its own MQTT client with the fixed client id ``qorgau-shard-<n>`` and clean
session off, so the broker keeps the shard's subscription and queues its batches on disk while no
process holds it; whoever takes the lease next connects under the same id and receives them. A
message is acknowledged only after ``ShardProcessor.process`` has returned, that is after its
database transaction committed; a crash before that makes the broker deliver it again, and the
replay key (device, seq) makes the second delivery a no-op.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import paho.mqtt.client as paho
from django.db import close_old_connections, connection

from qorgau.core import clock
from qorgau.monitoring import leases, messages, mqtt
from qorgau.monitoring.messages import shard_topic

log = logging.getLogger("qorgau.monitoring.monitor")

ESCALATE_EVERY_SECONDS = 15.0
PROCESS_ATTEMPTS = 3


def shard_client_id(shard: int) -> str:
    return f"qorgau-shard-{shard}"


class ShardConsumer:
    """One shard's persistent session; messages are processed in paho's network thread, in order."""

    def __init__(
        self, shard: int, endpoint: mqtt.Endpoint, on_processed: Callable[[int, Any], None] | None = None,
        db_lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.shard = shard
        self.db_lock = db_lock if db_lock is not None else nullcontext()
        self.endpoint = endpoint
        self.on_processed = on_processed
        self.broken = False
        self.messages = 0
        self.busy_seconds = 0.0  # time spent processing (the bench reads it)
        self._processor: Any = None
        self.client = mqtt.client_create(endpoint, client_id=shard_client_id(shard), persistent=True, manual_ack=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect

    def start(self) -> None:
        mqtt.connect_wait(self.client, self.endpoint)

    def stop(self) -> None:
        mqtt.disconnect(self.client)

    def _on_connect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if not reason.is_failure:
            client.subscribe(shard_topic(self.shard), qos=1)

    def _on_disconnect(self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        # Runs in the network thread, which owns its own database connection.
        connection.close()

    def _processor_get(self) -> Any:
        if self._processor is None:
            from qorgau.monitoring.ingest import ShardProcessor

            self._processor = ShardProcessor(self.shard)
        return self._processor

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        with self.db_lock:
            self._handle(client, msg)

    def _handle(self, client: paho.Client, msg: paho.MQTTMessage) -> None:
        from qorgau.monitoring.ingest import future_slack

        try:
            parsed = messages.shard_decode(bytes(msg.payload), now=clock.now().timestamp(), slack=future_slack())
            if parsed.received_at is None:
                raise ValueError("no receipt time")
            received_at = dt.datetime.fromtimestamp(parsed.received_at, tz=dt.UTC)
        except (ValueError, KeyError, TypeError):
            # Only a router writes here; a batch we cannot read would block the shard for good.
            log.error("shard %d: unreadable batch dropped", self.shard)
            close_old_connections()
            from qorgau.monitoring.ingest import rejects_record

            rejects_record({("malformed", "?"): 1})
            client.ack(msg.mid, msg.qos)
            return
        for attempt in range(PROCESS_ATTEMPTS):
            close_old_connections()
            began = time.perf_counter()
            try:
                result = self._processor_get().process(parsed.pings, received_at, checked=parsed.refused)
                self.busy_seconds += time.perf_counter() - began
            except Exception:
                log.exception("shard %d: batch failed (attempt %d)", self.shard, attempt + 1)
                connection.close()  # the processor has rebuilt its engine from what was committed
                time.sleep(min(0.2 * 2**attempt, 2.0))
                continue
            client.ack(msg.mid, msg.qos)
            self.messages += 1
            if self.on_processed is not None:
                self.on_processed(self.shard, result)
            close_old_connections()
            return
        # Not acknowledged: the monitor reconnects this shard and the broker delivers the batch again.
        self.broken = True
        client.disconnect()


class Monitor:
    """Take a fair share of the shards, consume them, follow lease changes, release on shutdown."""

    def __init__(
        self,
        endpoint: mqtt.Endpoint,
        *,
        owner: str | None = None,
        lease_seconds: int | None = None,
        on_processed: Callable[[int, Any], None] | None = None,
        db_lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.endpoint = endpoint
        # See Router: serialises database work where the database cannot take concurrent writers.
        self.db_lock = db_lock if db_lock is not None else nullcontext()
        self.owner = owner or leases.owner_name()
        self.lease_seconds = lease_seconds if lease_seconds is not None else leases.lease_seconds()
        self.on_processed = on_processed
        self.consumers: dict[int, ShardConsumer] = {}
        self._last_escalation = 0.0

    @property
    def shards(self) -> set[int]:
        return set(self.consumers)

    def tick(self) -> set[int]:
        """One round of the lease loop; returns the shards consumed afterwards. Consumers are
        started and stopped outside ``db_lock``: a stopping consumer may be waiting for it."""
        with self.db_lock:
            close_old_connections()
            owned, excess = leases.leases_balance(self.owner, self.lease_seconds)
        # Stop consuming before giving a lease up, so two processes never consume one shard.
        for shard in excess:
            self._stop_consumer(shard)
        if excess:
            with self.db_lock:
                leases.lease_release(self.owner, excess)
        keep = owned - set(excess)
        for shard in sorted(set(self.consumers) - keep):
            log.warning("shard %d: lease lost", shard)
            self._stop_consumer(shard)
        for shard in sorted(keep):
            consumer = self.consumers.get(shard)
            if consumer is not None and consumer.broken:
                self._stop_consumer(shard)
                consumer = None
            if consumer is None:
                self._start_consumer(shard)
        with self.db_lock:
            self._escalate()
        return self.shards

    def _start_consumer(self, shard: int) -> None:
        consumer = ShardConsumer(shard, self.endpoint, self.on_processed, self.db_lock)
        try:
            consumer.start()
        except mqtt.ConnectError:
            log.exception("shard %d: cannot connect; will retry", shard)
            return
        self.consumers[shard] = consumer

    def _stop_consumer(self, shard: int) -> None:
        consumer = self.consumers.pop(shard, None)
        if consumer is not None:
            consumer.stop()

    def _escalate(self) -> None:
        if time.monotonic() - self._last_escalation < ESCALATE_EVERY_SECONDS:
            return
        self._last_escalation = time.monotonic()
        from qorgau.monitoring import alerts

        if hasattr(alerts, "alerts_escalate_due"):
            try:
                alerts.alerts_escalate_due()
            except Exception:
                log.exception("alert escalation failed")

    def shutdown(self) -> None:
        for shard in list(self.consumers):
            self._stop_consumer(shard)
        with self.db_lock:
            close_old_connections()
            leases.lease_release(self.owner)
            connection.close()

    def run(self, stop: threading.Event, *, interval: float | None = None) -> None:
        interval = interval if interval is not None else max(1.0, self.lease_seconds / 3)
        try:
            while not stop.is_set():
                try:
                    self.tick()
                except Exception:
                    # A database outage: keep consuming what we hold; leases we cannot renew expire.
                    log.exception("monitor %s: lease round failed", self.owner)
                    connection.close()
                stop.wait(interval)
        finally:
            self.shutdown()
