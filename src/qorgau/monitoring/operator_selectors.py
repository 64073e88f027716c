"""What the operator's screen reads: the unit's open and recent alerts, the last fixes of the unit's
offender devices, an alert's track, and — only while that alert is not resolved — her position and
the zones around her places (DESIGN §5, §10).

The list and the device layer carry no victim data at all (no name, address or position): the
screen's HTML and its polled feed can then be cached by the browser, shown on a wall, or left open,
and still leak nothing about where she is. Her whereabouts come only through ``alert_map``, one
alert at a time, through the mask layer and with an audited read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.db.models import OuterRef, Q, Subquery
from django.http import HttpRequest
from django.utils import timezone

from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import Relation, Scope, Viewer
from qorgau.accounts.models import User
from qorgau.core import clock
from qorgau.monitoring import permissions
from qorgau.monitoring.models import Alert, AlertStatus, Assignment, Device, DeviceKind, Ping, Wearer
from qorgau.monitoring.selectors import her_whereabouts

# Resolved alerts stay on the list this long, so the operator sees what was just closed.
RECENT_RESOLVED = dt.timedelta(hours=12)
LIST_LIMIT = 200
# His track for a selected alert: from a while before the alert to now (or shortly after it closed).
TRACK_BEFORE = dt.timedelta(minutes=30)
TRACK_AFTER_RESOLVED = dt.timedelta(minutes=10)
TRACK_LIMIT = 1_000
OFFENDER_KINDS = (DeviceKind.BRACELET, DeviceKind.OFFENDER_PHONE)


def may_operate(actor: User) -> bool:
    """The screen is for the operators of a monitoring centre: the capability and a unit."""
    return _unit(actor) is not None


def _unit(actor: User) -> int | None:
    """The operator's monitoring centre, or None for anyone the screen is not for."""
    return actor.unit_id if actor.unit_id is not None and permissions.may_monitor(actor) else None


@dataclass(frozen=True)
class AlertRow:
    """One line of the live list: nothing about her, only what the operator needs to act."""

    id: int
    kind: str
    kind_label: str
    severity: str
    severity_label: str
    status: str
    status_label: str
    raised_at: str  # ISO-8601, UTC
    raised_local: str  # in the unit's zone, for display
    occurred_at: str
    region: str
    district: str
    case_number: str
    device_serial: str
    device_id: int
    version: int
    escalation_level: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _local(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%d.%m %H:%M:%S")


def alert_row(alert: Alert) -> AlertRow:
    unit = alert.case.holding_unit if alert.case is not None else None
    return AlertRow(
        id=alert.pk, kind=alert.kind, kind_label=str(alert.get_kind_display()), severity=alert.severity,
        severity_label=str(alert.get_severity_display()), status=alert.status, status_label=str(alert.get_status_display()),
        raised_at=alert.raised_at.isoformat(), raised_local=_local(alert.raised_at), occurred_at=alert.occurred_at.isoformat(),
        region=unit.region.name if unit is not None else "",
        district=unit.district.name if unit is not None and unit.district is not None else "",
        case_number=alert.case.number if alert.case is not None else "", device_serial=alert.device.serial,
        device_id=alert.device_id, version=alert.version, escalation_level=alert.escalation_level,
    )


def live_rows(actor: User) -> list[AlertRow]:
    """The unit's alerts not resolved, and those resolved in the last hours: new first."""
    unit_id = _unit(actor)
    if unit_id is None:
        return []
    cutoff = clock.now() - RECENT_RESOLVED
    qs = (Alert.objects.filter(unit_id=unit_id)
          .filter(~Q(status=AlertStatus.RESOLVED) | Q(resolved_at__gte=cutoff))
          .select_related("device", "case__holding_unit__region", "case__holding_unit__district")
          .order_by("-raised_at", "-id")[:LIST_LIMIT])
    return [alert_row(a) for a in qs]


def last_alert_id(actor: User) -> int:
    """The newest alert id of the unit: the feed's ``since`` starts here, so the first poll beeps for
    nothing that was already on the page."""
    unit_id = _unit(actor)
    if unit_id is None:
        return 0
    found = Alert.objects.filter(unit_id=unit_id).order_by("-id").values_list("id", flat=True).first()
    return found or 0


@dataclass(frozen=True)
class LiveFeed:
    now: str
    last_id: int
    new: list[int]  # ids above ``since``: what the screen beeps for
    open_count: int  # alerts nobody has acknowledged yet
    rows: list[AlertRow]

    def as_json(self) -> dict[str, Any]:
        return {"now": self.now, "last_id": self.last_id, "new": self.new, "open_count": self.open_count,
                "rows": [r.as_json() for r in self.rows]}


def live_feed(actor: User, *, since: int) -> LiveFeed:
    rows = live_rows(actor)
    unit_id = _unit(actor)
    new_ids: list[int] = []
    open_count = 0
    if unit_id is not None:
        new_ids = list(Alert.objects.filter(unit_id=unit_id, pk__gt=since).order_by("id").values_list("id", flat=True))
        open_count = Alert.objects.filter(unit_id=unit_id, status=AlertStatus.OPEN).count()
    return LiveFeed(now=clock.now().isoformat(), last_id=max([since, *new_ids]), new=new_ids, open_count=open_count, rows=rows)


@dataclass(frozen=True)
class DeviceFix:
    """An offender device's last position: his whereabouts, which the operator may always see."""

    device_id: int
    serial: str
    kind: str
    lat: float
    lon: float
    ts: str
    battery: int | None
    alerting: bool  # an alert on this device is not resolved

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def device_fixes(actor: User) -> list[DeviceFix]:
    """The last fix of every offender device the unit watches (active assignments)."""
    unit_id = _unit(actor)
    if unit_id is None:
        return []
    watched = Assignment.objects.filter(unit_id=unit_id, ended_at__isnull=True, wearer=Wearer.OFFENDER).values("device_id")
    latest = Ping.objects.filter(device_id=OuterRef("pk"), lat__isnull=False).order_by("-ts", "-seq").values("pk")[:1]
    devices = list(Device.objects.filter(pk__in=watched, kind__in=OFFENDER_KINDS).annotate(last_ping=Subquery(latest)).order_by("serial"))
    pings = Ping.objects.in_bulk([d.last_ping for d in devices if d.last_ping is not None])
    alerting = set(Alert.objects.filter(unit_id=unit_id, device_id__in=[d.pk for d in devices])
                   .exclude(status=AlertStatus.RESOLVED).values_list("device_id", flat=True))
    out = []
    for d in devices:
        p = pings.get(d.last_ping)
        if p is None or p.lat is None or p.lon is None:
            continue
        out.append(DeviceFix(device_id=d.pk, serial=d.serial, kind=d.kind, lat=p.lat, lon=p.lon, ts=p.ts.isoformat(),
                             battery=p.battery, alerting=d.pk in alerting))
    return out


def alert_viewer(actor: User, alert: Alert) -> Viewer:
    """The operator's standing on this alert: the alert stands in for a grant, and only while THIS
    alert is not resolved does the mask layer let them see her whereabouts (a resolved alert shows
    nothing of her even if another one on the case is still open: that one has its own map)."""
    relations = frozenset({Relation.OPEN_ALERT}) if alert.status != AlertStatus.RESOLVED else frozenset()
    return viewer_for(actor, scope=Scope.WORKER, relations=relations)


def _track(alert: Alert) -> list[list[float]]:
    start = alert.occurred_at - TRACK_BEFORE
    end = (alert.resolved_at + TRACK_AFTER_RESOLVED) if alert.resolved_at else None
    devices = [alert.device_id]
    if alert.device.kind == DeviceKind.VICTIM and alert.episode.counterpart_id is not None:
        devices = [alert.episode.counterpart_id]  # an alert on her device: his track is the counterpart's
    qs = Ping.objects.filter(device_id__in=devices, lat__isnull=False, ts__gte=start)
    if end is not None:
        qs = qs.filter(ts__lte=end)
    newest = list(qs.order_by("-ts", "-seq").values_list("lat", "lon", "ts")[:TRACK_LIMIT])
    return [[float(lat or 0.0), float(lon or 0.0), ts.timestamp()] for lat, lon, ts in reversed(newest)]  # lat__isnull=False above


def alert_map(actor: User, alert: Alert, *, request: HttpRequest | None = None) -> dict[str, Any]:
    """What the map draws for one alert (already through ``alert_get_for``): his track always; her
    last position and her zones only through the mask layer, with an audited read."""
    data: dict[str, Any] = {
        "alert": alert_row(alert).as_json(),
        "track": _track(alert),
        "victim": None,
        "zones": [],
        "hidden": True,
    }
    hers = her_whereabouts(actor, alert, alert_viewer(actor, alert), request=request)
    if hers is None:
        return data
    data["hidden"] = False
    if hers.position is not None:
        data["victim"] = {"lat": hers.position[0], "lon": hers.position[1], "ts": hers.position_at.isoformat()}
    data["zones"] = [{"id": z.pk, "place": z.place, "place_label": str(z.get_place_display()), "shape": z.shape, "geometry": geometry}
                     for z, geometry in hers.zones]
    return data
