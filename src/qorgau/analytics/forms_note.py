"""The form of the analytical note: the period (whole months) and the language of the PDF.

The period's rules are ``filters_parse``'s (a month as YYYY-MM, not beyond the current month, the end
not before the start, at most ten years), so the note refuses a period with the dashboard's messages.
The note is national: no place or breakdown filter.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.analytics.filters import Filters, filters_default, filters_parse
from qorgau.core.errors import Invalid
from qorgau.core.form_errors import invalid_onto_form
from qorgau.core.languages import LANGUAGE_NAMES

LANGS = ("kk", "ru", "en")


class MonthInput(forms.TextInput):
    input_type = "month"


class NoteForm(forms.Form):
    start = forms.CharField(label=_("from (month)"), max_length=7, widget=MonthInput(attrs={"placeholder": "2025-01"}))
    end = forms.CharField(label=_("to (month)"), max_length=7, widget=MonthInput(attrs={"placeholder": "2025-12"}))
    lang = forms.ChoiceField(label=_("language of the note"), choices=[(code, LANGUAGE_NAMES[code]) for code in LANGS])

    def filters(self, *, today: dt.date) -> Filters | None:
        """The period as ``Filters`` (errors put on the form and ``None`` when it is refused)."""
        if not self.is_valid():
            return None
        try:
            return filters_parse({"start": self.cleaned_data["start"], "end": self.cleaned_data["end"]}, today=today)
        except Invalid as exc:
            invalid_onto_form(self, exc)
            return None


def note_initial(*, today: dt.date, lang: str) -> dict[str, str]:
    """The last twelve complete months, in the reader's language."""
    f = filters_default(today)
    return {"start": f"{f.start:%Y-%m}", "end": f"{f.end:%Y-%m}", "lang": lang if lang in LANGS else "ru"}
