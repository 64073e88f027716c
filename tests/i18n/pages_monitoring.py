"""Language-walker pages for electronic monitoring (merged into ``test_languages.PAGES``).

A monitoring centre with its operator, a bracelet and her device (serials of digits: no Latin on
the page) on the walker's case under its served police order, a zone around her home, and one open
proximity alert with a position of each. The inspector (registering unit, full grant) sees the
case's forms; the operator sees the alert while it is open (her position shown)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

OPERATOR = "walker_monitoring_operator"


def _unit(w: Any) -> Any:
    from qorgau.accounts.models import AgencyKind, Unit
    from qorgau.accounts.services import unit_create
    from qorgau.core.models import Region

    found = Unit.objects.filter(name_en="Walker monitoring centre").first()
    if found is not None:
        return found
    return unit_create(actor=None, kind=AgencyKind.objects.get(code="monitoring_centre"), region=Region.objects.get(iso="KZ-71"),
                       name_ru="Центр мониторинга «Қорғау»", name_kk="«Қорғау» мониторинг орталығы", name_en="Walker monitoring centre")


def _operator_user(w: Any) -> Any:
    from qorgau.accounts.models import User

    return User.objects.filter(username=OPERATOR).first() or w._make_user("monitoring_operator", unit=_unit(w), username=OPERATOR)


def _operator(w: Any, lang: str) -> Any:
    from django.test import Client

    from qorgau.accounts.models import User
    from tests.conftest import sign_in

    user = _operator_user(w)
    User.objects.filter(pk=user.pk).update(language=lang)
    user.refresh_from_db()
    return sign_in(Client(), user)


def _alert(w: Any) -> int:
    """Devices on the walker's case, a zone, pings, and one open alert (made once)."""
    from qorgau.accounts.access import viewer_for
    from qorgau.accounts.masks import Scope
    from qorgau.cases.models import Case
    from qorgau.core import clock
    from qorgau.monitoring.alerts import alert_raise
    from qorgau.monitoring.devices import assignment_start, device_register
    from qorgau.monitoring.models import Alert, Episode, Ping
    from qorgau.monitoring.zones import zone_create
    from tests.i18n.test_languages import _case_id, _order

    found = Alert.objects.filter(unit=_unit(w)).first()
    if found is not None:
        return found.pk
    case = Case.objects.get(pk=_case_id(w))
    order_id = _order(w)
    operator, inspector = _operator_user(w), w.user("inspector")
    bracelet = device_register(actor=operator, serial="7001-0001", kind="bracelet")
    hers = device_register(actor=operator, serial="7002-0001", kind="victim", can_receive=True)
    a = assignment_start(actor=inspector, case=case, serial=bracelet.serial, order_id=order_id)
    assignment_start(actor=inspector, case=case, serial=hers.serial, order_id=order_id)
    zone_create(actor=inspector, case=case, viewer=viewer_for(inspector, scope=Scope.FULL), place="home", shape="circle",
                geometry={"lat": 43.2389, "lon": 76.8897, "radius_m": 300})
    now = clock.now()
    Ping.objects.create(device=hers, seq=1, ts=now, received_at=now, position="43.2401,76.8899", battery=90)
    Ping.objects.create(device=bracelet, seq=1, ts=now, received_at=now, lat=43.2405, lon=76.8901, battery=70)
    episode = Episode.objects.create(kind="proximity", subject=f"proximity:{bracelet.pk}:{hers.pk}", offender_set_id=a.offender_set_id,
                                     device=bracelet, counterpart=hers, started_at=now)
    return alert_raise(episode=episode, received_at=now).pk


def _device_id(w: Any) -> int:
    from qorgau.monitoring.models import Device

    _alert(w)
    return Device.objects.get(serial="7001-0001").pk


def _case(w: Any) -> int:
    from tests.i18n.test_languages import _case_id

    _alert(w)
    return _case_id(w)


PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "monitoring-alerts": (200, lambda w, lang: (_alert(w), _operator(w, lang).get("/monitoring/alerts/"))[1]),
    "monitoring-alerts-bad-filter": (422, lambda w, lang: _operator(w, lang).get("/monitoring/alerts/?status=999")),
    "monitoring-alert": (200, lambda w, lang: _operator(w, lang).get(f"/monitoring/alerts/{_alert(w)}/")),
    "monitoring-alert-conflict": (409, lambda w, lang: _operator(w, lang).post(
        f"/monitoring/alerts/{_alert(w)}/dispatch/", {"version": "99", "note": "12"})),
    "monitoring-alert-bad-outcome": (422, lambda w, lang: _operator(w, lang).post(
        f"/monitoring/alerts/{_alert(w)}/resolve/", {"version": "1", "outcome": "999"})),
    "monitoring-devices": (200, lambda w, lang: (_alert(w), _operator(w, lang).get("/monitoring/devices/"))[1]),
    "monitoring-devices-bad": (422, lambda w, lang: _operator(w, lang).post("/monitoring/devices/", {"serial": "1", "kind": "bracelet"})),
    "monitoring-device": (200, lambda w, lang: _operator(w, lang).get(f"/monitoring/devices/{_device_id(w)}/")),
    "monitoring-case-card": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/cases/{_case(w)}/")),
    "monitoring-assign": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/monitoring/cases/{_case(w)}/assign/")),
    "monitoring-assign-bad": (422, lambda w, lang: w.signed_in("inspector", lang).post(
        f"/monitoring/cases/{_case(w)}/assign/", {"serial": "9999-9999", "ground": "", "proximity_m": "50"})),
    "monitoring-zone": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/monitoring/cases/{_case(w)}/zones/")),
    "monitoring-zone-bad": (422, lambda w, lang: w.signed_in("inspector", lang).post(
        f"/monitoring/cases/{_case(w)}/zones/", {"place": "home", "shape": "circle", "lat": "48.85", "lon": "2.35", "radius_m": "300"})),
    "monitoring-export": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/monitoring/cases/{_case(w)}/export/")),
    "monitoring-export-print": (200, lambda w, lang: w.signed_in("inspector", lang).get(
        f"/monitoring/cases/{_case(w)}/export/", {"start": "2020-01-01", "end": "2020-12-31", "format": "html"})),
}
