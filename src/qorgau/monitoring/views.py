"""Pages of electronic monitoring besides the operator's live screen (``views_operator``): the
alerts list and an alert's page with its steps, the devices of the monitoring centre, and — from
the case page — assigning a device and setting a zone.

Thin views: reads through the gates and selectors, writes through services; ``Invalid`` becomes
form errors (422), a stale version the conflict page (409). Her position and zones appear on an
alert's page only while the mask layer allows it (an unresolved alert on the case).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qorgau.accounts.access import capability_required
from qorgau.accounts.masks import Viewer
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import case_get_for
from qorgau.cases.conflict import conflict_response
from qorgau.cases.models import Case
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.form_errors import invalid_onto_form
from qorgau.monitoring import alerts, devices, permissions, selectors, zones
from qorgau.monitoring.forms import (
    AlertFilterForm,
    AssignForm,
    DeviceForm,
    DispatchForm,
    ResolveForm,
    VersionForm,
    ZoneForm,
)
from qorgau.monitoring.models import Alert, AlertStatus, Assignment, Zone
from qorgau.orders.models import CourtDecision, Order, OrderStatus


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


# --- alerts --------------------------------------------------------------------------------------------


@login_required
@capability_required(Capability.MONITOR_DEVICES)
@require_GET
def alerts_view(request: HttpRequest) -> HttpResponse:
    form = AlertFilterForm(request.GET or None)
    status = 200
    rows: list[Alert] = []
    if not request.GET or form.is_valid():
        data = form.cleaned_data if request.GET else {}
        rows = list(selectors.unit_alerts(_user(request), status=data.get("status", ""), kind=data.get("kind", ""))[:200])
    else:
        status = 422
    return render(request, "monitoring/alerts.html", {"form": form, "rows": rows}, status=status)


def _durations(alert: Alert) -> list[tuple[str, Any, Any, Any]]:
    """(step, when, by, time since the previous step)."""
    steps = [(_("Raised"), alert.raised_at, None), (_("Acknowledged"), alert.acknowledged_at, alert.acknowledged_by),
             (_("Police dispatched"), alert.dispatched_at, alert.dispatched_by), (_("Resolved"), alert.resolved_at, alert.resolved_by)]
    out: list[tuple[str, Any, Any, Any]] = [(_("Position taken by the device"), alert.occurred_at, None, None)]
    previous = alert.occurred_at
    for label, at, by in steps:
        out.append((label, at, by, (at - previous) if at and previous else None))
        if at:
            previous = at
    return out


def _alert_page(request: HttpRequest, alert: Alert, *, forms: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    user = _user(request)
    viewer = selectors.operator_viewer(user, alert)
    forms = forms or {}
    v = {"version": alert.version}
    return render(request, "monitoring/alert.html", {
        "alert": alert, "steps": _durations(alert), "track": selectors.offender_track(alert),
        "hers": selectors.her_whereabouts(user, alert, viewer, request=request),
        "ack_form": forms.get("acknowledge") or VersionForm(initial=v),
        "dispatch_form": forms.get("dispatch") or DispatchForm(initial=v),
        "resolve_form": forms.get("resolve") or ResolveForm(initial=v),
        "open": alert.status != AlertStatus.RESOLVED,
    }, status=status)


@login_required
@require_GET
def alert_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _alert_page(request, selectors.alert_get_for(_user(request), alert_id))


STEP_FORMS = {"acknowledge": VersionForm, "dispatch": DispatchForm, "resolve": ResolveForm}


@login_required
@require_POST
def alert_step_view(request: HttpRequest, alert_id: int, step: str) -> HttpResponse:
    user = _user(request)
    alert = selectors.alert_get_for(user, alert_id)
    if step not in STEP_FORMS:
        raise NotFound()
    form = STEP_FORMS[step](request.POST)
    if form.is_valid():
        c = form.cleaned_data
        try:
            if step == "acknowledge":
                alerts.alert_acknowledge(actor=user, alert=alert, version=c["version"])
            elif step == "dispatch":
                alerts.alert_dispatch(actor=user, alert=alert, version=c["version"], note=c["note"])
            else:
                alerts.alert_resolve(actor=user, alert=alert, version=c["version"], outcome=c["outcome"], note=c["note"])
        except Conflict:
            alert.refresh_from_db()
            url = reverse("monitoring:alert", args=[alert.pk])
            return conflict_response(
                request, message=_("Someone else acted on this alert after you opened it. Your step was not saved."),
                form_action=reverse("monitoring:alert_step", args=[alert.pk, step]), back_url=url,
                mine=[(_("Step"), str(STEP_LABELS[step]))], stored=[(_("Status"), alert.get_status_display())],
                resubmit={**{k: str(v) for k, v in c.items() if k != "version"}, "version": str(alert.version)},
            )
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, str(STEP_DONE[step]))
            return redirect("monitoring:alert", alert.pk)
    alert.refresh_from_db()
    return _alert_page(request, alert, forms={step: form}, status=422)


STEP_LABELS = {"acknowledge": gettext_lazy("Acknowledge"), "dispatch": gettext_lazy("Dispatch the police"),
               "resolve": gettext_lazy("Resolve")}
STEP_DONE = {"acknowledge": gettext_lazy("The alert is acknowledged."), "dispatch": gettext_lazy("The dispatch is recorded."),
             "resolve": gettext_lazy("The alert is resolved.")}


# --- devices -------------------------------------------------------------------------------------------


@login_required
@capability_required(Capability.MONITOR_DEVICES)
@require_http_methods(["GET", "HEAD", "POST"])
def devices_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = DeviceForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                d = devices.device_register(actor=user, **form.cleaned_data)
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                messages.success(request, _("The device is registered. Issue its secret before handing it out."))
                return redirect("monitoring:device", d.pk)
        status = 422
    return render(request, "monitoring/devices.html", {"form": form, "rows": list(selectors.unit_devices(user))}, status=status)


def _device_page(request: HttpRequest, device_id: int, *, secret: str = "", status: int = 200, form: VersionForm | None = None) -> HttpResponse:
    device = selectors.device_get_for(_user(request), device_id)
    assignments = list(Assignment.objects.filter(device=device).select_related("case").order_by("ended_at", "-started_at"))
    return render(request, "monitoring/device.html", {
        "device": device, "assignments": assignments, "last": selectors.device_last_ping(device), "secret": secret,
        "secret_form": form or VersionForm(initial={"version": device.version}),
    }, status=status)


@login_required
@require_GET
def device_view(request: HttpRequest, device_id: int) -> HttpResponse:
    return _device_page(request, device_id)


@login_required
@require_POST
def device_secret_view(request: HttpRequest, device_id: int) -> HttpResponse:
    """The new secret is shown once, on this response, and never stored in clear."""
    user = _user(request)
    device = selectors.device_get_for(user, device_id)
    form = VersionForm(request.POST)
    if form.is_valid():
        try:
            device, secret = devices.device_secret_issue(actor=user, device=device, version=form.cleaned_data["version"])
        except Conflict:
            url = reverse("monitoring:device", args=[device.pk])
            return conflict_response(request, message=_("This device changed after you opened it. No secret was issued."),
                                     form_action=reverse("monitoring:device_secret", args=[device.pk]), back_url=url, mine=[],
                                     stored=[], resubmit={"version": str(device.version)})
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            response = _device_page(request, device.pk, secret=secret)
            response["Cache-Control"] = "no-store"
            return response
    return _device_page(request, device_id, form=form, status=422)


# --- from the case page --------------------------------------------------------------------------------


def _grounds(case: Case) -> list[tuple[str, str]]:
    orders = Order.objects.filter(case_links__case=case).exclude(status__in=(OrderStatus.EXPIRED, OrderStatus.REVOKED)).order_by("-issued_at")
    decisions = CourtDecision.objects.filter(case=case).order_by("-decided_on")
    return ([(f"order:{o.pk}", _("Order %(number)s (%(kind)s)") % {"number": o.number, "kind": o.get_kind_display()}) for o in orders]
            + [(f"decision:{d.pk}", _("Court decision %(reference)s of %(date)s") % {"reference": d.reference, "date": d.decided_on.strftime("%d.%m.%Y")})
               for d in decisions])


def _case_for(request: HttpRequest, case_id: int) -> tuple[Case, Viewer]:
    return case_get_for(_user(request), case_id, request=request)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def assign_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case, viewer = _case_for(request, case_id)
    if not permissions.may_assign(user, viewer.scope):
        raise Forbidden()
    grounds = _grounds(case)
    form = AssignForm(request.POST or None, grounds=grounds)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            c = form.cleaned_data
            kind, _sep, pk = c["ground"].partition(":")
            try:
                devices.assignment_start(actor=user, case=case, serial=c["serial"], proximity_m=c["proximity_m"],
                                         order_id=int(pk) if kind == "order" else None, decision_id=int(pk) if kind == "decision" else None)
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                messages.success(request, _("The device is assigned on the case; the monitoring centre watches it from now on."))
                return redirect("cases:detail", case.pk)
        status = 422
    return render(request, "monitoring/assign.html", {"case": case, "form": form, "grounds": grounds}, status=status)


@login_required
@require_POST
def assignment_end_view(request: HttpRequest, case_id: int, assignment_id: int) -> HttpResponse:
    user = _user(request)
    case, viewer = _case_for(request, case_id)
    if not permissions.may_assign(user, viewer.scope):
        raise Forbidden()
    assignment = devices.assignment_get_for_case(case, assignment_id)
    form = VersionForm(request.POST)
    if not form.is_valid():
        raise Invalid(fields={"version": [_("Reload the page and try again.")]})
    try:
        devices.assignment_end(actor=user, assignment=assignment, version=form.cleaned_data["version"])
    except Conflict:
        return conflict_response(request, message=_("This assignment changed after you opened the case. Nothing was ended."),
                                 form_action=reverse("monitoring:assignment_end", args=[case.pk, assignment.pk]),
                                 back_url=reverse("cases:detail", args=[case.pk]), mine=[], stored=[],
                                 resubmit={"version": str(assignment.version)})
    messages.success(request, _("The device is taken off the case."))
    return redirect("cases:detail", case.pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def zone_view(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case, viewer = _case_for(request, case_id)
    if not permissions.may_set_zones(user, viewer):
        raise Forbidden()
    form = ZoneForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            c = form.cleaned_data
            try:
                zones.zone_create(actor=user, case=case, viewer=viewer, place=c["place"], shape=c["shape"], geometry=c["geometry"],
                                  label=c["label"])
            except Invalid as exc:
                # The geometry is one field of the service, two shapes of input on the form.
                geometry = exc.fields.pop("geometry", [])
                for message in geometry:
                    form.add_error("points" if c["shape"] == "polygon" else None, message)
                if exc.fields or not geometry:
                    invalid_onto_form(form, exc)
            else:
                messages.success(request, _("The zone is set; he is warned off it from now on."))
                return redirect("cases:detail", case.pk)
        status = 422
    return render(request, "monitoring/zone.html", {"case": case, "form": form}, status=status)


@login_required
@require_POST
def zone_end_view(request: HttpRequest, case_id: int, zone_id: int) -> HttpResponse:
    user = _user(request)
    case, viewer = _case_for(request, case_id)
    if not permissions.may_set_zones(user, viewer):
        raise Forbidden()
    zone = Zone.objects.filter(pk=zone_id, case=case).first()
    if zone is None:
        raise NotFound()
    form = VersionForm(request.POST)
    if not form.is_valid():
        raise Invalid(fields={"version": [_("Reload the page and try again.")]})
    try:
        zones.zone_end(actor=user, zone=zone, viewer=viewer, version=form.cleaned_data["version"])
    except Conflict:
        return conflict_response(request, message=_("This zone changed after you opened the case. Nothing was ended."),
                                 form_action=reverse("monitoring:zone_end", args=[case.pk, zone.pk]),
                                 back_url=reverse("cases:detail", args=[case.pk]), mine=[], stored=[], resubmit={"version": str(zone.version)})
    messages.success(request, _("The zone is ended."))
    return redirect("cases:detail", case.pk)
