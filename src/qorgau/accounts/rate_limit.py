"""API rate limits: requests per fixed window, per principal and per client address, counted in the database.

Two counters see every API request that passed authentication: the principal's (the signed-in user —
by session or personal token alike, so several tokens do not multiply the budget — or the machine
token) and the client address's (``core.client.client_address``). A request past either limit is
answered ``429`` with ``Retry-After`` (seconds to the end of the window) and the API's usual
``{code, detail}``; the first refusal of each counter in a window is audited (``denied``, outcome
``throttled``). Windows are aligned on the clock (``core.clock``), so they reset at fixed instants.

The counters are keyed hashes, never a user id or an address in clear, kept where every gunicorn
process sees them. With a shared cache (``QORGAU_CACHE_URL``, ADR 0017) they are Redis counters
(``accounts.rate_counters``): one round trip per request. Without one (the embedded default, whose
cache is each process's own memory) they are rows of ``accounts.LoginThrottle``: an ordinary
request costs one statement, a conditional ``UPDATE … RETURNING`` (PostgreSQL, and SQLite since
3.35) that counts it and reads the counts back; the first request of a window, and a refusal, read
the rows again.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from qorgau.accounts import rate_counters, shared_cache
from qorgau.accounts.models import LoginThrottle, MachineToken, User
from qorgau.accounts.rate_counters import Counter
from qorgau.core import clock, crypto
from qorgau.core.audit import audit_record
from qorgau.core.client import client_address
from qorgau.core.models import AuditAction

Scope = LoginThrottle.Scope


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds to the end of the window, when refused
    count: int = 0  # the highest count seen among the counters


def principal_of(request: HttpRequest) -> str | None:
    """``user:<id>`` or ``machine:<id>`` for an authenticated request, else None."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, MachineToken):
        return f"machine:{auth.pk}"
    if isinstance(auth, User):
        return f"user:{auth.pk}"
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return None


def window_start(at: datetime, seconds: int) -> datetime:
    """The start of the fixed window holding ``at`` (windows are aligned on the Unix epoch)."""
    return datetime.fromtimestamp(int(at.timestamp()) // seconds * seconds, tz=UTC)


def _counters(request: HttpRequest) -> list[Counter]:
    counters = []
    principal = principal_of(request)
    per_principal = int(settings.QORGAU_API_RATE_PER_MINUTE)
    if principal is not None and per_principal > 0:
        counters.append(Counter(Scope.API_PRINCIPAL, crypto.keyed_hash("api-principal", principal), per_principal))
    per_address = int(settings.QORGAU_API_ADDRESS_RATE_PER_MINUTE)
    if per_address > 0:
        counters.append(Counter(Scope.API_CLIENT, crypto.keyed_hash("api-client", client_address(request)), per_address))
    return counters


def _open_window(counter: Counter, start: datetime) -> None:
    """Count a first request in the window: reset an older row, or create one (races end up counting)."""
    reset = LoginThrottle.objects.filter(scope=counter.scope, key=counter.key, last_failure_at__lt=start).update(
        failures=1, last_failure_at=start, blocked_until=None
    )
    if reset:
        return
    try:
        with transaction.atomic():
            LoginThrottle.objects.create(scope=counter.scope, key=counter.key, failures=1, last_failure_at=start)
    except IntegrityError:  # another process opened this window (or already counted in it) first
        LoginThrottle.objects.filter(scope=counter.scope, key=counter.key, last_failure_at__gte=start).update(
            failures=F("failures") + 1
        )


def _count_in_window(counters: list[Counter], start: datetime) -> dict[tuple[str, str], int]:
    """Count the request on each counter whose window is ``start``, in one statement; the counts after it."""
    table = connection.ops.quote_name(LoginThrottle._meta.db_table)
    scope, key, failures, at = (connection.ops.quote_name(n) for n in ("scope", "key", "failures", "last_failure_at"))
    match = " OR ".join(f"({scope} = %s AND {key} = %s)" for _ in counters)
    params: list[Any] = [connection.ops.adapt_datetimefield_value(start)]
    for c in counters:
        params += [c.scope, c.key]
    with connection.cursor() as cursor:
        # Quoted names and placeholders only: every value is a parameter.
        sql = f"UPDATE {table} SET {failures} = {failures} + 1 WHERE {at} = %s AND ({match}) RETURNING {scope}, {key}, {failures}"  # noqa: S608
        cursor.execute(sql, params)
        return {(row[0], row[1]): int(row[2]) for row in cursor.fetchall()}


def _count_in_database(counters: list[Counter], start: datetime, end: datetime) -> tuple[dict[Counter, int], list[Counter]]:
    """Count the request in ``LoginThrottle`` rows: the counts, and the counters refused for the first
    time in this window (their refusal is to be audited)."""
    which = Q()
    for c in counters:
        which |= Q(scope=c.scope, key=c.key)
    counted = _count_in_window(counters, start)
    if len(counted) == len(counters) and all(counted[(c.scope, c.key)] <= c.limit for c in counters):
        return {c: counted[(c.scope, c.key)] for c in counters}, []
    rows = {(r.scope, r.key): r for r in LoginThrottle.objects.filter(which)}
    if any((c.scope, c.key) not in rows or rows[(c.scope, c.key)].last_failure_at != start for c in counters):
        for c in counters:
            row = rows.get((c.scope, c.key))
            if row is None or row.last_failure_at != start:
                _open_window(c, start)
        rows = {(r.scope, r.key): r for r in LoginThrottle.objects.filter(which)}
    counts = {c: rows[(c.scope, c.key)].failures for c in counters}
    first = []
    for c in counters:
        if counts[c] <= c.limit or rows[(c.scope, c.key)].blocked_until == end:
            continue  # allowed, or this window's refusal is already in the audit log
        if LoginThrottle.objects.filter(
            Q(blocked_until__isnull=True) | Q(blocked_until__lt=end), scope=c.scope, key=c.key
        ).update(blocked_until=end):
            first.append(c)
    return counts, first


def api_rate_check(request: HttpRequest) -> Verdict:
    """Count this request against its counters; refuse it (and audit the first refusal) past a limit."""
    counters = _counters(request)
    if not counters:
        return Verdict(True)
    at = clock.now()
    seconds = int(settings.QORGAU_API_RATE_WINDOW_SECONDS)
    start = window_start(at, seconds)
    end = start + timedelta(seconds=seconds)
    if shared_cache.enabled():
        counts, first = rate_counters.count(counters, start, seconds)
    else:
        counts, first = _count_in_database(counters, start, end)
    top = max(counts.values())
    if all(counts[c] <= c.limit for c in counters):
        return Verdict(True, count=top)
    for c in first:
        match = getattr(request, "resolver_match", None)
        route = match.route if match is not None else ""
        actor = request.user if getattr(request, "user", None) is not None else None
        # target: which counter (api_user or api_addr) and the route pattern, never the path
        audit_record(
            actor=actor, action=AuditAction.DENIED, target_type=c.scope, target_id=route[:64],
            count=c.limit, request=request, outcome="throttled",
        )
    return Verdict(False, retry_after=max(1, math.ceil((end - at).total_seconds())), count=top)


class ApiRateLimit(BaseThrottle):
    """django-ninja's hook (run after authentication): ``wait()`` answers for this thread's last refusal."""

    def __init__(self) -> None:
        self._last = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        verdict = api_rate_check(request)
        self._last.retry_after = verdict.retry_after
        return verdict.allowed

    def wait(self) -> float | None:
        return float(getattr(self._last, "retry_after", 0) or 0) or None
