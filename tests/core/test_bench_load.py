"""The load bench's pieces (bench/load): minted sessions, the journeys' pages, the locustfile, the statistics.

No timing here: the figures themselves come from ``python -m bench.load``.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import random
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test import Client, override_settings

from bench.load import journeys, staff
from bench.load.cpu import postmaster_of
from bench.load.server import ServerConfig, demo_env, gunicorn
from bench.load.stats import CpuCost, Run, percentile
from qorgau.accounts.roles import Role
from qorgau.cases.models import Case, Report
from qorgau.cases.services import report_register
from qorgau.core.models import AuditAction, AuditEvent
from tests.cases.factories import report_input

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def plan(make_user) -> dict:
    inspector = make_user(Role.POLICE_INSPECTOR, username="load_inspector")
    make_user(Role.ANALYST, username="load_analyst")
    report_register(actor=inspector, data=report_input())
    return staff.plan_mint(users=10)


def signed_in(entry: dict) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies["sessionid"] = entry["session"]
    return client


@pytest.mark.django_db
def test_every_simulated_user_gets_a_session_of_its_own_and_an_audited_login(plan):
    case = Case.objects.get()
    kinds = Counter(entry["kind"] for entry in plan["staff"])
    assert kinds == {"inspector": 9, "analyst": 1}
    assert len({entry["session"] for entry in plan["staff"]}) == 10
    assert plan["accounts"] == 2
    worker = next(e for e in plan["staff"] if e["kind"] == "inspector")
    assert worker["cases"] == [case.pk] and worker["numbers"] == [case.number]
    assert [case.victim.full_name, case.victim.birth_date.isoformat()] in worker["names"] and case.victim.iin in worker["iins"]
    assert (worker["region"], worker["district"]) == ("KZ-75", "751110000")
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN).count() == 10


@pytest.mark.django_db
def test_a_minted_session_walks_the_case_workers_journeys(plan):
    case = Case.objects.get()
    worker = next(e for e in plan["staff"] if e["kind"] == "inspector")
    client = signed_in(worker)
    page = client.get(journeys.CASE_PAGE.format(id=case.pk))
    assert page.status_code == 200 and case.number in page.content.decode()
    api = client.get(journeys.CASE_API.format(id=case.pk))
    assert api.status_code == 200 and api.json()["number"] == case.number
    me = client.get(journeys.ME_API)
    assert me.status_code == 200 and me.json()["role"] == "police_inspector"
    assert client.get(journeys.QUEUE).status_code == 200
    rng = random.Random(1)
    for _ in range(8):
        path, _name = journeys.search_query(worker, rng) or ("", "")
        found = client.get(path)
        assert found.status_code == 200 and case.number in found.content.decode()
    # Registration through the real form, CSRF checks on: the token comes from the page.
    form = client.get(journeys.REGISTER)
    token = journeys.CSRF_INPUT.search(form.content.decode())
    assert form.status_code == 200 and token
    done = client.post(journeys.REGISTER, journeys.report_form(worker, rng, token.group(1)), content_type="application/x-www-form-urlencoded")
    location = journeys.CASE_LOCATION.match(done.get("Location", ""))
    assert done.status_code == 302 and location, done.content.decode()[:2000]
    assert Report.objects.count() == 2 and Case.objects.count() == 2
    assert client.get(location.group(0)).status_code == 200


@pytest.mark.django_db
def test_the_analyst_sees_the_dashboard_and_no_case(plan):
    analyst = next(e for e in plan["staff"] if e["kind"] == "analyst")
    client = signed_in(analyst)
    assert client.get(journeys.DASHBOARD).status_code == 200
    assert client.get(journeys.CASE_PAGE.format(id=Case.objects.get().pk)).status_code in (403, 404)


@pytest.mark.django_db
def test_removing_the_plan_ends_its_sessions(plan):
    case = Case.objects.get()
    assert staff.plan_remove(plan) == 10
    response = signed_in(plan["staff"][1]).get(journeys.CASE_PAGE.format(id=case.pk))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_bench_endpoint_is_mounted_only_when_asked_and_never_in_production(monkeypatch, settings):
    import qorgau.urls

    def bench_routes() -> list[str]:
        module = importlib.reload(qorgau.urls)
        return [str(p.pattern) for p in module.urlpatterns if "bench_urls" in str(getattr(p, "urlconf_name", ""))]

    try:
        assert bench_routes() == []
        monkeypatch.setenv("QORGAU_BENCH_ENDPOINTS", "1")
        assert bench_routes() == [""]
        settings.PRODUCTION = True
        assert bench_routes() == []
    finally:
        monkeypatch.delenv("QORGAU_BENCH_ENDPOINTS")
        settings.PRODUCTION = False
        importlib.reload(qorgau.urls)


@override_settings(ROOT_URLCONF="qorgau.core.bench_urls")
def test_the_empty_endpoint_answers_empty(client):
    response = client.get(journeys.EMPTY)
    assert response.status_code == 200 and response.content == b""


def test_the_locustfile_parses_and_offers_its_users():
    listed = subprocess.run(
        [sys.executable, "-m", "locust", "-f", "bench/load/locustfile.py", "--list"],
        cwd=PROJECT, capture_output=True, text=True, timeout=60, check=True,
    )
    users = {line.strip() for line in listed.stdout.splitlines()}
    assert {"StaffUser", "ProbeUser", "CaseDetailUser", "CaseApiUser", "MeUser", "EmptyUser", "HealthzUser"} <= users


def test_percentiles_and_summaries_follow_locusts_histogram(tmp_path):
    times = Counter({10.0: 50, 20.0: 45, 300.0: 5})
    assert (percentile(times, 0.5), percentile(times, 0.95), percentile(times, 0.99)) == (10.0, 20.0, 300.0)
    data = {
        "entries": [
            {"name": "case detail /cases/[id]/", "method": "GET", "count": 4, "failures": 1, "times": {"10": 3, "50": 1}, "start": 100.0, "last": 102.0},
            {"name": "probe /healthz", "method": "GET", "count": 2, "failures": 0, "times": {"1": 2}, "start": 100.0, "last": 101.0},
        ],
        "errors": [{"name": "case detail /cases/[id]/", "method": "GET", "error": "status 500", "count": 1}],
    }
    path = tmp_path / "times.json"
    path.write_text(json.dumps(data))
    run = Run.load(path)
    journeys_only = run.summary(exclude=("probe ",))
    assert (journeys_only.requests, journeys_only.failures, journeys_only.per_s, journeys_only.p50, journeys_only.p99) == (4, 1, 2.0, 10.0, 50.0)
    assert journeys_only.failures_by_endpoint == {"case detail /cases/[id]/": 1}
    assert run.summary(["probe /healthz"]).p95 == 1.0
    assert any("status 500" in line for line in run.table())
    assert run.cpu_cost() is None  # no pids were given to the run


def test_cpu_per_request_spreads_the_windows_cpu_over_all_its_requests(tmp_path):
    entries = [
        {"name": "case detail API /api/v1/cases/[id]", "method": "GET", "count": 150, "failures": 0, "times": {"20": 150}, "start": 0.0, "last": 3.0},
        {"name": "probe /healthz", "method": "GET", "count": 50, "failures": 0, "times": {"2": 50}, "start": 0.0, "last": 3.0},
    ]
    path = tmp_path / "times.json"
    path.write_text(json.dumps({"entries": entries, "errors": [], "cpu": {"server": 3.0, "database": 1.0, "generator": 0.4}}))
    cost = Run.load(path).cpu_cost()
    assert cost == CpuCost(requests=200, server_ms=15.0, database_ms=5.0, generator_ms=2.0)
    assert cost.total_ms == 20.0 and cost.per_core_per_s() == 50.0
    assert "20.0 ms" in cost.line() and "PostgreSQL 5.0" in cost.line()
    # PostgreSQL on another machine: the server's CPU alone, and the line says the rest was not read.
    elsewhere = CpuCost(requests=200, server_ms=15.0, database_ms=None, generator_ms=2.0)
    assert elsewhere.total_ms == 15.0 and "PostgreSQL n/a" in elsewhere.line()


@pytest.mark.django_db(transaction=True)
def test_locust_walks_the_journeys_against_gunicorn_without_errors(make_user, tmp_path):
    """The runner's server, geventhttpclient's cookies, the CSRF round trip and the expected statuses, end
    to end for a few seconds. PostgreSQL only: gunicorn's workers open the test database themselves."""
    if connection.vendor != "postgresql":
        pytest.skip("gunicorn needs the PostgreSQL test database")
    inspector = make_user(Role.POLICE_INSPECTOR, username="load_inspector")
    make_user(Role.ANALYST, username="load_analyst")
    report_register(actor=inspector, data=report_input())
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(staff.plan_mint(users=4)))
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    config = ServerConfig(database_url, tmp_path, workers=2, mode="test")
    with gunicorn(config, log=tmp_path / "gunicorn.log") as served:
        base = served.url
        assert urllib.request.urlopen(base + journeys.EMPTY, timeout=10).status == 200
        env = {
            **demo_env(database_url, tmp_path, mode="test"),
            "QORGAU_LOAD_PLAN": str(plan_file), "QORGAU_LOAD_TIMES": str(tmp_path / "times.json"),
            "QORGAU_LOAD_SERVER_PID": str(served.pid), "QORGAU_LOAD_DATABASE_PID": str(postmaster_of(database_url)),
            "QORGAU_LOAD_THINK_MIN": "0.05", "QORGAU_LOAD_THINK_MAX": "0.1",
        }
        done = subprocess.run(
            [sys.executable, "-m", "locust", "-f", "bench/load/locustfile.py", "--headless", "--host", base, "--users", "4",
             "--spawn-rate", "4", "--run-time", "5s", "--only-summary", "--exit-code-on-error", "0", "StaffUser", "CaseDetailUser"],
            cwd=PROJECT, env=env, capture_output=True, text=True, timeout=90, check=True,
        )
    run = Run.load(tmp_path / "times.json")
    assert run.errors == [] and run.summary().failures == 0, done.stdout + done.stderr
    assert run.summary(["case detail /cases/[id]/"]).requests > 0, done.stdout + done.stderr
    assert run.summary(["dashboard /analytics/"]).requests > 0, done.stdout + done.stderr
    # The window's CPU was read: the workers served the pages and PostgreSQL answered their statements.
    cost = run.cpu_cost()
    assert cost is not None and cost.server_ms and cost.database_ms, run.cpu


def test_the_load_run_serves_with_the_shared_cache_it_is_told_and_empties_only_qorgau_keys(shared_cache):
    from bench.load.run import cache_empty, cache_url_for

    assert cache_url_for("none") == ""
    assert cache_url_for(shared_cache_url := os.environ.get("QORGAU_TEST_CACHE_URL", "redis://127.0.0.1:6379/0")) == shared_cache_url
    with pytest.raises(RuntimeError, match="does not answer"):
        cache_url_for("redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert cache_url_for("auto") in ("", "redis://127.0.0.1:6379/1")
    client = redis.Redis.from_url("redis://127.0.0.1:6379/1")
    client.set("qorgau:bench-test", b"1")
    client.set("not-qorgau:bench-test", b"1")
    try:
        assert cache_empty("redis://127.0.0.1:6379/1") >= 1
        assert (client.exists("qorgau:bench-test"), client.exists("not-qorgau:bench-test")) == (0, 1)
    finally:
        client.delete("qorgau:bench-test", "not-qorgau:bench-test")
