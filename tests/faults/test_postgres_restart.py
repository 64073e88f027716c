"""Fault: PostgreSQL stops and starts again while several clients register reports through the API
and devices stream pings through the broker, the router and the monitor.

Proves: every report answered 201 exists whole (incident, both parties, case, the unit's grant, the
audit row) and nothing is half-written; a request that met the outage got a 503 with
"the database cannot be reached" (no traceback, no driver message) and succeeded when retried, without doubling the report; every ping
is stored exactly once and each scripted approach became exactly one alert; the web server, the
router and the monitor were never restarted.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from tests.cases.factories import synthetic_iin
from tests.faults.services import DeviceStream, http_post_json, pipeline_start, scripted_approach, wait_for

pytestmark = pytest.mark.fault

CLIENTS, REPORTS_EACH = 4, 10
OUTAGE_SECONDS = 3
LEAKS = ("traceback", "file \"", "psycopg", "operationalerror", "interfaceerror", "connection refused", "django.db", "postgres",
         "127.0.0.1")
VICTIMS = ["Сапарова Айгерим", "Нурланова Гульмира", "Ахметова Сауле", "Касымова Динара"]
OFFENDERS = ["Сапаров Ерлан", "Нурланов Болат", "Ахметов Марат", "Касымов Тимур"]


def report_body(n: int) -> tuple[dict[str, Any], str]:
    """Report ``n``: a victim and an offender of their own (unique IINs), so each is a new case."""
    now = dt.datetime.now(dt.UTC)
    victim_birth, offender_birth = dt.date(1980, 1, 1) + timedelta(days=n), dt.date(1970, 1, 1) + timedelta(days=n)
    victim_iin = synthetic_iin(victim_birth, "F", 1000)
    body = {
        "channel": "police_102",
        "received_at": (now - timedelta(minutes=30)).isoformat(),
        "occurred_at": (now - timedelta(hours=2)).isoformat(),
        "region_iso": "KZ-75",
        "district_kato": "751110000",
        "forms": ["physical"],
        "narrative": "Ударил.",
        "victims": [{"relationship": "spouse", "person": {
            "full_name": VICTIMS[n % 4], "iin": victim_iin, "birth_date": victim_birth.isoformat(), "sex": "F"}}],
        "offender": {"full_name": OFFENDERS[n % 4], "iin": synthetic_iin(offender_birth, "M", 1000),
                     "birth_date": offender_birth.isoformat(), "sex": "M"},
    }
    return body, victim_iin


class Registrar(threading.Thread):
    """One API client registering its reports one after another; a failed request is retried (as a
    client would) until it gets its 201."""

    def __init__(self, base: str, token: str, numbers: range) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.numbers = base, token, numbers
        self.created: dict[int, int] = {}  # report number n → report id
        self.failures: list[tuple[int, int, str]] = []  # (n, status, body)
        self.iins: dict[int, str] = {}

    def run(self) -> None:
        for n in self.numbers:
            body, self.iins[n] = report_body(n)
            for _attempt in range(60):
                status, text = http_post_json(self.base + "/api/v1/reports", body, token=self.token)
                if status == 201:
                    import json

                    self.created[n] = json.loads(text)["report_id"]
                    break
                self.failures.append((n, status, text[:2000]))
                time.sleep(0.5)
            time.sleep(0.05)


def test_postgres_restart_under_reports_and_pings(installation, fault_broker, fault_cluster) -> None:
    pg, _ = fault_cluster
    inspector = installation.probe("inspector_token", username="fault_inspector")
    sets = installation.probe("monitored_sets", shards=[0, 1, 2, 3], serial0=8000)
    base = installation.serve_web(workers=2)
    installation.spawn_qorgau("worker", "worker", "--interval", "0.5", "--no-startup-delay")
    installation.spawn_qorgau("scheduler", "scheduler")
    pipeline_start(installation)
    start = time.time() - 900
    streams = [scripted_approach(s["bracelet"], s["victim_device"], start=start) for s in sets]
    pings = [p for group in zip(*streams, strict=True) for p in group]
    clients = [Registrar(base, inspector["token"], range(i * REPORTS_EACH, (i + 1) * REPORTS_EACH)) for i in range(CLIENTS)]
    stream = DeviceStream(installation, pings, rate=16, client_id="fault-devices-pg").start()
    try:
        for c in clients:
            c.start()
        wait_for(lambda: sum(len(c.created) for c in clients) >= CLIENTS and stream.sent >= len(pings) // 4, timeout=60,
                 what="reports and pings flowing", show=lambda: installation.tail("web"))
        pg.stop()  # fast shutdown: every connection of every process is cut
        sent_at_stop = stream.sent
        time.sleep(OUTAGE_SECONDS)
        sent_at_start = stream.sent
        pg.start()
        assert sent_at_stop < sent_at_start < len(pings)  # devices published through the outage
        for c in clients:
            c.join(180)
        assert not any(c.is_alive() for c in clients), "a client never got its reports registered"
        assert stream.finish(timeout=60) == len(pings)

        # --- reports -----------------------------------------------------------------------------
        created = {n: rid for c in clients for n, rid in c.created.items()}
        failures = [f for c in clients for f in c.failures]
        iins = {n: iin for c in clients for n, iin in c.iins.items()}
        assert sorted(created) == list(range(CLIENTS * REPORTS_EACH))  # every report registered in the end
        assert failures, "no request met the outage: the fault was not exercised"
        for n, status, text in failures:
            assert status == 503, (n, status, text)  # "the database cannot be reached": a client retries
            assert not [leak for leak in LEAKS if leak in text.lower()], (n, status, text)
            assert "cannot be reached right now. nothing you saved was lost" in text.lower(), (n, status, text)
        whole = installation.probe("reports_whole", report_ids=sorted(created.values()), unit=inspector["unit"])
        assert whole["problems"] == []
        assert whole["half_written"] == {k: 0 for k in whole["half_written"]}
        per_victim = installation.probe("reports_per_victim", iins=list(iins.values()))
        assert per_victim == {iin: 1 for iin in iins.values()}  # a retried request did not double its report
        assert whole["unit_reports"] == len(created)

        # --- pings and alerts --------------------------------------------------------------------
        device_ids = [s[k] for s in sets for k in ("bracelet_id", "victim_device_id")]
        expected = {str(d): len(pings) // len(device_ids) for d in device_ids}

        def stored() -> dict[str, Any]:
            return installation.probe("pings_and_alerts", device_ids=device_ids)

        wait_for(lambda: (lambda st: st["pings"] == expected and len(st["alerts"]) >= len(sets))(stored()), timeout=90,
                 what="every ping stored and the alerts raised",
                 show=lambda: (stored(), installation.tail("router", 1500), installation.tail("monitor", 2500)))
        time.sleep(2)  # a doubled alert would arrive now
        state = stored()
        assert (state["pings"], state["doubled"]) == (expected, 0)
        assert state["alerts"] == sorted([s["bracelet_id"], "proximity"] for s in sets)

        # --- nobody restarted anything -----------------------------------------------------------
        for name in ("web", "router", "monitor", "worker", "scheduler"):
            assert installation.alive(name), (name, installation.tail(name))
        status, text = http_post_json(base + "/api/v1/reports", report_body(999)[0], token=inspector["token"])
        assert status == 201, text
    finally:
        stream.close()
