"""Forms of the intake pages; every message is translated, bad input never becomes a 500."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import Unit
from qorgau.core.models import District, Region
from qorgau.intake.models import AgeBand, ConsentHow, RecordOutcome
from qorgau.intake.services import RecordInput
from qorgau.shelters.forms import SERVICE_CHOICES
from qorgau.shelters.models import BedKind
from qorgau.shelters.services import MAX_CHILDREN

FORM_CHOICES = [("physical", _("physical")), ("psychological", _("psychological")), ("economic", _("economic")),
                ("sexual", _("sexual"))]
SHARE_CHOICES = [
    ("identity", _("identity: alias, name, IIN, year of birth")),
    ("contact", _("contact: phone")),
    ("whereabouts", _("whereabouts: region, district, the city of a shelter stay")),
    ("narrative", _("what happened: forms of violence and her account")),
]
_DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RecordForm(forms.Form):
    alias = forms.CharField(label=_("alias (blank: fully anonymous)"), max_length=200, required=False)
    full_name = forms.CharField(label=_("real name, only if she gives it"), max_length=200, required=False)
    iin = forms.CharField(label=_("IIN, only if she gives it"), max_length=12, required=False)
    phone = forms.CharField(label=_("phone"), max_length=32, required=False)
    birth_year = forms.IntegerField(label=_("year of birth"), min_value=1900, max_value=2100, required=False)
    age_band = forms.ChoiceField(label=_("age band"), choices=[("", "—"), *AgeBand.choices], required=False)
    region = forms.ModelChoiceField(label=_("region"), queryset=Region.objects.all())
    district = forms.ModelChoiceField(label=_("district"), queryset=District.objects.all(), required=False)
    children = forms.IntegerField(label=_("children with her"), min_value=0, max_value=MAX_CHILDREN, initial=0)
    forms_of_violence = forms.MultipleChoiceField(label=_("forms of violence"), choices=FORM_CHOICES, required=False,
                                                  widget=forms.CheckboxSelectMultiple)
    narrative = forms.CharField(label=_("what happened"), max_length=8000, required=False, widget=forms.Textarea(attrs={"rows": 5}))
    services = forms.MultipleChoiceField(label=_("services given"), choices=SERVICE_CHOICES, required=False,
                                         widget=forms.CheckboxSelectMultiple)
    taken_in_at = forms.DateTimeField(label=_("taken in at (blank: now)"), required=False, widget=_DT)

    def to_input(self) -> RecordInput:
        d = self.cleaned_data
        return RecordInput(
            region=d["region"].pk, district=d["district"].pk if d.get("district") else None, alias=d.get("alias") or "",
            full_name=d.get("full_name") or "", iin=d.get("iin") or "", phone=d.get("phone") or "", birth_year=d.get("birth_year"),
            age_band=d.get("age_band") or "", children=d.get("children") or 0, forms=frozenset(d.get("forms_of_violence") or ()),
            narrative=d.get("narrative") or "", services=frozenset(d.get("services") or ()), taken_in_at=d.get("taken_in_at"),
            closed_at=d.get("closed_at"), outcome=d.get("outcome") or "",
        )


class EditForm(RecordForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    closed_at = forms.DateTimeField(label=_("closed at"), required=False, widget=_DT)
    outcome = forms.ChoiceField(label=_("outcome"), choices=[("", "—"), *RecordOutcome.choices], required=False)

    @staticmethod
    def initial_for(record: Any) -> dict[str, Any]:
        return {
            "version": record.version, "alias": record.alias, "full_name": record.full_name, "iin": record.iin, "phone": record.phone,
            "birth_year": record.birth_year, "age_band": record.age_band, "region": record.region_id, "district": record.district_id,
            "children": record.children, "forms_of_violence": record.forms, "narrative": record.narrative, "services": record.services,
            "taken_in_at": record.taken_in_at, "closed_at": record.closed_at, "outcome": record.outcome,
        }


class ShareForm(forms.Form):
    to_unit = forms.ModelChoiceField(label=_("share with the unit"), queryset=Unit.objects.filter(is_active=True).select_related("kind"))
    purpose = forms.CharField(label=_("purpose she agreed to"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    how = forms.ChoiceField(label=_("how she gave her consent"), choices=ConsentHow.choices)
    shares = forms.MultipleChoiceField(label=_("what she agreed to share"), choices=SHARE_CHOICES, required=False,
                                       widget=forms.CheckboxSelectMultiple)


class AdmitForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind of bed"), choices=BedKind.choices)
    expected_days = forms.IntegerField(label=_("expected length of stay, days"), min_value=1, max_value=365, initial=30)


class WithdrawForm(forms.Form):
    share = forms.IntegerField(min_value=1, max_value=2**31 - 1)
