"""Forms of the support pages; every message is translated, bad input never becomes a 500."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import Unit
from qorgau.core.models import Region
from qorgau.support.models import PROVIDER_KINDS, ConsentWay, DeclinedBy, SupportKind, SupportOutcome, SupportStatus

LANGUAGE_CHOICES = [("", _("any")), ("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English")), ("other", _("other languages"))]
GROUP_CHOICES = [("migrants", _("migrants")), ("ethnic", _("ethnic communities")), ("disabilities", _("women with disabilities"))]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_INT = 2**31 - 1


class ProgrammeFilter(forms.Form):
    kind = forms.ChoiceField(label=_("kind of support"), choices=[("", _("any")), *SupportKind.choices], required=False)
    region = forms.ModelChoiceField(label=_("region"), queryset=Region.objects.all(), required=False, empty_label=_("all regions"))
    language = forms.ChoiceField(label=_("language she speaks"), choices=LANGUAGE_CHOICES, required=False)
    groups = forms.MultipleChoiceField(label=_("groups she belongs to"), choices=GROUP_CHOICES, required=False,
                                       widget=forms.CheckboxSelectMultiple)


class ReferralForm(forms.Form):
    programme = forms.IntegerField(label=_("programme"), min_value=1, max_value=MAX_INT)
    consent_how = forms.ChoiceField(label=_("how she gave her consent"), choices=[("", "—"), *ConsentWay.choices], required=False)
    identity = forms.BooleanField(label=_("she agrees to share her identity"), required=False, initial=True)
    contact = forms.BooleanField(label=_("she agrees to share her contact details"), required=False)
    requested_on = forms.DateField(label=_("requested on"), required=False, widget=DATE)
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class MoveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_INT)
    to = forms.ChoiceField(label=_("next step"), choices=SupportStatus.choices)
    on = forms.DateField(label=_("date"), required=False, widget=DATE)
    outcome = forms.ChoiceField(label=_("outcome"), choices=[("", "—"), *SupportOutcome.choices], required=False)
    declined_by = forms.ChoiceField(label=_("declined by"), choices=[("", "—"), *DeclinedBy.choices], required=False)
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ProgrammeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_INT, required=False)
    unit = forms.ModelChoiceField(label=_("provider unit"), required=False, empty_label=_("my unit"),
                                  queryset=Unit.objects.filter(kind_id__in=PROVIDER_KINDS, is_active=True).order_by("region_id", "name_ru"))
    kind = forms.ChoiceField(label=_("kind of support"), choices=SupportKind.choices)
    name_kk = forms.CharField(label=_("name in Kazakh"), max_length=200)
    name_ru = forms.CharField(label=_("name in Russian"), max_length=200)
    name_en = forms.CharField(label=_("name in English"), max_length=200)
    region = forms.ModelChoiceField(label=_("region"), queryset=Region.objects.all(), required=False, empty_label=_("the unit's region"))
    lang_kk = forms.BooleanField(label=_("Kazakh"), required=False)
    lang_ru = forms.BooleanField(label=_("Russian"), required=False)
    lang_en = forms.BooleanField(label=_("English"), required=False)
    lang_other = forms.BooleanField(label=_("other languages"), required=False)
    serves_migrants = forms.BooleanField(label=_("migrants"), required=False)
    serves_ethnic = forms.BooleanField(label=_("ethnic communities"), required=False)
    serves_disabilities = forms.BooleanField(label=_("women with disabilities"), required=False)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)


class FiguresFilter(forms.Form):
    region = forms.ModelChoiceField(label=_("region"), queryset=Region.objects.all(), required=False, empty_label=_("all regions"))
    since = forms.DateField(label=_("requested from"), required=False, widget=DATE)
    until = forms.DateField(label=_("requested until"), required=False, widget=DATE)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end of the period cannot be before its start."))
        return data
