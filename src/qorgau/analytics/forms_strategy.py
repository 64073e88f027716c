"""Forms of the strategy pages. They check the shape of the input (a number, a date, a choice); the
services check the rest, with the same messages the API gives."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.analytics import services_strategy as services
from qorgau.analytics.indicators import INDICATORS
from qorgau.analytics.models import Campaign, CampaignChannel, Financing, NgoGrant, StrategyArea, StrategyMeasure
from qorgau.core.models import Region

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_INT = 2**31 - 1
_SPACES = re.compile(r"[\s\u00a0\u202f']")


def parse_money(raw: str) -> Decimal | None:
    """Tenge as people type them in any of the three languages: "1 500 000", "1 500 000,50", "1,500,000.50".

    Spaces and apostrophes group thousands. With both a comma and a dot, the last one is the decimal
    separator; a single comma or dot followed by one or two digits is one; otherwise it groups thousands.
    """
    text = _SPACES.sub("", raw or "")
    if not text:
        return None
    if "," in text and "." in text:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal_sep == "," else ",", "").replace(decimal_sep, ".")
    else:
        for sep in (",", "."):
            if sep in text:
                head, _sep, tail = text.rpartition(sep)
                text = (
                    f"{head.replace(sep, '')}.{tail}"
                    if text.count(sep) == 1 and len(tail) <= 2
                    else text.replace(sep, "")
                )
    if not re.fullmatch(r"-?\d{1,20}(\.\d{1,6})?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern already excludes it
        return None


class MoneyField(forms.Field):
    """An amount in tenge typed as people type it (see ``parse_money``)."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": "40"})

    def to_python(self, value: Any) -> Decimal | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        parsed = parse_money(text) if len(text) <= 40 else None
        if parsed is None:
            raise forms.ValidationError(_("Give an amount in tenge, for example 1 500 000."), code="invalid")
        return parsed


def money_initial(value: Decimal) -> str:
    """A stored amount as the form shows it: no ".00", no grouping, so it reads back unchanged."""
    return f"{value:f}".removesuffix(".00")


def _region_field(label: Any, empty: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label, queryset=Region.objects.order_by("iso"), required=False, empty_label=empty
    )


def _measure_field(label: Any) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=StrategyMeasure.objects.order_by("area", "code"),
        required=False,
        empty_label=_("not tied to a measure"),
    )


class _Versioned(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_INT, required=False)


class MeasureForm(_Versioned):
    code = forms.CharField(
        label=_("code"), max_length=32, help_text=_("A short identifier: Latin letters, digits and hyphens.")
    )
    area = forms.ChoiceField(label=_("area"), choices=StrategyArea.choices)
    name_kk = forms.CharField(label=_("name in Kazakh"), max_length=200)
    name_ru = forms.CharField(label=_("name in Russian"), max_length=200)
    name_en = forms.CharField(label=_("name in English"), max_length=200)
    indicator = forms.ChoiceField(label=_("outcome indicator"), choices=[])
    baseline = forms.FloatField(
        label=_("baseline"),
        required=False,
        min_value=0,
        localize=True,
        help_text=_("In the indicator's unit: the rate per 100,000 people when it has one."),
    )
    target = forms.FloatField(label=_("target"), required=False, min_value=0, localize=True)
    target_year = forms.IntegerField(
        label=_("target year"), required=False, min_value=services.YEAR_MIN, max_value=services.YEAR_MAX
    )
    responsible = forms.CharField(label=_("responsible body"), max_length=200, required=False)
    starts_on = forms.DateField(label=_("starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("ends on"), required=False, widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["indicator"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, ind.label) for code, ind in INDICATORS.items()]

    def data_input(self) -> services.MeasureInput:
        d = self.cleaned_data
        return services.MeasureInput(
            code=d["code"],
            area=d["area"],
            indicator=d["indicator"],
            name_kk=d["name_kk"],
            name_ru=d["name_ru"],
            name_en=d["name_en"],
            starts_on=d["starts_on"],
            ends_on=d.get("ends_on"),
            baseline=d.get("baseline"),
            target=d.get("target"),
            target_year=d.get("target_year"),
            responsible=d.get("responsible") or "",
        )

    @staticmethod
    def initial_for(m: StrategyMeasure) -> dict[str, Any]:
        names = (
            "code",
            "area",
            "name_kk",
            "name_ru",
            "name_en",
            "indicator",
            "baseline",
            "target",
            "target_year",
            "responsible",
            "starts_on",
            "ends_on",
            "version",
        )
        return {n: getattr(m, n) for n in names}


class FinancingForm(_Versioned):
    year = forms.IntegerField(label=_("year"), min_value=services.YEAR_MIN, max_value=services.YEAR_MAX)
    region = _region_field(_("region"), _("national (not allocated to a region)"))
    budget = MoneyField(label=_("budget, tenge"))
    spent = MoneyField(label=_("spent, tenge"), required=False)
    source = forms.CharField(label=_("source of funds"), max_length=200, required=False)

    def data_input(self) -> services.FinancingInput:
        d = self.cleaned_data
        return services.FinancingInput(
            year=d["year"],
            budget=d["budget"],
            spent=d.get("spent") or Decimal(0),
            region=d["region"].pk if d.get("region") else "",
            source=d.get("source") or "",
        )

    @staticmethod
    def initial_for(f: Financing) -> dict[str, Any]:
        return {
            "year": f.year,
            "region": f.region_id,
            "budget": money_initial(f.budget),
            "spent": money_initial(f.spent),
            "source": f.source,
            "version": f.version,
        }


class CampaignForm(_Versioned):
    title = forms.CharField(label=_("title"), max_length=200)
    channel = forms.ChoiceField(label=_("channel"), choices=CampaignChannel.choices)
    measure = _measure_field(_("measure"))
    region = _region_field(_("region"), _("the whole country"))
    started_on = forms.DateField(label=_("started on"), widget=DATE)
    ended_on = forms.DateField(label=_("ended on"), required=False, widget=DATE)
    reach = forms.IntegerField(label=_("people reached"), min_value=0, max_value=MAX_INT, initial=0)
    cost = MoneyField(label=_("cost, tenge"), required=False)

    def data_input(self) -> services.CampaignInput:
        d = self.cleaned_data
        return services.CampaignInput(
            title=d["title"],
            channel=d["channel"],
            started_on=d["started_on"],
            ended_on=d.get("ended_on"),
            reach=d["reach"],
            cost=d.get("cost") or Decimal(0),
            region=d["region"].pk if d.get("region") else "",
            measure_id=d["measure"].pk if d.get("measure") else None,
        )

    @staticmethod
    def initial_for(c: Campaign) -> dict[str, Any]:
        return {
            "title": c.title,
            "channel": c.channel,
            "measure": c.measure_id,
            "region": c.region_id,
            "started_on": c.started_on,
            "ended_on": c.ended_on,
            "reach": c.reach,
            "cost": money_initial(c.cost),
            "version": c.version,
        }


class GrantForm(_Versioned):
    grantee = forms.CharField(label=_("organisation"), max_length=200)
    purpose = forms.CharField(label=_("purpose"), max_length=300)
    measure = _measure_field(_("measure"))
    region = _region_field(_("region"), _("the whole country"))
    amount = MoneyField(label=_("amount, tenge"))
    awarded_on = forms.DateField(label=_("awarded on"), widget=DATE)
    ends_on = forms.DateField(label=_("ends on"), required=False, widget=DATE)

    def data_input(self) -> services.GrantInput:
        d = self.cleaned_data
        return services.GrantInput(
            grantee=d["grantee"],
            purpose=d["purpose"],
            amount=d["amount"],
            awarded_on=d["awarded_on"],
            ends_on=d.get("ends_on"),
            region=d["region"].pk if d.get("region") else "",
            measure_id=d["measure"].pk if d.get("measure") else None,
        )

    @staticmethod
    def initial_for(g: NgoGrant) -> dict[str, Any]:
        return {
            "grantee": g.grantee,
            "purpose": g.purpose,
            "measure": g.measure_id,
            "region": g.region_id,
            "amount": money_initial(g.amount),
            "awarded_on": g.awarded_on,
            "ends_on": g.ends_on,
            "version": g.version,
        }


class OverviewFilter(forms.Form):
    """The overview's year of financing and the outcome shown beside regional money."""

    year = forms.IntegerField(label=_("year"), required=False, min_value=services.YEAR_MIN, max_value=services.YEAR_MAX)
    indicator = forms.ChoiceField(label=_("outcome beside the money"), required=False, choices=[])

    def __init__(self, *args: Any, choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["indicator"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices
