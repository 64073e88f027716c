"""Writes of exclusion zones: a circle or a polygon around one of her places (DESIGN §7).

A zone is her whereabouts: only court staff or the police holding a ``full`` grant on the case, and
allowed by the mask layer to see her whereabouts, set or end one (``permissions.may_set_zones``).
The geometry is validated here — a circle of 50 to 5,000 m, a simple polygon of 3 to 200 points,
inside Kazakhstan — and stored encrypted.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from shapely.geometry import LinearRing, Polygon

from qorgau.accounts.masks import Viewer
from qorgau.accounts.models import User
from qorgau.cases.ledger import event_add
from qorgau.cases.models import Case, EventKind
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid
from qorgau.core.models import AuditAction
from qorgau.monitoring import permissions
from qorgau.monitoring.devices import offender_set_for
from qorgau.monitoring.models import Zone, ZonePlace, ZoneShape

RADIUS_MIN, RADIUS_MAX = 50, 5_000
POINTS_MIN, POINTS_MAX = 3, 200
LABEL_MAX = 200
# Kazakhstan's bounding box (WGS 84), a little wider than its borders.
KZ_LAT = (40.5, 55.5)
KZ_LON = (46.4, 87.4)


def _in_kazakhstan(lat: float, lon: float) -> bool:
    return KZ_LAT[0] <= lat <= KZ_LAT[1] and KZ_LON[0] <= lon <= KZ_LON[1]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def geometry_validate(shape: str, geometry: Any) -> dict[str, Any]:
    """The canonical geometry (``{"lat", "lon", "radius_m"}`` or ``{"ring": [[lon, lat], …]}``, the
    ring not closed), or ``Invalid`` on the field ``geometry``."""
    def refuse(message: str) -> Invalid:
        return Invalid.field("geometry", message)

    if not isinstance(geometry, dict):
        raise refuse(_("Enter the zone's geometry."))
    if shape == ZoneShape.CIRCLE:
        lat, lon, radius = _number(geometry.get("lat")), _number(geometry.get("lon")), _number(geometry.get("radius_m"))
        if lat is None or lon is None:
            raise refuse(_("Enter the centre's latitude and longitude."))
        if not _in_kazakhstan(lat, lon):
            raise refuse(_("The zone must lie inside Kazakhstan."))
        if radius is None or not RADIUS_MIN <= radius <= RADIUS_MAX:
            raise refuse(_("The radius is from %(min)d to %(max)d metres.") % {"min": RADIUS_MIN, "max": RADIUS_MAX})
        return {"lat": lat, "lon": lon, "radius_m": radius}
    if shape == ZoneShape.POLYGON:
        ring = geometry.get("ring")
        if not isinstance(ring, list):
            raise refuse(_("Enter the polygon's points."))
        points: list[tuple[float, float]] = []
        for item in ring:
            if not isinstance(item, (list, tuple)) or len(item) != 2:
                raise refuse(_("Each point is a latitude and a longitude."))
            lon, lat = _number(item[0]), _number(item[1])
            if lat is None or lon is None:
                raise refuse(_("Each point is a latitude and a longitude."))
            points.append((lon, lat))
        if len(points) > 1 and points[0] == points[-1]:
            points.pop()  # a closed ring: the last point repeats the first
        if not POINTS_MIN <= len(points) <= POINTS_MAX:
            raise refuse(_("A polygon has from %(min)d to %(max)d points.") % {"min": POINTS_MIN, "max": POINTS_MAX})
        if not all(_in_kazakhstan(lat, lon) for lon, lat in points):
            raise refuse(_("The zone must lie inside Kazakhstan."))
        if not LinearRing(points).is_simple or not Polygon(points).is_valid or Polygon(points).area == 0:
            raise refuse(_("The polygon's edges cross each other or it has no area."))
        return {"ring": [[lon, lat] for lon, lat in points]}
    raise Invalid.field("shape", _("Choose one of the offered values."))


@transaction.atomic
def zone_create(*, actor: User, case: Case, viewer: Viewer, place: str, shape: str, geometry: Any, label: str = "") -> Zone:
    """``case`` and ``viewer`` come from the case gate (``case_get_for``)."""
    if not permissions.may_set_zones(actor, viewer):
        raise Forbidden()
    if case.merged_into_id is not None:
        raise Invalid.field("__all__", _("This case was merged into another: work on that one."))
    if place not in ZonePlace.values:
        raise Invalid.field("place", _("Choose one of the offered values."))
    canonical = geometry_validate(shape, geometry)
    if len(label) > LABEL_MAX:
        raise Invalid.field("label", _("This value is too long."))
    zone = Zone.objects.create(
        case=case, offender_set=offender_set_for(case), place=place, shape=shape, geometry=json.dumps(canonical),
        label=label.strip(), created_at=clock.now(), created_by=actor,
    )
    event_add(case, EventKind.MONITORING, actor)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="monitoring_zone", target_id=zone.pk)
    return zone


@transaction.atomic
def zone_end(*, actor: User, zone: Zone, viewer: Viewer, version: int | None) -> Zone:
    """``viewer`` is the actor's on the zone's case (from the case gate)."""
    if not permissions.may_set_zones(actor, viewer):
        raise Forbidden()
    if version is None or zone.version != version:
        raise Conflict()
    if zone.ended_at is not None:
        raise Invalid.field("__all__", _("This zone has already ended."))
    # The version moves too: ingestion reloads its topology when zones change.
    now = clock.now()
    Zone.objects.filter(pk=zone.pk).update(ended_at=now, ended_by=actor, version=F("version") + 1)
    zone.episodes.filter(ended_at__isnull=True).update(ended_at=now)  # an ended zone holds no open condition
    zone.refresh_from_db()
    event_add(zone.case, EventKind.MONITORING, actor)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="monitoring_zone", target_id=zone.pk)
    return zone
