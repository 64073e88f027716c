"""Alerts: raised by ingestion inside its transaction, then acknowledged, dispatched and resolved by
the monitoring operator (DESIGN §7). LEAD STUB — part C owns this module and completes it."""

from __future__ import annotations

import datetime as dt

from qorgau.core import clock
from qorgau.monitoring.models import Alert, Assignment, ConditionKind, Episode, Severity, Wearer

CRITICAL_KINDS = frozenset({ConditionKind.ZONE, ConditionKind.PROXIMITY})


def _assignment_for(episode: Episode) -> Assignment | None:
    """The assignment whose case the alert concerns: the zone's case, the victim device's, or the
    offender device's earliest active one."""
    active = Assignment.objects.filter(ended_at__isnull=True, offender_set_id=episode.offender_set_id)
    if episode.zone_id is not None:
        return active.filter(case_id=episode.zone.case_id).order_by("started_at", "pk").first()  # type: ignore[union-attr]
    if episode.counterpart_id is not None:
        return active.filter(device_id=episode.counterpart_id, wearer=Wearer.VICTIM).order_by("started_at", "pk").first()
    return active.filter(device_id=episode.device_id).order_by("started_at", "pk").first()


def alert_raise(*, episode: Episode, received_at: dt.datetime) -> Alert:
    """One alert per episode (idempotent through the one-to-one)."""
    existing = Alert.objects.filter(episode=episode).first()
    if existing is not None:
        return existing
    assignment = _assignment_for(episode)
    if assignment is None:
        raise ValueError(f"episode {episode.pk} has no active assignment")
    return Alert.objects.create(
        episode=episode, kind=episode.kind,
        severity=Severity.CRITICAL if episode.kind in CRITICAL_KINDS else Severity.TECHNICAL,
        offender_set_id=episode.offender_set_id, device_id=episode.device_id, case_id=assignment.case_id,
        unit_id=assignment.unit_id, occurred_at=episode.started_at, received_at=received_at, raised_at=clock.now(),
    )
