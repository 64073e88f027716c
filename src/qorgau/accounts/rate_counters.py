"""The API rate counters in the shared cache (Redis): one round trip counts a request on all of them.

Used by ``accounts.rate_limit`` when ``QORGAU_CACHE_URL`` is set (ADR 0017). A counter is a Redis key
per window (``INCR`` is atomic across every web process; the key expires shortly after its window),
and a second key per window remembers that the counter's first refusal was audited (``SET NX``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import redis
from django.conf import settings


@dataclass(frozen=True)
class Counter:
    """One of a request's rate counters (the principal's or the address's); kept here or in the
    database (``accounts.rate_limit``)."""

    scope: str
    key: str
    limit: int


@cache
def _client(url: str) -> redis.Redis:
    # One connection pool per process and URL; redis-py opens new connections in a forked child.
    return redis.Redis.from_url(url)


def _key(counter: Counter, start: datetime, what: str = "n") -> str:
    # Under the cache's own key prefix, so that installations (and test runs) sharing a Redis stay apart.
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:rate:{what}:{counter.scope}:{counter.key}:{int(start.timestamp())}"


def count(counters: Sequence[Counter], start: datetime, seconds: int) -> tuple[dict[Counter, int], list[Counter]]:
    """Count one request on each counter in the window starting at ``start``: the counts after it, and
    the counters past their limit whose refusal is the first of this window (to be audited)."""
    client = _client(settings.QORGAU_CACHE_URL)
    ttl = seconds + 60  # outlives its window a little: clocks of the web hosts differ slightly
    pipe = client.pipeline(transaction=False)
    for c in counters:
        pipe.incr(_key(c, start))
        pipe.expire(_key(c, start), ttl, nx=True)
    replies: list[Any] = pipe.execute()
    counts = {c: int(replies[2 * i]) for i, c in enumerate(counters)}
    refused = [c for c in counters if counts[c] > c.limit]
    if not refused:
        return counts, []
    pipe = client.pipeline(transaction=False)
    for c in refused:
        pipe.set(_key(c, start, "refused"), 1, nx=True, ex=ttl)
    first = [c for c, was_first in zip(refused, pipe.execute(), strict=True) if was_first]
    return counts, first

