"""Who may see which access alerts and which unit's access review (docs/watch.md).

A supervisor (``supervise_unit``) sees the alerts and the review of their own unit, never an alert
about themselves; internal oversight (``oversee_restricted``) sees every unit's, again never an alert
about themselves. Anyone else is refused (403); an alert or unit outside one's view is "not found".
"""

from __future__ import annotations

from django.db.models import QuerySet

from qorgau.accounts.models import Unit, User
from qorgau.accounts.roles import Capability
from qorgau.core.errors import Forbidden, NotFound
from qorgau.watch.models import AccessAlert


def is_overseer(actor: User) -> bool:
    return actor.can(Capability.OVERSEE_RESTRICTED)


def require_watcher(actor: User) -> None:
    if not (actor.can(Capability.SUPERVISE_UNIT) or is_overseer(actor)):
        raise Forbidden()


def alerts_visible_to(actor: User) -> QuerySet[AccessAlert]:
    require_watcher(actor)
    alerts = AccessAlert.objects.exclude(user_id=actor.pk)
    if is_overseer(actor):
        return alerts
    if actor.unit_id is None:
        return alerts.none()
    return alerts.filter(unit_id=actor.unit_id)


def alert_get_for(actor: User, alert_id: int) -> AccessAlert:
    try:
        return alerts_visible_to(actor).select_related("user", "unit", "reviewed_by").get(pk=alert_id)
    except AccessAlert.DoesNotExist:
        raise NotFound() from None


def review_unit_get_for(actor: User, unit_id: int | None) -> Unit | None:
    """The unit whose review the actor opens: a supervisor's own unit (another id is not found);
    for oversight the chosen unit, or None for the overview of all units."""
    require_watcher(actor)
    if is_overseer(actor):
        if unit_id is None:
            return None
        unit = Unit.objects.filter(pk=unit_id).first()
    else:
        unit = actor.unit if unit_id in (None, actor.unit_id) else None
    if unit is None:
        raise NotFound()
    return unit
