"""Analytics dashboards on ten years of national data (issue 9): each dashboard read against a plain
aggregate query on the same data in the same run.

``python -m bench.analytics_dashboard --reports N --database sqlite|postgres|both`` builds, in its own
database (an SQLite file in a temporary directory; the PostgreSQL database ``qbench_analytics``,
dropped and created afresh), ``N`` synthetic reports (default 1,000,000 on PostgreSQL, 200,000 on
SQLite; ``QORGAU_BENCH_ANALYTICS_REPORTS`` overrides both) spread over the last ten years and the 20
regions by population, each on its own incident (region, district or none, urban/rural, forms of
violence). They are inserted with ``bulk_create`` in batches: no case, order or task, so the other
indicators are zero but their tally queries still run.

Figures:

* the full rebuild of the tallies (``tallies_refresh(full=True)``) and a refresh when nothing changed
  (what the sweep costs every 5 minutes), against the baseline;
* ``dashboard_view`` (every indicator; national, 12 months), the same for a region (its districts),
  for a breakdown (form of violence), ``key_figures`` and ``by_region`` (the map's column), each with
  its audit row, against the baseline;
* the baseline: ``SELECT region, COUNT(*) FROM reports JOIN incidents WHERE received_at in the last 12
  months GROUP BY region`` — the plain query a dashboard would run without tallies.

Each figure gives the ratio (candidate time / baseline time, median over rounds) and the absolute
milliseconds; the goal (DESIGN §9, issue 9) is every dashboard view under 300 ms on PostgreSQL and
1 s on SQLite. ``make bench`` calls ``run(report)``.

``--sources [NAME,...]`` instead times each tallied source's count (``refresh._count(source, None)``,
what a full rebuild runs per indicator; read-only) on the database the environment names, e.g. the
national data set (issue 10: rows about a case are placed by its first incident): ``DATABASE_URL=…
QORGAU_DEMO=1 QORGAU_VAR_DIR=… python -m bench.analytics_dashboard --sources``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

PG_SERVER_URL = "postgres://postgres@127.0.0.1:5432/"
PG_DB = "qbench_analytics"
DEFAULT_REPORTS = {"postgres": 1_000_000, "sqlite": 200_000}
GOAL_MS = {"postgres": 300.0, "sqlite": 1000.0}
BATCH = 5000
YEARS = 10
FORMS = ("physical", "psychological", "economic", "sexual", "neglect")
FORM_ODDS = (0.55, 0.6, 0.12, 0.05, 0.04)


@contextmanager
def dedicated(kind: str, *, pg_server_url: str = PG_SERVER_URL) -> Iterator[str]:
    """A fresh, migrated database of its own for this benchmark."""
    from django.core.management import call_command

    from bench.registry_scale import _pg_recreate, database

    with tempfile.TemporaryDirectory(prefix="qbench-analytics-") as tmp:
        if kind == "sqlite":
            url, label = f"sqlite:///{Path(tmp) / 'analytics.sqlite3'}", "SQLite (WAL)"
        else:
            _pg_recreate(pg_server_url, PG_DB)
            url, label = pg_server_url.rstrip("/") + "/" + PG_DB, f"PostgreSQL {PG_DB}"
        with database(url):
            call_command("migrate", verbosity=0)
            yield label


def _setup() -> tuple[Any, Any, Any]:
    """Reference data, a unit, the registering inspector and the analyst."""
    from qorgau.accounts.models import AgencyKind
    from qorgau.accounts.roles import Role
    from qorgau.accounts.services import agency_kinds_load, roles_sync, unit_create, user_create
    from qorgau.core.geography import load_reference
    from qorgau.core.models import Region

    load_reference()
    agency_kinds_load()
    roles_sync()
    unit = unit_create(actor=None, kind=AgencyKind.objects.get(code="police"), region=Region.objects.get(iso="KZ-75"),
                       name_ru="Бенч", name_kk="Бенч", name_en="Bench")  # fmt: skip
    password = "bench-Password-0"  # a throwaway database
    inspector = user_create(
        actor=None, username="bench-inspector", password=password, role=Role.POLICE_INSPECTOR, unit=unit, language="ru"
    )
    analyst = user_create(
        actor=None, username="bench-analyst", password=password, role=Role.ANALYST, unit=unit, language="ru"
    )
    return unit, inspector, analyst


def generate(n: int, *, unit: Any, inspector: Any, now: dt.datetime, say: Callable[[str], object] = print) -> float:
    """``n`` reports over the last ten years, each on its own incident; returns the seconds taken."""
    from qorgau.cases.models import Incident, Report
    from qorgau.core.models import District, Region

    rng = random.Random(9)
    regions = list(Region.objects.values_list("iso", "population", "population_urban"))
    weights = [p for _iso, p, _u in regions]
    districts: dict[str, list[str]] = {}
    for kato, region in District.objects.values_list("kato", "region_id"):
        districts.setdefault(region, []).append(kato)
    span = YEARS * 365 * 86400
    start = now - dt.timedelta(seconds=span)
    t0 = time.perf_counter()
    made = 0
    while made < n:
        size = min(BATCH, n - made)
        incidents, received = [], []
        for iso, population, urban_population in rng.choices(regions, weights=weights, k=size):
            at = start + dt.timedelta(seconds=rng.randrange(span))
            forms = {f: rng.random() < p for f, p in zip(FORMS, FORM_ODDS, strict=True)}
            if not any(forms.values()):
                forms["physical"] = True
            pool = districts.get(iso) or [None]
            district = None if rng.random() < 0.05 else rng.choice(pool)
            occurred = at - dt.timedelta(minutes=rng.randrange(30, 2880))
            incidents.append(
                Incident(
                    occurred_at=occurred,
                    region_id=iso,
                    district_id=district,
                    urban=rng.random() < urban_population / population,
                    created_at=at,
                    **forms,
                )
            )
            received.append(at)
        Incident.objects.bulk_create(incidents, batch_size=BATCH)
        Report.objects.bulk_create(
            [Report(number=f"B{made + i:09d}", incident=inc, channel="police_102", received_at=at, unit=unit,
                    registered_by=inspector, registered_at=at) for i, (inc, at) in enumerate(zip(incidents, received, strict=True))],
            batch_size=BATCH,
        )  # fmt: skip
        made += size
        if made % 100_000 < BATCH:
            say(f"    {made:,} reports")
    return time.perf_counter() - t0


def _median_ms(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def measure(
    report: Any, *, kind: str, label: str, n: int, rounds: int = 7, say: Callable[[str], object] = print
) -> dict[str, float]:
    from django.db.models import Count

    from bench.harness import Figure
    from qorgau.analytics.filters import Filters, filters_default
    from qorgau.analytics.refresh import ZONE, tallies_refresh
    from qorgau.analytics.selectors import by_region, dashboard_view, key_figures
    from qorgau.cases.models import Report
    from qorgau.core import clock

    unit, inspector, analyst = _setup()
    now = clock.now()
    say(f"  generating {n:,} reports over {YEARS} years")
    built = generate(n, unit=unit, inspector=inspector, now=now, say=say)
    say(f"  generated in {built:.0f} s")

    today = now.astimezone(ZONE).date()
    national = filters_default(today)
    lo = dt.datetime.combine(national.start, dt.time(), tzinfo=ZONE)
    hi = dt.datetime.combine(today.replace(day=1), dt.time(), tzinfo=ZONE)

    def baseline() -> object:
        return list(Report.objects.filter(received_at__gte=lo, received_at__lt=hi)
                    .values("incident__region_id").annotate(n=Count("id")).order_by())  # fmt: skip

    base_ms = _median_ms(baseline, rounds)
    goal = GOAL_MS[kind]
    results: dict[str, float] = {}

    def add(name: str, ms: float, note: str = "", goal_ms: float | None = goal) -> None:
        results[name] = ms
        met = (
            ""
            if goal_ms is None
            else (f"; goal < {goal_ms:.0f} ms: met" if ms < goal_ms else f"; goal < {goal_ms:.0f} ms: NOT met")
        )
        report.add(Figure(f"{name} [{label}, {n:,} reports]", "plain GROUP BY region of 12 months of reports",
                          1000 / ms, 1000 / base_ms, ms / base_ms, note=f"{ms:.1f} ms vs {base_ms:.1f} ms{met}{note}"))  # fmt: skip

    say("  full rebuild of the tallies")
    t0 = time.perf_counter()
    result = tallies_refresh(full=True)
    full_ms = (time.perf_counter() - t0) * 1000
    add(
        "tallies_refresh(full=True)",
        full_ms,
        note=f"; {result.rows:,} tally rows, {result.months} months",
        goal_ms=None,
    )
    add(
        "tallies_refresh() with nothing changed",
        _median_ms(lambda: tallies_refresh(), rounds),
        goal_ms=None,
    )

    region = Filters(national.start, national.end, region="KZ-75")
    breakdown = Filters(national.start, national.end, breakdown="form:physical")
    cases: list[tuple[str, Callable[[], object]]] = [
        ("dashboard_view, national, 12 months", lambda: dashboard_view(analyst, national)),
        ("dashboard_view, a region's districts", lambda: dashboard_view(analyst, region)),
        ("dashboard_view, breakdown by form", lambda: dashboard_view(analyst, breakdown)),
        (
            "dashboard_view, national, 10 years",
            lambda: dashboard_view(
                analyst, Filters(national.start.replace(year=national.start.year - 9), national.end)
            ),
        ),
        ("key_figures, national", lambda: key_figures(analyst, national)),
        ("by_region (the map), reports", lambda: by_region(analyst, national, "reports")),
    ]
    for name, fn in cases:
        fn()  # warm up
        add(name, _median_ms(fn, rounds))
    return results


def run(
    report: Any, *, reports: int | None = None, database_kind: str = "both", pg_server_url: str = PG_SERVER_URL
) -> None:
    """Add the figures for each database kind ("sqlite", "postgres" or "both"); PostgreSQL not
    reachable is reported and skipped."""
    kinds = ("sqlite", "postgres") if database_kind == "both" else (database_kind,)
    for kind in kinds:
        n = reports or int(os.environ.get("QORGAU_BENCH_ANALYTICS_REPORTS", "0")) or DEFAULT_REPORTS[kind]
        print(f"\nanalytics dashboards: {n:,} reports on {kind}")
        try:
            context = dedicated(kind, pg_server_url=pg_server_url)
            label = context.__enter__()
        except Exception as exc:
            if kind != "postgres":
                raise
            print(f"  SKIPPED: PostgreSQL not reachable at {pg_server_url} ({exc.__class__.__name__}: {exc})")
            continue
        try:
            measure(report, kind=kind, label=label, n=n)
        finally:
            context.__exit__(None, None, None)


def sources(names: Sequence[str] = (), say: Callable[[str], object] = print) -> dict[str, float]:
    """Seconds to count each tallied source (all, or ``names``) on the current database; nothing is written."""
    from qorgau.analytics import refresh

    seconds: dict[str, float] = {}
    for source in refresh.SOURCES:
        if names and source.indicator not in names:
            continue
        start = time.perf_counter()
        rows = len(refresh._count(source, None))
        seconds[source.indicator] = time.perf_counter() - start
        say(f"  {source.indicator:24s} {seconds[source.indicator]:8.2f} s  {rows:8,d} tally rows")
    say(f"  {'all of these':24s} {sum(seconds.values()):8.2f} s")
    return seconds


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.analytics_dashboard", description=__doc__.split("\n\n")[0] if __doc__ else ""
    )
    parser.add_argument(
        "--reports",
        type=int,
        default=0,
        help="reports to generate (default 1,000,000 on PostgreSQL, 200,000 on SQLite)",
    )
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--sources",
        nargs="?",
        const="",
        default=None,
        help="time each source's tally count (comma-separated indicators, default all) on DATABASE_URL instead",
    )
    args = parser.parse_args(argv)
    if args.sources is not None:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qorgau.settings")
        import django

        django.setup()
        sources([n for n in args.sources.split(",") if n])
        return
    os.environ["QORGAU_MODE"] = "test"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django

    django.setup()
    from django.conf import settings

    from bench.harness import Report

    settings.QORGAU_AUDIT_CHECKPOINT_PATH = Path(tempfile.gettempdir()) / "qbench-analytics-checkpoints.log"
    run(Report(), reports=args.reports or None, database_kind=args.database)


if __name__ == "__main__":
    main()
