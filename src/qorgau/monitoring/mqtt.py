"""paho-mqtt clients with Qorgau's settings: the broker address and the service account from
``QORGAU_MONITORING``, TLS when ``MQTT_TLS_CA`` is set (production), MQTT 3.1.1 persistent sessions."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    username: str
    password: str
    tls_ca: str = ""

    @classmethod
    def from_settings(cls, *, port: int | None = None, password: str | None = None) -> Endpoint:
        from django.conf import settings

        from qorgau.monitoring.broker import service_password

        conf: dict[str, Any] = settings.QORGAU_MONITORING
        return cls(
            host=str(conf["MQTT_HOST"]),
            port=port if port is not None else int(conf["MQTT_PORT"]),
            username=str(conf["MQTT_USERNAME"]),
            password=password if password is not None else service_password(),
            tls_ca=str(conf["MQTT_TLS_CA"]),
        )


class ConnectError(ConnectionError):
    pass


def client_create(
    endpoint: Endpoint,
    *,
    client_id: str = "",
    persistent: bool = False,
    manual_ack: bool = False,
    username: str | None = None,
    password: str | None = None,
) -> paho.Client:
    """A client (not yet connected). ``persistent``: a fixed client id with clean session off, so
    the broker keeps its subscriptions and queues QoS 1 messages while it is away."""
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=not persistent,
        protocol=paho.MQTTv311,
        manual_ack=manual_ack,
    )
    client.username_pw_set(username if username is not None else endpoint.username, password if password is not None else endpoint.password)
    if endpoint.tls_ca:
        client.tls_set(ca_certs=endpoint.tls_ca, cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    # Outgoing QoS 1 window: a router republishes one batch per shard at once and waits for them all.
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    return client


def connect_wait(client: paho.Client, endpoint: Endpoint, *, timeout: float = 10.0, keepalive: int = 30) -> None:
    """Connect, start the network thread and wait for the broker's CONNACK; raise on refusal."""
    done = threading.Event()
    result: dict[str, Any] = {}
    previous = client.on_connect

    def on_connect(c: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        result["reason"] = reason
        done.set()
        if previous is not None:
            previous(c, userdata, flags, reason, properties)  # type: ignore[call-arg]

    client.on_connect = on_connect
    try:
        client.connect(endpoint.host, endpoint.port, keepalive=keepalive)
    except OSError as exc:
        client.on_connect = previous
        raise ConnectError(f"cannot reach the broker at {endpoint.host}:{endpoint.port}: {exc}") from exc
    client.loop_start()
    if not done.wait(timeout):
        client.loop_stop()
        client.on_connect = previous
        raise ConnectError(f"no answer from the broker at {endpoint.host}:{endpoint.port} within {timeout} s")
    client.on_connect = previous
    reason = result["reason"]
    if reason.is_failure:
        client.loop_stop()
        raise ConnectError(f"the broker refused the connection: {reason}")


def _wait(info: paho.MQTTMessageInfo, deadline: float) -> bool:
    if info.rc == paho.MQTT_ERR_SUCCESS:
        info.wait_for_publish(max(0.0, deadline - time.monotonic()))
        return info.is_published()
    if info.rc != paho.MQTT_ERR_NO_CONN:
        raise RuntimeError(f"publish failed: {paho.error_string(info.rc)}")
    # Not connected: paho keeps the QoS 1 message and sends it once it has reconnected. Its rc stays
    # MQTT_ERR_NO_CONN even after the PUBACK, and is_published() raises on that rc: read the flag.
    while not info._published:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def publish_wait(client: paho.Client, topic: str, payload: bytes | str, *, qos: int = 1, timeout: float = 10.0) -> None:
    """Publish and wait for the broker's PUBACK (QoS 1), across a reconnection if need be."""
    publish_all(client, [(topic, payload)], qos=qos, timeout=timeout)


def publish_all(client: paho.Client, messages: Sequence[tuple[str, bytes | str]], *, qos: int = 1, timeout: float = 10.0) -> None:
    """Publish several messages at once and wait until the broker has acknowledged every one."""
    infos = [client.publish(topic, payload, qos=qos) for topic, payload in messages]
    deadline = time.monotonic() + timeout
    for info in infos:
        if not _wait(info, deadline):
            raise TimeoutError(f"no PUBACK within {timeout} s")


def session_discard(endpoint: Endpoint, client_id: str) -> None:
    """End a persistent session for good (a retired router): connecting once with a clean session
    makes the broker drop the old one, its subscriptions and its queue."""
    client = client_create(endpoint, client_id=client_id)
    connect_wait(client, endpoint)
    disconnect(client)


def disconnect(client: paho.Client) -> None:
    try:
        client.disconnect()
    finally:
        client.loop_stop()
