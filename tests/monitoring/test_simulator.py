"""The simulator: its scripted days keep quiet sets far from her, and run over the HTTP endpoint
(INLINE) they raise exactly the alerts it scripted — one per approach, none on quiet days."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from qorgau.accounts.models import MachineToken
from qorgau.accounts.roles import Role
from qorgau.accounts.tokens import machine_token_issue
from qorgau.core import clock
from qorgau.monitoring import ingest, simulator
from qorgau.monitoring.geometry import haversine_m, offset
from qorgau.monitoring.models import Alert, Assignment, Device, Ping, Zone
from qorgau.monitoring.simulator import MIXED_CYCLE, SimSet, plan
from qorgau.orders.services import order_issue, order_serve
from tests.monitoring.conftest import HOME
from tests.monitoring.mqtt_fixtures import *  # noqa: F403 - the broker fixtures
from tests.monitoring.mqtt_fixtures import Collector, wait_until
from tests.monitoring.test_http_ingest import URL
from tests.orders.support import make_cases, police_input

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return haversine_m(a[0], a[1], b[0], b[1])


def _sets(scenarios: list[str]) -> list[SimSet]:
    return [SimSet(bracelet=f"B{i}", victim=f"V{i}", home=offset(HOME, east_m=20_000 * i), scenario=s) for i, s in enumerate(scenarios)]


def test_a_quiet_day_stays_far_from_her_and_her_home():
    sets = _sets(["quiet"] * 3)
    p = plan(sets, start=NOW.timestamp() - 3600, minutes=60, interval=10, seed=1)
    last: dict[str, tuple[float, float]] = {}
    closest = math.inf
    for ping in p.pings:
        last[ping["device"]] = (ping["lat"], ping["lon"])
        if ping["device"].startswith("B"):
            i = int(ping["device"][1:])
            closest = min(closest, _metres(last[ping["device"]], sets[i].home))
            if f"V{i}" in last:
                closest = min(closest, _metres(last[ping["device"]], last[f"V{i}"]))
    assert closest > 3000
    assert p.expected == Counter() and len(p.pings) == 3 * 2 * 361


def test_the_plan_says_what_it_scripted():
    p = plan(_sets(list(MIXED_CYCLE)), start=0, minutes=30, interval=20, seed=2)
    assert p.expected == Counter({"proximity": 1, "zone": 1, "tamper": 1, "low_battery": 1})
    assert p.expected_after_sweep == Counter({"no_signal": 1})
    assert p.per_scenario == Counter({"quiet": 3, "approach": 1, "zone": 1, "tamper": 1, "battery": 1, "silent": 1})
    assert "expected alerts: low_battery 1, proximity 1, tamper 1, zone 1" in p.summary()
    ts = [ping["ts"] for ping in p.pings]
    assert ts == sorted(ts)
    seqs = Counter((ping["device"], ping["seq"]) for ping in p.pings)
    assert max(seqs.values()) == 1  # the replay key is unique


def test_run_paces_by_device_time_and_batches():
    p = plan(_sets(["quiet"]), start=1000.0, minutes=2, interval=10, seed=3)
    now = {"t": 0.0}
    sent: list[list[dict]] = []
    report = simulator.run(p, sent.append, speed=10.0, tick=1.0, sleep=lambda s: now.__setitem__("t", now["t"] + s),
                           monotonic=lambda: now["t"])
    assert report.sent == len(p.pings) == 26 and sum(len(b) for b in sent) == 26
    # Ten seconds of device time per real second, a batch per real-time tick: pings 10 s apart per
    # device, two devices, so each batch holds at most one tick's worth (10 s of device time).
    assert all(max(q["ts"] for q in b) - min(q["ts"] for q in b) <= 10.0 for b in sent)
    assert now["t"] == pytest.approx((p.pings[-1]["ts"] - p.start) / 10.0, abs=1.0)


@pytest.mark.django_db
@pytest.mark.urls("tests.monitoring.test_http_ingest")
def test_a_mixed_day_over_http_raises_exactly_what_was_scripted(client, settings, monitoring_factory, make_user, monitoring_unit):
    settings.QORGAU_MONITORING = {**settings.QORGAU_MONITORING, "INLINE": True}
    ingest.processors_reset()
    made = [monitoring_factory(serial=5000 + 10 * i, home=offset(HOME, east_m=20_000 * i), shard=i % 3) for i in range(len(MIXED_CYCLE))]
    sets = [SimSet(bracelet=m.bracelet.serial, victim=m.victim_device.serial, home=m.home, scenario=s) for m, s in zip(made, MIXED_CYCLE, strict=True)]
    admin = make_user(Role.ADMINISTRATOR, unit=monitoring_unit, username="sim_admin")
    token = machine_token_issue(actor=admin, name="gw-sim", purpose=MachineToken.Purpose.DEVICE_GATEWAY, unit=monitoring_unit).token
    p = plan(sets, start=NOW.timestamp() - 3600, minutes=60, interval=15, seed=4)

    def send(pings: list[dict]) -> None:
        response = client.post(URL, data=json.dumps({"pings": pings}), content_type="application/json", HTTP_X_MACHINE_TOKEN=token)
        assert response.status_code == 202, response.content
        assert response.json()["rejected"] == {}

    with clock.frozen(NOW):
        report = simulator.run(p, send, speed=0, batch_size=500)
    assert report.sent == len(p.pings) == Ping.objects.count()
    assert Counter(Alert.objects.values_list("kind", flat=True)) == p.expected
    by_set = Counter(Alert.objects.values_list("offender_set_id", "kind"))
    for m, scenario in zip(made, MIXED_CYCLE, strict=True):
        mine = {k: n for (oset, k), n in by_set.items() if oset == m.offender_set.pk}
        assert mine == simulator.EXPECTED[scenario], scenario
    approach = made[MIXED_CYCLE.index("approach")]
    assert Alert.objects.get(kind="proximity").case_id == approach.case.pk
    ingest.processors_reset()


@pytest.mark.django_db
def test_the_command_creates_sets_on_cases_with_orders_and_runs_in_process(monitoring_unit, operator, mon_inspector, capsys):
    ingest.processors_reset()
    for i in range(2):
        (case,) = make_cases(mon_inspector, serial=7000 + 10 * i)
        order = order_issue(actor=mon_inspector, case=case, data=police_input(case))
        order_serve(actor=mon_inspector, order=order, version=order.version)
    call_command("simulate-devices", "--create", "--devices", "2", "--scenario", "approach", "--minutes", "30", "--interval", "20")
    out = capsys.readouterr().out
    assert "created 2 offender sets (4 devices)" in out
    assert "expected alerts: proximity 2" in out
    assert Device.objects.filter(serial__startswith="SIM-").count() == 4
    assert Assignment.objects.filter(device__serial__startswith="SIM-", ended_at__isnull=True).count() == 4
    assert Zone.objects.count() == 2
    assert Counter(Alert.objects.values_list("kind", flat=True)) == Counter({"proximity": 2})
    # A second run on the same sets continues their sequence numbers and device times: nothing is
    # a replay, nothing older than what the engine has seen.
    last = Ping.objects.order_by("-ts").first().ts
    with clock.frozen(last + dt.timedelta(hours=2)):
        call_command("simulate-devices", "--devices", "2", "--scenario", "approach", "--minutes", "10", "--interval", "20")
    assert Ping.objects.count() == 2 * 2 * 91 + 2 * 2 * 31
    assert Counter(Alert.objects.values_list("kind", flat=True)) == Counter({"proximity": 4})
    # Right after it, a fast day would start before the last pings: it refuses rather than send pings that decide nothing.
    now = last + dt.timedelta(hours=2)
    newest = Ping.objects.order_by("-ts").first().ts
    expected_wait = (newest - now).total_seconds() + 20 + 600
    with clock.frozen(now), pytest.raises(CommandError, match=f"reach {expected_wait:.0f} s past"):
        call_command("simulate-devices", "--devices", "2", "--scenario", "quiet", "--minutes", "10", "--interval", "20", "--max-wait", "0")
    ingest.processors_reset()


def test_a_new_day_starts_after_the_previous_runs_pings():
    assert simulator.start_after(10_000.0, 10, 0, 20, None) == (9_400.0, 0.0)
    assert simulator.start_after(10_000.0, 10, 0, 20, 9_000.0) == (9_400.0, 0.0)
    assert simulator.start_after(10_000.0, 10, 0, 20, 9_990.0) == (10_010.0, 610.0)
    assert simulator.start_after(10_000.0, 10, 1, 20, 9_990.0) == (10_010.0, 0.0)  # live: just after
    assert simulator.start_after(10_000.0, 2, 4, 5, 9_950.0) == (9_955.0, 45.0)


def test_the_mqtt_transports_publish_as_a_gateway_and_as_each_device(broker_factory):
    """Over a real Mosquitto with the project's ACLs: the gateway's batches on its own topic, each
    device's pings on its own topic with its own credentials."""
    from qorgau.monitoring import mqtt
    from qorgau.monitoring.broker import GATEWAYS_FILE, password_digest

    sets = _sets(["approach"])
    secrets = {"B0": "pw-b0", "V0": "pw-v0"}
    broker = broker_factory(devices=[(k, password_digest(v)) for k, v in secrets.items()], gateways=["gw-sim"])
    (broker.directory / GATEWAYS_FILE).write_text(f"gw-sim:{password_digest('pw-gw')}\n")
    broker.reload()
    wait_until(lambda: "gw-sim:" in (broker.directory / "passwd").read_text(), what="the gateway in the password file")
    endpoint = mqtt.Endpoint(host="127.0.0.1", port=broker.port, username="qorgau-service", password=broker.service_secret)
    seen = Collector(endpoint, ["qorgau/gw/+/pings", "qorgau/dev/+/pings"])
    p = plan(sets, start=NOW.timestamp() - 600, minutes=2, interval=10, seed=5)
    clients = []
    try:
        gw = mqtt.client_create(endpoint, username="gw-sim", password="pw-gw")
        mqtt.connect_wait(gw, endpoint)
        clients.append(gw)
        simulator.run(p, simulator.mqtt_gateway_sender(gw, "gw-sim"), speed=0, batch_size=10)
        per_device = {}
        for serial, password in secrets.items():
            c = mqtt.client_create(endpoint, username=serial, password=password)
            mqtt.connect_wait(c, endpoint)
            clients.append(c)
            per_device[serial] = c
        simulator.run(p, simulator.mqtt_device_sender(per_device), speed=0, batch_size=10)
        wait_until(lambda: len(seen.messages) == 3 + len(p.pings), what="every message")
    finally:
        for c in clients:
            mqtt.disconnect(c)
        seen.close()
    batches = [json.loads(m) for t, m in seen.messages if t == "qorgau/gw/gw-sim/pings"]
    assert [len(b["pings"]) for b in batches] == [10, 10, 6]
    singles = [(t, json.loads(m)) for t, m in seen.messages if t.startswith("qorgau/dev/")]
    assert all(t == f"qorgau/dev/{ping['device']}/pings" for t, ping in singles)
    assert sorted((ping["device"], ping["seq"]) for _t, ping in singles) == sorted((q["device"], q["seq"]) for q in p.pings)
