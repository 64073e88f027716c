"""The monitoring operator's screen in a real browser, in Kazakh, Russian and English: the map draws
the shipped boundaries with no tile server, an alert raised meanwhile appears without a reload (and
in the page title), the operator selects it — the map shows his track, her position and the zone
around her home while it is open — and acknowledges it from the screen. Screenshots go to
``docs/screenshots/monitoring-operator-<lang>.png``."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import pytest

from qorgau.core import clock
from tests.e2e.conftest import PROJECT_ROOT, screenshot_path, sign_in

pytestmark = pytest.mark.e2e

HOME = (43.2389, 76.8897)


@dataclass
class Watched:
    bracelet: object
    victim_device: object
    offender_set: object
    zone: object
    case: object


@pytest.fixture
def watched(demo):
    from qorgau.accounts.models import User
    from qorgau.monitoring.geometry import offset
    from qorgau.monitoring.models import OffenderSet, Wearer, Zone, ZonePlace, ZoneShape
    from qorgau.orders.services import order_issue, order_serve
    from tests.monitoring.conftest import _assign, _device
    from tests.monitoring.support_e import her_ping, his_ping
    from tests.orders.support import make_cases, police_input

    inspector = User.objects.get(username="inspector")
    operator = User.objects.get(username="operator")
    unit = operator.unit
    (case,) = make_cases(inspector, serial=8100)
    order = order_issue(actor=inspector, case=case, data=police_input(case))
    order = order_serve(actor=inspector, order=order, version=order.version)
    oset = OffenderSet.objects.create(offender=case.offender, shard=0, created_at=clock.now())
    bracelet = _device("BR-E2E-1", "bracelet", unit, operator)
    hers = _device("VD-E2E-1", "victim", unit, operator, can_receive=True)
    _assign(bracelet, case, oset, Wearer.OFFENDER, order, unit, operator, 500)
    _assign(hers, case, oset, Wearer.VICTIM, order, unit, operator, 500)
    zone = Zone.objects.create(case=case, offender_set=oset, place=ZonePlace.HOME, shape=ZoneShape.CIRCLE,
                               geometry=f'{{"lat": {HOME[0]}, "lon": {HOME[1]}, "radius_m": 200}}',
                               created_at=clock.now(), created_by=operator)
    now = clock.now()
    for i, north in enumerate([3000, 2000, 1200, 700, 350], 1):  # his approach over the last minutes
        his_ping(bracelet, i, offset(HOME, north_m=north, east_m=north / 3), at=now - dt.timedelta(minutes=6 - i))
    her_ping(hers, 1, offset(HOME, north_m=20), at=now)
    return Watched(bracelet=bracelet, victim_device=hers, offender_set=oset, zone=zone, case=case)


MAP_PATHS = "() => document.querySelectorAll('#op-map svg path').length > 200"
SHAPES = "() => document.querySelectorAll('#op-map .leaflet-interactive').length"
AT_LEAST = "n => document.querySelectorAll('#op-map .leaflet-interactive').length >= n"


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_new_alert_appears_without_reload_and_is_acknowledged(page, watched, url, watch, language):
    from qorgau.monitoring.geometry import offset
    from qorgau.monitoring.ingest import ShardProcessor
    from qorgau.monitoring.models import Alert, AlertStatus, ConditionKind
    from tests.monitoring.conftest import make_ping
    from tests.monitoring.support_e import raise_alert

    # An earlier technical alert, already acknowledged: on the list, not counted as waiting.
    earlier = raise_alert(watched, kind=ConditionKind.LOW_BATTERY, at=clock.now() - dt.timedelta(minutes=40))
    Alert.objects.filter(pk=earlier.pk).update(status=AlertStatus.ACKNOWLEDGED, acknowledged_at=clock.now(), version=2)
    sign_in(page, url, "operator", language=language)
    page.goto(url("/monitoring/"))
    page.wait_for_load_state("load")
    assert page.evaluate("() => document.documentElement.lang") == language
    # No tile server configured: the base layer is the shipped boundaries, drawn as SVG paths.
    page.wait_for_function(MAP_PATHS)
    # His bracelet's last fix is on the map (a circle marker: one more path).
    page.wait_for_function(AT_LEAST, arg=1)
    assert page.locator("[data-testid=alert-list] tbody tr").count() == 1
    page.get_by_test_id("sound-toggle").click()  # the gesture browsers want before a page may sound
    assert page.get_by_test_id("sound-toggle").get_attribute("aria-pressed") == "true"
    page.wait_for_function("() => document.querySelector('[data-testid=operator-screen]').dataset.beeps === '1'")  # confirmation
    page.wait_for_function("() => document.querySelector('[data-testid=feed-status]').textContent === ''")

    # Meanwhile, ingestion takes in his approach and raises a proximity alert: it appears without a
    # reload, and the title counts it.
    marker = page.evaluate("() => (window.__noReload = 1)")
    assert marker == 1
    now = clock.now()
    result = ShardProcessor(watched.offender_set.shard).process([
        make_ping(watched.victim_device, 2, now, offset(HOME, north_m=20)),
        make_ping(watched.bracelet, 6, now + dt.timedelta(seconds=1), offset(HOME, north_m=330, east_m=60)),
    ], received_at=now + dt.timedelta(seconds=2))
    (alert_id,) = result.alerts  # one approach, one alert
    alert = Alert.objects.get(pk=alert_id)
    assert (alert.kind, result.accepted) == (ConditionKind.PROXIMITY, 2)
    row = page.locator(f'tr[data-alert="{alert.pk}"]')
    row.wait_for(state="visible")
    assert page.evaluate("() => window.__noReload") == 1  # the same document: no reload happened
    page.wait_for_function("() => document.title.startsWith('(1) ')")
    assert int(page.get_by_test_id("operator-screen").get_attribute("data-beeps")) >= 2  # it sounded for the new alert
    assert row.get_attribute("data-status") == "open"

    # Selecting it draws his track, her position and the zone around her home.
    before = page.evaluate(SHAPES)
    row.locator("[data-select]").click()
    page.wait_for_function(AT_LEAST, arg=before + 4)
    page.get_by_test_id("step-acknowledge").wait_for(state="visible")
    page.wait_for_timeout(400)  # let the map's fit-to-bounds animation settle before the picture
    page.screenshot(path=str(screenshot_path(language, "monitoring-operator")), full_page=True)
    if os.environ.get("QORGAU_REFRESH_SCREENSHOTS") == "1":  # the README's pictures, refreshed on demand only
        page.screenshot(path=str(PROJECT_ROOT / "docs" / "screenshots" / f"monitoring-operator-{language}.png"), full_page=True)

    page.get_by_test_id("step-acknowledge").locator("button").click()
    page.wait_for_function("id => document.querySelector(`tr[data-alert='${id}']`).dataset.status === 'acknowledged'", arg=alert.pk)
    page.get_by_test_id("step-dispatch").wait_for(state="visible")
    page.wait_for_function("() => !document.title.startsWith('(')")
    alert = Alert.objects.get(pk=alert.pk)
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by.username == "operator"
    assert page.evaluate("() => window.__noReload") == 1
    assert watch.errors == []
