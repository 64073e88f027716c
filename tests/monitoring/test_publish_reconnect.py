"""Publishing while the broker is away waits for the reconnection instead of raising: paho keeps a
QoS 1 message published while disconnected with rc MQTT_ERR_NO_CONN, even after its PUBACK, and its
``is_published()`` raises on that rc (found by the fault tier, docs/faults.md)."""

from __future__ import annotations

import threading

import paho.mqtt.client as paho

from qorgau.monitoring import mqtt
from tests.monitoring.mqtt_fixtures import *  # noqa: F403
from tests.monitoring.mqtt_fixtures import wait_until


def test_publish_all_waits_across_a_broker_restart(broker_factory) -> None:
    b = broker_factory()
    endpoint = mqtt.Endpoint(host="127.0.0.1", port=b.port, username="qorgau-service", password=b.service_secret)
    client = mqtt.client_create(endpoint, client_id="reconnect-publisher", persistent=True)
    mqtt.connect_wait(client, endpoint)
    try:
        b.stop()
        wait_until(lambda: not client.is_connected(), what="the publisher noticing the broker gone")
        info = client.publish("qorgau/dev/RECONNECT-1/pings", b'{"probe": 1}', qos=1)
        assert info.rc == paho.MQTT_ERR_NO_CONN
        threading.Timer(0.5, b.start).start()
        # Still disconnected here: before the fix this raised "The client is not currently connected".
        mqtt.publish_all(client, [("qorgau/dev/RECONNECT-1/pings", b'{"probe": 2}')], timeout=30)
        assert info._published and client.is_connected()
    finally:
        mqtt.disconnect(client)
