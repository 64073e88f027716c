"""Reads of electronic monitoring. LEAD STUB — part C owns this module and completes it."""

from __future__ import annotations

from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.core.errors import NotFound
from qorgau.monitoring.models import Alert


def may_monitor(actor: User) -> bool:
    return actor.can(Capability.MONITOR_DEVICES)


def alert_get_for(actor: User, alert_id: int) -> Alert:
    """The one gate for an alert: the monitoring centre's operators (the alert's unit). Missing and
    forbidden look the same."""
    alert = Alert.objects.filter(pk=alert_id).select_related("device", "case", "episode").first()
    if alert is None or not may_monitor(actor) or actor.unit_id != alert.unit_id:
        raise NotFound()
    return alert
