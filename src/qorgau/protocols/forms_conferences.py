"""Forms of the conference pages. They check what a browser can get wrong; the services in
``protocols.conferences`` stay the authority and their ``Invalid.fields`` are mapped back here."""

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
from qorgau.protocols.conferences import (
    DETAILS_LIMIT,
    MINUTES_LIMIT,
    PLACE_LIMIT,
    REASON_LIMIT,
    TEXT_LIMIT,
    DecisionInput,
)
from qorgau.protocols.models_conferences import ConferenceReason

DECISION_ROWS = 3


def _version() -> forms.IntegerField:
    return forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput, error_messages=ERRORS)


class ProposeForm(forms.Form):
    reasons = forms.MultipleChoiceField(
        label=_("Why the case needs a conference"), choices=ConferenceReason.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={**ERRORS, "required": _("Choose at least one reason for the conference.")},
    )


class ScheduleForm(forms.Form):
    version = _version()
    when = EventDateTimeField(
        label=_("Date and time"), input_formats=DATETIME_INPUTS,
        error_messages={**DATETIME_ERRORS, "required": _("Give the date and time of the conference.")},
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )
    place = forms.CharField(label=_("Place (meeting room)"), max_length=PLACE_LIMIT,
                            error_messages={**ERRORS, "required": _("Say where the conference meets.")})
    invited = forms.TypedMultipleChoiceField(
        label=_("Agencies invited"), coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={**ERRORS, "required": _("Invite at least one other agency.")},
    )

    def __init__(self, *args: Any, units: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["invited"].choices = units  # type: ignore[attr-defined]


class RecordForm(forms.Form):
    """Attendance, the minutes and up to three decisions (text, owner unit, deadline)."""

    version = _version()
    attended = forms.TypedMultipleChoiceField(
        label=_("Units that attended"), coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={**ERRORS, "required": _("Mark the units that attended.")},
    )
    minutes = forms.CharField(
        label=_("Minutes"), max_length=MINUTES_LIMIT, widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={**ERRORS, "required": _("Write the minutes: what was discussed and agreed.")},
    )

    def __init__(self, *args: Any, attendees: list[tuple[int, str]], owners: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = attendees  # type: ignore[attr-defined]
        for n in range(DECISION_ROWS):
            self.fields[f"d{n}_text"] = forms.CharField(label=_("Action decided"), required=False, max_length=TEXT_LIMIT, error_messages=ERRORS)
            self.fields[f"d{n}_owner"] = forms.TypedChoiceField(
                label=_("Unit responsible"), required=False, coerce=int, empty_value=None,
                choices=[("", "—"), *owners], error_messages=ERRORS,
            )
            self.fields[f"d{n}_due_on"] = forms.DateField(
                label=_("Deadline"), required=False, input_formats=DATE_INPUTS, error_messages=DATE_ERRORS,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
            self.fields[f"d{n}_details"] = forms.CharField(label=_("Details for the unit"), required=False, max_length=DETAILS_LIMIT,
                                                           error_messages=ERRORS, widget=forms.Textarea(attrs={"rows": 2}))

    def rows(self) -> list[dict[str, Any]]:
        """The decision rows' bound fields, for the template."""
        return [{name: self[f"d{n}_{name}"] for name in ("text", "owner", "due_on", "details")} for n in range(DECISION_ROWS)]

    def decisions(self) -> tuple[list[DecisionInput], list[int]]:
        """The filled rows as service input, and the form row of each (for mapping errors back)."""
        out, rows = [], []
        for n in range(DECISION_ROWS):
            c = self.cleaned_data
            text, owner, due, details = c.get(f"d{n}_text", ""), c.get(f"d{n}_owner"), c.get(f"d{n}_due_on"), c.get(f"d{n}_details", "")
            if not (text or owner or due or details):
                continue
            out.append(DecisionInput(text=text, owner_id=owner or 0, due_on=due, details=details))
            rows.append(n)
        return out, rows


class DismissForm(forms.Form):
    version = _version()
    reason = forms.CharField(label=_("Why no conference is needed"), max_length=REASON_LIMIT, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={**ERRORS, "required": _("Say why the conference is not needed.")})
