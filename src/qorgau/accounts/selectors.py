"""Reads for accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from qorgau.accounts.models import ApiToken, Notification, User
from qorgau.core import clock


def notifications_for(actor: User, *, limit: int = 50) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=actor)[:limit]


def unread_count(actor: User) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).count()


def active_tokens_for(actor: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=actor, revoked_at__isnull=True, expires_at__gt=clock.now()).order_by("-created_at")


def staff_directory(*, unit_id: int | None = None) -> QuerySet[User]:
    qs = User.objects.select_related("unit", "unit__region").order_by("unit__region_id", "username")
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return qs
