"""API routes of electronic monitoring (/api/v1): the gateway batch endpoint (``api_ingest``), the
monitoring centre's alerts and devices, and — on a case — assignments, zones and the court export.

Her position and zones appear in an alert only while the mask layer allows it (an unresolved
alert on the case); the export never holds her coordinates. Schema names start with
``Monitoring`` (they are unique across the project's OpenAPI schema).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Path, Query, Router, Schema, Status

from qorgau.accounts.api import STAFF_AUTH
from qorgau.accounts.models import User
from qorgau.cases.access import case_get_for
from qorgau.cases.api import MAX_ID, Version, errors
from qorgau.core.errors import Forbidden, NotFound
from qorgau.monitoring import alerts, court_export, devices, permissions, selectors, zones
from qorgau.monitoring.api_ingest import ingest_router
from qorgau.monitoring.models import (
    Alert,
    AlertOutcome,
    AlertStatus,
    Assignment,
    ConditionKind,
    Device,
    DeviceKind,
    Zone,
    ZonePlace,
    ZoneShape,
)

router = Router(tags=["monitoring"])
router.add_router("/", ingest_router)

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
NOTE_MAX = alerts.NOTE_MAX


class MonitoringAlertOut(Schema):
    id: int
    kind: ConditionKind
    severity: str
    status: AlertStatus
    device_serial: str
    case_id: int | None
    occurred_at: dt.datetime
    received_at: dt.datetime
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    resolved_at: dt.datetime | None
    outcome: str
    escalation_level: int
    breach_id: int | None
    version: int


class MonitoringTrackPoint(Schema):
    ts: dt.datetime
    lat: float
    lon: float
    device_serial: str


class MonitoringZoneOut(Schema):
    id: int
    case_id: int
    place: ZonePlace
    shape: ZoneShape
    geometry: dict[str, Any]
    version: int


class MonitoringAlertDetailOut(MonitoringAlertOut):
    track: list[MonitoringTrackPoint]
    her_whereabouts_shown: bool
    her_position: list[float] | None = None
    her_zones: list[MonitoringZoneOut] | None = None


class MonitoringAlertQuery(Schema):
    status: AlertStatus | None = None
    kind: ConditionKind | None = None


class MonitoringStepIn(Schema):
    version: Version


class MonitoringDispatchIn(Schema):
    version: Version
    note: str = Field("", max_length=NOTE_MAX)


class MonitoringResolveIn(Schema):
    version: Version
    outcome: AlertOutcome
    note: str = Field("", max_length=NOTE_MAX)


class MonitoringDeviceOut(Schema):
    id: int
    serial: str
    kind: DeviceKind
    status: str
    can_receive: bool
    reports_phone_link: bool
    secret_issued: bool
    version: int


class MonitoringDeviceIn(Schema):
    serial: str = Field(max_length=32)
    kind: DeviceKind
    can_receive: bool = False
    reports_phone_link: bool = False


class MonitoringSecretOut(Schema):
    device: MonitoringDeviceOut
    username: str
    secret: str


class MonitoringAssignmentIn(Schema):
    serial: str = Field(max_length=32)
    order_id: int | None = Field(None, ge=1, le=MAX_ID)
    decision_id: int | None = Field(None, ge=1, le=MAX_ID)
    proximity_m: int | None = Field(None, ge=devices.PROXIMITY_MIN, le=devices.PROXIMITY_MAX)


class MonitoringAssignmentOut(Schema):
    id: int
    case_id: int
    device_serial: str
    wearer: str
    order_id: int | None
    decision_id: int | None
    proximity_m: int
    started_at: dt.datetime
    ended_at: dt.datetime | None
    version: int


class MonitoringZoneIn(Schema):
    place: ZonePlace
    shape: ZoneShape
    geometry: dict[str, Any]
    label: str = Field("", max_length=zones.LABEL_MAX)


class MonitoringZoneEnd(Schema):
    version: Version


class MonitoringExportQuery(Schema):
    start: dt.date
    end: dt.date


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _monitor(user: User) -> None:
    if not permissions.may_monitor(user):
        raise Forbidden()


def _alert_fields(a: Alert) -> dict[str, Any]:
    return {
        "id": a.pk, "kind": ConditionKind(a.kind), "severity": a.severity, "status": AlertStatus(a.status), "device_serial": a.device.serial,
        "case_id": a.case_id, "occurred_at": a.occurred_at, "received_at": a.received_at, "raised_at": a.raised_at,
        "acknowledged_at": a.acknowledged_at, "dispatched_at": a.dispatched_at, "resolved_at": a.resolved_at, "outcome": a.outcome,
        "escalation_level": a.escalation_level, "breach_id": a.breach_id, "version": a.version,
    }


def _zone_out(z: Zone, geometry: dict[str, Any]) -> MonitoringZoneOut:
    return MonitoringZoneOut(id=z.pk, case_id=z.case_id, place=ZonePlace(z.place), shape=ZoneShape(z.shape), geometry=geometry, version=z.version)


def _detail(request: HttpRequest, user: User, alert_id: int) -> MonitoringAlertDetailOut:
    alert = selectors.alert_get_for(user, alert_id)
    viewer = selectors.operator_viewer(user, alert)
    hers = selectors.her_whereabouts(user, alert, viewer, request=request)
    track = [MonitoringTrackPoint(ts=p.ts, lat=p.lat, lon=p.lon, device_serial=p.device_serial) for p in selectors.offender_track(alert)]
    return MonitoringAlertDetailOut(
        **_alert_fields(alert), track=track, her_whereabouts_shown=hers is not None,
        her_position=list(hers.position) if hers and hers.position else None,
        her_zones=[_zone_out(z, g) for z, g in hers.zones] if hers else None,
    )


def _device_out(d: Device) -> MonitoringDeviceOut:
    return MonitoringDeviceOut(id=d.pk, serial=d.serial, kind=DeviceKind(d.kind), status=d.status, can_receive=d.can_receive,
                               reports_phone_link=d.reports_phone_link, secret_issued=bool(d.secret_digest), version=d.version)


def _assignment_out(a: Assignment) -> MonitoringAssignmentOut:
    return MonitoringAssignmentOut(id=a.pk, case_id=a.case_id, device_serial=a.device.serial, wearer=a.wearer, order_id=a.order_id,
                                   decision_id=a.decision_id, proximity_m=a.proximity_m, started_at=a.started_at, ended_at=a.ended_at,
                                   version=a.version)


# --- alerts --------------------------------------------------------------------------------------------


@router.get("/monitoring/alerts", response={200: list[MonitoringAlertOut], **errors(401, 403)}, auth=STAFF_AUTH)
def monitoring_alerts(request: HttpRequest, filters: Query[MonitoringAlertQuery]) -> list[MonitoringAlertOut]:
    """The monitoring centre's alerts, newest first (at most 500), by status and kind."""
    user = _user(request)
    _monitor(user)
    rows = selectors.unit_alerts(user, status=filters.status or "", kind=filters.kind or "")[:500]
    return [MonitoringAlertOut(**_alert_fields(a)) for a in rows]


@router.get("/monitoring/alerts/{alert_id}", response={200: MonitoringAlertDetailOut, **errors(401, 404)}, auth=STAFF_AUTH)
def monitoring_alert(request: HttpRequest, alert_id: Id) -> MonitoringAlertDetailOut:
    """One alert with his recent track; her position and zones only while an alert on the case is open."""
    user = _user(request)
    return _detail(request, user, alert_id)


@router.post("/monitoring/alerts/{alert_id}/acknowledge", response={200: MonitoringAlertDetailOut, **errors(401, 404, 409, 422)}, auth=STAFF_AUTH)
def monitoring_alert_acknowledge(request: HttpRequest, alert_id: Id, payload: MonitoringStepIn) -> MonitoringAlertDetailOut:
    user = _user(request)
    alerts.alert_acknowledge(actor=user, alert=selectors.alert_get_for(user, alert_id), version=payload.version)
    return _detail(request, user, alert_id)


@router.post("/monitoring/alerts/{alert_id}/dispatch", response={200: MonitoringAlertDetailOut, **errors(401, 404, 409, 422)}, auth=STAFF_AUTH)
def monitoring_alert_dispatch(request: HttpRequest, alert_id: Id, payload: MonitoringDispatchIn) -> MonitoringAlertDetailOut:
    user = _user(request)
    alerts.alert_dispatch(actor=user, alert=selectors.alert_get_for(user, alert_id), version=payload.version, note=payload.note)
    return _detail(request, user, alert_id)


@router.post("/monitoring/alerts/{alert_id}/resolve", response={200: MonitoringAlertDetailOut, **errors(401, 404, 409, 422)}, auth=STAFF_AUTH)
def monitoring_alert_resolve(request: HttpRequest, alert_id: Id, payload: MonitoringResolveIn) -> MonitoringAlertDetailOut:
    """Resolve with an outcome; "breach" records a breach on the assignment's order."""
    user = _user(request)
    alerts.alert_resolve(actor=user, alert=selectors.alert_get_for(user, alert_id), version=payload.version, outcome=payload.outcome,
                         note=payload.note)
    return _detail(request, user, alert_id)


# --- devices -------------------------------------------------------------------------------------------


@router.get("/monitoring/devices", response={200: list[MonitoringDeviceOut], **errors(401, 403)}, auth=STAFF_AUTH)
def monitoring_devices(request: HttpRequest) -> list[MonitoringDeviceOut]:
    user = _user(request)
    _monitor(user)
    return [_device_out(d) for d in selectors.unit_devices(user)]


@router.post("/monitoring/devices", response={201: MonitoringDeviceOut, **errors(401, 403, 422)}, auth=STAFF_AUTH)
def monitoring_device_register(request: HttpRequest, payload: MonitoringDeviceIn) -> Status[MonitoringDeviceOut]:
    user = _user(request)
    d = devices.device_register(actor=user, serial=payload.serial, kind=payload.kind, can_receive=payload.can_receive,
                                reports_phone_link=payload.reports_phone_link)
    return Status(201, _device_out(d))


@router.post("/monitoring/devices/{device_id}/secret", response={200: MonitoringSecretOut, **errors(401, 404, 409, 422)}, auth=STAFF_AUTH)
def monitoring_device_secret(request: HttpRequest, device_id: Id, payload: MonitoringStepIn) -> MonitoringSecretOut:
    """A new MQTT password for the device: in this answer only, never again."""
    user = _user(request)
    device = selectors.device_get_for(user, device_id)
    device, secret = devices.device_secret_issue(actor=user, device=device, version=payload.version)
    return MonitoringSecretOut(device=_device_out(device), username=device.serial, secret=secret)


# --- on a case -----------------------------------------------------------------------------------------


@router.post("/cases/{case_id}/monitoring/assignments", response={201: MonitoringAssignmentOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def monitoring_assignment_start(request: HttpRequest, case_id: Id, payload: MonitoringAssignmentIn) -> Status[MonitoringAssignmentOut]:
    """Put a device on the case under one of its orders or court decisions (court staff or police, full grant)."""
    user = _user(request)
    case, viewer = case_get_for(user, case_id, request=request)
    if not permissions.may_assign(user, viewer.scope):
        raise Forbidden()
    a = devices.assignment_start(actor=user, case=case, serial=payload.serial, order_id=payload.order_id, decision_id=payload.decision_id,
                                 proximity_m=payload.proximity_m)
    return Status(201, _assignment_out(a))


@router.post("/cases/{case_id}/monitoring/zones", response={201: MonitoringZoneOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def monitoring_zone_create(request: HttpRequest, case_id: Id, payload: MonitoringZoneIn) -> Status[MonitoringZoneOut]:
    """A circle ``{"lat", "lon", "radius_m"}`` or a polygon ``{"ring": [[lon, lat], …]}`` around one of her places."""
    user = _user(request)
    case, viewer = case_get_for(user, case_id, request=request)
    z = zones.zone_create(actor=user, case=case, viewer=viewer, place=payload.place, shape=payload.shape, geometry=payload.geometry,
                          label=payload.label)
    return Status(201, _zone_out(z, selectors.zone_geometry(z)))


@router.delete("/cases/{case_id}/monitoring/zones/{zone_id}", response={200: MonitoringZoneOut, **errors(401, 403, 404, 409, 422)},
               auth=STAFF_AUTH)
def monitoring_zone_end(request: HttpRequest, case_id: Id, zone_id: Id, payload: Query[MonitoringZoneEnd]) -> MonitoringZoneOut:
    """End a zone (it is kept, with its episodes); ``?version=`` of the zone as read."""
    user = _user(request)
    case, viewer = case_get_for(user, case_id, request=request)
    zone = Zone.objects.filter(pk=zone_id, case=case).first()
    if zone is None:
        raise NotFound()
    z = zones.zone_end(actor=user, zone=zone, viewer=viewer, version=payload.version)
    return _zone_out(z, selectors.zone_geometry(z))


@router.get("/cases/{case_id}/monitoring/export.csv", response={200: None, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def monitoring_export(request: HttpRequest, case_id: Id, period: Query[MonitoringExportQuery]) -> HttpResponse:
    """The court export as CSV: his track, his distances to her and to her zones' edges, the alerts — never her coordinates."""
    user = _user(request)
    case, viewer = case_get_for(user, case_id, request=request)
    export = court_export.export_for(user, case, viewer.scope, period.start, period.end, fmt="csv", request=request)
    response = HttpResponse(court_export.export_csv(export), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="monitoring-{case.number}-{period.start}-{period.end}.csv"'
    response["Cache-Control"] = "no-store"
    return response
