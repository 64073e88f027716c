"""The safety plan's form: what a browser can get wrong; ``safety_plan_save`` stays the authority and
its ``Invalid.fields`` are mapped back onto these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.forms import ERRORS as BASE_ERRORS
from qorgau.cases.forms import VERSION_ERRORS, VERSION_MAX
from qorgau.risk.safety_plan import (
    DOCUMENTS,
    LANGUAGE_LABELS,
    LANGUAGES,
    TEXT_MAX,
    TEXTS,
    SafetyPlanInput,
    document_label,
    text_label,
)

ERRORS = {
    **BASE_ERRORS,
    "invalid": _("Enter a valid value."),
    "invalid_list": _("Choose one of the offered values."),
    "null_characters_not_allowed": _("The text contains characters that are not allowed."),
}


class PlanText(forms.CharField):
    """Free text whose line breaks count once, as the browser counted them (it sends CRLF)."""

    def __init__(self, rows: int = 4) -> None:
        super().__init__(required=False, max_length=TEXT_MAX, error_messages=ERRORS,
                         widget=forms.Textarea(attrs={"rows": rows, "autocomplete": "off"}))

    def to_python(self, value: Any) -> str:
        text = super().to_python(value) or ""
        return text.replace("\r\n", "\n").replace("\r", "\n")


class SafetyPlanForm(forms.Form):
    version = forms.IntegerField(required=False, min_value=1, max_value=VERSION_MAX, error_messages=VERSION_ERRORS, widget=forms.HiddenInput)
    language = forms.ChoiceField(label=_("Her language (the plan is printed in it)"), choices=[(c, LANGUAGE_LABELS[c]) for c in LANGUAGES],
                                 error_messages=ERRORS, widget=forms.RadioSelect)
    steps = PlanText(rows=6)
    contacts = PlanText()
    safe_places = PlanText()
    children = PlanText()
    documents = forms.MultipleChoiceField(label=_("What she keeps ready"), required=False, error_messages=ERRORS,
                                          choices=[(c, c) for c in DOCUMENTS], widget=forms.CheckboxSelectMultiple)
    documents_other = PlanText(rows=3)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels in the language of the request that renders the form, not of the process that imported it.
        self.fields["documents"].choices = [(c, document_label(c)) for c in DOCUMENTS]  # type: ignore[attr-defined]
        for name in TEXTS:
            self.fields[name].label = text_label(name)

    def plan_input(self) -> SafetyPlanInput:
        c = self.cleaned_data
        return SafetyPlanInput(
            language=c.get("language") or "",
            steps=c.get("steps") or "",
            contacts=c.get("contacts") or "",
            safe_places=c.get("safe_places") or "",
            children=c.get("children") or "",
            documents_other=c.get("documents_other") or "",
            documents=set(c.get("documents") or []),
        )
