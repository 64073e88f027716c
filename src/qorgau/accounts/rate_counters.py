"""The API rate counters in the shared cache (Redis): one round trip counts a request on all of them.

Used by ``accounts.rate_limit`` when ``QORGAU_CACHE_URL`` is set (ADR 0017). A counter is a Redis key
per window (``INCR`` is atomic across every web process; the key expires shortly after its window),
and a second key per window remembers that the counter's first refusal was audited (``SET NX``). Both
are written by one Lua script, a single command: a pipeline of an ``INCR`` and an ``EXPIRE`` per
counter cost about twice its Python in redis-py on every API request.
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


# One round trip for all of a request's counters: count it on each, start each new window's expiry,
# and for each counter past its limit remember its first refusal of the window (SET NX). A script runs
# atomically, so a key never lives without its expiry. KEYS: (count, refused) per counter; ARGV: the
# expiry in seconds, then each counter's limit. Returns (count, first refusal 1/0) per counter.
COUNT_SCRIPT = """
local ttl = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS / 2 do
  local n = redis.call('INCR', KEYS[2 * i - 1])
  if n == 1 then redis.call('EXPIRE', KEYS[2 * i - 1], ttl) end
  local first = 0
  if n > tonumber(ARGV[i + 1]) and redis.call('SET', KEYS[2 * i], 1, 'NX', 'EX', ttl) then first = 1 end
  out[2 * i - 1] = n
  out[2 * i] = first
end
return out
"""


@cache
def _client(url: str) -> redis.Redis:
    # One connection pool per process and URL; redis-py opens new connections in a forked child.
    return redis.Redis.from_url(url)


@cache
def _script(url: str) -> Any:
    # EVALSHA, loading the script again where the server has lost it (a restart, SCRIPT FLUSH).
    return _client(url).register_script(COUNT_SCRIPT)


def _key(counter: Counter, start: datetime, what: str = "n") -> str:
    # Under the cache's own key prefix, so that installations (and test runs) sharing a Redis stay apart.
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{prefix}:rate:{what}:{counter.scope}:{counter.key}:{int(start.timestamp())}"


def count(counters: Sequence[Counter], start: datetime, seconds: int) -> tuple[dict[Counter, int], list[Counter]]:
    """Count one request on each counter in the window starting at ``start``: the counts after it, and
    the counters past their limit whose refusal is the first of this window (to be audited)."""
    ttl = seconds + 60  # outlives its window a little: clocks of the web hosts differ slightly
    keys = [k for c in counters for k in (_key(c, start), _key(c, start, "refused"))]
    replies: list[Any] = _script(settings.QORGAU_CACHE_URL)(keys=keys, args=[ttl, *(c.limit for c in counters)])
    counts = {c: int(replies[2 * i]) for i, c in enumerate(counters)}
    first = [c for i, c in enumerate(counters) if int(replies[2 * i + 1])]
    return counts, first
