"""Locust users of the load bench: staff journeys with think time, and closed-loop single endpoints.

The plan (``QORGAU_LOAD_PLAN``, written by ``bench.load.staff mint``) gives every simulated user a
session of its own, its unit's region and district, case ids from its own grants and the names and
case numbers it searches for. Users are ``FastHttpUser`` (geventhttpclient): locust shares the two
cores with the server, and the fast client leaves it most of them.

Realistic run (``StaffUser`` + ``ProbeUser``): case workers open cases, their work queue, search the
registry and register reports through the real form (CSRF token and all); analysts open the
dashboard; each waits 1–3 s between steps. The probe asks ``/healthz`` five times a second, so the
one-query endpoint's latency is measured under the same load.

Closed loop (``CaseDetailUser``, ``CaseApiUser``, ``MeUser``, ``EmptyUser``, ``HealthzUser``, one class per locust run): no think
time, each user sends its next request as soon as the last one is answered.

Any status other than the one the journey expects counts as a failure, by endpoint: a redirect to the
sign-in page is a lost session, not a success.

When the runner names the server's and PostgreSQL's pids (``QORGAU_LOAD_SERVER_PID``,
``QORGAU_LOAD_DATABASE_PID``), the CPU seconds each spent in the measured window (from the statistics'
reset to the end) are dumped with the histograms (``bench.load.cpu``).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from http.cookiejar import Cookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from locust import FastHttpUser, between, constant, constant_throughput, events, task
from locust.exception import StopUser

from bench.load import journeys
from bench.load.cpu import CpuSample

PLAN: dict[str, Any] = (
    json.loads(Path(os.environ["QORGAU_LOAD_PLAN"]).read_text(encoding="utf-8")) if os.environ.get("QORGAU_LOAD_PLAN") else {"staff": []}
)
THINK_MIN = float(os.environ.get("QORGAU_LOAD_THINK_MIN", "1"))
THINK_MAX = float(os.environ.get("QORGAU_LOAD_THINK_MAX", "3"))
_next_staff = itertools.count()
_next_worker = itertools.count()
_PIDS = tuple(int(os.environ[k]) if os.environ.get(k) else None for k in ("QORGAU_LOAD_SERVER_PID", "QORGAU_LOAD_DATABASE_PID"))
_cpu_start: list[CpuSample] = []


def staff_entries(kind: str | None = None) -> list[dict[str, Any]]:
    return [s for s in PLAN["staff"] if kind is None or s["kind"] == kind]


def session_cookie(host: str, name: str, value: str) -> Cookie:
    return Cookie(
        0, name, value, None, False, host, False, False, "/", True, False, None, False, None, None, {"HttpOnly": ""}
    )


class SignedIn(FastHttpUser):
    """A simulated staff member with a minted session of its own (see bench.load.staff)."""

    abstract = True
    entry: dict[str, Any]

    def sign_in(self, entry: dict[str, Any]) -> None:
        self.entry = entry
        self.rng = random.Random()
        host = urlsplit(self.host).hostname or "127.0.0.1"
        self.client.cookiejar.set_cookie(session_cookie(host, "sessionid", entry["session"]))

    def page(self, path: str, name: str, *, expect: int = 200) -> str:
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != expect:
                response.failure(f"status {response.status_code}, expected {expect}")
                return ""
            return response.text or ""

    def open_case(self) -> None:
        case_id = self.rng.choice(self.entry["cases"])
        self.page(journeys.CASE_PAGE.format(id=case_id), "case detail /cases/[id]/")


class StaffUser(SignedIn):
    """Case workers (about nine in ten) and analysts, with 1–3 s of think time between steps."""

    wait_time = between(THINK_MIN, THINK_MAX)

    def on_start(self) -> None:
        staff = staff_entries()
        if not staff:
            raise StopUser()
        self.sign_in(staff[next(_next_staff) % len(staff)])

    @task
    def step(self) -> None:
        if self.entry["kind"] == "analyst":
            self.page(journeys.DASHBOARD, "dashboard /analytics/")
            return
        roll = self.rng.random()
        if roll < 0.40:
            self.open_case()
        elif roll < 0.65:
            self.page(journeys.QUEUE, "work queue /protocols/queue/")
        elif roll < 0.85:
            self.search()
        else:
            self.register()

    def search(self) -> None:
        query = journeys.search_query(self.entry, self.rng)
        if query:
            self.page(*query)

    def register(self) -> None:
        form = self.page(journeys.REGISTER, "register form /cases/register/")
        match = journeys.CSRF_INPUT.search(form)
        if not match:
            return
        body = journeys.report_form(self.entry, self.rng, match.group(1))
        with self.client.post(
            journeys.REGISTER,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            name="register submit /cases/register/",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = journeys.CASE_LOCATION.match(response.headers.get("Location", "") or "")
            if response.status_code != 302 or not location:
                response.failure(f"status {response.status_code}: the report was not registered")
                return
        self.page(location.group(0), "new case /cases/[id]/")


class ProbeUser(FastHttpUser):
    """``/healthz`` five times a second during the realistic run: the one-query endpoint under the same load."""

    fixed_count = 1
    wait_time = constant_throughput(5)

    @task
    def probe(self) -> None:
        self.client.get(journeys.HEALTHZ, name="probe /healthz")


class ClosedLoopInspector(SignedIn):
    """Closed loop as an inspector with a session of its own: no think time (subclasses add the task)."""

    abstract = True
    wait_time = constant(0)

    def on_start(self) -> None:
        workers = staff_entries("inspector")
        if not workers:
            raise StopUser()
        self.sign_in(workers[next(_next_worker) % len(workers)])


class CaseDetailUser(ClosedLoopInspector):
    """Closed loop: one case page after another (grant check, audit write, decryption, masks, template)."""

    @task
    def case(self) -> None:
        self.open_case()


class CaseApiUser(ClosedLoopInspector):
    """Closed loop: the API's case detail, one after another (the same gate, audit write and
    decryption as the page, serialised as JSON instead of rendered)."""

    @task
    def case(self) -> None:
        case_id = self.rng.choice(self.entry["cases"])
        self.page(journeys.CASE_API.format(id=case_id), "case detail API /api/v1/cases/[id]")


class MeUser(ClosedLoopInspector):
    """Closed loop: ``/api/v1/me``, the signed-in floor of the API — the session, the user, the second
    factor and the rate limit's counter that every API request pays, and nothing of a case."""

    @task
    def me(self) -> None:
        self.page(journeys.ME_API, "signed-in floor /api/v1/me")


class EmptyUser(FastHttpUser):
    """Closed loop: the framework's own empty endpoint (every middleware, no database, no template)."""

    wait_time = constant(0)

    @task
    def empty(self) -> None:
        self.client.get(journeys.EMPTY, name="empty /bench/empty")


class HealthzUser(FastHttpUser):
    """Closed loop: the one-query endpoint (``SELECT 1`` and a small JSON answer)."""

    wait_time = constant(0)

    @task
    def healthz(self) -> None:
        self.client.get(journeys.HEALTHZ, name="one query /healthz")


@events.spawning_complete.add_listener
def cpu_start(**_kw: Any) -> None:
    """The measured window starts where locust resets its statistics: when every user has started."""
    _cpu_start[:] = [CpuSample.now(*_PIDS)]


@events.quitting.add_listener
def times_dump(environment: Any, **_kw: Any) -> None:
    """Every endpoint's response-time histogram, for percentiles over any group of endpoints (bench.load.stats)."""
    path = os.environ.get("QORGAU_LOAD_TIMES")
    if not path or environment.stats is None:
        return
    entries = [
        {
            "name": name,
            "method": method,
            "count": e.num_requests,
            "failures": e.num_failures,
            "times": {str(ms): n for ms, n in e.response_times.items()},
            "start": e.start_time,
            "last": e.last_request_timestamp,
        }
        for (name, method), e in environment.stats.entries.items()
    ]
    errors = [{"name": e.name, "method": e.method, "error": str(e.error), "count": e.occurrences} for e in environment.stats.errors.values()]
    cpu = CpuSample.now(*_PIDS).since(_cpu_start[0]) if _cpu_start else None
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"entries": entries, "errors": errors, "cpu": cpu}, out)
