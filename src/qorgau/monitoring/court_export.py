"""The court export (DESIGN §5, §7): for a case and a period, the offender's track (time, latitude,
longitude) with, for each of his positions, his distance to her and to the edge of each of her
zones — computed from her positions and the zones, never showing them — and the alerts with their
steps. CSV, and an HTML view to print. Her coordinates and her zones' coordinates never appear.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from qorgau.accounts.models import User
from qorgau.cases.access import case_get_for
from qorgau.cases.models import Case
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Forbidden, Invalid
from qorgau.core.models import AuditAction
from qorgau.monitoring import permissions
from qorgau.monitoring.geometry import distance_m, metres_per_degree
from qorgau.monitoring.models import Alert, Assignment, Ping, Wearer, Zone

MAX_DAYS = 366
MAX_ROWS = 200_000


@dataclass(frozen=True)
class TrackRow:
    at: dt.datetime
    device: str
    lat: float
    lon: float
    to_her_m: float | None
    to_zones_m: list[float | None]


@dataclass(frozen=True)
class Export:
    case: Case
    start: dt.datetime
    end: dt.datetime
    zones: list[Zone]
    track: list[TrackRow]
    alerts: list[Alert]


def _edge_distance(zone: dict[str, Any], lat: float, lon: float) -> float:
    """Metres from the point to the zone's edge: positive outside, negative inside."""
    if "radius_m" in zone:
        d = float(distance_m(np.array([lat]), np.array([lon]), np.array([zone["lat"]]), np.array([zone["lon"]]))[0])
        return d - float(zone["radius_m"])
    m_lat, m_lon = metres_per_degree(lat)
    ring = [((x - lon) * m_lon, (y - lat) * m_lat) for x, y in zone["ring"]]
    poly = shapely.Polygon(ring)
    origin = shapely.Point(0.0, 0.0)
    d = float(shapely.distance(poly.exterior, origin))
    return -d if poly.contains(origin) else d


def export_build(case: Case, start: dt.datetime, end: dt.datetime) -> Export:
    conf: dict[str, Any] = settings.QORGAU_MONITORING
    seconds = int(conf["STALE_SECONDS"])
    stale = dt.timedelta(seconds=seconds)
    assignments = Assignment.objects.filter(case=case).select_related("device")
    his = {a.device_id for a in assignments if a.wearer == Wearer.OFFENDER}
    hers = {a.device_id for a in assignments if a.wearer == Wearer.VICTIM}
    zones = list(Zone.objects.filter(case=case, created_at__lte=end).exclude(ended_at__lt=start).order_by("pk"))
    shapes = [json.loads(z.geometry or "{}") for z in zones]
    # A zone whose shape the retention policy removed ({}) has no edge to measure to: it is left out.
    zones, shapes = [z for z, s in zip(zones, shapes, strict=True) if s], [s for s in shapes if s]
    # Her position is encrypted (it cannot be filtered on in SQL); it stays in this function's memory.
    her_pings = [(t, p) for t, p in Ping.objects.filter(device_id__in=hers, ts__gte=start - stale, ts__lte=end)
                 .order_by("ts").values_list("ts", "position") if p]
    her_ts = [t for t, _p in her_pings]
    her_pos = [tuple(float(v) for v in p.split(",")) for _t, p in her_pings]
    track: list[TrackRow] = []
    pings = (Ping.objects.filter(device_id__in=his, ts__gte=start, ts__lte=end, lat__isnull=False)
             .select_related("device").order_by("ts", "id")[:MAX_ROWS])
    for p in pings:
        lat, lon = float(p.lat), float(p.lon)  # type: ignore[arg-type]
        i = bisect.bisect_right(her_ts, p.ts) - 1  # her last position at or before his
        to_her = None
        if i >= 0 and p.ts - her_ts[i] <= stale:
            hl, ho = her_pos[i]
            to_her = float(distance_m(np.array([lat]), np.array([lon]), np.array([hl]), np.array([ho]))[0])
        to_zones = [_edge_distance(s, lat, lon) if z.created_at <= p.ts and (z.ended_at is None or p.ts < z.ended_at) else None
                    for z, s in zip(zones, shapes, strict=True)]
        track.append(TrackRow(p.ts, p.device.serial, lat, lon, to_her, to_zones))
    alerts = list(Alert.objects.filter(case=case, occurred_at__gte=start, occurred_at__lte=end).select_related("device").order_by("occurred_at", "pk"))
    return Export(case, start, end, zones, track, alerts)


def _t(value: dt.datetime | None, zone: str) -> str:
    return clock.local(value, zone).isoformat(timespec="seconds") if value else ""


def _m(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def export_rows(export: Export) -> Iterator[list[str]]:
    tz = export.case.holding_unit.timezone
    zone_cols = [_("distance to the edge of zone %(n)d (%(place)s), m") % {"n": i, "place": z.get_place_display()}
                 for i, z in enumerate(export.zones, 1)]
    yield [_("record"), _("time"), _("device"), _("his latitude"), _("his longitude"), _("distance to her, m"), *zone_cols,
           _("alert"), _("kind"), _("status"), _("acknowledged"), _("police dispatched"), _("resolved"), _("outcome")]
    blank_alert = [""] * 7
    for r in export.track:
        yield [_("position"), _t(r.at, tz), r.device, f"{r.lat:.6f}", f"{r.lon:.6f}", _m(r.to_her_m), *(_m(d) for d in r.to_zones_m), *blank_alert]
    for a in export.alerts:
        yield [_("alert"), _t(a.occurred_at, tz), a.device.serial, "", "", "", *([""] * len(export.zones)), str(a.pk), a.get_kind_display(),
               a.get_status_display(), _t(a.acknowledged_at, tz), _t(a.dispatched_at, tz), _t(a.resolved_at, tz), a.get_outcome_display()]


def export_csv(export: Export) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in export_rows(export):
        writer.writerow(row)
    return ("\ufeff" + out.getvalue()).encode()  # a BOM, so spreadsheet programs read Cyrillic and Kazakh letters


@transaction.atomic
def export_for(actor: User, case: Case, scope: Any, start: dt.date, end: dt.date, *, fmt: str,
               request: HttpRequest | None = None) -> Export:
    """The gate of the export (``case`` from ``case_get_for``), the period's checks, and the audit."""
    if not permissions.may_export(actor, scope):
        raise Forbidden()
    if end < start:
        raise Invalid.field("end", _("The period cannot end before it starts."))
    if (end - start).days > MAX_DAYS:
        raise Invalid.field("end", _("The period is at most %(days)d days.") % {"days": MAX_DAYS})
    tz = clock.local(clock.now(), case.holding_unit.timezone).tzinfo
    begins = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    ends = dt.datetime.combine(end, dt.time.max, tzinfo=tz)
    export = export_build(case, begins, ends)
    audit_record(actor=actor, action=AuditAction.EXPORT, target_type="monitoring_export", target_id=case.pk,
                 count=len(export.track) + len(export.alerts), term=fmt, request=request)
    return export


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=gettext_lazy("to"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    format = forms.ChoiceField(label=gettext_lazy("format"), choices=[("html", gettext_lazy("page to print")), ("csv", "CSV")], initial="html")


@login_required
@require_GET
def export_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    case, viewer = case_get_for(user, case_id, request=request)
    if not permissions.may_export(user, viewer.scope):
        raise Forbidden()
    form = PeriodForm(request.GET or None)
    export = None
    status = 200
    if request.GET:
        if form.is_valid():
            c = form.cleaned_data
            try:
                export = export_for(user, case, viewer.scope, c["start"], c["end"], fmt=c["format"], request=request)
            except Invalid as exc:
                for name, errs in exc.fields.items():
                    for e in errs:
                        form.add_error(name if name in form.fields else None, e)
                status = 422
            else:
                if c["format"] == "csv":
                    response = HttpResponse(export_csv(export), content_type="text/csv; charset=utf-8")
                    response["Content-Disposition"] = f'attachment; filename="monitoring-{case.number}-{c["start"]}-{c["end"]}.csv"'
                    response["Cache-Control"] = "no-store"
                    return response
        else:
            status = 422
    rows = list(export_rows(export)) if export is not None else []
    return render(request, "monitoring/export.html", {"case": case, "form": form, "export": export,
                                                      "header": rows[0] if rows else [], "rows": rows[1:]}, status=status)
