"""Forms of the watch pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.watch.services import NOTE_MAX


class AlertReviewForm(forms.Form):
    note = forms.CharField(label=_("What you checked and what you found"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ReviewCompleteForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    unit = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
