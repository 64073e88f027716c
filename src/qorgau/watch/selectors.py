"""Reads for the access review and the alert list (a fixed number of queries, whatever the rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet

from qorgau.accounts.models import Unit, User
from qorgau.cases.models import Grant, GrantReason
from qorgau.core.models import AuditAction, AuditEvent
from qorgau.watch.detectors import day_start, zone
from qorgau.watch.models import AccessAlert, AccessReview

BREAK_GLASS_DAYS = 90
READS_DAYS = 30


def month_start(at: datetime) -> date:
    """The first day of the local month holding ``at``: the period a review is for."""
    return at.astimezone(zone()).date().replace(day=1)


def month_start_at(at: datetime) -> datetime:
    """The same, as the UTC instant of that local midnight."""
    return day_start(at - timedelta(days=at.astimezone(zone()).day - 1))


def alerts_list(alerts: QuerySet[AccessAlert], *, limit: int = 200) -> list[AccessAlert]:
    """Open alerts first, newest first within each group."""
    rows = alerts.select_related("user", "unit", "reviewed_by").order_by(F("reviewed_at").desc(nulls_first=True), "-created_at", "-id")
    return list(rows[:limit])


@dataclass
class UserAccess:
    user: User
    cases_read: int = 0
    reads: int = 0


@dataclass
class ReviewData:
    unit: Unit
    at: datetime
    grants: list[Grant]
    break_glass: list[Grant]
    users: list[UserAccess]
    last_review: AccessReview | None
    period: date
    done_this_month: bool = field(default=False)


def live_grants(unit: Unit, at: datetime) -> QuerySet[Grant]:
    return (
        Grant.objects.filter(unit=unit, since__lte=at).filter(Q(until__isnull=True) | Q(until__gt=at))
        .select_related("case", "granted_by").order_by("since", "id")
    )


def break_glass_grants(unit: Unit, at: datetime) -> QuerySet[Grant]:
    return (
        Grant.objects.filter(unit=unit, reason=GrantReason.BREAK_GLASS, since__gte=at - timedelta(days=BREAK_GLASS_DAYS))
        .select_related("case", "granted_by").order_by("-since", "-id")
    )


def users_access(unit: Unit, at: datetime) -> list[UserAccess]:
    """Each active user of the unit with their last sign-in and their case reads in the last 30 days."""
    users = list(User.objects.filter(unit=unit, is_active=True).order_by("username"))
    figures: dict[int, dict[str, Any]] = {
        r["actor_id"]: r
        for r in AuditEvent.objects.filter(
            action=AuditAction.READ, target_type="case", actor_id__in=[u.pk for u in users], at__gte=at - timedelta(days=READS_DAYS), at__lte=at,
        ).values("actor_id").annotate(cases=Count("target_id", distinct=True), reads=Count("id"))
    }
    return [UserAccess(u, figures.get(u.pk, {}).get("cases", 0), figures.get(u.pk, {}).get("reads", 0)) for u in users]


def review_data(unit: Unit, at: datetime) -> ReviewData:
    period = month_start(at)
    last = AccessReview.objects.filter(unit=unit).select_related("completed_by").first()
    return ReviewData(
        unit=unit, at=at, grants=list(live_grants(unit, at)), break_glass=list(break_glass_grants(unit, at)),
        users=users_access(unit, at), last_review=last, period=period,
        done_this_month=last is not None and last.period == period,
    )


def units_overview(at: datetime) -> list[dict[str, Any]]:
    """Oversight's overview: every active unit with its last completed review and its open alerts."""
    open_alerts = dict(
        AccessAlert.objects.filter(reviewed_at__isnull=True, unit__isnull=False).values("unit_id").annotate(n=Count("id"))
        .values_list("unit_id", "n")
    )
    units = Unit.objects.filter(is_active=True).annotate(last_review=Max("access_reviews__completed_at")).order_by("region_id", "name_ru")
    return [{"unit": u, "last_review": u.last_review, "open_alerts": open_alerts.get(u.pk, 0)} for u in units]
