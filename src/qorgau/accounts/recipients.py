"""Whom to tell: the active staff of units, by capability (one query, no per-user permission checks).

Capabilities come from roles (``roles.ROLE_CAPABILITIES``), so filtering by role is the same as
asking each user ``can(capability)``. Aggregate-only roles never receive case notices.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from qorgau.accounts.models import Unit, User
from qorgau.accounts.roles import AGGREGATE_ONLY_ROLES, ROLE_CAPABILITIES, Capability


def _roles(capability: Capability | None) -> list[str]:
    return [
        role.value for role, caps in ROLE_CAPABILITIES.items()
        if role not in AGGREGATE_ONLY_ROLES and (capability is None or capability in caps)
    ]


def unit_staff(
    units: Iterable[Unit | int] | QuerySet, *, capability: Capability | None = None, besides: User | None = None
) -> list[User]:
    """Active users of ``units`` (units, ids or a values queryset of ids) holding ``capability``
    (any case-facing role when None), without ``besides`` (the actor, who knows already)."""
    if not isinstance(units, QuerySet):
        units = [u.pk if isinstance(u, Unit) else u for u in units]
    users = User.objects.filter(unit_id__in=units, is_active=True, role__in=_roles(capability)).order_by("id")
    if besides is not None:
        users = users.exclude(pk=besides.pk)
    return list(users)
