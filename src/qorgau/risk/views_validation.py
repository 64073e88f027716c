"""The validation report's pages (administrators): choose a version and a period, read how well the
instrument predicted re-victimisation, and turn the proposed weights into a new DRAFT version. Nothing
here changes how risk is assessed: only publishing a version does (``risk:instrument_version``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from qorgau.accounts.access import capability_required
from qorgau.accounts.forms import ERRORS
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.core import clock
from qorgau.core.errors import Invalid
from qorgau.risk.forms import version_label
from qorgau.risk.instruments import version_draft_reweighted
from qorgau.risk.models import InstrumentVersion
from qorgau.risk.validation import ValidationReport, validation_report, validation_versions

DEFAULT_ZONE = "Asia/Almaty"
DATE_FORMATS = ["%Y-%m-%d", "%d.%m.%Y"]
DATE_ERRORS = {**ERRORS, "invalid": _("Enter a date as YYYY-MM-DD, for example 2025-01-31.")}
WEIGHT_ERRORS = {
    **ERRORS,
    "invalid": _("Enter a whole number from 0 to 20."),
    "min_value": _("Enter a whole number from 0 to 20."),
    "max_value": _("Enter a whole number from 0 to 20."),
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _zone(user: User) -> str:
    return user.unit.timezone if user.unit is not None and user.unit.timezone else DEFAULT_ZONE


def _today(user: User) -> dt.date:
    return clock.now().astimezone(ZoneInfo(_zone(user))).date()


def _two_years_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 2)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 2, day=28)


def _date_field(label: Any, *, hidden: bool = False) -> forms.DateField:
    widget = forms.HiddenInput() if hidden else forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    return forms.DateField(label=label, input_formats=DATE_FORMATS, error_messages=DATE_ERRORS, widget=widget)


class PeriodForm(forms.Form):
    """Which version, which period: the versions offered are those with signed assessments."""

    version = forms.TypedChoiceField(label=_("Instrument version"), coerce=int, error_messages=ERRORS)
    date_from = _date_field(_("Signed from"))
    date_to = _date_field(_("Signed to"))

    def __init__(self, *args: Any, versions: list[InstrumentVersion], hidden: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.versions = {v.pk: v for v in versions}
        field = cast(forms.TypedChoiceField, self.fields["version"])
        field.choices = [(v.pk, f"{version_label(v)} ({v.get_status_display()})") for v in versions]
        if hidden:
            field.widget = forms.HiddenInput()
            self.fields["date_from"] = _date_field(_("Signed from"), hidden=True)
            self.fields["date_to"] = _date_field(_("Signed to"), hidden=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period must not be before its start."))
        return data

    @property
    def chosen(self) -> InstrumentVersion:
        return self.versions[self.cleaned_data["version"]]


class WeightsForm(forms.Form):
    """The proposed weights, one whole number per item, as the administrator leaves or edits them."""

    def __init__(self, *args: Any, version: InstrumentVersion | None, proposed: dict[str, int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for item in version.items.order_by("position") if version is not None else []:
            self.fields[f"weight_{item.code}"] = forms.IntegerField(
                label=item.question, min_value=0, max_value=20, error_messages=WEIGHT_ERRORS, initial=(proposed or {}).get(item.code, item.weight),
                widget=forms.NumberInput(attrs={"min": 0, "max": 20, "step": 1, "class": "narrow-number"}),
            )

    @property
    def weights(self) -> dict[str, int]:
        return {name.removeprefix("weight_"): value for name, value in self.cleaned_data.items() if name.startswith("weight_")}


def _page(request: HttpRequest, form: PeriodForm, *, weights: WeightsForm | None = None, status: int = 200) -> HttpResponse:
    report: ValidationReport | None = None
    if form.is_valid():
        report = validation_report(
            version=form.chosen, date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"], zone=_zone(_user(request))
        )
        if weights is None:
            weights = WeightsForm(version=form.chosen, proposed=report.proposal.weights if report.proposal else None)
    rows = []
    if report is not None and report.proposal is not None and weights is not None:
        rows = [{"item": item, "field": weights[f"weight_{item.code}"]} for item in report.proposal.items if f"weight_{item.code}" in weights.fields]
    context = {
        "form": form,
        "report": report,
        "weights": weights,
        "proposal_rows": rows,
        "has_versions": bool(form.versions),
        "draft_form": PeriodForm(initial=form.cleaned_data, versions=list(form.versions.values()), hidden=True) if report else None,
    }
    return render(request, "risk/validation.html", context, status=status)


@login_required
@capability_required(Capability.MANAGE_REFERENCE)
@require_GET
def validation_view(request: HttpRequest) -> HttpResponse:
    versions = validation_versions()
    today = _today(_user(request))
    defaults = {"version": str(versions[0].pk) if versions else "", "date_from": _two_years_before(today).isoformat(), "date_to": today.isoformat()}
    data = {name: request.GET.get(name, default) for name, default in defaults.items()}
    form = PeriodForm(data if versions else None, versions=versions, initial=defaults)
    return _page(request, form)


@login_required
@capability_required(Capability.MANAGE_REFERENCE)
@require_POST
def validation_draft_view(request: HttpRequest) -> HttpResponse:
    """A new DRAFT version of the instrument with the weights posted; the published one is untouched."""
    versions = validation_versions()
    form = PeriodForm(request.POST, versions=versions)
    raw = request.POST.get("version", "")
    chosen = form.versions.get(int(raw)) if raw.isdigit() else None
    weights = WeightsForm(request.POST, version=chosen)
    if form.is_valid() and weights.is_valid():
        try:
            draft = version_draft_reweighted(actor=_user(request), version=form.chosen, weights=weights.weights)
        except Invalid as exc:
            for errors in exc.fields.values():
                for e in errors:
                    weights.add_error(None, e)
        else:
            messages.success(request, gettext(
                "Draft version %(number)s of “%(instrument)s” is created with these weights. It changes nothing until an "
                "administrator publishes it."
            ) % {"number": draft.number, "instrument": draft.instrument.name})
            return redirect("risk:instrument_version", version_id=draft.pk)
    return _page(request, form, weights=weights if chosen is not None else None, status=422)
