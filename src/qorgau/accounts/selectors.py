"""Reads for accounts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import STAFF_POLICY, mask
from qorgau.accounts.models import ApiToken, Notification, User
from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.core.sql_reads import fetch


def notifications_for(actor: User, *, limit: int = 50) -> QuerySet[Notification]:
    """The actor's latest notifications, with their e-mail and SMS deliveries (shown beside each)."""
    return Notification.objects.filter(recipient=actor).prefetch_related("deliveries")[:limit]


def unread_count(actor: User) -> int:
    """How many of the actor's notifications are unread: the header's badge on every page, so one
    statement on a bare cursor (core.sql_reads, ADR 0018) rather than the ORM's compiled count."""
    ((n,),) = fetch("SELECT COUNT(*) FROM accounts_notification WHERE recipient_id = %s AND read_at IS NULL", [actor.pk])
    return int(n)


def active_tokens_for(actor: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=actor, revoked_at__isnull=True, expires_at__gt=clock.now()).order_by("-created_at")


def staff_directory(*, unit_id: int | None = None) -> QuerySet[User]:
    qs = User.objects.select_related("unit", "unit__region").order_by("unit__region_id", "username")
    if unit_id is not None:
        qs = qs.filter(unit_id=unit_id)
    return qs


def staff_rows_for(actor: User, *, unit_id: int | None = None) -> list[dict[str, Any]]:
    """The staff directory as the actor may see it: every field through the mask layer."""
    viewer = viewer_for(actor)
    return [
        mask(
            viewer,
            {
                "id": person.pk,
                "username": person.username,
                "role": Role(person.role).label,
                "unit": person.unit.name if person.unit else "",
                "full_name": person.full_name,
                "iin": person.iin or "",
            },
            STAFF_POLICY,
        )
        for person in staff_directory(unit_id=unit_id)
    ]
