"""``national_build``: plan the pairs, write them and everything downstream in bulk, in one transaction.

The big tables' secondary indexes are dropped for the load and built once at the end, and on
PostgreSQL the foreign-key triggers of the generated rows are skipped (``session_replication_role``)
from ``FAST_FROM`` reports on; the generator keeps the references right itself (the tests check them).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.db import connection, transaction

from qorgau.accounts.models import User
from qorgau.cases.models import Report
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction
from qorgau.demo.national.cases import cases_tables, pair_write
from qorgau.demo.national.context import context_load
from qorgau.demo.national.downstream import downstream_tables, orders_write, risk_write, tasks_write
from qorgau.demo.national.monitoring import Monitoring, monitoring_tables
from qorgau.demo.national.people import people_tables
from qorgau.demo.national.placements import placements_tables, placements_write
from qorgau.demo.national.plan import KEY_PREFIX, NationalPlanner
from qorgau.demo.national.progress import progress_bar
from qorgau.demo.national.tables import Loader, secondary_indexes
from qorgau.demo.synthetic import regions_load
from qorgau.monitoring.models import Device

FAST_FROM = 50_000
# The tables shown in the summary, by family.
FAMILIES = {
    "people": ("person", "person_key"),
    "reports and cases": ("incident", "report", "case", "case_incident", "case_marker", "party", "grant", "event"),
    "risk": ("assessment", "case_risk"),
    "orders": ("order", "order_protected", "order_case", "breach"),
    "protocol tasks": ("task",),
    "shelters": ("placement",),
    "monitoring": ("device", "offender_set", "assignment", "episode", "alert"),
}


class AlreadyLoaded(Exception):
    """The national history is already in this database."""


@dataclass
class Built:
    reports: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    regions: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        out = []
        for family, keys in FAMILIES.items():
            parts = ", ".join(f"{k.replace('_', ' ')} {self.rows.get(k, 0):,}" for k in keys)
            out.append(f"  {family}: {parts}")
        rate = self.reports / self.seconds if self.seconds else 0.0
        out.append(f"National history: {self.reports:,} reports in {self.seconds:.1f} s ({rate:,.0f} reports/s)")
        return out


def national_present() -> int:
    return Report.objects.filter(import_key__startswith=KEY_PREFIX).count()


def national_build(*, reports: int, years: float, seed: int, out: TextIO | Any = None, anchor: dt.datetime | None = None) -> Built:
    """Write ``reports`` reports over ``years`` with their pairs and everything downstream; all or
    nothing. Refuses (``AlreadyLoaded``) when a national history is already there. Needs the demo
    users and reference data (``seed_demo``, ``load-reference``)."""
    if national_present():
        raise AlreadyLoaded(f"a national history of {national_present():,} reports is already loaded; nothing added")
    started = time.perf_counter()
    anchor = (anchor or clock.now()).replace(second=0, microsecond=0)
    ctx = context_load(seed=seed, anchor=anchor)
    planner = NationalPlanner(seed=seed, anchor=anchor, regions=regions_load(), years=years)
    loader = Loader()
    for declare in (people_tables, cases_tables, downstream_tables, placements_tables, monitoring_tables):
        declare(loader)
    fast = reports >= FAST_FROM
    built = Built(reports=0, seconds=0.0)
    bar = progress_bar(reports, out, enabled=out is not None)
    try:
        with transaction.atomic():
            dropped = secondary_indexes({t.name for t in loader.tables.values()}) if fast else []
            with connection.cursor() as cur:
                for name, _sql in dropped:
                    cur.execute(f'DROP INDEX "{name}"')
                if fast and connection.vendor == "postgresql":
                    cur.execute("SET LOCAL session_replication_role = replica")
            monitoring = Monitoring(loader, ctx, Device.objects.count())
            rng = ctx.rng
            for story in planner.stories(reports):
                pair = pair_write(loader, ctx, story)
                levels = risk_write(loader, ctx, pair, rng)
                court = orders_write(loader, ctx, pair, rng)
                tasks_write(loader, ctx, pair, rng)
                placements_write(loader, ctx, pair, levels, rng)
                monitoring.write(pair, court, rng)
                built.reports += len(story.reports)
                built.regions[story.region_iso] += len(story.reports)
                bar.update(len(story.reports))
                loader.maybe_flush()
            loader.flush()
            if out is not None and dropped:
                bar.write(f"Building {len(dropped)} indexes …", file=out)
            with connection.cursor() as cur:
                if connection.vendor == "postgresql":
                    cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
                for _name, sql in dropped:
                    cur.execute(sql)
            loader.reset_sequences()
            admin = User.objects.filter(username="admin").first()
            audit_record(actor=admin, action=AuditAction.IMPORT, target_type="national_history", target_id=seed, count=built.reports)
    finally:
        bar.close()
    if fast:
        with connection.cursor() as cur:
            if connection.vendor == "postgresql" and connection.get_autocommit():
                # A bulk-loaded table has no visibility map until autovacuum comes round, and until
                # then an index-only scan still visits the table: the registry's probe reads its
                # blocking keys from their index alone (people.registry.probe_ids).
                cur.execute("VACUUM (ANALYZE) people_personkey")
            cur.execute("ANALYZE")
    built.rows = dict(loader.written)
    built.seconds = time.perf_counter() - started
    return built
