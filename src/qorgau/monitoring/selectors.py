"""Reads of electronic monitoring: the gates of an alert and a device, the operator's lists, the
case's devices, zones and alerts, and the decrypted geometry the mask layer lets a viewer see.

An operator is not a party to the case: they reach it through an alert of their unit. Her position
and the zones around her places are whereabouts (DESIGN §5): the mask layer shows them to an
operator only while an alert on that case is not resolved (``Relation.OPEN_ALERT``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import Relation, Scope, Viewer
from qorgau.accounts.models import User
from qorgau.cases.models import Case
from qorgau.cases.presence import absent
from qorgau.core.audit import audit_record
from qorgau.core.errors import NotFound
from qorgau.core.models import AuditAction
from qorgau.monitoring import permissions
from qorgau.monitoring.models import (
    Alert,
    AlertStatus,
    Assignment,
    Device,
    DeviceKind,
    Ping,
    Wearer,
    Zone,
)

RECENT_TRACK = 50


def may_monitor(actor: User) -> bool:
    return permissions.may_monitor(actor)


def alert_get_for(actor: User, alert_id: int) -> Alert:
    """The one gate for an alert: the monitoring centre's operators (the alert's unit). Missing and
    forbidden look the same."""
    alert = Alert.objects.filter(pk=alert_id).select_related("device", "case", "episode", "unit").first()
    if alert is None or not may_monitor(actor) or actor.unit_id != alert.unit_id:
        raise NotFound()
    return alert


def device_get_for(actor: User, device_id: int) -> Device:
    """A device of the operator's own unit; missing and forbidden look the same."""
    device = Device.objects.filter(pk=device_id).first()
    if device is None or not may_monitor(actor) or actor.unit_id != device.unit_id:
        raise NotFound()
    return device


def unit_devices(actor: User) -> QuerySet[Device]:
    if not may_monitor(actor) or actor.unit_id is None:
        return Device.objects.none()
    return Device.objects.filter(unit_id=actor.unit_id).order_by("serial")


def unit_alerts(actor: User, *, status: str = "", kind: str = "", case_id: int | None = None) -> QuerySet[Alert]:
    if not may_monitor(actor) or actor.unit_id is None:
        return Alert.objects.none()
    qs = Alert.objects.filter(unit_id=actor.unit_id).select_related("device", "case")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if case_id is not None:
        qs = qs.filter(case_id=case_id)
    return qs.order_by("-raised_at", "-id")


def open_alert_on_case(unit_id: int | None, case_id: int | None) -> bool:
    if unit_id is None or case_id is None:
        return False
    return Alert.objects.filter(unit_id=unit_id, case_id=case_id).exclude(status=AlertStatus.RESOLVED).exists()


def operator_viewer(actor: User, alert: Alert) -> Viewer:
    """The operator's standing on the alert's case: the alert stands in for a grant; while an alert
    of their unit on that case is unresolved, the mask layer lets them see her whereabouts."""
    relations = frozenset({Relation.OPEN_ALERT}) if open_alert_on_case(actor.unit_id, alert.case_id) else frozenset()
    return viewer_for(actor, scope=Scope.WORKER, relations=relations)


def zone_geometry(zone: Zone) -> dict[str, Any]:
    return json.loads(zone.geometry)


def device_last_ping(device: Device) -> Ping | None:
    return Ping.objects.filter(device=device).order_by("-received_at", "-id").first()


@dataclass(frozen=True)
class TrackPoint:
    ts: Any
    lat: float
    lon: float
    device_serial: str
    battery: int | None


def offender_track(alert: Alert, *, limit: int = RECENT_TRACK) -> list[TrackPoint]:
    """His recent positions (his bracelet and phone in the alert's offender set), newest first."""
    devices = Assignment.objects.filter(offender_set_id=alert.offender_set_id, wearer=Wearer.OFFENDER).values("device_id")
    pings = (Ping.objects.filter(device_id__in=devices, lat__isnull=False).select_related("device")
             .order_by("-ts", "-id")[:limit])
    return [TrackPoint(p.ts, float(p.lat), float(p.lon), p.device.serial, p.battery) for p in pings]  # type: ignore[arg-type]


@dataclass(frozen=True)
class HerWhereabouts:
    position: tuple[float, float] | None
    position_at: Any
    zones: list[tuple[Zone, dict[str, Any]]]


def her_whereabouts(actor: User, alert: Alert, viewer: Viewer, *, request: HttpRequest | None = None) -> HerWhereabouts | None:
    """Her last position and the zones around her places, or None when the mask hides them. Each
    read is audited (her whereabouts are personal data)."""
    if alert.case_id is None or not permissions.may_see_zones(viewer):
        return None
    hers = Assignment.objects.filter(case_id=alert.case_id, wearer=Wearer.VICTIM, device__kind=DeviceKind.VICTIM).values("device_id")
    # Her position is encrypted, so it cannot be filtered on: the newest pings that carry one.
    ping = next((p for p in Ping.objects.filter(device_id__in=hers).order_by("-ts", "-id")[:20] if p.position), None)
    position = None
    if ping is not None:
        lat, lon = (float(x) for x in ping.position.split(","))
        position = (lat, lon)
    zones = [(z, zone_geometry(z)) for z in Zone.objects.filter(case_id=alert.case_id, ended_at__isnull=True).order_by("pk")]
    audit_record(actor=actor, action=AuditAction.READ, target_type="monitoring_whereabouts", target_id=alert.case_id,
                 count=len(zones) + (1 if position else 0), request=request)
    return HerWhereabouts(position, ping.ts if ping else None, zones)


ASSIGNMENTS = "monitoring_assignments"
ZONES = "monitoring_zones"


def assignments_of(case: Case) -> QuerySet[Assignment, Assignment]:
    return Assignment.objects.filter(case=case)


def zones_of(case: Case) -> QuerySet[Zone, Zone]:
    """Her places in force on the case."""
    return Zone.objects.filter(case=case, ended_at__isnull=True)


def case_assignments(case: Case, *, active_only: bool = False) -> list[Assignment]:
    if absent(case, ASSIGNMENTS):
        return []
    qs = assignments_of(case).select_related("device", "order", "decision")
    if active_only:
        qs = qs.filter(ended_at__isnull=True)
    return list(qs.order_by("ended_at", "-started_at", "-id"))


def case_zones(case: Case) -> list[Zone]:
    if absent(case, ZONES):
        return []
    return list(zones_of(case).order_by("place", "pk"))


def case_alerts(case: Case, *, limit: int = 20) -> list[Alert]:
    return list(Alert.objects.filter(case=case).select_related("device").order_by("-raised_at", "-id")[:limit])
