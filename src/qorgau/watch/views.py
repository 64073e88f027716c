"""Pages of the watch: the access alerts, one alert with its review, and the unit's access review."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from qorgau.accounts.models import User
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Invalid
from qorgau.core.form_errors import invalid_onto_form
from qorgau.core.models import AuditAction
from qorgau.watch import selectors, services
from qorgau.watch.access import alert_get_for, alerts_visible_to, is_overseer, require_watcher, review_unit_get_for
from qorgau.watch.forms import AlertReviewForm, ReviewCompleteForm
from qorgau.watch.models import AccessAlert


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _unit_param(request: HttpRequest) -> int | None:
    raw = (request.POST if request.method == "POST" else request.GET).get("unit", "")
    return int(raw) if raw.isdecimal() and len(raw) < 12 else None


@login_required
@require_http_methods(["GET", "HEAD"])
def alerts_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    alerts = selectors.alerts_list(alerts_visible_to(user))
    audit_record(actor=user, action=AuditAction.READ, target_type="access_alerts", count=len(alerts), request=request)
    return render(request, "watch/alerts.html", {"alerts": alerts, "overseer": is_overseer(user)})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def alert_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    user = _user(request)
    alert: AccessAlert = alert_get_for(user, alert_id)
    form = AlertReviewForm(request.POST if request.method == "POST" else None, initial={"version": alert.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.alert_review(actor=user, alert_id=alert.pk, version=form.cleaned_data["version"], note=form.cleaned_data["note"])
        except Invalid as exc:
            invalid_onto_form(form, exc)
        else:
            messages.success(request, _("The alert is marked reviewed."))
            return redirect("watch:alert", alert_id=alert.pk)
    audit_record(actor=user, action=AuditAction.READ, target_type="access_alert", target_id=alert.pk, request=request)
    return render(request, "watch/alert.html", {"alert": alert, "form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def review_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_watcher(user)
    form = ReviewCompleteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        unit = review_unit_get_for(user, _unit_param(request))  # another unit's id is "not found" before any error
        if form.is_valid():
            try:
                services.access_review_complete(actor=user, unit_id=unit.pk if unit else None, note=form.cleaned_data["note"])
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                messages.success(request, _("The access review is recorded for this month."))
                url = reverse("watch:review")
                return redirect(f"{url}?unit={unit.pk}" if unit is not None and is_overseer(user) else url)
    else:
        unit = review_unit_get_for(user, _unit_param(request))
    at = clock.now()
    if unit is None:  # oversight without a chosen unit: the overview of every unit
        rows = selectors.units_overview(at)
        audit_record(actor=user, action=AuditAction.READ, target_type="access_review_overview", count=len(rows), request=request)
        return render(request, "watch/review_overview.html", {"rows": rows})
    data = selectors.review_data(unit, at)
    audit_record(actor=user, action=AuditAction.READ, target_type="access_review", target_id=unit.pk, count=len(data.grants), request=request)
    context = {"data": data, "form": form, "overseer": is_overseer(user), "reads_days": selectors.READS_DAYS,
               "break_glass_days": selectors.BREAK_GLASS_DAYS}
    return render(request, "watch/review.html", context)


def _when(value: object) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""  # type: ignore[arg-type]


@login_required
@require_http_methods(["GET", "HEAD"])
def review_export_view(request: HttpRequest) -> HttpResponse:
    """The unit's access review as CSV (ids, case numbers, user names and figures); audited as an export."""
    user = _user(request)
    unit = review_unit_get_for(user, _unit_param(request))
    if unit is None:
        messages.info(request, _("Choose a unit to download its access review."))
        return redirect("watch:review")
    data = selectors.review_data(unit, clock.now())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="qorgau-access-review-{unit.pk}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 Cyrillic and Kazakh letters correctly with a BOM
    writer = csv.writer(response)
    writer.writerow([_("Section"), _("Case"), _("Reason"), _("Scope"), _("Since"), _("Until"), _("Granted by / user"),
                     _("Last sign-in"), _("Cases read in 30 days"), _("Case reads in 30 days")])
    for g in data.grants:
        writer.writerow([_("Live grant"), g.case.number, g.get_reason_display(), g.scope, _when(g.since), _when(g.until),
                         g.granted_by.username if g.granted_by else "", "", "", ""])
    for g in data.break_glass:
        writer.writerow([_("Break-glass"), g.case.number, g.get_reason_display(), g.scope, _when(g.since), _when(g.until),
                         g.granted_by.username if g.granted_by else "", "", "", ""])
    for u in data.users:
        writer.writerow([_("User"), "", "", "", "", "", u.user.username, _when(u.user.last_login), u.cases_read, u.reads])
    rows = len(data.grants) + len(data.break_glass) + len(data.users)
    audit_record(actor=user, action=AuditAction.EXPORT, target_type="access_review", target_id=unit.pk, count=rows, request=request)
    return response
