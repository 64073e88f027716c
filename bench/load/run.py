"""The load runner: mint sessions, start gunicorn, run locust twice over, and report ratios.

(1) Realistic: ``users`` simulated staff (50 and 200 by default) with 1–3 s of think time doing the
main journeys; latency percentiles and errors by endpoint, against ``/healthz`` probed during the same
run (the one-query endpoint under the same load).
(2) Closed loop, no think time: requests per second of the case page (grant check, audit write,
decryption, masks, template) and of the API's case detail against the framework's own empty
endpoint, the one-query endpoint and the API's signed-in floor (``/api/v1/me``: session, user, second
factor and rate limit, no case), on the same server in the same run, alternating in rounds (median of the per-round ratios).

Each run also records the CPU its measured window cost (``bench.load.cpu``): the server's and
PostgreSQL's milliseconds per request, which the shared machine's noise moves far less than requests
a second, and the requests one core serves at that cost.

Everything a run leaves (the plan with its session keys, locust's CSV files and histograms, the
server's log, the report) goes under ``VAR_DIR/load/<time>/``, never into git. The minted sessions
are ended when the run is over.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from bench.harness import Figure, Report
from bench.load.cpu import postmaster_of
from bench.load.server import PROJECT, ServerConfig, demo_env, drain, gunicorn
from bench.load.stats import CpuCost, Run, Summary

LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
PROBE = "probe "
CLOSED = (
    ("EmptyUser", "empty /bench/empty"),
    ("HealthzUser", "one query /healthz"),
    ("MeUser", "signed-in floor /api/v1/me"),
    ("CaseDetailUser", "case detail /cases/[id]/"),
    ("CaseApiUser", "case detail API /api/v1/cases/[id]"),
)


@dataclass(frozen=True)
class LoadSettings:
    users: tuple[int, ...] = (50, 200)
    duration: int = 60  # seconds of each realistic run, after every user has started
    closed_users: int = 16
    closed_duration: int = 15  # seconds of each closed-loop measurement
    rounds: int = 3
    # Two processes for two cores, four threads each: a case page spends about half its time waiting
    # for PostgreSQL, which threads overlap; gthread also keeps connections alive (sync closes each one).
    workers: int = 2
    worker_class: str = "gthread"
    threads: int = 4
    warm_up: int = 20  # seconds of unmeasured journeys before the first run
    # The shared cache the server uses (ADR 0017): "auto" is the machine's Redis when it answers (as a
    # national deployment runs), "none" serves without one (sessions, users and counters in PostgreSQL).
    cache: str = "auto"

    @classmethod
    def from_env(cls, **over: Any) -> LoadSettings:
        env = os.environ.get
        values: dict[str, Any] = {
            "users": tuple(int(u) for u in env("QORGAU_LOAD_USERS", "50,200").split(",") if u),
            "duration": int(env("QORGAU_LOAD_DURATION", "60")),
            "closed_users": int(env("QORGAU_LOAD_CLOSED_USERS", "16")),
            "closed_duration": int(env("QORGAU_LOAD_CLOSED_DURATION", "15")),
            "rounds": int(env("QORGAU_LOAD_ROUNDS", "3")),
            "workers": int(env("QORGAU_LOAD_WORKERS", "2")),
            "worker_class": env("QORGAU_LOAD_WORKER_CLASS", "gthread"),
            "threads": int(env("QORGAU_LOAD_THREADS", "4")),
            "warm_up": int(env("QORGAU_LOAD_WARM_UP", "20")),
            "cache": env("QORGAU_LOAD_CACHE", "auto"),
        }
        values.update({k: v for k, v in over.items() if v is not None})
        return cls(**values)


LOCAL_REDIS = "redis://127.0.0.1:6379/1"


def cache_url_for(cache: str) -> str:
    """The URL the server is to use: "auto" is the local Redis's database 1 when it answers, else none."""
    if cache in ("", "none"):
        return ""
    url = LOCAL_REDIS if cache == "auto" else cache
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if cache == "auto":
            return ""
        raise RuntimeError(f"the shared cache at {url} does not answer: {exc}") from exc
    return url


def cache_empty(url: str) -> int:
    """Drop what an earlier run (of another database, perhaps) left under Qorgau's key prefix."""
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter("qorgau:*", count=1000))
    for i in range(0, len(keys), 1000):
        client.delete(*keys[i : i + 1000])
    return len(keys)


def _staff(command: list[str], *, database_url: str, var_dir: Path, cache_url: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bench.load.staff", *command],
        env=demo_env(database_url, var_dir, QORGAU_CACHE_URL=cache_url),
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.load.staff {command[0]} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


def locust(
    base: str, classes: list[str], *, users: int, spawn_rate: float, seconds: int, out: Path, plan: Path, env: dict[str, str]
) -> Run:
    """One headless locust run; statistics are reset once every user has started."""
    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", base,
        "--users", str(users), "--spawn-rate", str(spawn_rate), "--run-time", f"{seconds}s",
        "--reset-stats", "--csv", str(out), "--only-summary", "--exit-code-on-error", "0",
        "--loglevel", "WARNING", "--stop-timeout", "5", *classes,
    ]
    times = out.with_name(out.name + "_times.json")
    run_env = {**env, "QORGAU_LOAD_PLAN": str(plan), "QORGAU_LOAD_TIMES": str(times)}
    with out.with_name(out.name + "_locust.log").open("w") as log:
        done = subprocess.run(command, env=run_env, cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0 or not times.exists():
        raise RuntimeError(f"locust failed ({done.returncode}); see {out}_locust.log")
    return Run.load(times)


def _latency_figure(users: int, journeys: Summary, probe: Summary, run: Run, note: str) -> Figure:
    worst = max(run.names(), key=lambda n: run.summary([n]).p95 if not n.startswith(PROBE) else -1)
    errors = ", ".join(f"{n}: {c}" for n, c in journeys.failures_by_endpoint.items()) or "none"
    cost = run.cpu_cost()
    cpu = f"; {cost.line()}" if cost else ""
    return Figure(
        name=f"realistic load, {users} staff, 1–3 s think: p95 of all journeys",
        baseline="p95 of /healthz probed under the same load",
        candidate_per_s=1000 / journeys.p95 if journeys.p95 else 0.0,
        baseline_per_s=1000 / probe.p95 if probe.p95 else 0.0,
        ratio=journeys.p95 / probe.p95 if probe.p95 else 0.0,
        note=(
            f"p50/p95/p99 {journeys.p50:.0f}/{journeys.p95:.0f}/{journeys.p99:.0f} ms "
            f"(/healthz {probe.p50:.0f}/{probe.p95:.0f}/{probe.p99:.0f} ms); {journeys.requests} requests, "
            f"{journeys.per_s:.0f}/s; errors {journeys.failures} ({errors}); slowest p95: {worst} "
            f"{run.summary([worst]).p95:.0f} ms{cpu}; 'per s' columns are 1000/p95 ms; {note}"
        ),
    )


def run(
    report: Report,
    *,
    database_url: str,
    var_dir: Path | str,
    settings: LoadSettings | None = None,
    label: str = "",
) -> dict[str, Any]:
    """Both runs against the installation at ``database_url`` whose demo keys are in ``var_dir``.

    Adds the figures to ``report``, prints them with a table per endpoint, and returns the raw numbers.
    """
    cfg = settings or LoadSettings.from_env()
    var_dir = Path(var_dir).resolve()
    out_dir = var_dir / "load" / time.strftime("%Y%m%d-%H%M%S")
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = out_dir / "plan.json"
    minted = max([*cfg.users, cfg.closed_users, 3 * cfg.workers, 10])
    cache_url = cache_url_for(cfg.cache)
    if cache_url:
        cache_empty(cache_url)
    print(_staff(["mint", "--users", str(minted), "--out", str(plan)], database_url=database_url, var_dir=var_dir, cache_url=cache_url))
    database = database_url.rsplit("/", 1)[-1]
    where = f"{label or database}; gunicorn {cfg.workers} {cfg.worker_class} workers" + (
        f" × {cfg.threads} threads" if cfg.worker_class == "gthread" else ""
    ) + (f"; shared cache {cache_url}" if cache_url else "; no shared cache") + "; locust FastHttpUser on the same 2 cores"
    env = demo_env(database_url, var_dir, QORGAU_CACHE_URL=cache_url)
    results: dict[str, Any] = {"database": database, "settings": cfg.__dict__, "out": str(out_dir), "realistic": {}, "closed": []}
    server = ServerConfig(database_url, var_dir, cfg.workers, cfg.worker_class, cfg.threads, cache_url=cache_url)
    results["cache_url"] = cache_url
    try:
        with gunicorn(server, log=out_dir / "gunicorn.log") as served:
            base = served.url
            database_pid = postmaster_of(database_url)
            env = {**env, "QORGAU_LOAD_SERVER_PID": str(served.pid), "QORGAU_LOAD_DATABASE_PID": str(database_pid or "")}
            results["machine"] = {"cores": os.cpu_count(), "database_on_this_machine": database_pid is not None}
            # Every worker compiles its templates and fills its caches on its first pages: a short run of
            # the journeys with little think time warms them all, and is not measured.
            warm_env = {**env, "QORGAU_LOAD_THINK_MIN": "0.05", "QORGAU_LOAD_THINK_MAX": "0.2"}
            locust(
                base, ["StaffUser"], users=max(10, 3 * cfg.workers), spawn_rate=10, seconds=cfg.warm_up,
                out=out_dir / "warm_up", plan=plan, env=warm_env,
            )
            drain(base)
            for users in [u for u in cfg.users if u > 0]:
                ramp = max(5, users // 20)
                staff = locust(
                    base, ["StaffUser", "ProbeUser"], users=users + 1, spawn_rate=(users + 1) / ramp,
                    seconds=ramp + cfg.duration, out=out_dir / f"realistic_{users}", plan=plan, env=env,
                )
                journeys, probe = staff.summary(exclude=(PROBE,)), staff.summary([n for n in staff.names() if n.startswith(PROBE)])
                print(f"\nrealistic, {users} staff ({where}):")
                print("\n".join(staff.table()))
                cost = staff.cpu_cost()
                if cost:
                    print(f"  {cost.line()}")
                results["realistic"][users] = {
                    "journeys": journeys.__dict__, "probe": probe.__dict__, "cpu": cost.__dict__ if cost else None,
                }
                report.add(_latency_figure(users, journeys, probe, staff, where))
                print(f"  (the server drained what the run left queued in {drain(base):.0f} s)")
            for r in range(cfg.rounds):
                rates: dict[str, Summary] = {}
                costs: dict[str, dict[str, Any] | None] = {}
                for cls, name in CLOSED:
                    drain(base)
                    closed = locust(
                        base, [cls], users=cfg.closed_users, spawn_rate=cfg.closed_users, seconds=cfg.closed_duration + 1,
                        out=out_dir / f"closed_{r}_{cls}", plan=plan, env=env,
                    )
                    rates[name] = closed.summary()
                    cost = closed.cpu_cost()
                    costs[name] = cost.__dict__ if cost else None
                    print(f"closed loop round {r + 1}, {name:<28} {rates[name].line()}" + (f"\n{'':>43}{cost.line()}" if cost else ""))
                results["closed"].append({n: {**s.__dict__, "cpu": costs[n]} for n, s in rates.items()})
    finally:
        print(_staff(["remove", "--plan", str(plan)], database_url=database_url, var_dir=var_dir, cache_url=cache_url))
    if results["closed"]:
        _closed_figures(report, results["closed"], cfg, where)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    return results


def _closed_figures(report: Report, rounds: list[dict[str, dict[str, Any]]], cfg: LoadSettings, where: str) -> None:
    names = dict(CLOSED)
    empty, one, me = names["EmptyUser"], names["HealthzUser"], names["MeUser"]

    def median(key: str, of: str) -> float:
        return statistics.median(r[key][of] for r in rounds)

    errors = sum(r[n]["failures"] for r in rounds for n in r)
    candidates = ((names["CaseDetailUser"], "case page"), (names["CaseApiUser"], "case detail API"))
    for (case, what), (baseline, label) in (
        (c, b)
        for c in candidates
        for b in ((empty, "the framework's own empty endpoint"), (one, "one-query endpoint (/healthz)"), (me, "signed-in floor of the API (/api/v1/me)"))
    ):
        ratios = [r[baseline]["per_s"] / r[case]["per_s"] for r in rounds if r[case]["per_s"] and r[baseline]["per_s"]]
        report.add(
            Figure(
                name=f"{what}, closed loop (grant, audit write, decryption)",
                baseline=label,
                candidate_per_s=median(case, "per_s"),
                baseline_per_s=median(baseline, "per_s"),
                ratio=statistics.median(ratios) if ratios else 0.0,
                note=(
                    f"{cfg.closed_users} users, no think time, {cfg.rounds} rounds × {cfg.closed_duration} s; "
                    f"{what} p50/p95 {median(case, 'p50'):.0f}/{median(case, 'p95'):.0f} ms; errors {errors}; {where}"
                ),
            )
        )
    _cpu_figures(report, rounds, where)
    report.add(
        Figure(
            name="one-query endpoint (/healthz), closed loop",
            baseline="the framework's own empty endpoint",
            candidate_per_s=median(one, "per_s"),
            baseline_per_s=median(empty, "per_s"),
            ratio=statistics.median([r[empty]["per_s"] / r[one]["per_s"] for r in rounds if r[one]["per_s"] and r[empty]["per_s"]] or [0.0]),
            note=f"{cfg.closed_users} users, no think time; {where}",
        )
    )


def _cpu_figures(report: Report, rounds: list[dict[str, dict[str, Any]]], where: str) -> None:
    """CPU per request of the closed-loop endpoints against the empty endpoint's of the same round,
    median of the rounds (a round whose CPU was not read for either is left out)."""
    names = dict(CLOSED)
    empty = names["EmptyUser"]
    cores = os.cpu_count() or 1

    def cost(r: dict[str, dict[str, Any]], name: str) -> CpuCost | None:
        read = r.get(name, {}).get("cpu")
        found = CpuCost(**read) if read else None
        return found if found is not None and found.total_ms else None

    for key, what in (
        ("HealthzUser", "one-query endpoint (/healthz)"),
        ("MeUser", "signed-in floor of the API (/api/v1/me)"),
        ("CaseDetailUser", "case page"),
        ("CaseApiUser", "case detail API"),
    ):
        pairs = [(c, b) for r in rounds if (c := cost(r, names[key])) and (b := cost(r, empty))]
        if not pairs:
            continue
        total = statistics.median(c.total_ms or 0.0 for c, _ in pairs)
        server = statistics.median(c.server_ms or 0.0 for c, _ in pairs)
        database = statistics.median(c.database_ms or 0.0 for c, _ in pairs)
        per_core = 1000 / total if total else 0.0
        report.add(
            Figure(
                name=f"{what}, CPU per request (server and PostgreSQL)",
                baseline="the framework's own empty endpoint, CPU per request",
                candidate_per_s=per_core,
                baseline_per_s=statistics.median(b.per_core_per_s() for _, b in pairs),
                ratio=statistics.median((c.total_ms or 0.0) / (b.total_ms or 1.0) for c, b in pairs),
                note=(
                    f"{total:.1f} ms a request (gunicorn {server:.1f} + PostgreSQL {database:.1f}), median of "
                    f"{len(pairs)} rounds; 'per s' columns are requests per CPU-second, so {cores} cores serve at most "
                    f"about {cores * per_core:.0f} a second; {where}"
                ),
            )
        )
