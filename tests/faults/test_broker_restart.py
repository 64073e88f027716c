"""Fault: the MQTT broker restarts while devices publish. The router and the monitor (real
``qorgau route`` / ``qorgau monitor`` processes) and the devices reconnect by themselves; the
persistent sessions and queued QoS 1 messages come back from the broker's disk; every ping is
stored exactly once and every scripted approach becomes exactly one alert."""

from __future__ import annotations

import time

import pytest

from tests.faults.services import DeviceStream, pipeline_start, scripted_approach, wait_for

pytestmark = pytest.mark.fault


def test_broker_restart_while_devices_publish(installation, fault_broker) -> None:
    sets = installation.probe("monitored_sets", shards=[0, 1, 2, 3], serial0=7000)
    pipeline_start(installation)
    start = time.time() - 900
    streams = [scripted_approach(s["bracelet"], s["victim_device"], start=start) for s in sets]
    pings = [p for group in zip(*streams, strict=True) for p in group]  # interleaved, as devices send them
    stream = DeviceStream(installation, pings, rate=40, client_id="fault-devices").start()
    try:
        wait_for(lambda: stream.sent >= len(pings) // 3, timeout=30, what="a third of the stream sent")
        fault_broker.stop()  # SIGTERM: mosquitto writes its sessions and queues to disk
        time.sleep(2)  # devices keep publishing into paho's queue meanwhile
        sent_during = stream.sent
        fault_broker.start()
        assert installation.alive("router") and installation.alive("monitor")
        assert stream.finish(timeout=60) == len(pings)
        assert sent_during < len(pings)  # the outage fell in the middle of the stream
        device_ids = [s[k] for s in sets for k in ("bracelet_id", "victim_device_id")]
        expected = {str(d): len(pings) // len(device_ids) for d in device_ids}

        def stored():
            return installation.probe("pings_and_alerts", device_ids=device_ids)

        state = wait_for(lambda: (lambda st: st if st["pings"] == expected and len(st["alerts"]) >= 4 else None)(stored()),
                         timeout=60, what="every ping stored and the alerts raised",
                         show=lambda: (stored(), installation.tail("router", 1500), installation.tail("monitor", 1500)))
        time.sleep(2)  # anything doubled would arrive now
        state = stored()
        assert state["pings"] == expected
        assert state["doubled"] == 0
        assert state["alerts"] == sorted([s["bracelet_id"], "proximity"] for s in sets)
        # Nobody restarted the router or the monitor: they reconnected by themselves.
        assert installation.alive("router") and installation.alive("monitor")
    finally:
        stream.close()
