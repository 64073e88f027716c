"""Forms of the case registry's pages: registering a report, the case page's edits, search, break-glass.

The forms check what a browser can get wrong (types, choices, required fields) and the person rules
of ``people.services.validate_person``, so that one submission shows every mistake at once; the
services stay the authority and their ``Invalid.fields`` are mapped back onto these fields.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db import models
from django.forms.boundfield import BoundField
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.forms import ERRORS as BASE_ERRORS
from qorgau.accounts.models import User
from qorgau.cases.models import Case, CaseState, Channel, Incident, Marker, Relationship
from qorgau.cases.services import CIRCUMSTANCES, FORMS, NARRATIVE_MAX, ReportInput, SafeContactInput, VictimInput
from qorgau.core.languages import LANGUAGE_NAMES
from qorgau.core.models import District, Region
from qorgau.people.models import Sex
from qorgau.people.services import PersonInput, validate_person

ERRORS = {
    **BASE_ERRORS,
    "invalid": _("Enter a valid value."),
    "invalid_list": _("Choose one of the offered values."),
}
DATE_ERRORS = {**ERRORS, "invalid": _("Enter a valid date.")}
DATETIME_ERRORS = {**ERRORS, "invalid": _("Enter a valid date and time.")}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
DATETIME_INPUTS = [DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"]
DATE_INPUTS = ["%Y-%m-%d", "%d.%m.%Y"]

VICTIMS = 4
CHILDREN = 3
# What the offender is to her, and whether the victim is a woman, are asked first: the commonest case.
PERSON_FIELDS = ("full_name", "iin", "iin_unverified_ok", "birth_date", "sex", "phone", "address")
CHILD_FIELDS = ("full_name", "birth_date", "sex")
# A fieldset counts as filled when one of these holds something; defaults (sex, relationship) do not.
FILLED_BY = ("full_name", "iin", "birth_date", "phone", "address")


def _local_now() -> dt.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


EARLIEST_EVENT = dt.date(2000, 1, 1)  # older dates are typing mistakes, not reports
EARLIEST_BIRTH = dt.date(1900, 1, 1)


class EventDateTimeField(forms.DateTimeField):
    def to_python(self, value: Any) -> dt.datetime | None:
        # Checked before the time zone is applied: year 1 in UTC+5 does not exist in UTC.
        if isinstance(value, str) and value.strip()[:4].isdigit() and int(value.strip()[:4]) < EARLIEST_EVENT.year:
            raise forms.ValidationError(_("Check the year: dates before %(year)d are not accepted.") % {"year": EARLIEST_EVENT.year})
        return super().to_python(value)


class BirthDateField(forms.DateField):
    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and value < EARLIEST_BIRTH:
            raise forms.ValidationError(_("Check the year of birth."))


def _datetime_field(label: Any) -> forms.DateTimeField:
    return EventDateTimeField(
        label=label,
        input_formats=DATETIME_INPUTS,
        error_messages=DATETIME_ERRORS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
    )


def _date_field(label: Any) -> forms.DateField:
    return BirthDateField(
        label=label,
        required=False,
        input_formats=DATE_INPUTS,
        error_messages=DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def incident_label(name: str) -> str:
    """The label of one of an incident's yes/no facts (a form of violence or a circumstance)."""
    field = Incident._meta.get_field(name)
    assert isinstance(field, models.Field)
    return capfirst(str(field.verbose_name))


def region_choices() -> list[tuple[str, str]]:
    return sorted(((r.iso, r.name) for r in Region.objects.all()), key=lambda c: c[1])


def district_choices(region_iso: str) -> list[tuple[str, str]]:
    if not region_iso:
        return []
    return sorted(((d.kato, d.name) for d in District.objects.filter(region_id=region_iso)), key=lambda c: c[1])


def marker_choices() -> list[tuple[str, str]]:
    return [(m.code, m.name) for m in Marker.objects.all()]


def clean_iin(value: str) -> str:
    """People type IINs in groups; the digits are what counts."""
    return "".join(ch for ch in value if not ch.isspace() and ch != "-")


@dataclass
class PersonGroup:
    """One person's fieldset as the template renders it."""

    prefix: str
    index: int
    fields: dict[str, BoundField]
    is_open: bool
    errors: list[str] = field(default_factory=list)


class ReportForm(forms.Form):
    """The one registration page: report, incident, up to four victims, the offender, child witnesses."""

    channel = forms.ChoiceField(label=_("Who reported"), choices=Channel.choices, error_messages=ERRORS, widget=forms.RadioSelect)
    received_at = _datetime_field(_("Report received at"))
    occurred_at = _datetime_field(_("When it happened"))
    region = forms.ChoiceField(label=_("Region"), error_messages=ERRORS)
    district = forms.CharField(label=_("District"), required=False, max_length=9, error_messages=ERRORS, widget=forms.Select)
    locality = forms.CharField(label=_("Locality (town, village, street)"), required=False, max_length=120, error_messages=ERRORS)
    urban = forms.ChoiceField(
        label=_("Urban or rural"),
        required=False,
        choices=[("", _("As the district")), ("urban", _("Urban")), ("rural", _("Rural"))],
        error_messages=ERRORS,
        widget=forms.RadioSelect,
    )
    circumstances = forms.MultipleChoiceField(
        label=_("Circumstances"), required=False, error_messages=ERRORS, widget=forms.CheckboxSelectMultiple
    )
    narrative = forms.CharField(
        label=_("What happened"), required=False, max_length=NARRATIVE_MAX, error_messages=ERRORS, widget=forms.Textarea(attrs={"rows": 4})
    )
    restricted = forms.BooleanField(label=_("The offender is a police officer or other staff"), required=False)
    attach_incident = forms.CharField(required=False, max_length=20, error_messages=ERRORS)
    # A new report on a case the user opened: the pair is linked, not typed again (a confirmed link).
    from_case = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput, error_messages=ERRORS)

    def __init__(self, *args: Any, user: User, from_case: Case | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.linked_case = from_case
        f = self.fields
        f["region"].choices = [("", "—"), *region_choices()]  # type: ignore[attr-defined]
        # A field named "forms" cannot be declared in the class body without hiding the module.
        f["forms"] = forms.MultipleChoiceField(
            label=_("Forms of violence"),
            required=False,
            choices=[(name, incident_label(name)) for name in FORMS],
            error_messages=ERRORS,
            widget=forms.CheckboxSelectMultiple,
        )
        f["circumstances"].choices = [(name, incident_label(name)) for name in CIRCUMSTANCES]  # type: ignore[attr-defined]
        markers = marker_choices()
        for i in range(VICTIMS):
            self._add_person(f"victim{i}_")
            f[f"victim{i}_relationship"] = forms.ChoiceField(
                label=_("What the offender is to her"), required=False, choices=[("", "—"), *Relationship.choices], error_messages=ERRORS
            )
            f[f"victim{i}_markers"] = forms.MultipleChoiceField(
                label=_("Vulnerability"), required=False, choices=markers, error_messages=ERRORS, widget=forms.CheckboxSelectMultiple
            )
        self._add_person("offender_")
        for i in range(CHILDREN):
            self._add_person(f"child{i}_", CHILD_FIELDS)
        if from_case is not None and not self.is_bound:
            self.initial["from_case"] = from_case.pk
            self.initial["victim0_relationship"] = from_case.relationship
        if not self.is_bound:
            unit = user.unit
            now = _local_now()
            self.initial.setdefault("received_at", now)
            self.initial.setdefault("occurred_at", now)
            if unit is not None:
                self.initial.setdefault("region", unit.region_id)
                self.initial.setdefault("district", unit.district_id or "")
        region = (self.data.get("region") if self.is_bound else self.initial.get("region")) or ""
        f["district"].widget.choices = [("", _("— not known —")), *district_choices(str(region))]
        f["region"].widget.attrs.update(
            {"hx-get": reverse("cases:districts"), "hx-target": "#id_district", "hx-trigger": "change", "hx-swap": "innerHTML"}
        )

    def _add_person(self, prefix: str, names: tuple[str, ...] = PERSON_FIELDS) -> None:
        f = self.fields
        specs: dict[str, forms.Field] = {
            "full_name": forms.CharField(label=_("Full name"), required=False, max_length=200, error_messages=ERRORS,
                                         widget=forms.TextInput(attrs={"autocomplete": "off"})),
            "iin": forms.CharField(label=_("IIN"), required=False, max_length=20, error_messages=ERRORS,
                                   widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})),
            "iin_unverified_ok": forms.BooleanField(label=_("Keep an IIN that fails the check, marked unverified"), required=False),
            "birth_date": _date_field(_("Birth date")),
            "sex": forms.ChoiceField(label=_("Sex"), required=False, choices=Sex.choices, initial=Sex.UNKNOWN, error_messages=ERRORS,
                                     widget=forms.RadioSelect),
            "phone": forms.CharField(label=_("Phone"), required=False, max_length=40, error_messages=ERRORS,
                                     widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})),
            "address": forms.CharField(label=_("Address"), required=False, max_length=300, error_messages=ERRORS,
                                       widget=forms.TextInput(attrs={"autocomplete": "off"})),
        }
        for name in names:
            f[prefix + name] = specs[name]

    # --- what the user filled in -------------------------------------------------------------------

    def _raw(self, key: str) -> str:
        return str(self.data.get(key, "") or "").strip() if self.is_bound else ""

    def _filled(self, prefix: str) -> bool:
        return any(self._raw(prefix + n) for n in FILLED_BY if prefix + n in self.fields)

    def filled_victims(self) -> list[int]:
        """Form indexes of the victims to register; the first is always asked for."""
        filled = [i for i in range(VICTIMS) if self._filled(f"victim{i}_") or (i == 0 and self.linked_case is not None)]
        return filled or [0]

    def filled_children(self) -> list[int]:
        return [i for i in range(CHILDREN) if self._filled(f"child{i}_")]

    def person_input(self, prefix: str) -> PersonInput:
        c = self.cleaned_data
        return PersonInput(
            full_name=c.get(prefix + "full_name") or "",
            iin=clean_iin(c.get(prefix + "iin") or ""),
            iin_unverified_ok=bool(c.get(prefix + "iin_unverified_ok")),
            birth_date=c.get(prefix + "birth_date"),
            sex=c.get(prefix + "sex") or Sex.UNKNOWN,
            phone=c.get(prefix + "phone") or "",
            address=c.get(prefix + "address") or "",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not (set(cleaned.get("forms") or []) & set(FORMS)) and "forms" not in self.errors:
            self.add_error("forms", gettext("Choose at least one form of violence."))
        people: list[tuple[str, PersonInput]] = []
        linked = self.linked_case is not None
        for i in self.filled_victims():
            prefix = f"victim{i}_"
            if not cleaned.get(prefix + "relationship") and prefix + "relationship" not in self.errors:
                self.add_error(prefix + "relationship", gettext("Choose what the offender is to her."))
            if not (linked and i == 0):
                people.append((prefix, self.person_input(prefix)))
        if not linked:
            people.append(("offender_", self.person_input("offender_")))
        people += [(f"child{i}_", self.person_input(f"child{i}_")) for i in self.filled_children()]
        for prefix, person in people:
            errors, _status = validate_person(person, prefix=prefix)
            for key, messages in errors.items():
                if key not in self.errors:
                    for message in messages:
                        self.add_error(key, message)
        if self.linked_case is not None:
            offender_iin = self.linked_case.offender.iin or ""
        else:
            offender_iin = self.person_input("offender_").iin
        for i in self.filled_victims():
            prefix = f"victim{i}_"
            if offender_iin and self.person_input(prefix).iin == offender_iin and prefix + "iin" not in self.errors:
                self.add_error(prefix + "iin", gettext("The victim and the offender are the same person."))
        return cleaned

    # --- to the service and back ---------------------------------------------------------------------

    def report_input(self, *, attach_incident_id: int | None) -> ReportInput:
        c = self.cleaned_data
        urban = {"urban": True, "rural": False}.get(c.get("urban") or "")
        linked = self.linked_case
        victims = [
            VictimInput(
                relationship=c.get(f"victim{i}_relationship") or "",
                person=None if linked and i == 0 else self.person_input(f"victim{i}_"),
                existing_person_id=linked.victim_id if linked and i == 0 else None,
                markers=list(c.get(f"victim{i}_markers") or []),
            )
            for i in self.filled_victims()
        ]
        return ReportInput(
            channel=c["channel"],
            received_at=c["received_at"],
            occurred_at=c["occurred_at"],
            region_iso=c["region"],
            district_kato=c.get("district") or "",
            locality=c.get("locality") or "",
            urban=urban,
            forms=set(c.get("forms") or []),
            circumstances=set(c.get("circumstances") or []),
            narrative=c.get("narrative") or "",
            victims=victims,
            offender=None if linked else self.person_input("offender_"),
            offender_existing_id=linked.offender_id if linked else None,
            child_witnesses=[self.person_input(f"child{i}_") for i in self.filled_children()],
            attach_incident_id=attach_incident_id,
            restricted=bool(c.get("restricted")),
        )

    def service_key(self, key: str) -> str:
        """A service's field key (victims numbered among the filled ones) as this form's field name."""
        for kind, order in (("victim", self.filled_victims()), ("child", self.filled_children())):
            if key.startswith(kind) and key[len(kind):len(kind) + 1].isdigit():
                position = int(key[len(kind)])
                rest = key[len(kind) + 1:]
                if position < len(order):
                    return f"{kind}{order[position]}{rest}"
        if key in ("victims", "victim0_person"):
            return "victim0_full_name"
        if key == "offender_person":
            return "offender_full_name"
        return key

    def add_service_errors(self, fields: dict[str, list[str]], message: str) -> None:
        if not fields:
            self.add_error(None, message)
        for key, messages in fields.items():
            name = self.service_key(key)
            for m in messages:
                self.add_error(name if name in self.fields else None, m)

    # --- for the template ------------------------------------------------------------------------------

    def _group(self, prefix: str, index: int, names: tuple[str, ...], *, always_open: bool = False) -> PersonGroup:
        fields = {n: self[prefix + n] for n in names}
        has_errors = any(self.errors.get(prefix + n) for n in names)
        return PersonGroup(prefix, index, fields, always_open or has_errors or self._filled(prefix))

    def victim_groups(self) -> list[PersonGroup]:
        names = (*PERSON_FIELDS, "relationship", "markers")
        return [self._group(f"victim{i}_", i + 1, names, always_open=i == 0) for i in range(VICTIMS)]

    def offender_group(self) -> PersonGroup:
        return self._group("offender_", 1, PERSON_FIELDS, always_open=True)

    def child_groups(self) -> list[PersonGroup]:
        return [self._group(f"child{i}_", i + 1, CHILD_FIELDS) for i in range(CHILDREN)]


VERSION_MAX = 2**31 - 1
# The version is a hidden field: if it is wrong, the page itself was tampered with or broken.
_MALFORMED = _("The request was malformed. Go back and try again.")
VERSION_ERRORS = {"required": _MALFORMED, "invalid": _MALFORMED, "min_value": _MALFORMED, "max_value": _MALFORMED}


class VersionedForm(forms.Form):
    version = forms.IntegerField(min_value=1, max_value=VERSION_MAX, error_messages=VERSION_ERRORS, widget=forms.HiddenInput)


class StateForm(VersionedForm):
    to_state = forms.ChoiceField(label=_("New state"), choices=CaseState.choices, error_messages=ERRORS)
    reason = forms.CharField(label=_("Reason"), max_length=2000, error_messages=ERRORS, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, allowed: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if allowed is not None:
            self.fields["to_state"].choices = [(s, CaseState(s).label) for s in allowed]  # type: ignore[attr-defined]


class CorrectForm(VersionedForm):
    relationship = forms.ChoiceField(label=_("What the offender is to her"), choices=Relationship.choices, error_messages=ERRORS)
    markers = forms.MultipleChoiceField(label=_("Vulnerability"), required=False, error_messages=ERRORS, widget=forms.CheckboxSelectMultiple)
    reason = forms.CharField(label=_("Reason for the correction"), max_length=2000, error_messages=ERRORS, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["markers"].choices = marker_choices()  # type: ignore[attr-defined]


class SafeContactForm(forms.Form):
    version = forms.IntegerField(required=False, min_value=1, max_value=VERSION_MAX, error_messages=VERSION_ERRORS, widget=forms.HiddenInput)
    may_call = forms.BooleanField(label=_("She may be called"), required=False)
    call_times = forms.CharField(label=_("When to call"), required=False, max_length=120, error_messages=ERRORS)
    phone = forms.CharField(label=_("Safe number"), required=False, max_length=40, error_messages=ERRORS,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    may_leave_message = forms.BooleanField(label=_("A message may be left"), required=False)
    code_word = forms.CharField(label=_("Code word"), required=False, max_length=80, error_messages=ERRORS,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    language = forms.ChoiceField(
        label=_("Language of messages to her"), required=False, error_messages=ERRORS,
        choices=[("", _("The default")), *LANGUAGE_NAMES.items()],
    )

    def contact_input(self) -> SafeContactInput:
        c = self.cleaned_data
        return SafeContactInput(
            may_call=bool(c.get("may_call")),
            call_times=c.get("call_times") or "",
            phone=c.get("phone") or "",
            may_leave_message=bool(c.get("may_leave_message")),
            code_word=c.get("code_word") or "",
            language=c.get("language") or "",
        )


class SearchForm(forms.Form):
    iin = forms.CharField(label=_("IIN"), required=False, max_length=20, error_messages=ERRORS,
                          widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    full_name = forms.CharField(label=_("Full name"), required=False, max_length=200, error_messages=ERRORS,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    birth_date = _date_field(_("Birth date"))
    number = forms.CharField(label=_("Case number"), required=False, max_length=20, error_messages=ERRORS,
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def clean(self) -> dict[str, Any]:
        c = super().clean() or {}
        c["iin"] = clean_iin(c.get("iin") or "")
        if self.errors:
            return c
        if c["iin"] and (len(c["iin"]) != 12 or not c["iin"].isdigit()):
            self.add_error("iin", gettext("An IIN is exactly 12 digits."))
        elif c.get("full_name") and not c.get("birth_date") and not c["iin"] and not c.get("number"):
            self.add_error("birth_date", gettext("Enter the birth date too: a name alone is not enough."))
        elif not (c["iin"] or c.get("full_name") or c.get("number")):
            self.add_error(None, gettext("Enter an IIN, a full name with a birth date, or a case number."))
        return c


class AddUnitForm(forms.Form):
    """A supervisor shares the case with another unit; oversight names the investigating unit."""

    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int, error_messages=ERRORS)
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=[("full", _("full access")), ("worker", _("working access"))],
        initial="worker",
        error_messages=ERRORS,
        widget=forms.RadioSelect,
    )
    justification = forms.CharField(
        label=_("Why this unit needs the case"), max_length=2000, error_messages=ERRORS, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, case: Case, working: set[int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from qorgau.accounts.models import Unit
        from qorgau.cases.selectors import case_workers

        if working is None:
            working = {g.unit_id for g in case_workers(case)}
        units = Unit.objects.filter(is_active=True).exclude(pk__in=working).select_related("region").order_by("region_id", "name_ru")
        self.fields["unit"].choices = [("", "—"), *((u.pk, f"{u.name} ({u.region.name})") for u in units)]  # type: ignore[attr-defined]


class BreakGlassForm(forms.Form):
    justification = forms.CharField(
        label=_("Why do you need this case now?"), max_length=2000, error_messages=ERRORS, widget=forms.Textarea(attrs={"rows": 3})
    )
