"""The gateway endpoint ``POST /api/v1/monitoring/ingest``: only a device-gateway machine token gets
in; a body that is not a batch gets a clear 413/422; a good batch is routed, processed (INLINE) and
answered 202 with its counts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import Resolver404, path, resolve
from ninja import NinjaAPI

from qorgau.accounts.models import MachineToken
from qorgau.accounts.roles import Role
from qorgau.accounts.tokens import machine_token_issue
from qorgau.api import api as project_api
from qorgau.core import clock
from qorgau.monitoring import ingest, messages
from qorgau.monitoring.api_ingest import ingest_router
from qorgau.monitoring.geometry import offset
from qorgau.monitoring.models import Alert, ConditionKind, Ping, RejectCount
from tests.monitoring.conftest import FAR, HOME, make_ping
from tests.monitoring.mqtt_fixtures import *  # noqa: F403 - the broker fixtures
from tests.monitoring.mqtt_fixtures import Collector, wait_until

URL = "/api/v1/monitoring/ingest"


def _urlpatterns() -> list:
    """The project's URLs once the lead has mounted ``ingest_router`` on the API; until then the
    same router on a test API with the project's error handlers."""
    try:
        resolve(URL)
        from qorgau.urls import urlpatterns

        return list(urlpatterns)
    except Resolver404:
        test_api = NinjaAPI(urls_namespace="ingest_test")
        test_api._exception_handlers = dict(project_api._exception_handlers)
        test_api.add_router("/", ingest_router)
        return [path("api/v1/", test_api.urls)]


urlpatterns = _urlpatterns()
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _inline(settings):
    settings.QORGAU_MONITORING = {**settings.QORGAU_MONITORING, "INLINE": True}
    ingest.processors_reset()
    yield
    ingest.processors_reset()


@pytest.fixture
def admin(make_user, monitoring_unit):
    return make_user(Role.ADMINISTRATOR, unit=monitoring_unit, username="mon_admin")


@pytest.fixture
def gateway_token(admin, monitoring_unit) -> str:
    return machine_token_issue(actor=admin, name="gw-almaty", purpose=MachineToken.Purpose.DEVICE_GATEWAY, unit=monitoring_unit).token


def post(client, body: bytes | str | dict, token: str | None):
    data = json.dumps(body) if isinstance(body, dict) else body
    headers = {"HTTP_X_MACHINE_TOKEN": token} if token is not None else {}
    headers["HTTP_ACCEPT_LANGUAGE"] = "en"  # the messages are checked in English (Russian is the default)
    return client.post(URL, data=data, content_type="application/json", **headers)


def at(seconds: float) -> dt.datetime:
    return NOW - dt.timedelta(minutes=30) + dt.timedelta(seconds=seconds)


def test_only_a_device_gateway_token_gets_in(client, monitored, admin, monitoring_unit, gateway_token):
    body = {"pings": [make_ping(monitored.bracelet, 1, at(0), FAR)]}
    importer = machine_token_issue(actor=admin, name="importer", purpose=MachineToken.Purpose.IMPORT, unit=monitoring_unit, acts_for=admin)
    for token in (None, "", "qgm_nope_nope", importer.token, gateway_token[:-2] + "xx"):
        response = post(client, body, token)
        assert response.status_code == 401, token
        assert response.json()["code"] == "unauthenticated"
    assert Ping.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 422),
        (b"[1, 2]", 422),
        (b'{"pings": "many"}', 422),
        (b"\xff\xfe", 422),
    ],
)
def test_a_body_that_is_not_a_batch_gets_a_clear_message(client, monitored, gateway_token, body, status):
    response = post(client, body, gateway_token)
    assert response.status_code == status
    payload = response.json()
    assert payload["code"] == "invalid" and payload["detail"] == "The request body is not a batch of pings."
    assert RejectCount.objects.get(reason="malformed").count == 1


def test_too_many_pings_is_413(client, monitored, gateway_token):
    body = {"pings": [make_ping(monitored.bracelet, i, at(i), FAR) for i in range(5001)]}
    response = post(client, body, gateway_token)
    assert response.status_code == 413 and response.json()["fields"]["body"] == ["At most 5,000 pings per request."]
    assert Ping.objects.count() == 0 and RejectCount.objects.get(reason="malformed").count == 5001


def test_a_good_batch_is_stored_and_raises_once(client, monitored, gateway_token):
    close = offset(HOME, north_m=20)
    pings = [make_ping(monitored.bracelet, i, at(30 * i), close if i >= 3 else FAR) for i in range(1, 6)]
    pings += [make_ping(monitored.victim_device, 1, at(0), offset(HOME, east_m=9000))]
    pings += [make_ping("NOBODY", 1, at(0), FAR), {"device": monitored.bracelet.serial, "seq": 99, "ts": "yesterday", "lat": 1, "lon": 2}]
    with clock.frozen(NOW):
        response = post(client, {"pings": pings}, gateway_token)
        again = post(client, {"pings": pings}, gateway_token)
    assert response.status_code == 202
    assert response.json() == {
        "accepted": 6, "replayed": 0, "rejected": {"malformed": 1, "unknown_device": 1}, "alerts": 1, "queued": False,
    }
    assert again.status_code == 202
    assert again.json() == {"accepted": 0, "replayed": 6, "rejected": {"malformed": 1, "unknown_device": 1}, "alerts": 0, "queued": False}
    assert Ping.objects.count() == 6
    alert = Alert.objects.get()
    assert alert.kind == ConditionKind.ZONE and alert.case_id == monitored.case.pk


def test_a_single_ping_object_is_accepted_too(client, monitored, gateway_token):
    with clock.frozen(NOW):
        response = post(client, make_ping(monitored.bracelet, 1, at(0), FAR), gateway_token)
    assert response.status_code == 202 and response.json()["accepted"] == 1


def test_queued_mode_hands_each_shard_its_batch_over_mqtt(client, monitoring_factory, gateway_token, settings, mqtt_settings, mqtt_endpoint):
    from qorgau.monitoring import api_ingest, mqtt

    settings.QORGAU_MONITORING = {**settings.QORGAU_MONITORING, "INLINE": False}
    first = monitoring_factory(shard=1)
    second = monitoring_factory(shard=2, serial=3000, victim_device=first.victim_device)
    collector = Collector(mqtt_endpoint, ["qorgau/shard/#"])
    api_ingest._publisher = None
    try:
        pings = [make_ping(first.victim_device, 1, at(0), FAR), make_ping(second.bracelet, 1, at(0), FAR), make_ping("NOBODY", 1, at(0), FAR)]
        with clock.frozen(NOW):
            response = post(client, {"pings": pings}, gateway_token)
        assert response.status_code == 202
        assert response.json() == {"accepted": 3, "replayed": 0, "rejected": {"unknown_device": 1}, "alerts": 0, "queued": True}
        wait_until(lambda: len(collector.messages) == 2, what="two shard batches")
        got = {topic: messages.shard_decode(payload, now=NOW.timestamp()) for topic, payload in collector.messages}
        assert sorted(got) == ["qorgau/shard/1", "qorgau/shard/2"]
        assert [p["device"] for p in got["qorgau/shard/1"].pings] == [first.victim_device.serial]
        assert [p["device"] for p in got["qorgau/shard/2"].pings] == [first.victim_device.serial, second.bracelet.serial]
        assert got["qorgau/shard/1"].received_at == NOW.timestamp()
        assert Ping.objects.count() == 0  # the monitors store them, not the web process
    finally:
        collector.close()
        if api_ingest._publisher is not None:
            mqtt.disconnect(api_ingest._publisher)
        api_ingest._publisher = None


def test_queued_mode_without_a_broker_is_503(client, monitored, gateway_token, settings):
    from qorgau.monitoring import api_ingest
    from qorgau.monitoring.broker import free_port

    settings.QORGAU_MONITORING = {**settings.QORGAU_MONITORING, "INLINE": False, "MQTT_PORT": free_port(), "MQTT_PASSWORD": "x"}
    api_ingest._publisher = None
    with clock.frozen(NOW):
        response = post(client, {"pings": [make_ping(monitored.bracelet, 1, at(0), FAR)]}, gateway_token)
    assert response.status_code == 503
    assert response.json() == {"code": "unavailable", "detail": "The monitoring broker is unavailable; send the batch again."}


def test_a_failing_database_is_503_not_500_and_the_resend_works(client, monitored, gateway_token, monkeypatch):
    body = {"pings": [make_ping(monitored.bracelet, 1, at(0), offset(HOME, north_m=10))]}

    def down(self, pings, received_at):
        raise RuntimeError("database is locked")

    with clock.frozen(NOW):
        monkeypatch.setattr(ingest.ShardProcessor, "process", down)
        response = post(client, body, gateway_token)
        assert response.status_code == 503
        assert response.json() == {"code": "unavailable", "detail": "The batch could not be processed now; send it again."}
        monkeypatch.undo()
        again = post(client, body, gateway_token)
    assert again.status_code == 202 and again.json()["accepted"] == 1 and again.json()["alerts"] == 1
