"""Forms of the programme pages; every message is translated, bad input never becomes a 500."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import Unit
from qorgau.core.models import Region
from qorgau.programmes.models import Attendance, EnrolmentStatus, ProgrammeKind
from qorgau.programmes.services import MAX_SESSIONS

LANGUAGE_CHOICES = [("", _("any")), ("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English")), ("other", _("other languages"))]
GROUP_CHOICES = [("migrants", _("migrants")), ("ethnic", _("ethnic communities")), ("disabilities", _("people with disabilities"))]
FLAG_CHOICES = [
    ("lang_kk", _("Kazakh")), ("lang_ru", _("Russian")), ("lang_en", _("English")), ("lang_other", _("other languages")),
    ("serves_migrants", _("migrants")), ("serves_ethnic", _("ethnic communities")), ("serves_disabilities", _("people with disabilities")),
    ("active", _("active")),
]
BIG = 2**31 - 1


class ChooserForm(forms.Form):
    region = forms.ModelChoiceField(label=_("region"), queryset=Region.objects.all(), required=False, empty_label=_("all regions"))
    language = forms.ChoiceField(label=_("language he speaks"), choices=LANGUAGE_CHOICES, required=False)
    groups = forms.MultipleChoiceField(label=_("groups served"), choices=GROUP_CHOICES, required=False, widget=forms.CheckboxSelectMultiple)


class EnrolForm(forms.Form):
    decision = forms.IntegerField(label=_("court decision"), min_value=1, max_value=BIG)
    programme = forms.IntegerField(label=_("programme"), min_value=1, max_value=BIG)
    deadline = forms.DateField(label=_("deadline"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    sessions_required = forms.IntegerField(label=_("sessions required"), min_value=1, max_value=MAX_SESSIONS, required=False)
    allowed_absences = forms.IntegerField(label=_("unexcused absences allowed"), min_value=0, max_value=MAX_SESSIONS, initial=2)
    breach_counts = forms.BooleanField(label=_("the decision says non-compliance is a breach of its order"), required=False)


class SessionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=BIG)
    held_on = forms.DateField(label=_("date of the session"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    attendance = forms.ChoiceField(label=_("attendance"), choices=Attendance.choices)
    note = forms.CharField(label=_("note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


OUTCOME_CHOICES = [(s.value, s.label) for s in (EnrolmentStatus.COMPLETED, EnrolmentStatus.NONCOMPLIANT, EnrolmentStatus.CANCELLED)]


class OutcomeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=BIG)
    outcome = forms.ChoiceField(label=_("outcome"), choices=OUTCOME_CHOICES)
    reason = forms.CharField(label=_("reason"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class ProgrammeForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("provider unit"), queryset=Unit.objects.filter(kind_id__in=("correction_programme", "probation")),
                                  required=False, empty_label=_("my unit"))
    kind = forms.ChoiceField(label=_("kind of programme"), choices=ProgrammeKind.choices)
    name_kk = forms.CharField(label=_("name in Kazakh"), max_length=160)
    name_ru = forms.CharField(label=_("name in Russian"), max_length=160)
    name_en = forms.CharField(label=_("name in English"), max_length=160)
    sessions_required = forms.IntegerField(label=_("sessions required"), min_value=1, max_value=MAX_SESSIONS, initial=12)
    region = forms.ModelChoiceField(label=_("region"), queryset=Region.objects.all(), required=False, empty_label=_("the unit's region"))
    flags = forms.MultipleChoiceField(label=_("languages, groups served, active"), choices=FLAG_CHOICES, required=False,
                                      widget=forms.CheckboxSelectMultiple, initial=["lang_kk", "lang_ru", "active"])
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=BIG, required=False)
