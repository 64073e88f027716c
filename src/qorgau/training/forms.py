from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import User
from qorgau.training.models import Course
from qorgau.training.services import CERTIFICATE_MAX


class CompletionForm(forms.Form):
    user = forms.TypedChoiceField(label=_("Staff member"), coerce=int, error_messages={
        "required": _("Choose the staff member."), "invalid_choice": _("Choose one of the listed staff members."),
    })
    course = forms.ChoiceField(label=_("Course"), error_messages={
        "required": _("Choose the course."), "invalid_choice": _("Choose one of the listed courses."),
    })
    completed_on = forms.DateField(label=_("Completed on"), widget=forms.DateInput(attrs={"type": "date"}), error_messages={
        "required": _("Enter the completion date."), "invalid": _("Enter a date, for example 2026-03-01."),
    })
    expires_on = forms.DateField(
        label=_("Expires on (leave empty to use the course's validity)"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}), error_messages={"invalid": _("Enter a date, for example 2026-03-01.")},
    )
    certificate_number = forms.CharField(label=_("Certificate number"), required=False, max_length=CERTIFICATE_MAX, error_messages={
        "max_length": _("The certificate number is too long (at most 64 characters)."),
    })

    def __init__(self, *args: object, staff: list[User], courses: list[Course], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["user"].choices = [(u.pk, u.full_name or u.username) for u in staff]  # type: ignore[attr-defined]
        self.fields["course"].choices = [(c.pk, c.name) for c in courses]  # type: ignore[attr-defined]


class RevokeForm(forms.Form):
    completion = forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Why the completion is revoked"), max_length=1000, error_messages={
        "required": _("Write the reason (at least 10 characters)."),
    })
