"""The operator's screen (DESIGN §7): the live list of the unit's alerts, the map, the sound.

The page carries no victim data; ``operator.js`` polls ``live.json`` for the list, ``fixes.json``
for his devices' last fixes, and asks ``alerts/<id>/map.json`` for one alert's track — and, only while
that alert is not resolved, her position and zones (masked, audited, never cached).

The screen's acknowledge / dispatch / resolve go through ``alerts/<id>/step/`` as fetch requests
rather than full-page posts: a page load would silence the screen, because browsers only let a page
play sound after a user gesture on that very page.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from qorgau.accounts.models import User
from qorgau.core.errors import Forbidden, NotFound, QorgauError
from qorgau.monitoring import alerts, operator_selectors
from qorgau.monitoring.basemap import ATTRIBUTION, basemap
from qorgau.monitoring.models import AlertOutcome
from qorgau.monitoring.selectors import alert_get_for

POLL_MS = 2_500
FIXES_POLL_MS = 10_000


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _json_error(exc: QorgauError) -> JsonResponse:
    return JsonResponse({"code": exc.code, "detail": str(exc.message), "fields": exc.fields}, status=exc.status)


def _whole(raw: str) -> bool:
    """A non-negative whole number ``int()`` takes and a bigint holds (``"²".isdigit()`` is true)."""
    return raw.isascii() and raw.isdigit() and len(raw) <= 18


def _refused() -> JsonResponse:
    return _json_error(Forbidden())


def _config(request: HttpRequest) -> dict[str, Any]:
    """Everything ``operator.js`` needs, handed over through ``json_script`` (the CSP allows no inline script)."""
    user = _user(request)
    tile_url = settings.QORGAU_MAP_TILE_URL
    return {
        "live_url": reverse("monitoring:operator_live"),
        "fixes_url": reverse("monitoring:operator_fixes"),
        "basemap_url": reverse("monitoring:operator_basemap"),
        # ``0`` stands for the alert id: the script swaps it in.
        "map_url": reverse("monitoring:operator_alert_map", args=[0]),
        "step_url": reverse("monitoring:operator_alert_step", args=[0]),
        "detail_url": reverse("monitoring:alert", args=[0]),
        "since": operator_selectors.last_alert_id(user),
        "poll_ms": POLL_MS,
        "fixes_poll_ms": FIXES_POLL_MS,
        "tile_url": tile_url,
        "tile_attribution": settings.QORGAU_MAP_TILE_ATTRIBUTION if tile_url else ATTRIBUTION,
        "outcomes": [[value, str(label)] for value, label in AlertOutcome.choices],
        "labels": {
            "sound_off": _("Turn on sound"),
            "sound_on": _("Sound is on"),
            "acknowledge": _("Acknowledge"),
            "dispatch": _("Record police dispatch"),
            "resolve": _("Resolve"),
            "note": _("Note"),
            "outcome": _("Outcome"),
            "her_position": _("Her last known position"),
            "his_track": _("His track"),
            "his_last_fix": _("His last fix"),
            "zone": _("Exclusion zone"),
            "offline": _("Connection to the server lost; retrying…"),
            "session_ended": _("Your session has ended. Sign in again."),
            "battery": _("Battery"),
            "escalated": _("escalated"),
        },
    }


@login_required
@require_GET
def operator_screen(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not operator_selectors.may_operate(user):
        raise Forbidden()
    rows = operator_selectors.live_rows(user)
    return render(request, "monitoring/operator.html", {
        "rows": rows,
        "open_count": sum(1 for r in rows if r.status == "open"),
        "config": _config(request),
    })


@login_required
@require_GET
@never_cache
def live_json(request: HttpRequest) -> JsonResponse:
    user = _user(request)
    if not operator_selectors.may_operate(user):
        return _refused()
    raw = request.GET.get("since", "0") or "0"
    if not _whole(raw):
        return _json_error(QorgauError(_("“since” must be an alert number."), fields={"since": [_("Enter a whole number.")]}))
    return JsonResponse(operator_selectors.live_feed(user, since=int(raw)).as_json())


@login_required
@require_GET
@never_cache
def fixes_json(request: HttpRequest) -> JsonResponse:
    user = _user(request)
    if not operator_selectors.may_operate(user):
        return _refused()
    return JsonResponse({"fixes": [f.as_json() for f in operator_selectors.device_fixes(user)]})


@login_required
@require_GET
def basemap_json(request: HttpRequest) -> HttpResponse:
    """Public reference data (boundaries), but only the operator's map uses it."""
    if not operator_selectors.may_operate(_user(request)):
        return _refused()
    found = basemap()
    if request.headers.get("If-None-Match") == found.etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(found.body, content_type="application/json")
    response["ETag"] = found.etag
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
@never_cache
def alert_map_json(request: HttpRequest, alert_id: int) -> JsonResponse:
    user = _user(request)
    try:
        alert = alert_get_for(user, alert_id)
    except NotFound as exc:
        return _json_error(exc)
    return JsonResponse(operator_selectors.alert_map(user, alert, request=request))


@login_required
@require_POST
def alert_step(request: HttpRequest, alert_id: int) -> JsonResponse:
    """Acknowledge, dispatch or resolve from the screen; answers with the alert's new row."""
    user = _user(request)
    step = request.POST.get("step", "")
    raw_version = request.POST.get("version", "")
    try:
        alert = alert_get_for(user, alert_id)
        if not _whole(raw_version):
            raise QorgauError(fields={"version": [_("Reload the screen and try again.")]})
        version = int(raw_version)
        note = request.POST.get("note", "").strip()
        if step == "acknowledge":
            alert = alerts.alert_acknowledge(actor=user, alert=alert, version=version)
        elif step == "dispatch":
            alert = alerts.alert_dispatch(actor=user, alert=alert, version=version, note=note)
        elif step == "resolve":
            outcome = request.POST.get("outcome", "")
            if outcome not in AlertOutcome.values:
                raise QorgauError(fields={"outcome": [_("Choose the outcome.")]})
            alert = alerts.alert_resolve(actor=user, alert=alert, version=version, outcome=outcome, note=note)
        else:
            raise QorgauError(fields={"step": [_("Unknown step.")]})
    except QorgauError as exc:
        return _json_error(exc)
    alert = alert_get_for(user, alert.pk)
    return JsonResponse({"row": operator_selectors.alert_row(alert).as_json()})


# The screen's routes, for ``monitoring/urls.py`` to take in as ``*views_operator.urlpatterns``
# (names inside the ``monitoring`` namespace).
urlpatterns = [
    path("", operator_screen, name="operator"),
    path("live.json", live_json, name="operator_live"),
    path("fixes.json", fixes_json, name="operator_fixes"),
    path("basemap.json", basemap_json, name="operator_basemap"),
    path("alerts/<int:alert_id>/map.json", alert_map_json, name="operator_alert_map"),
    path("alerts/<int:alert_id>/step/", alert_step, name="operator_alert_step"),
]
