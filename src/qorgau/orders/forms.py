"""Forms of the orders' pages. They check what a browser can get wrong; the services stay the
authority and their ``Invalid.fields`` are mapped back onto these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.cases.forms import (
    DATE_ERRORS,
    DATE_INPUTS,
    DATETIME_ERRORS,
    DATETIME_FORMAT,
    DATETIME_INPUTS,
    ERRORS,
    EventDateTimeField,
)
from qorgau.orders.models import BANS, BreachSource, DecisionKind, Order, OrderKind
from qorgau.orders.services import OrderInput

TEXT_MAX = 4000


def _when(label: Any, *, required: bool = True) -> forms.DateTimeField:
    return EventDateTimeField(
        label=label, required=required, input_formats=DATETIME_INPUTS, error_messages=DATETIME_ERRORS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


def _text(label: Any, *, required: bool = True, rows: int = 3, max_length: int = TEXT_MAX) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=max_length, error_messages=ERRORS, widget=forms.Textarea(attrs={"rows": rows}))


class OrderForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of order"), widget=forms.RadioSelect, error_messages=ERRORS)
    protected = forms.TypedMultipleChoiceField(
        label=_("Whom the order protects"), coerce=int, widget=forms.CheckboxSelectMultiple, error_messages=ERRORS,
    )
    starts_at = _when(_("In force from"))
    ends_at = _when(_("In force until (empty: the law's default)"), required=False)
    ban_contact = forms.BooleanField(label=_("No contact with the protected persons"), required=False)
    ban_seeking = forms.BooleanField(label=_("No seeking out, following or approaching them"), required=False)
    ban_weapons = forms.BooleanField(label=_("No owning or carrying weapons"), required=False)
    ban_alcohol = forms.BooleanField(label=_("No alcohol"), required=False)
    ban_drugs = forms.BooleanField(label=_("No drugs or other intoxicating substances"), required=False)
    ban_cohabitation = forms.BooleanField(label=_("No living together with the victim (exceptional; court only)"), required=False)
    reporting_per_month = forms.TypedChoiceField(
        label=_("Reporting to the police, times a month (special requirements)"), coerce=int, required=False,
        choices=[(0, "—"), (1, "1"), (2, "2"), (3, "3"), (4, "4")], error_messages=ERRORS,
    )
    court_reference = forms.CharField(label=_("Court decision reference"), required=False, max_length=60, error_messages=ERRORS)

    def __init__(self, *args: Any, kinds: list[OrderKind], people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.value, k.label) for k in kinds]  # type: ignore[attr-defined]
        self.fields["protected"].choices = people  # type: ignore[attr-defined]
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0].value

    def order_input(self) -> OrderInput:
        c = self.cleaned_data
        return OrderInput(
            kind=c["kind"], protected_ids=list(c["protected"]), starts_at=c["starts_at"], ends_at=c.get("ends_at"),
            reporting_per_month=c.get("reporting_per_month") or 0, court_reference=c.get("court_reference", ""),
            **{b: bool(c.get(b)) for b in BANS},
        )

    def ban_fields(self) -> list[Any]:
        return [self[b] for b in BANS]


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1, error_messages=ERRORS)


class ServeForm(VersionedForm):
    served_at = _when(_("Served on him at (empty: now)"), required=False)


class ExtendForm(VersionedForm):
    ends_at = _when(_("New end"))
    reason = _text(_("Reason for the extension"))


class RevokeForm(VersionedForm):
    reason = _text(_("Reason for revoking the order"))


class BreachForm(forms.Form):
    occurred_at = _when(_("When it happened"))
    source = forms.ChoiceField(label=_("How it became known"), choices=BreachSource.choices, initial=BreachSource.POLICE, error_messages=ERRORS)
    what = _text(_("What happened"))
    evidence = _text(_("Evidence (statements, photos, monitoring records)"), required=False, rows=2)


class CheckInForm(forms.Form):
    checkin = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1, error_messages=ERRORS)


class CourtDecisionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Decision"), choices=DecisionKind.choices, error_messages=ERRORS)
    decided_on = forms.DateField(
        label=_("Decided on"), input_formats=DATE_INPUTS, error_messages=DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reference = forms.CharField(label=_("Reference number"), max_length=60, error_messages=ERRORS)
    article = forms.CharField(label=_("Article"), max_length=60, required=False, error_messages=ERRORS)
    sentence = _text(_("Sentence or measures"), required=False)
    order = forms.TypedChoiceField(label=_("Order it concerns"), coerce=int, required=False, empty_value=None, error_messages=ERRORS)

    def __init__(self, *args: Any, orders: list[Order], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["order"].choices = [("", "—"), *((o.pk, f"{o.number} · {o.get_kind_display()}") for o in orders)]  # type: ignore[attr-defined]
