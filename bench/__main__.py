"""``make bench``: Qorgau's benchmarks, each as a ratio against a baseline from the same run.

Foundation figures: field encryption and blind indexes against the bare primitives, audit appends
against a plain insert, audit sealing against an in-memory HMAC chain, and a signed-in page
against Django's own empty endpoint, all in one process on an SQLite test database. Person
matching (issue 4): precision, recall and F1 on a generated labelled set beside Splink and
recordlinkage, and the engine against a large registry (``bench.registry_scale``). Risk assessment
(issue 5): the reassessment queue and the registry pre-fill (``bench.risk``). Analytics (issue 9):
the dashboards on ten years of reports against a plain aggregate query (``bench.analytics_dashboard``);
the scenario model and its page (``bench.scenarios``). Electronic monitoring (issue 8): the engine
and the MQTT pipeline (``bench.monitoring_engine``, ``bench.monitoring_mqtt``). National scale (issue
10): the web and the API under load with locust against gunicorn on the national data set
(``bench.load``). Each part writes its figures under a heading of its own in ``bench/report.md``
(and ``bench/report.json``), after a description of the machine.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("QORGAU_MODE", "test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from bench.harness import Report, compare  # noqa: E402

if TYPE_CHECKING:
    from qorgau.accounts.models import User

HERE = Path(__file__).resolve().parent


def main() -> None:
    setup_test_environment()
    settings.QORGAU_AUDIT_CHECKPOINT_PATH = Path(settings.VAR_DIR) / "bench-checkpoints.log"
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        run(Report())
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def foundation(report: Report) -> None:
    """Primitives and one signed-in page; leaves the demo users in the bench database for later parts."""
    from qorgau.core import crypto

    text = "Сапарова Айгерім Нұрланқызы, Алматы, Абай даңғылы 10, пәтер 25"
    key = settings.QORGAU_KEYRING.field_keys[settings.QORGAU_KEYRING.active_field_key]
    aes = AESGCM(key)

    def raw_round_trip() -> None:
        nonce = os.urandom(12)
        aes.decrypt(nonce, aes.encrypt(nonce, text.encode(), b"ctx"), b"ctx")

    def field_round_trip() -> None:
        crypto.decrypt(crypto.encrypt(text, context="people.person.name"), context="people.person.name")

    report.add(
        compare(
            "field encrypt+decrypt (AES-256-GCM, key id, base64)",
            field_round_trip,
            "bare AESGCM encrypt+decrypt",
            raw_round_trip,
            n=20000,
        )
    )

    bkey = settings.QORGAU_KEYRING.blind_keys[settings.QORGAU_KEYRING.active_blind_key]
    report.add(
        compare(
            "blind index (keyed HMAC, versioned)",
            lambda: crypto.blind_index("iin", "791028302728"),
            "bare HMAC-SHA256",
            lambda: hmac.new(bkey, b"791028302728", hashlib.sha256).hexdigest(),
            n=50000,
        )
    )

    from qorgau.core import clock
    from qorgau.core.audit import audit_record, audit_seal
    from qorgau.core.models import AuditAction, AuditEvent

    def plain_insert() -> None:
        AuditEvent.objects.create(at=clock.now(), action="read", target_type="case", target_id="1")

    def audited() -> None:
        audit_record(actor=None, action=AuditAction.SEARCH, target_type="case", target_id="1", term="Сапарова")

    report.add(
        compare(
            "audit append (keyed term hash, no lock)",
            audited,
            "plain ORM insert of the same row",
            plain_insert,
            n=1000,
            rounds=3,
        )
    )

    AuditEvent.objects.all().delete()
    from qorgau.core.models import AuditSealState

    AuditSealState.objects.all().delete()
    rows = 20000
    AuditEvent.objects.bulk_create(
        [AuditEvent(at=clock.now(), action="read", target_type="case", target_id=str(i)) for i in range(rows)]
    )
    import time

    start = time.perf_counter()
    sealed = audit_seal()
    seal_rate = sealed / (time.perf_counter() - start)
    key_a = settings.QORGAU_KEYRING.audit_key
    start = time.perf_counter()
    mac = b"0" * 64
    for i in range(rows):
        mac = hmac.new(key_a, mac + f"{i}|read|case".encode(), hashlib.sha256).hexdigest().encode()
    chain_rate = rows / (time.perf_counter() - start)
    from bench.harness import Figure

    report.add(
        Figure(
            "audit seal (read, chain, executemany update, checkpoint)",
            "in-memory HMAC chain of the same length",
            seal_rate,
            chain_rate,
            chain_rate / seal_rate,
            note=f"{sealed} rows",
        )
    )

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from qorgau.accounts.services import agency_kinds_load, roles_sync
    from qorgau.core.geography import load_reference
    from qorgau.demo.seed import seed_demo
    from tests.conftest import sign_in

    load_reference()
    agency_kinds_load()
    roles_sync()
    seed_demo()
    from qorgau.accounts.models import User

    client = sign_in(Client(), User.objects.get(username="inspector"))
    assert TOTPDevice.objects.filter(user__username="inspector").exists()
    assert client.get("/").status_code == 200
    report.add(
        compare(
            "signed-in home page (session guard, i18n, audit-free)",
            lambda: client.get("/"),
            "one-query endpoint (/healthz)",
            lambda: client.get("/healthz"),
            n=300,
            rounds=3,
            note="in-process test client",
        )
    )
    case_pages(report, client, User.objects.get(username="inspector"))


def case_pages(report: Report, client: Client, inspector: User) -> None:
    """Issue 10: the case page and the API's case detail (access gate, audit write, decryption, masks,
    the registry's flags) against /healthz, in process. One offender with three victims, so the flags
    read related cases; the figures follow the statements and the rendering a case costs."""
    import datetime as dt

    from qorgau.cases.services import VictimInput, report_register
    from tests.cases.factories import person, report_input

    offender = person("Сапаров Ерлан", birth=dt.date(1985, 3, 2), sex="M", serial=4000)
    cases = [
        report_register(
            actor=inspector,
            data=report_input(victims=[VictimInput(relationship="spouse", person=person(name, birth=dt.date(1990, 1, k), serial=4100 + k))],
                              offender=offender),
        ).cases[0]
        for k, name in enumerate(("Сапарова Айгерим", "Жумабаева Салтанат", "Ахметова Жанар"), start=1)
    ]
    page, api = f"/cases/{cases[0].pk}/", f"/api/v1/cases/{cases[0].pk}"
    assert client.get(page).status_code == 200 and client.get(api).status_code == 200
    for name, path in (("case page (gate, audit, decryption, flags, every section, template)", page),
                       ("case detail API (gate, audit, decryption, flags, JSON)", api)):
        report.add(
            compare(name, lambda path=path: client.get(path), "one-query endpoint (/healthz)", lambda: client.get("/healthz"),
                    n=100, rounds=3, note="in-process test client")
        )


def risk_part(report: Report) -> None:
    # Issue 5: the reassessment queue and the risk pre-fill against the reads the screens already make.
    from bench import risk

    risk.run(report)


def monitoring_part(report: Report) -> None:
    # Issue 8: the monitoring engine against the naive per-ping loop and the vectorised limits (no
    # database), then the MQTT pipeline end to end (throughput, alert latency, correctness).
    from bench import monitoring_engine, monitoring_mqtt

    monitoring_engine.run(report)
    monitoring_mqtt.run(report)


def analytics_part(report: Report) -> None:
    # Issue 9: the scenario model against numpy's own draws of its inputs and against a per-draw loop,
    # then the scenario page as the demo analyst against /healthz.
    from bench import scenarios
    from qorgau.accounts.models import User
    from tests.conftest import sign_in

    analyst = User.objects.filter(username="analyst").first()
    scenarios.run(report, client=sign_in(Client(), analyst) if analyst is not None else None)
    # The analytics dashboards on ten years of synthetic reports (QORGAU_BENCH_ANALYTICS_REPORTS;
    # default 1,000,000 on PostgreSQL, 200,000 on SQLite), each in a database of its own.
    from bench import analytics_dashboard

    analytics_dashboard.run(report, database_kind=os.environ.get("QORGAU_BENCH_DATABASES", "both"))


def matching_part(report: Report) -> None:
    # Issue 4: accuracy of person matching beside Splink and recordlinkage (in memory), then the
    # engine against a registry of QORGAU_BENCH_PEOPLE records (default 1,000,000) on SQLite and
    # PostgreSQL, and batch de-duplication.
    from bench import linkage_accuracy, registry_scale

    linkage_accuracy.run(report)
    people = int(os.environ.get("QORGAU_BENCH_PEOPLE", "1000000"))
    # A registry of that size is built once per machine under var/bench/ (and in the qorgau_bench
    # PostgreSQL database) and reused by later runs; the build is not a figure.
    registry_scale.run(report, people=people, database_kind=os.environ.get("QORGAU_BENCH_DATABASES", "both"), reuse=True)


def load_part(report: Report) -> None:
    # Issue 10: the web and the API under load — locust against gunicorn on PostgreSQL with the national
    # data set (ten years, ~1,000,000 reports), built once per machine by scripts/national.sh (`make
    # national`; a second run adds nothing) and reused; the build is not a figure (docs/operations.md
    # records its time).
    import subprocess

    from bench.load.run import run as load_run

    url = os.environ.get("QORGAU_NATIONAL_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/qorgau_national")
    var_dir = Path(os.environ.get("QORGAU_NATIONAL_VAR_DIR", str(HERE.parent / "var" / "national")))
    env = {k: v for k, v in os.environ.items() if k not in ("QORGAU_MODE", "DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    subprocess.run(["bash", str(HERE.parent / "scripts" / "national.sh")], check=True, env=env)
    load_run(report, database_url=url, var_dir=var_dir, label="national data set")


# The parts of `make bench`, in order, each under its heading in the report. QORGAU_BENCH_ONLY=load,monitoring
# runs some of them (the foundation part always runs: it seeds the bench database) and writes
# bench/report-partial.md instead of the full report.
PARTS: list[tuple[str, str, Callable[[Report], None]]] = [
    ("foundation", "Foundation: encryption, audit, a signed-in page", foundation),
    ("risk", "Risk assessment (issue 5)", risk_part),
    ("monitoring", "Electronic monitoring (issue 8)", monitoring_part),
    ("analytics", "Analytics and scenarios (issue 9)", analytics_part),
    ("matching", "Person matching at national scale (issue 4)", matching_part),
    ("load", "Web and API under load on the national data set (issue 10)", load_part),
]


def run(report: Report) -> None:
    only = {p.strip() for p in os.environ.get("QORGAU_BENCH_ONLY", "").split(",") if p.strip()}
    unknown = only - {name for name, _, _ in PARTS}
    if unknown:
        raise SystemExit(f"QORGAU_BENCH_ONLY: unknown parts {sorted(unknown)}; known: {[n for n, _, _ in PARTS]}")
    for name, title, part in PARTS:
        if only and name not in only and name != "foundation":
            continue
        report.section = title
        print(f"\n== {title}")
        part(report)
    name = "report-partial" if only else "report"
    report.write(HERE, name=name)
    print(f"\nwritten: {HERE / (name + '.md')}")


if __name__ == "__main__":
    main()
