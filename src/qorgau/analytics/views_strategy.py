"""Pages of the national strategy: the overview (measures beside their outcomes, money beside regional
rates), a measure's page, and the forms that enter measures, financing lines, campaigns and grants.

Thin views: reads through ``selectors_strategy`` (which reads outcomes through the suppressed
analytics selectors), writes through ``services_strategy``; ``Invalid`` becomes form errors (422),
a stale version the conflict page (409).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from qorgau.accounts.access import capability_required
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.analytics import selectors_strategy as selectors
from qorgau.analytics import services_strategy as services
from qorgau.analytics.forms_strategy import CampaignForm, FinancingForm, GrantForm, MeasureForm, OverviewFilter
from qorgau.analytics.models import Financing, StrategyMeasure
from qorgau.analytics.refresh import ZONE
from qorgau.cases.conflict import conflict_response
from qorgau.core import clock
from qorgau.core.errors import Conflict, Invalid
from qorgau.core.form_errors import invalid_onto_form

V = Capability.VIEW_AGGREGATES
W = Capability.MANAGE_STRATEGY


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _today() -> date:
    """Today where the tallies are kept (their months are Almaty months)."""
    return clock.now().astimezone(ZONE).date()


def _money_texts(rows: list[Any], *names: str) -> list[Any]:
    """Each amount also as text in the page's language (``budget`` -> ``budget_text``)."""
    for row in rows:
        for name in names:
            setattr(row, f"{name}_text", selectors.tenge(getattr(row, name)))
    return rows


# --- reading ---------------------------------------------------------------------------------------


@login_required
@capability_required(V)
@require_GET
def strategy_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    choices = [(i.code, i.label) for i in selectors.region_indicators()]
    form = OverviewFilter(request.GET or None, choices=choices, initial={"year": _today().year})
    status, year, code = 200, None, ""
    if request.GET:
        if form.is_valid():
            year, code = form.cleaned_data.get("year"), form.cleaned_data.get("indicator") or ""
        else:
            status = 422
    overview = selectors.strategy_overview(user, today=_today(), year=year, region_code=code)
    return render(
        request,
        "analytics/strategy.html",
        {
            "form": form,
            "o": overview,
            "years": selectors.financing_years(user),
            "campaigns": _money_texts(list(selectors.campaigns_list(user)[:50]), "cost", "reach"),
            "grants": _money_texts(list(selectors.grants_list(user)[:50]), "amount"),
            "may_manage": services.may_manage(user),
        },
        status=status,
    )


@login_required
@capability_required(V)
@require_GET
def measure_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    detail = selectors.measure_detail(user, pk, today=_today())
    return render(
        request,
        "analytics/strategy_measure.html",
        {
            "d": detail,
            "m": detail.measure,
            "may_manage": services.may_manage(user),
            "financing": _money_texts(detail.financing, "budget", "spent"),
            "campaigns": _money_texts(detail.campaigns, "cost", "reach"),
            "grants": _money_texts(detail.grants, "amount"),
        },
    )


# --- entering --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    form: type[Any]
    title_new: Promise
    title_edit: Promise
    saved: Promise
    what: Promise  # for the conflict message


MEASURE = _Kind(
    MeasureForm,
    gettext_lazy("New measure of the strategy"),
    gettext_lazy("Edit the measure"),
    gettext_lazy("The measure is saved."),
    gettext_lazy("this measure"),
)
FINANCING = _Kind(
    FinancingForm,
    gettext_lazy("New financing line"),
    gettext_lazy("Edit the financing line"),
    gettext_lazy("The financing line is saved."),
    gettext_lazy("this financing line"),
)
CAMPAIGN = _Kind(
    CampaignForm,
    gettext_lazy("New campaign"),
    gettext_lazy("Edit the campaign"),
    gettext_lazy("The campaign is saved."),
    gettext_lazy("this campaign"),
)
GRANT = _Kind(
    GrantForm,
    gettext_lazy("New grant to an NGO"),
    gettext_lazy("Edit the grant"),
    gettext_lazy("The grant is saved."),
    gettext_lazy("this grant"),
)


def _shown(field: forms.Field, value: Any) -> str:
    """A value as the form's field names it (a choice's label, a region's name)."""
    if value in (None, ""):
        return ""
    if isinstance(field, forms.ModelChoiceField):
        if isinstance(value, models.Model):
            return str(value)
        found = field.queryset.filter(pk=value).first() if field.queryset is not None else None
        return str(found) if found is not None else str(value)
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, value))  # type: ignore[arg-type]
    return str(value)


def _pairs(form: forms.Form, values: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(f.label), _shown(f, values.get(name))) for name, f in form.fields.items() if name != "version"]


def _form_page(
    request: HttpRequest,
    kind: _Kind,
    *,
    obj: models.Model | None,
    initial: dict[str, Any],
    save: Callable[[Any], Any],
    done: Callable[[Any], str],
    back: str,
    here: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """One form page: GET shows it, POST saves through ``save`` and redirects to ``done(saved)``."""
    status = 200
    if request.method == "POST":
        form = kind.form(request.POST)
        if form.is_valid():
            try:
                saved = save(form)
            except Conflict:
                assert obj is not None
                obj.refresh_from_db()
                fresh = kind.form.initial_for(obj)
                message = _(
                    "Someone else changed %(what)s after you opened it. Your change was not saved. "
                    "Compare the two versions and choose."
                ) % {"what": kind.what}
                resubmit: dict[str, Any] = {
                    k: request.POST.getlist(k) for k in request.POST if k not in ("csrfmiddlewaretoken", "version")
                }
                resubmit["version"] = str(fresh["version"])
                return conflict_response(
                    request,
                    message=message,
                    form_action=here,
                    back_url=back,
                    mine=_pairs(form, form.cleaned_data),
                    stored=_pairs(form, fresh),
                    resubmit=resubmit,
                )
            except Invalid as exc:
                invalid_onto_form(form, exc)
            else:
                messages.success(request, str(kind.saved))
                return redirect(done(saved))
        status = 422
    else:
        form = kind.form(initial=initial)
    return render(
        request,
        "analytics/strategy_form.html",
        {
            "form": form,
            "title": kind.title_edit if obj is not None else kind.title_new,
            "back": back,
            **(context or {}),
        },
        status=status,
    )


def _version(form: forms.Form) -> int:
    """An edit without the version it was read at is refused as stale: it cannot prove it is not."""
    return int(form.cleaned_data.get("version") or 0)


def _measure_url(pk: int) -> str:
    return reverse("analytics:measure", args=[pk])


@login_required
@capability_required(W)
@require_http_methods(["GET", "HEAD", "POST"])
def measure_new_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return _form_page(
        request,
        MEASURE,
        obj=None,
        initial={"starts_on": _today(), "area": "prevention"},
        save=lambda f: services.measure_create(actor=user, data=f.data_input()),
        done=lambda m: _measure_url(m.pk),
        back=reverse("analytics:strategy"),
        here=reverse("analytics:measure_new"),
    )


@login_required
@capability_required(W)
@require_http_methods(["GET", "HEAD", "POST"])
def measure_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    measure = selectors.measure_get(user, pk)
    return _form_page(
        request,
        MEASURE,
        obj=measure,
        initial=MeasureForm.initial_for(measure),
        save=lambda f: services.measure_update(actor=user, measure_id=pk, version=_version(f), data=f.data_input()),
        done=lambda m: _measure_url(m.pk),
        back=_measure_url(pk),
        here=reverse("analytics:measure_edit", args=[pk]),
        context={"measure": measure},
    )


@login_required
@capability_required(W)
@require_http_methods(["GET", "HEAD", "POST"])
def financing_new_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    measure = selectors.measure_get(user, pk)
    return _form_page(
        request,
        FINANCING,
        obj=None,
        initial={"year": _today().year, "spent": "0"},
        save=lambda f: services.financing_create(actor=user, measure_id=pk, data=f.data_input()),
        done=lambda line: _measure_url(pk),
        back=_measure_url(pk),
        here=reverse("analytics:financing_new", args=[pk]),
        context={"measure": measure},
    )


@login_required
@capability_required(W)
@require_http_methods(["GET", "HEAD", "POST"])
def financing_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    line: Financing = selectors.financing_get(user, pk)
    measure: StrategyMeasure = line.measure
    return _form_page(
        request,
        FINANCING,
        obj=line,
        initial=FinancingForm.initial_for(line),
        save=lambda f: services.financing_update(actor=user, financing_id=pk, version=_version(f), data=f.data_input()),
        done=lambda saved: _measure_url(measure.pk),
        back=_measure_url(measure.pk),
        here=reverse("analytics:financing_edit", args=[pk]),
        context={"measure": measure},
    )


def _overview(anchor: str) -> str:
    return reverse("analytics:strategy") + anchor


@login_required
@capability_required(W)
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_new_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return _form_page(
        request,
        CAMPAIGN,
        obj=None,
        initial={"started_on": _today(), "reach": 0, "cost": "0"},
        save=lambda f: services.campaign_create(actor=user, data=f.data_input()),
        done=lambda c: _overview("#campaigns"),
        back=_overview("#campaigns"),
        here=reverse("analytics:campaign_new"),
    )


@login_required
@capability_required(W)
@require_http_methods(["GET", "HEAD", "POST"])
def campaign_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    campaign = selectors.campaign_get(user, pk)
    return _form_page(
        request,
        CAMPAIGN,
        obj=campaign,
        initial=CampaignForm.initial_for(campaign),
        save=lambda f: services.campaign_update(actor=user, campaign_id=pk, version=_version(f), data=f.data_input()),
        done=lambda c: _overview("#campaigns"),
        back=_overview("#campaigns"),
        here=reverse("analytics:campaign_edit", args=[pk]),
    )


@login_required
@capability_required(W)
@require_http_methods(["GET", "HEAD", "POST"])
def grant_new_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return _form_page(
        request,
        GRANT,
        obj=None,
        initial={"awarded_on": _today()},
        save=lambda f: services.grant_create(actor=user, data=f.data_input()),
        done=lambda g: _overview("#grants"),
        back=_overview("#grants"),
        here=reverse("analytics:grant_new"),
    )


@login_required
@capability_required(W)
@require_http_methods(["GET", "HEAD", "POST"])
def grant_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    grant = selectors.grant_get(user, pk)
    return _form_page(
        request,
        GRANT,
        obj=grant,
        initial=GrantForm.initial_for(grant),
        save=lambda f: services.grant_update(actor=user, grant_id=pk, version=_version(f), data=f.data_input()),
        done=lambda g: _overview("#grants"),
        back=_overview("#grants"),
        here=reverse("analytics:grant_edit", args=[pk]),
    )
