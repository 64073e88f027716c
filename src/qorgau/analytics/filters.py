"""The filters of a dashboard view: a period of whole months, a place, urban/rural and one breakdown.

``filters_parse`` turns a query string into ``Filters`` or refuses it with a localised message per
field; ``filters_query`` is its inverse, for links and exports.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from qorgau.analytics.indicators import BREAKDOWNS
from qorgau.core.errors import Invalid
from qorgau.core.models import District, Region

MAX_MONTHS = 120  # ten years
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-01)?$")


@dataclass(frozen=True)
class Filters:
    start: dt.date  # the first day of the first month
    end: dt.date  # the first day of the last month (inclusive)
    region: str = ""  # Region.iso
    district: str = ""  # District.kato
    urban: bool | None = None
    breakdown: str = ""  # "", "form:<code>" or "group:<code>"

    @property
    def months(self) -> int:
        return months_between(self.start, self.end) + 1


def months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def filters_default(today: dt.date) -> Filters:
    """The last twelve complete months."""
    end = add_months(today.replace(day=1), -1)
    return Filters(start=add_months(end, -11), end=end)


def _month(value: str) -> dt.date | None:
    match = _MONTH.match(value.strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 1900 <= year <= 9999):
        return None
    return dt.date(year, month, 1)


def _urban(value: str) -> tuple[bool | None, bool]:
    value = value.strip().lower()
    if value in ("", "all"):
        return None, True
    if value in ("urban", "1", "true"):
        return True, True
    if value in ("rural", "0", "false"):
        return False, True
    return None, False


def filters_parse(data: Mapping[str, str], *, today: dt.date) -> Filters:
    """Filters from a query string (``start``/``end`` as YYYY-MM, ``region``, ``district``, ``urban`` =
    urban|rural, ``breakdown``); missing months fall back to the last twelve complete months."""
    default = filters_default(today)
    errors: dict[str, list[str]] = {}

    def value(key: str) -> str:
        raw = data.get(key, "")
        return raw if isinstance(raw, str) else ""

    start, end = default.start, default.end
    current = today.replace(day=1)
    for key in ("start", "end"):
        text = value(key)
        if not text:
            continue
        month = _month(text)
        if month is None:
            errors[key] = [_("Enter a month as YYYY-MM, for example 2025-03.")]
        elif month > current:
            errors[key] = [_("The period cannot go beyond the current month.")]
        elif key == "start":
            start = month
        else:
            end = month
    # One end given alone: the other follows, twelve months apart at most.
    if value("start") and not value("end") and "start" not in errors and start > end:
        end = min(add_months(start, 11), current)
    if value("end") and not value("start") and "end" not in errors and end < start:
        start = add_months(end, -11)
    if not errors:
        if end < start:
            errors["end"] = [_("The end of the period is before its start.")]
        elif months_between(start, end) + 1 > MAX_MONTHS:
            errors["end"] = [_("The period can be at most ten years (120 months).")]

    region, district = value("region").strip(), value("district").strip()
    if region and not Region.objects.filter(pk=region).exists():
        errors["region"] = [_("Unknown region.")]
    if district:
        found = District.objects.filter(pk=district).values_list("region_id", flat=True).first()
        if found is None:
            errors["district"] = [_("Unknown district.")]
        elif region and found != region:
            errors["district"] = [_("This district is not in the chosen region.")]
        elif not region:
            region = found

    urban, ok = _urban(value("urban"))
    if not ok:
        errors["urban"] = [_("Choose urban, rural or both.")]

    breakdown = value("breakdown").strip()
    if breakdown and breakdown not in BREAKDOWNS:
        errors["breakdown"] = [_("Unknown breakdown.")]
    elif breakdown and district:
        errors["breakdown"] = [
            _(
                "A form of violence or a victim group cannot be shown for a single district: too few people. Choose the region instead."
            )
        ]
    if errors:
        raise Invalid(fields=errors)
    return Filters(start=start, end=end, region=region, district=district, urban=urban, breakdown=breakdown)


def filters_query(f: Filters) -> dict[str, str]:
    """The query string of ``f`` (the inverse of ``filters_parse``); empty values are left out."""
    out = {"start": f"{f.start:%Y-%m}", "end": f"{f.end:%Y-%m}"}
    if f.region:
        out["region"] = f.region
    if f.district:
        out["district"] = f.district
    if f.urban is not None:
        out["urban"] = "urban" if f.urban else "rural"
    if f.breakdown:
        out["breakdown"] = f.breakdown
    return out
