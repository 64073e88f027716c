"""Forms of the privacy pages; every message is translated, bad input never becomes a 500."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.people.models import Sex
from qorgau.privacy.models import ExportLanguage, LegalBasis, RequestKind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_INT = 2**31 - 1


class RequestForm(forms.Form):
    reference = forms.CharField(label=_("request reference number"), max_length=60)
    received_on = forms.DateField(label=_("received on"), widget=DATE)
    legal_basis = forms.ChoiceField(label=_("legal basis"), choices=LegalBasis.choices)
    kind = forms.ChoiceField(label=_("what is asked"), choices=RequestKind.choices)
    language = forms.ChoiceField(label=_("language of the answer"), choices=ExportLanguage.choices)
    identity_checked = forms.BooleanField(label=_("I checked the requester's identity document"), required=False)
    notes = forms.CharField(label=_("notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class SearchForm(forms.Form):
    iin = forms.CharField(label=_("IIN"), required=False, max_length=20)
    case_number = forms.CharField(label=_("or a case number"), required=False, max_length=20)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not (data.get("iin") or "").strip() and not (data.get("case_number") or "").strip():
            self.add_error("iin", _("Enter an IIN or a case number."))
        return data


class AttachForm(SearchForm):
    person = forms.IntegerField(min_value=1, max_value=MAX_INT)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_INT)


class CorrectionForm(forms.Form):
    full_name = forms.CharField(label=_("full name"), max_length=200)
    iin = forms.CharField(label=_("IIN"), required=False, max_length=20)
    iin_unverified_ok = forms.BooleanField(label=_("keep an IIN that fails the check, as unverified"), required=False)
    birth_date = forms.DateField(label=_("birth date"), required=False, widget=DATE)
    sex = forms.ChoiceField(label=_("sex"), choices=Sex.choices)
    phone = forms.CharField(label=_("phone"), required=False, max_length=40)
    address = forms.CharField(label=_("address"), required=False, max_length=300)
    workplace = forms.CharField(label=_("workplace"), required=False, max_length=200)
    reason = forms.CharField(label=_("reason for the correction"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_INT)
