"""Forms of the monitoring pages; every message is translated, bad input never becomes a 500."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.monitoring.devices import PROXIMITY_MAX, PROXIMITY_MIN
from qorgau.monitoring.models import AlertOutcome, AlertStatus, ConditionKind, DeviceKind, ZonePlace, ZoneShape
from qorgau.monitoring.zones import POINTS_MAX, RADIUS_MAX, RADIUS_MIN

BIG = 2**31 - 1


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=[("", _("all")), *AlertStatus.choices], required=False)
    kind = forms.ChoiceField(label=_("kind"), choices=[("", _("all")), *ConditionKind.choices], required=False)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=BIG)


class DispatchForm(VersionForm):
    note = forms.CharField(label=_("who was sent, and how"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(VersionForm):
    outcome = forms.ChoiceField(label=_("outcome"), choices=AlertOutcome.choices)
    note = forms.CharField(label=_("note"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))


class DeviceForm(forms.Form):
    serial = forms.CharField(label=_("serial number"), max_length=32)
    kind = forms.ChoiceField(label=_("kind of device"), choices=DeviceKind.choices)
    can_receive = forms.BooleanField(label=_("can receive alerts (her device)"), required=False)
    reports_phone_link = forms.BooleanField(label=_("reports separation from his phone (bracelet)"), required=False)


class AssignForm(forms.Form):
    serial = forms.CharField(label=_("device serial number"), max_length=32)
    ground = forms.ChoiceField(label=_("under"), choices=[])
    proximity_m = forms.IntegerField(label=_("distance he must keep, metres"), min_value=PROXIMITY_MIN, max_value=PROXIMITY_MAX,
                                     initial=500)

    def __init__(self, *args: Any, grounds: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ground"].choices = grounds or []  # type: ignore[attr-defined]


def _parse_points(text: str) -> list[list[float]]:
    """Lines of "lat, lon" → a ring of [lon, lat]."""
    ring = []
    for n, line in enumerate(text.strip().splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace(";", ",").split(",")]
        try:
            lat, lon = (float(p) for p in parts)
        except ValueError:
            raise forms.ValidationError(_("Line %(n)d: write a point as “latitude, longitude”."), params={"n": n}) from None
        ring.append([lon, lat])
    return ring


class ZoneForm(forms.Form):
    place = forms.ChoiceField(label=_("place"), choices=ZonePlace.choices)
    shape = forms.ChoiceField(label=_("shape"), choices=ZoneShape.choices, widget=forms.RadioSelect, initial=ZoneShape.CIRCLE)
    lat = forms.FloatField(label=_("centre latitude"), required=False, min_value=-90, max_value=90)
    lon = forms.FloatField(label=_("centre longitude"), required=False, min_value=-180, max_value=180)
    radius_m = forms.IntegerField(label=_("radius, metres"), required=False, min_value=RADIUS_MIN, max_value=RADIUS_MAX, initial=300)
    points = forms.CharField(label=_("polygon points, one “latitude, longitude” per line"), required=False,
                             max_length=POINTS_MAX * 48, widget=forms.Textarea(attrs={"rows": 5}))
    label = forms.CharField(label=_("note"), required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        shape = data.get("shape")
        if shape == ZoneShape.CIRCLE:
            for name in ("lat", "lon", "radius_m"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("This field is required."))
            data["geometry"] = {"lat": data.get("lat"), "lon": data.get("lon"), "radius_m": data.get("radius_m")}
        elif shape == ZoneShape.POLYGON:
            try:
                data["geometry"] = {"ring": _parse_points(data.get("points") or "")}
            except forms.ValidationError as exc:
                self.add_error("points", exc)
        return data
