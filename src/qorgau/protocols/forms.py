from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.protocols.services import TEXT_LIMIT


class TaskActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("accept", _("Accept")), ("done", _("Done")), ("decline", _("Decline"))])
    version = forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("What was done, or why you decline"), required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3})
    )
