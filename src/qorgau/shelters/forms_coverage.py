"""The filter of the coverage page: a region and a distance in km (10–500)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from qorgau.core.models import Region
from qorgau.shelters.coverage import DEFAULT_KM, MAX_KM, MIN_KM


class CoverageFilter(forms.Form):
    region = forms.ModelChoiceField(label=_("region"), queryset=Region.objects.defer("boundary_geojson"), required=False,
                                    empty_label=_("all regions"))
    km = forms.IntegerField(label=_("distance, km"), min_value=MIN_KM, max_value=MAX_KM, initial=DEFAULT_KM, required=False)
