"""A real Mosquitto for the MQTT tests: the project's own configuration (``qorgau.monitoring.broker``)
in a temporary directory, on a free port, one broker per test session and per xdist worker.

Import the fixtures into a test module (``from tests.monitoring.mqtt_fixtures import *``). A missing
mosquitto fails the tests loudly: these tests are the only proof that the ACLs and sessions hold.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest

from qorgau.monitoring import mqtt
from qorgau.monitoring.broker import Broker, free_port, mosquitto_binary

__all__ = ["Collector", "broker", "broker_factory", "mqtt_endpoint", "mqtt_settings", "wait_until"]


def wait_until(condition: Callable[[], Any], *, timeout: float = 15.0, what: str = "condition", show: Callable[[], Any] | None = None,
               poll: float = 0.02) -> Any:
    """Poll ``condition`` every ``poll`` seconds until it is truthy; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            seen = f"; {show()!r}" if show is not None else ""
            pytest.fail(f"timed out after {timeout} s waiting for {what} (last value: {value!r}{seen})")
        time.sleep(poll)


def _require_mosquitto() -> None:
    if mosquitto_binary() is None:
        pytest.fail("mosquitto is not installed (apt-get install mosquitto): the MQTT tests cannot run")


@pytest.fixture(scope="session")
def broker_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Broker]]:
    """``make(devices=[(serial, digest)], gateways=[name])``: start another broker of our own."""
    _require_mosquitto()
    started: list[Broker] = []

    def make(**kw: Any) -> Broker:
        directory: Path = tmp_path_factory.mktemp("mqtt")
        b = Broker(directory=directory, port=free_port(), service_secret=secrets.token_urlsafe(16), **kw)
        b.start()
        started.append(b)
        return b

    yield make
    for b in started:
        b.stop()


@pytest.fixture(scope="session")
def broker(broker_factory: Callable[..., Broker]) -> Broker:
    return broker_factory()


@pytest.fixture
def mqtt_endpoint(broker: Broker) -> mqtt.Endpoint:
    if broker.process is None or broker.process.poll() is not None:
        broker.start()  # a test that stopped it failed half-way
    return mqtt.Endpoint(host="127.0.0.1", port=broker.port, username="qorgau-service", password=broker.service_secret)


@pytest.fixture
def mqtt_settings(settings: Any, broker: Broker) -> dict[str, Any]:
    """Point the project's settings at the test broker (what the monitor and alert publishing read),
    with 4 shards and short leases so a test sees handovers within seconds."""
    conf = dict(settings.QORGAU_MONITORING)
    conf.update(
        SHARDS=4, LEASE_SECONDS=3, MQTT_HOST="127.0.0.1", MQTT_PORT=broker.port, MQTT_USERNAME="qorgau-service",
        MQTT_PASSWORD=broker.service_secret, MQTT_TLS_CA="",
    )
    settings.QORGAU_MONITORING = conf
    return conf


class Collector:
    """A subscriber that records what it receives (topic, payload) for assertions."""

    def __init__(self, endpoint: mqtt.Endpoint, topics: list[str], *, username: str | None = None, password: str | None = None) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.granted: list[int] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.client_create(endpoint, username=username, password=password)
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        mqtt.connect_wait(self.client, endpoint)
        self.client.subscribe([(t, 1) for t in topics])
        if not self._subscribed.wait(10):
            pytest.fail("no SUBACK from the broker")

    def _on_subscribe(self, client: paho.Client, userdata: Any, mid: int, reasons: list[Any], properties: Any) -> None:
        self.granted = [r.value for r in reasons]
        self._subscribed.set()

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload)))

    def payloads(self) -> list[bytes]:
        with self._lock:
            return [p for _, p in self.messages]

    def close(self) -> None:
        mqtt.disconnect(self.client)
