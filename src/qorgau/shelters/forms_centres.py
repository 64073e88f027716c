"""Forms of registering and editing a centre. The address field is write-only for whoever may not read
it: it starts empty and a blank value keeps the stored address."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import Unit
from qorgau.shelters.centres import FLAGS, registrable_units
from qorgau.shelters.models import BedKind, Centre, Ownership
from qorgau.shelters.services import MAX_BEDS

PHONE = RegexValidator(r"^[0-9+()\- ]{3,32}$", _("A phone number holds digits, spaces, +, brackets and dashes only."))
WRITE_ONLY_HELP = _("Write-only for you: the stored address is never shown to you. Leave it empty to keep it; type a new one to replace it.")


class CentreForm(forms.Form):
    ownership = forms.ChoiceField(label=_("ownership"), choices=Ownership.choices)
    shelter = forms.BooleanField(label=_("shelter beds"), required=False)
    psychologist = forms.BooleanField(label=_("psychologist"), required=False)
    lawyer = forms.BooleanField(label=_("lawyer"), required=False)
    accepts_children = forms.BooleanField(label=_("children accepted"), required=False)
    disability_access = forms.BooleanField(label=_("disability access"), required=False)
    lang_kk = forms.BooleanField(label=_("Kazakh"), required=False)
    lang_ru = forms.BooleanField(label=_("Russian"), required=False)
    lang_en = forms.BooleanField(label=_("English"), required=False)
    lang_other = forms.BooleanField(label=_("other languages"), required=False)
    serves_migrants = forms.BooleanField(label=_("migrants"), required=False)
    serves_ethnic = forms.BooleanField(label=_("ethnic communities"), required=False)
    serves_disabilities = forms.BooleanField(label=_("women with disabilities"), required=False)
    opening_hours = forms.CharField(label=_("opening hours"), max_length=120, required=False)
    phone = forms.CharField(label=_("public contact phone"), max_length=32, required=False, validators=[PHONE])
    locality = forms.CharField(label=_("city or district"), max_length=120, required=False,
                               help_text=_("Public. Leave empty to show the unit's district."))
    address = forms.CharField(label=_("street address"), max_length=300, required=False,
                              help_text=_("Secret: seen only by the centre's own staff and placement coordinators."))

    SERVICES = ("shelter", "psychologist", "lawyer", "accepts_children", "disability_access")
    LANGUAGES = ("lang_kk", "lang_ru", "lang_en", "lang_other")
    GROUPS = ("serves_migrants", "serves_ethnic", "serves_disabilities")

    def __init__(self, *args: Any, address_readable: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.address_readable = address_readable
        if not address_readable:
            self.fields["address"].help_text = WRITE_ONLY_HELP
            self.fields["address"].widget.attrs["autocomplete"] = "off"

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(str(_("Services")), [self[n] for n in self.SERVICES]), (str(_("Languages")), [self[n] for n in self.LANGUAGES]),
                (str(_("Groups served")), [self[n] for n in self.GROUPS])]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        out: dict[str, Any] = {name: bool(data.get(name)) for name in FLAGS}
        out.update(ownership=data["ownership"], opening_hours=data.get("opening_hours") or "", phone=data.get("phone") or "",
                   locality=data.get("locality") or "")
        address = (data.get("address") or "").strip()
        # Readable: the field holds the stored address and is saved as typed (empty clears it).
        # Write-only: empty keeps the stored address.
        out["address"] = address if (address or self.address_readable) else None
        return out

    @staticmethod
    def initial_for(centre: Centre, *, address_readable: bool) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(centre, name) for name in (*FLAGS, "ownership", "opening_hours", "phone", "locality")}
        initial["address"] = centre.address if address_readable else ""
        initial["version"] = centre.version
        return initial


class CentreEditForm(CentreForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class CentreRegisterForm(CentreForm):
    unit = forms.ModelChoiceField(label=_("unit"), queryset=Unit.objects.none(), empty_label=None,
                                  help_text=_("A crisis centre or family support centre that is not in the registry yet."))
    beds_women = forms.IntegerField(label=BedKind.WOMEN.label, min_value=0, max_value=MAX_BEDS, initial=0)
    beds_with_children = forms.IntegerField(label=BedKind.WITH_CHILDREN.label, min_value=0, max_value=MAX_BEDS, initial=0)
    beds_accessible = forms.IntegerField(label=BedKind.ACCESSIBLE.label, min_value=0, max_value=MAX_BEDS, initial=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        unit_field.queryset = Unit.objects.filter(pk__in=[u.pk for u in registrable_units()]).order_by("region_id", "name_ru")

    def beds(self) -> dict[str, int]:
        return {kind: self.cleaned_data.get(f"beds_{kind}") or 0 for kind in BedKind.values}
