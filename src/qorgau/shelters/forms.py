"""Forms of the shelter pages; every message is translated, bad input never becomes a 500."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.core.models import Region
from qorgau.shelters.models import BedKind, Outcome
from qorgau.shelters.services import MAX_CHILDREN, SERVICES

SERVICE_CHOICES = [("psychologist", _("psychologist")), ("lawyer", _("lawyer")), ("medical", _("medical care")), ("social", _("social support"))]
assert [c for c, _label in SERVICE_CHOICES] == list(SERVICES)
LANGUAGE_CHOICES = [("", _("any")), ("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English")), ("other", _("other languages"))]

GROUP_CHOICES = [("migrants", _("migrants")), ("ethnic", _("ethnic communities")), ("disabilities", _("women with disabilities"))]


def _groups_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=_("groups she belongs to"), choices=GROUP_CHOICES, required=False,
                                     widget=forms.CheckboxSelectMultiple)


class RegistryFilter(forms.Form):
    region = forms.ModelChoiceField(label=_("region"), queryset=Region.objects.all(), required=False, empty_label=_("all regions"))
    kind = forms.ChoiceField(label=_("kind of bed"), choices=[("", _("any")), *BedKind.choices], required=False)
    free = forms.BooleanField(label=_("only with free beds"), required=False)
    groups = _groups_field()


class StepForm(forms.Form):
    pool = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    version = forms.IntegerField(min_value=1, max_value=2**31 - 1)
    step = forms.TypedChoiceField(choices=[("1", "+"), ("-1", "−")], coerce=int)


class FindForm(forms.Form):
    children = forms.IntegerField(label=_("children with her"), min_value=0, max_value=MAX_CHILDREN, required=False, initial=0)
    disability = forms.BooleanField(label=_("she needs an accessible bed"), required=False)
    language = forms.ChoiceField(label=_("language she speaks"), choices=LANGUAGE_CHOICES, required=False)
    groups = _groups_field()


class HoldForm(FindForm):
    centre = forms.IntegerField(min_value=1, max_value=2**31 - 1)


class AdmitForm(forms.Form):
    children = forms.IntegerField(label=_("children with her"), min_value=0, max_value=MAX_CHILDREN, initial=0)
    expected_days = forms.IntegerField(label=_("expected length of stay, days"), min_value=1, max_value=365, initial=30)
    services = forms.MultipleChoiceField(label=_("services given"), choices=SERVICE_CHOICES, required=False,
                                         widget=forms.CheckboxSelectMultiple)


class DischargeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    discharged_at = forms.DateTimeField(label=_("discharged at"), required=False,
                                        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    outcome = forms.ChoiceField(label=_("outcome"), choices=Outcome.choices)
    services = forms.MultipleChoiceField(label=_("services given"), choices=SERVICE_CHOICES, required=False,
                                         widget=forms.CheckboxSelectMultiple)
