"""Demo electronic monitoring: devices of the national monitoring centre, assignments on a few demo
cases with served orders (his bracelet and her device, paired), a zone around her home, short
tracks, and a handful of alerts in each state (new, acknowledged, dispatched, resolved — one a
breach recorded on the order).

Writes go through the services (``devices``, ``zones``, ``alerts``); the history is written with
the project clock held at each step, never ahead of now. The lead calls it from the demo command
after the orders demo: ``monitoring_demo()``. Safe to run again (nothing is made when the centre
already has devices).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db.models import Max

from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import Scope
from qorgau.accounts.models import User
from qorgau.cases.access import grants_in_force
from qorgau.cases.models import Case
from qorgau.core import clock
from qorgau.monitoring import alerts
from qorgau.monitoring.devices import assignment_end, assignment_start, device_register
from qorgau.monitoring.geometry import offset
from qorgau.monitoring.models import Alert, ConditionKind, Device, Episode, Ping
from qorgau.monitoring.zones import zone_create
from qorgau.orders.models import SERVED_STATUSES, Order

# Synthetic homes in Almaty (no real address): a few hundred metres apart, well inside the city.
HOMES = [(43.2380, 76.9120), (43.2555, 76.9290), (43.2210, 76.8610)]


def _say(stdout: Any, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _track(device: Device, start: dt.datetime, end: dt.datetime, home: tuple[float, float], *, victim: bool, seq0: int) -> int:
    """A ping every 10 minutes from ``start`` to ``end``: he commutes 2–4 km from her home, she stays near it."""
    rows, n, at = [], 0, start
    while at <= end:
        if victim:
            lat, lon = offset(home, 30 * math.sin(n / 5), 30 * math.cos(n / 5))
            rows.append(Ping(device=device, seq=seq0 + n, ts=at, received_at=at + dt.timedelta(seconds=2), position=f"{lat:.6f},{lon:.6f}",
                             accuracy_m=12.0, battery=max(20, 95 - n)))
        else:
            # He commutes between his place (3 km north-east of hers) and his work (4 km west), along
            # a street grid: one leg every 4 hours, with a little GPS jitter.
            leg, step = divmod(n, 24)
            f = min(step / 12, 1.0) if leg % 2 == 0 else max(1 - step / 12, 0.0)
            north = 2100 * (1 - f) + 300 * f
            east = 2100 * (1 - min(2 * f, 1.0)) - 4000 * max(2 * f - 1, 0.0)
            lat, lon = offset(home, north + 15 * math.sin(n * 1.7), east + 15 * math.cos(n * 2.3))
            rows.append(Ping(device=device, seq=seq0 + n, ts=at, received_at=at + dt.timedelta(seconds=2), lat=lat, lon=lon,
                             accuracy_m=8.0, battery=max(20, 90 - n), strap_ok=True))
        n += 1
        at += dt.timedelta(minutes=10)
    Ping.objects.bulk_create(rows)
    return n


def monitoring_demo(*, stdout: Any = None, operator_username: str = "operator", police_username: str = "inspector", cases: int = 3) -> str:
    operator = User.objects.filter(username=operator_username).select_related("unit").first()
    police = User.objects.filter(username=police_username).select_related("unit").first()
    if operator is None or police is None or operator.unit is None or police.unit is None:
        return "monitoring: the demo operator or inspector is missing; nothing made"
    if Device.objects.filter(unit=operator.unit).exists():
        return f"monitoring: {Device.objects.filter(unit=operator.unit).count()} devices already there; nothing made"
    now = clock.now()
    orders = (Order.objects.filter(status__in=SERVED_STATUSES, served_at__isnull=False, ends_at__gt=now,
                                   case_links__case__holding_unit=police.unit, case_links__case__restricted=False,
                                   case_links__case__merged_into__isnull=True).distinct().order_by("pk"))
    made_devices = made_alerts = 0
    steps = ["open", "acknowledged", "dispatched", "resolved", "breach"]
    for n, order in enumerate(orders[:cases]):
        case = Case.objects.filter(order_links__order=order, holding_unit=police.unit).order_by("pk").first()
        if case is None or grants_in_force().filter(case=case, unit=police.unit, scope=Scope.FULL).count() == 0:
            continue
        since = grants_in_force().filter(case=case, unit=police.unit).aggregate(at=Max("since"))["at"]
        start = max(since, order.served_at or since) + dt.timedelta(minutes=1)
        if start > now - dt.timedelta(hours=1):
            start = now - dt.timedelta(minutes=50)  # only the last hour is left: compress the history into it
            if start < max(since, order.served_at or since):
                continue
        home = HOMES[n % len(HOMES)]
        bracelet = device_register(actor=operator, serial=f"BR-{7000 + n:04d}", kind="bracelet", reports_phone_link=True)
        hers = device_register(actor=operator, serial=f"VD-{7000 + n:04d}", kind="victim", can_receive=True)
        spare = device_register(actor=operator, serial=f"BR-{7100 + n:04d}", kind="bracelet")
        made_devices += 3
        with clock.frozen(start):
            a = assignment_start(actor=police, case=case, serial=bracelet.serial, order_id=order.pk)
            b = assignment_start(actor=police, case=case, serial=hers.serial, order_id=order.pk)
            zone = zone_create(actor=police, case=case, viewer=viewer_for(police, scope=Scope.FULL), place="home", shape="circle",
                               geometry={"lat": home[0], "lon": home[1], "radius_m": 300})
        _track(bracelet, start, now, home, victim=False, seq0=1)
        _track(hers, start, now, home, victim=True, seq0=1)
        _ = spare
        span = (now - start) - dt.timedelta(minutes=5)
        for i, state in enumerate(steps):
            at = start + span * (i + 1) / (len(steps) + 1)
            kind = [ConditionKind.PROXIMITY, ConditionKind.ZONE, ConditionKind.LOW_BATTERY, ConditionKind.TAMPER, ConditionKind.ZONE][i]
            extra: dict[str, Any] = {}
            subject = f"{kind}:{bracelet.pk}:{i}" if state != "open" else f"{kind}:{bracelet.pk}:{hers.pk}"
            if kind == ConditionKind.PROXIMITY:
                extra = {"counterpart": hers, "min_distance_m": 180.0}
            elif kind == ConditionKind.ZONE:
                extra = {"zone": zone}
            with clock.frozen(at) as c:
                episode = Episode.objects.create(kind=kind, subject=subject, offender_set_id=a.offender_set_id, device=bracelet, started_at=at,
                                                 started_seq=None, ended_at=None if state == "open" else at + dt.timedelta(minutes=4), **extra)
                alert: Alert = alerts.alert_raise(episode=episode, received_at=at + dt.timedelta(seconds=2))
                made_alerts += 1
                if state == "open":
                    continue
                c.advance(dt.timedelta(seconds=50))
                alert = alerts.alert_acknowledge(actor=operator, alert=alert, version=alert.version)
                if state == "acknowledged":
                    continue
                c.advance(dt.timedelta(minutes=1))
                alert = alerts.alert_dispatch(actor=operator, alert=alert, version=alert.version, note="Патруль 102 / 102 патрулі")
                if state == "dispatched":
                    continue
                c.advance(dt.timedelta(minutes=3))
                alerts.alert_resolve(actor=operator, alert=alert, version=alert.version,
                                     outcome="breach" if state == "breach" else "technical" if kind == ConditionKind.TAMPER else "false_alarm")
        # These devices' history ends now: nothing keeps them pinging once the demo runs (the
        # simulator drives its own sets), so they are taken off the case instead of going silent
        # and flooding the operator with no-signal alerts. Their alerts stay to be worked.
        for assignment in (a, b):
            assignment.refresh_from_db()
            assignment_end(actor=police, assignment=assignment, version=assignment.version)
    summary = f"Electronic monitoring: {made_devices} devices, {made_alerts} alerts on {made_devices // 3} cases."
    _say(stdout, summary + "\n")
    return summary
