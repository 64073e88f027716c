"""The filter form of the dashboard, the map and the exports (one set of GET parameters for all three).

The form draws the widgets and carries the errors; the rules themselves are ``filters_parse``'s
(period, region, district, urban/rural, breakdown, coarsening), so the page, the export and the API
refuse the same filters with the same messages. The form adds only what is the page's own choice:
the indicators shown as table columns (``show``) and the one drawn on the bar chart and the map
(``indicator``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.forms import ERRORS
from qorgau.analytics.filters import Filters, filters_default, filters_parse, filters_query
from qorgau.analytics.indicators import FORMS, GROUPS, INDICATORS
from qorgau.core.errors import Invalid
from qorgau.core.form_errors import invalid_onto_form
from qorgau.core.models import District, Region

# The table's columns when nothing is chosen: the note's key figures and the repeat rate.
DEFAULT_SHOW = ["reports", "orders", "court_decisions", "criminal_cases", "deaths", "grave_harm", "repeat_rate"]
DEFAULT_INDICATOR = "reports"
# The time series drawn on the dashboard.
HEADLINE = ["reports", "orders", "criminal_cases", "court_decisions"]
# The key-figure cards (the analytical note's key numbers).
KEY_FIGURES = ["reports", "orders", "court_decisions", "criminal_cases", "deaths", "grave_harm"]
FILTER_KEYS = ("start", "end", "region", "district", "urban", "breakdown")
MAX_SHOW = 12


class MonthInput(forms.TextInput):
    input_type = "month"


def _indicator_choices() -> list[tuple[str, str]]:
    return [(code, str(i.label)) for code, i in INDICATORS.items()]


class DashboardForm(forms.Form):
    start = forms.CharField(label=_("from (month)"), required=False, max_length=7, widget=MonthInput)
    end = forms.CharField(label=_("to (month)"), required=False, max_length=7, widget=MonthInput)
    region = forms.CharField(label=_("region"), required=False, max_length=8, widget=forms.Select)
    district = forms.CharField(label=_("district"), required=False, max_length=9, widget=forms.Select)
    urban = forms.CharField(label=_("settlement"), required=False, max_length=5, widget=forms.Select)
    breakdown = forms.CharField(label=_("breakdown"), required=False, max_length=40, widget=forms.Select)
    # Our own wording: Django's echoes the value typed, which may be in any language.
    indicator = forms.ChoiceField(label=_("indicator for the chart and the map"), required=False, error_messages=ERRORS)
    show = forms.MultipleChoiceField(
        label=_("columns of the table"), required=False, widget=forms.CheckboxSelectMultiple, error_messages=ERRORS
    )

    def __init__(self, data: QueryDict, **kwargs: object) -> None:
        super().__init__(data, **kwargs)  # type: ignore[arg-type]
        regions = Region.objects.defer("boundary_geojson")
        self.fields["region"].widget.choices = [("", _("all regions")), *((r.iso, r.name) for r in regions)]
        region = (data.get("region") or "")[:8]
        districts = (
            District.objects.filter(region_id=region).defer("boundary_geojson") if region else District.objects.none()
        )
        self.fields["district"].widget.choices = [("", _("all districts")), *((d.kato, d.name) for d in districts)]
        self.fields["urban"].widget.choices = [
            ("", _("urban and rural")),
            ("urban", _("urban only")),
            ("rural", _("rural only")),
        ]
        self.fields["breakdown"].widget.choices = [
            ("", _("no breakdown")),
            (_("Form of violence"), [(f"form:{c}", label) for c, label in FORMS]),
            (_("Victim group"), [(f"group:{c}", label) for c, label in GROUPS]),
        ]
        choices = _indicator_choices()
        self.fields["indicator"].choices = choices  # type: ignore[attr-defined]
        self.fields["show"].choices = choices  # type: ignore[attr-defined]
        self.has_region = bool(region)

    def clean_show(self) -> list[str]:
        chosen: list[str] = self.cleaned_data.get("show") or []
        if len(chosen) > MAX_SHOW:
            raise forms.ValidationError(_("Choose at most %(n)d columns.") % {"n": MAX_SHOW})
        return chosen


@dataclass(frozen=True)
class Choice:
    """What the page shows: the filters, the table's columns and the indicator of the chart and map."""

    filters: Filters
    show: list[str]
    indicator: str

    @property
    def codes(self) -> list[str]:
        """Every indicator the page needs, once each, in display order."""
        wanted = {*self.show, self.indicator, *HEADLINE, *KEY_FIGURES}
        return [code for code in INDICATORS if code in wanted]

    def query(self) -> dict[str, str | list[str]]:
        """The GET parameters of this choice (links to the map, the dashboard and the exports)."""
        return {**filters_query(self.filters), "indicator": self.indicator, "show": list(self.show)}


def _defaults(today: dt.date) -> QueryDict:
    q = QueryDict(mutable=True)
    for key, value in filters_query(filters_default(today)).items():
        q[key] = value
    q["indicator"] = DEFAULT_INDICATOR
    q.setlist("show", DEFAULT_SHOW)
    return q


def dashboard_form(params: QueryDict, *, today: dt.date) -> tuple[DashboardForm, Choice | None]:
    """The bound form and, when every filter is valid, the choice it describes (``None`` with errors on the form)."""
    data = params if any(k in params for k in (*FILTER_KEYS, "indicator", "show")) else _defaults(today)
    form = DashboardForm(data)
    ok = form.is_valid()
    try:
        filters = filters_parse(_filter_data(data), today=today)
    except Invalid as exc:
        invalid_onto_form(form, exc)
        return form, None
    if not ok:
        return form, None
    show = form.cleaned_data.get("show") or list(DEFAULT_SHOW)
    return form, Choice(filters=filters, show=show, indicator=form.cleaned_data.get("indicator") or DEFAULT_INDICATOR)


def _filter_data(data: QueryDict | Mapping[str, str]) -> dict[str, str]:
    return {k: str(data.get(k) or "") for k in FILTER_KEYS if k in data}
