"""The live indicators, read from small tables at the time of the view (not from the monthly tallies):
shelter beds and their occupancy (shelters), and staff training coverage (training).

Beds are counted for the active crisis centres with shelter beds; occupied = placed and not
discharged, or held by a live bed hold (the shelters app's own definition, ``pools_with_use``).
Training coverage: active staff of a unit holding a current (not revoked, not expired) certificate of
at least one course, as in the training app's coverage page. A centre or a member of staff counts in
the region and district of their unit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef

from qorgau.accounts.models import User
from qorgau.shelters.models import Centre
from qorgau.shelters.selectors import pools_with_use
from qorgau.training.models import Completion


@dataclass
class LiveCounts:
    """Counts keyed by region ISO (``by="region"``) or district KATO, "" for a unit without one."""

    beds: dict[str, int] = field(default_factory=dict)
    occupied: dict[str, int] = field(default_factory=dict)
    staff: dict[str, int] = field(default_factory=dict)
    trained: dict[str, int] = field(default_factory=dict)


def _add(table: dict[str, int], key: str, n: int) -> None:
    table[key] = table.get(key, 0) + n


def live_counts(*, by: str, region: str = "", today: dt.date) -> LiveCounts:
    """Beds, occupied beds, staff and trained staff per region, or per district of ``region``."""
    out = LiveCounts()
    centres = Centre.objects.filter(unit__is_active=True, shelter=True).select_related("unit")
    if region:
        centres = centres.filter(unit__region_id=region)
    listed = list(centres)
    units = {c.pk: c.unit for c in listed}
    for centre_id, pools in pools_with_use(listed).items():
        unit = units[centre_id]
        key = unit.region_id if by == "region" else (unit.district_id or "")
        _add(out.beds, key, sum(p.capacity for p in pools))
        _add(out.occupied, key, sum(min(p.occupied, p.capacity) for p in pools))  # type: ignore[attr-defined]
    current = Completion.objects.filter(
        user=OuterRef("pk"), revoked_at__isnull=True, completed_on__lte=today, expires_on__gte=today
    )
    staff = User.objects.filter(is_active=True, unit__isnull=False, unit__is_active=True)
    if region:
        staff = staff.filter(unit__region_id=region)
    column = "unit__region_id" if by == "region" else "unit__district_id"
    for row in staff.values(column).annotate(n=Count("pk"), t=Count("pk", filter=Exists(current))).order_by():
        _add(out.staff, row[column] or "", row["n"])
        _add(out.trained, row[column] or "", row["t"])
    return out
