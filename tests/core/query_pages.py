"""The query-count harness for list and detail pages (issue 10: no N+1).

A list page is rendered once with a few rows and again with many more; its number of SQL queries
must not grow with the rows. A detail page is rendered with few related rows and again with many;
the same rule holds. Counts are compared within one run on one backend, never against a written
number (PostgreSQL and SQLite differ by savepoints).

``covers`` records which routes (as tests/permission_matrix.py names them) a test measures, so the
completeness test can fail when a GET route is neither measured nor listed in ``EXEMPT`` with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

COVERED: set[str] = set()


def covers(*routes: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Mark a test as the query-count test of these routes."""

    def mark(fn: Callable[..., None]) -> Callable[..., None]:
        COVERED.update(routes)
        return fn

    return mark


@dataclass(frozen=True)
class Measured:
    path: str
    queries: int
    sql: tuple[str, ...]
    size: int


def measure(client: Client, path: str, *, status: int = 200) -> Measured:
    """The queries one GET of ``path`` runs (after a warm-up GET, so per-process caches are full)."""
    assert client.get(path).status_code == status, path
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == status, path
    return Measured(path, len(ctx.captured_queries), tuple(q["sql"] for q in ctx.captured_queries), len(response.content))


def _diff(few: Measured, many: Measured) -> str:
    """The statements that appear more often with many rows: where the N+1 is."""
    from collections import Counter

    def shape(sql: str) -> str:
        return sql[:160]

    grown = Counter(map(shape, many.sql)) - Counter(map(shape, few.sql))
    return "\n".join(f"  +{n} × {s}" for s, n in grown.most_common(5))


def assert_flat(client: Client, path: str | Callable[[], str], grow: Callable[[int], object], *, few: int = 2, many: int = 12,
                slack: int = 0, status: int = 200, grows: bool = True) -> tuple[int, int]:
    """Grow to ``few`` rows, count; grow to ``many``, count again: the count may not grow (beyond a
    stated ``slack`` of fixed extra queries, e.g. a section that appears once rows exist). ``grows=False``
    for a page that shows one record while its neighbours (siblings on the same case) multiply."""
    grow(few)
    first = measure(client, path() if callable(path) else path, status=status)
    grow(many - few)
    second = measure(client, path() if callable(path) else path, status=status)
    # The rows must be on the page, or the test would measure nothing: the body grows with them.
    assert second.size > first.size or not grows, f"{second.path}: the page did not grow with the rows ({first.size} bytes both times)"
    assert second.queries <= first.queries + slack, (
        f"{second.path}: {first.queries} queries with {few} rows, {second.queries} with {many}\n{_diff(first, second)}"
    )
    print(f"query-count {second.path}: {first.queries} -> {second.queries}")
    return first.queries, second.queries
