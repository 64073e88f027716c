"""Forms of risk assessment: the questionnaire (built from an instrument version's items), the choice of
instrument, a supervisor's change of level, a measure applied."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.forms import ERRORS
from qorgau.risk.models import Answer, InstrumentVersion, Item, Level, Measure, MeasureStatus
from qorgau.risk.prefill import source_label

ANSWER_ERRORS = {**ERRORS, "invalid_choice": _("Choose yes, no or not known.")}


def version_label(version: InstrumentVersion) -> str:
    return gettext("%(name)s, version %(n)s") % {"name": version.instrument.name, "n": version.number}


class ChooseInstrumentForm(forms.Form):
    version = forms.TypedChoiceField(label=_("Instrument"), coerce=int, widget=forms.RadioSelect, error_messages=ERRORS)

    def __init__(self, *args: Any, versions: list[InstrumentVersion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: forms.TypedChoiceField = self.fields["version"]  # type: ignore[assignment]
        field.choices = [(v.pk, version_label(v)) for v in versions]
        if versions:
            self.fields["version"].initial = versions[0].pk


class AssessmentForm(forms.Form):
    """One radio group per item (``item_<code>``), then the level and its reason for signing."""

    row_version = forms.IntegerField(widget=forms.HiddenInput, error_messages=ERRORS)
    final_level = forms.ChoiceField(
        label=_("Final level"), required=False, error_messages=ERRORS,
        choices=[("", _("As computed")), *Level.choices],
    )
    level_reason = forms.CharField(
        label=_("Why the level differs from the computed one"), required=False, max_length=2000, error_messages=ERRORS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, items: list[Item], prefill: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        self.prefill = prefill
        for item in items:
            self.fields[f"item_{item.code}"] = forms.ChoiceField(
                label=item.question, help_text=item.help, required=False, choices=Answer.choices,
                widget=forms.RadioSelect, error_messages=ANSWER_ERRORS,
            )

    def answers(self) -> dict[str, str]:
        """What was ticked, raw: the service refuses values outside the item's answers."""
        out = {}
        for item in self.items:
            value = self.data.get(f"item_{item.code}", "")
            if value:
                out[item.code] = value
        return out

    def rows(self) -> list[dict[str, Any]]:
        """Items grouped by section, each with its field and what the registry proposed."""
        sections: list[dict[str, Any]] = []
        for item in self.items:
            if not sections or sections[-1]["section"].pk != item.section_id:
                sections.append({"section": item.section, "items": []})
            proposed = self.prefill.get(item.code, "")
            sections[-1]["items"].append({
                "item": item,
                "field": self[f"item_{item.code}"],
                "prefilled": proposed,
                "prefilled_label": Answer(proposed).label if proposed else "",
                "source": source_label(item.prefill) if proposed else "",
            })
        return sections


class LevelChangeForm(forms.Form):
    to_level = forms.ChoiceField(label=_("New level"), choices=Level.choices, error_messages=ERRORS)
    reason = forms.CharField(label=_("Reason"), max_length=2000, error_messages=ERRORS, widget=forms.Textarea(attrs={"rows": 3}))


class MeasureForm(forms.Form):
    measure = forms.ChoiceField(choices=Measure.choices, widget=forms.HiddenInput, error_messages=ERRORS)
    status = forms.ChoiceField(label=_("Outcome"), choices=MeasureStatus.choices, widget=forms.RadioSelect, error_messages=ERRORS)
    note = forms.CharField(label=_("Note (why not, or what was done)"), required=False, max_length=2000, error_messages=ERRORS)
