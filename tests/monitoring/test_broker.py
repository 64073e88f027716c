"""The project's Mosquitto configuration, against a real broker: authentication, the topic ACL,
the password format, persistence of queued messages across a restart."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from qorgau.monitoring import mqtt
from qorgau.monitoring.broker import broker_write, password_check, password_digest
from tests.monitoring.mqtt_fixtures import *  # noqa: F403
from tests.monitoring.mqtt_fixtures import Collector, wait_until

DEVICE = "BR-ACL-1"
OTHER = "BR-ACL-2"
GATEWAY = "gw-almaty"
DEVICE_PW = "device-secret-1"
GATEWAY_PW = "gateway-secret-1"


@pytest.fixture(scope="module")
def acl_broker(broker_factory):
    from qorgau.monitoring.broker import GATEWAYS_FILE

    broker = broker_factory(devices=[(DEVICE, password_digest(DEVICE_PW)), (OTHER, password_digest("other-secret"))], gateways=[GATEWAY])
    # A gateway is listed once it has a broker password: give it one and reload.
    (broker.directory / GATEWAYS_FILE).write_text(f"{GATEWAY}:{password_digest(GATEWAY_PW)}\n")
    broker.reload()
    wait_until(lambda: f"{GATEWAY}:" in (broker.directory / "passwd").read_text(), what="gateway in the password file")
    return broker


def _endpoint(broker) -> mqtt.Endpoint:
    return mqtt.Endpoint(host="127.0.0.1", port=broker.port, username="qorgau-service", password=broker.service_secret)


def _connect(broker, username: str | None, password: str | None):
    endpoint = _endpoint(broker)
    client = mqtt.client_create(endpoint, client_id=f"t-{uuid.uuid4().hex[:8]}")
    if username is None:
        client.username_pw_set(None, None)
    else:
        client.username_pw_set(username, password)
    mqtt.connect_wait(client, endpoint, timeout=5)
    return client


def test_password_digest_is_mosquittos_format(tmp_path: Path) -> None:
    digest = password_digest("s3cret")
    kind, iterations, _salt, _hashed = digest.split("$")[1:]
    assert (kind, iterations) == ("7", "101")
    assert password_check("s3cret", digest) is True
    assert password_check("s3cret!", digest) is False
    # mosquitto_passwd's own output verifies with our check, so the two formats are one.
    path = tmp_path / "pw"
    path.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(path), "alice", "wonder"], check=True)
    theirs = path.read_text().strip().split(":", 1)[1]
    assert password_check("wonder", theirs) is True
    assert password_check("wander", theirs) is False


def test_config_files(settings, tmp_path: Path) -> None:
    path = broker_write(
        tmp_path, port=18999, service_secret="svc", gateways=["gw-1", "bad/name"], devices=[("BR-1", password_digest("x")), ("BR-2", "")]
    )
    conf = path.read_text().splitlines()
    for line in (
        "allow_anonymous false", "persistence true", "listener 18999 127.0.0.1", f"persistence_location {tmp_path.resolve() / 'data'}/",
        f"password_file {tmp_path.resolve() / 'passwd'}", f"acl_file {tmp_path.resolve() / 'acl'}",
    ):
        assert line in conf
    assert any(line.startswith("max_queued_messages ") for line in conf)
    assert any(line.startswith("max_inflight_messages ") for line in conf)
    assert any(line.startswith("persistent_client_expiration ") for line in conf)
    users = [line.split(":", 1)[0] for line in (tmp_path / "passwd").read_text().splitlines()]
    assert users == ["qorgau-service", "BR-1"]  # no gateway without a broker password; no device without a secret
    acl = (tmp_path / "acl").read_text().splitlines()
    assert "pattern write qorgau/dev/%u/pings" in acl
    assert "pattern read qorgau/dev/%u/alerts" in acl
    assert acl[1:3] == ["user qorgau-service", "topic readwrite qorgau/#"]
    assert oct((tmp_path / "passwd").stat().st_mode & 0o777) == "0o600"


def test_anonymous_and_wrong_password_are_refused(acl_broker) -> None:
    with pytest.raises(mqtt.ConnectError, match="refused"):
        _connect(acl_broker, None, None)
    with pytest.raises(mqtt.ConnectError, match="refused"):
        _connect(acl_broker, DEVICE, "wrong")
    with pytest.raises(mqtt.ConnectError, match="refused"):
        _connect(acl_broker, "qorgau-service", "wrong")
    mqtt.disconnect(_connect(acl_broker, DEVICE, DEVICE_PW))


def test_a_device_writes_only_its_own_topic(acl_broker) -> None:
    watcher = Collector(_endpoint(acl_broker), ["qorgau/#"])
    device = _connect(acl_broker, DEVICE, DEVICE_PW)
    try:
        # Mosquitto acknowledges a denied QoS 1 publish and drops it; messages of one client arrive in
        # order, so once the allowed one (sent last) is in, the denied ones would have been too.
        mqtt.publish_wait(device, f"qorgau/dev/{OTHER}/pings", b"forged")
        mqtt.publish_wait(device, "qorgau/shard/0", b"into-a-shard")
        mqtt.publish_wait(device, f"qorgau/gw/{GATEWAY}/pings", b"as-a-gateway")
        mqtt.publish_wait(device, f"qorgau/dev/{DEVICE}/alerts", b"own-alerts")
        mqtt.publish_wait(device, f"qorgau/dev/{DEVICE}/pings", b"own")
        wait_until(lambda: b"own" in watcher.payloads(), what="the device's own ping")
        assert watcher.messages == [(f"qorgau/dev/{DEVICE}/pings", b"own")]
    finally:
        mqtt.disconnect(device)
        watcher.close()


def test_a_device_cannot_read_shards_or_other_devices(acl_broker) -> None:
    endpoint = _endpoint(acl_broker)
    spy = Collector(endpoint, ["qorgau/shard/#", f"qorgau/dev/{OTHER}/alerts", f"qorgau/dev/{DEVICE}/alerts"], username=DEVICE, password=DEVICE_PW)
    service = mqtt.client_create(endpoint)
    mqtt.connect_wait(service, endpoint)
    try:
        mqtt.publish_wait(service, "qorgau/shard/3", b"shard-batch")
        mqtt.publish_wait(service, f"qorgau/dev/{OTHER}/alerts", b"not-yours")
        mqtt.publish_wait(service, f"qorgau/dev/{DEVICE}/alerts", b"yours")
        wait_until(lambda: spy.payloads(), what="the device's own alert")
        assert spy.messages == [(f"qorgau/dev/{DEVICE}/alerts", b"yours")]
    finally:
        mqtt.disconnect(service)
        spy.close()


def test_a_gateway_writes_only_its_own_batch_topic(acl_broker) -> None:
    watcher = Collector(_endpoint(acl_broker), ["qorgau/#"])
    gateway = _connect(acl_broker, GATEWAY, GATEWAY_PW)
    try:
        mqtt.publish_wait(gateway, "qorgau/gw/gw-other/pings", b"foreign")
        mqtt.publish_wait(gateway, "qorgau/shard/1", b"shard")
        mqtt.publish_wait(gateway, f"qorgau/gw/{GATEWAY}/pings", b"batch")
        wait_until(lambda: watcher.payloads(), what="the gateway's batch")
        assert watcher.messages == [(f"qorgau/gw/{GATEWAY}/pings", b"batch")]
    finally:
        mqtt.disconnect(gateway)
        watcher.close()


def test_queued_messages_of_a_persistent_session_survive_a_restart(broker_factory) -> None:
    broker = broker_factory()
    endpoint = _endpoint(broker)
    consumer = mqtt.client_create(endpoint, client_id="qorgau-shard-9", persistent=True)
    consumer.on_connect = lambda c, *a: c.subscribe("qorgau/shard/9", qos=1)
    mqtt.connect_wait(consumer, endpoint)
    wait_until(lambda: consumer.is_connected(), what="consumer connected")
    mqtt.disconnect(consumer)  # away: the broker queues for the session
    producer = mqtt.client_create(endpoint)
    mqtt.connect_wait(producer, endpoint)
    for i in range(5):
        mqtt.publish_wait(producer, "qorgau/shard/9", f"m{i}".encode())
    mqtt.disconnect(producer)
    broker.restart()
    got: list[bytes] = []
    consumer = mqtt.client_create(endpoint, client_id="qorgau-shard-9", persistent=True)
    consumer.on_message = lambda c, u, msg: got.append(bytes(msg.payload))  # one network thread appends
    mqtt.connect_wait(consumer, endpoint)
    try:
        wait_until(lambda: len(got) >= 5, what="the queued messages after the restart")
        assert got == [b"m0", b"m1", b"m2", b"m3", b"m4"]
    finally:
        mqtt.disconnect(consumer)
