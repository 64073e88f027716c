from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.protocols.models import ConsentHow
from qorgau.protocols.services import TEXT_LIMIT


class TaskActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("accept", _("Accept")), ("done", _("Done")), ("decline", _("Decline"))])
    version = forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("What was done, or why you decline"), required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3})
    )


class ConsentForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)
    purpose = forms.CharField(
        label=_("What she agreed to (purpose of the referral)"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write what she agreed to: the purpose of the referral.")},
    )
    how = forms.ChoiceField(
        label=_("How she gave her consent"), choices=ConsentHow.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Say how she gave her consent: in person, by phone or in writing.")},
    )
    identity = forms.BooleanField(label=_("Her name and identity may be shared"), required=False)
    contact = forms.BooleanField(label=_("Her phone and contacts may be shared"), required=False)
    whereabouts = forms.BooleanField(label=_("Her address and whereabouts may be shared"), required=False)
    narrative = forms.BooleanField(label=_("What happened (the narrative) may be shared"), required=False)


class OverrideForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why the referral goes ahead without her consent"), required=False, max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 3}))


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("What she said (reason for withdrawing)"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": _("Write a few words: this field is required.")})
