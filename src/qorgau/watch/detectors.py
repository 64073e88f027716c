"""The detectors of unusual access (issue 11), run periodically over the audit log.

Each detector reads ``core.AuditEvent`` rows (ids and counts only) and raises at most one
``AccessAlert`` per user, kind and window: the unique key makes a second run, or two workers running
at once, create nothing new. Days are calendar days in ``QORGAU_DEFAULT_ZONE`` (one offset for the
whole country since March 2024); hours are clock hours. Thresholds: ``watch.thresholds``.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.db.models.functions import TruncDate, TruncHour

from qorgau.accounts.models import NotificationKind, User
from qorgau.accounts.recipients import unit_staff
from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from qorgau.accounts.services import notify
from qorgau.cases.ledger import oversight_units
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction, AuditEvent
from qorgau.watch.models import AccessAlert, AlertKind
from qorgau.watch.thresholds import Thresholds, thresholds


def zone() -> ZoneInfo:
    return ZoneInfo(settings.QORGAU_DEFAULT_ZONE)


def day_start(at: datetime) -> datetime:
    """The start (in UTC) of the local calendar day holding ``at``."""
    local = at.astimezone(zone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(clock.UTC)


def _days(at: datetime, lookback: timedelta) -> list[tuple[datetime, datetime]]:
    """The local days touched by the look-back, oldest first, as (start, end) in UTC."""
    out = []
    start = day_start(at - lookback)
    while start <= at:
        end = day_start(start + timedelta(hours=36))  # the next local midnight, whatever the offset
        out.append((start, end))
        start = end
    return out


@dataclass(frozen=True)
class Finding:
    kind: AlertKind
    user_id: int
    unit_id: int | None
    start: datetime
    end: datetime
    count: int
    threshold: int
    baseline: float | None = None
    largest: int | None = None


# --- (a) many distinct cases in a day, against the unit's pattern ---------------------------------------


def unit_baseline(unit_id: int | None, before: datetime, days: int) -> float:
    """The median of distinct cases read per user and day by the unit's users over ``days`` days
    before ``before`` (user-days without a read do not count); 0 when the unit read nothing."""
    rows = (
        AuditEvent.objects.filter(action=AuditAction.READ, target_type="case", actor_unit_id=unit_id, actor_id__isnull=False,
                                  at__gte=before - timedelta(days=days), at__lt=before)
        .annotate(day=TruncDate("at", tzinfo=zone()))
        .values("actor_id", "day")
        .annotate(n=Count("target_id", distinct=True))
        .values_list("n", flat=True)
    )
    values = list(rows)
    return float(statistics.median(values)) if values else 0.0


def detect_many_cases(at: datetime, t: Thresholds) -> list[Finding]:
    found = []
    for start, end in _days(at, timedelta(hours=t.lookback_hours)):
        rows = (
            AuditEvent.objects.filter(action=AuditAction.READ, target_type="case", actor_id__isnull=False, at__gte=start, at__lt=end)
            .values("actor_id", "actor_unit_id")
            .annotate(n=Count("target_id", distinct=True))
            .filter(n__gt=t.cases_min)  # below the floor nothing can fire: the baseline is read only for the rest
        )
        baselines: dict[int | None, float] = {}
        for row in rows:
            unit_id = row["actor_unit_id"]
            if unit_id not in baselines:
                baselines[unit_id] = unit_baseline(unit_id, start, t.baseline_days)
            median = baselines[unit_id]
            # count > max(MIN, FACTOR × median); for a whole count "> x" is "> floor(x)".
            threshold = max(t.cases_min, math.floor(t.cases_factor * median))
            if row["n"] > threshold:
                found.append(Finding(AlertKind.MANY_CASES, row["actor_id"], unit_id, start, end, row["n"], threshold, baseline=median))
    return found


# --- (b) break-glass used often --------------------------------------------------------------------------


def detect_break_glass(at: datetime, t: Thresholds) -> list[Finding]:
    """Break-glass uses in the 7 local days ending with today. The window rolls, so a user already
    alerted for an overlapping window is not alerted again until the windows no longer overlap."""
    end = day_start(day_start(at) + timedelta(hours=36))
    start = day_start(end - timedelta(days=7) + timedelta(hours=12))
    rows = list(
        AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS, actor_id__isnull=False, at__gte=start, at__lt=end)
        .values("actor_id", "actor_unit_id")
        .annotate(n=Count("id"))
        .filter(n__gte=t.break_glass)
    )
    if not rows:
        return []
    recent = set(
        AccessAlert.objects.filter(kind=AlertKind.BREAK_GLASS, user_id__in=[r["actor_id"] for r in rows], window_end__gt=start)
        .values_list("user_id", flat=True)
    )
    return [
        Finding(AlertKind.BREAK_GLASS, r["actor_id"], r["actor_unit_id"], start, end, r["n"], t.break_glass)
        for r in rows if r["actor_id"] not in recent
    ]


# --- (c) bulk exports --------------------------------------------------------------------------------------


def detect_bulk_exports(at: datetime, t: Thresholds) -> list[Finding]:
    found = []
    for start, end in _days(at, timedelta(hours=t.lookback_hours)):
        rows = (
            AuditEvent.objects.filter(action=AuditAction.EXPORT, actor_id__isnull=False, at__gte=start, at__lt=end)
            .values("actor_id", "actor_unit_id")
            .annotate(n=Count("id"), largest=Max("count"))
        )
        for r in rows:
            largest = r["largest"] or 0
            if r["n"] >= t.exports or largest >= t.export_rows:
                found.append(Finding(AlertKind.BULK_EXPORT, r["actor_id"], r["actor_unit_id"], start, end, r["n"], t.exports,
                                     largest=largest))
    return found


# --- (d) many refusals in an hour --------------------------------------------------------------------------


def detect_denied(at: datetime, t: Thresholds) -> list[Finding]:
    since = (at - timedelta(hours=t.lookback_hours)).replace(minute=0, second=0, microsecond=0)
    rows = (
        AuditEvent.objects.filter(action=AuditAction.DENIED, actor_id__isnull=False, at__gte=since)
        .annotate(hour=TruncHour("at", tzinfo=clock.UTC))
        .values("actor_id", "actor_unit_id", "hour")
        .annotate(n=Count("id"))
        .filter(n__gte=t.denied)
    )
    return [
        Finding(AlertKind.DENIED, r["actor_id"], r["actor_unit_id"], r["hour"], r["hour"] + timedelta(hours=1), r["n"], t.denied)
        for r in rows
    ]


# --- raising alerts --------------------------------------------------------------------------------------


def _holds(user: User, capability: Capability) -> bool:
    return capability in ROLE_CAPABILITIES.get(Role(user.role), frozenset()) if user.role in Role.values else False


def alert_recipients(alert: AccessAlert) -> list[User]:
    """The active supervisors of the user's unit (never the user); internal oversight as well when the
    user is a supervisor, or when the unit has no other supervisor to tell."""
    subject = alert.user
    people = unit_staff([alert.unit_id], capability=Capability.SUPERVISE_UNIT, besides=subject) if alert.unit_id else []
    if not people or _holds(subject, Capability.SUPERVISE_UNIT):
        seen = {u.pk for u in people}
        people += [u for u in unit_staff(oversight_units(), capability=Capability.OVERSEE_RESTRICTED, besides=subject) if u.pk not in seen]
    return people


def _raise(f: Finding) -> AccessAlert | None:
    if AccessAlert.objects.filter(kind=f.kind, user_id=f.user_id, window_start=f.start).exists():
        return None
    with transaction.atomic():
        try:
            with transaction.atomic():
                alert = AccessAlert.objects.create(
                    kind=f.kind, user_id=f.user_id, unit_id=f.unit_id, window_start=f.start, window_end=f.end, count=f.count,
                    threshold=f.threshold, baseline=f.baseline, largest=f.largest, created_at=clock.now(),
                )
        except IntegrityError:  # another run raised it first
            return None
        audit_record(actor=None, action=AuditAction.WRITE, target_type="access_alert", target_id=alert.pk, count=f.count)
        notify(recipients=alert_recipients(alert), kind=NotificationKind.ACCESS_ALERT, target_type="access_alert", target_id=alert.pk)
    return alert


DETECTORS = (detect_many_cases, detect_break_glass, detect_bulk_exports, detect_denied)


def access_watch_run(*, at: datetime | None = None) -> list[AccessAlert]:
    """Run every detector over the look-back window; return the alerts raised now (none on a rerun)."""
    at = at or clock.now()
    t = thresholds()
    raised = []
    for detector in DETECTORS:
        for finding in detector(at, t):
            alert = _raise(finding)
            if alert is not None:
                raised.append(alert)
    return raised
