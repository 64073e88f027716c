"""Reads for routing unrouted tasks by hand: where each task's case is (region and district, as the
engine routes: the latest incident, else the holding unit) and which units of the duty's agency kind
could take it, nearest first.

The page built from these names no person: a task's title, agency kind, region and dates only.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import CharField, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from qorgau.accounts.models import AgencyKind, Unit
from qorgau.cases.models import Incident
from qorgau.core.models import Region
from qorgau.protocols.models import Task
from qorgau.protocols.selectors import tasks_unrouted

PAGE_LIMIT = 50  # one by one only the oldest; the bulk form above routes the rest


def with_place(tasks: QuerySet[Task]) -> QuerySet[Task]:
    """Annotate ``place_region`` and ``place_district``: the case's latest incident's, else its holding unit's."""
    latest = Incident.objects.filter(cases=OuterRef("case")).order_by("-occurred_at", "-id")
    return tasks.annotate(
        place_region=Coalesce(Subquery(latest.values("region_id")[:1]), F("case__holding_unit__region_id"), output_field=CharField()),
        place_district=Coalesce(Subquery(latest.values("district_id")[:1]), F("case__holding_unit__district_id"), output_field=CharField()),
    )


def _distance_km(a: Region, b: Region) -> float:
    """Great-circle distance between two regions' centres."""
    la1, lo1, la2, lo2 = map(math.radians, (a.centre_lat, a.centre_lon, b.centre_lat, b.centre_lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def units_nearest(kind: str, region: Region | None, district: str | None, units: list[Unit] | None = None) -> list[Unit]:
    """Active units of ``kind``: the case's district first, then its region, then by the distance
    between regions' centres (then by id)."""
    candidates = units if units is not None else list(Unit.objects.filter(kind_id=kind, is_active=True).select_related("region"))

    def order(u: Unit) -> tuple[int, float, int]:
        if region is None:
            return (2, 0.0, u.pk)
        if u.region_id == region.pk:
            return (0 if district and u.district_id == district else 1, 0.0, u.pk)
        return (2, _distance_km(region, u.region), u.pk)

    return sorted((u for u in candidates if u.kind_id == kind), key=order)


@dataclass
class UnroutedRow:
    task: Task
    region: Region | None
    units: list[Unit]  # of the duty's agency kind, nearest first: the first is the suggestion

    @property
    def suggested(self) -> Unit | None:
        return self.units[0] if self.units else None


@dataclass
class UnroutedGroup:
    kind: AgencyKind
    region: Region
    count: int
    units: list[Unit]  # of the kind, nearest to the region first


@dataclass
class Unrouted:
    rows: list[UnroutedRow] = field(default_factory=list)
    total: int = 0
    # For the bulk form: the (agency kind, region) pairs that have unrouted tasks.
    groups: list[UnroutedGroup] = field(default_factory=list)


def unrouted_overview(limit: int = PAGE_LIMIT) -> Unrouted:
    """The oldest unrouted tasks with their candidate units, and the counts by kind and region."""
    regions = {r.pk: r for r in Region.objects.all()}
    tasks = with_place(tasks_unrouted().filter(duty__isnull=False))
    units_by_kind: dict[str, list[Unit]] = defaultdict(list)
    for u in Unit.objects.filter(is_active=True).select_related("region", "kind").order_by("id"):
        units_by_kind[u.kind_id].append(u)
    out = Unrouted(total=tasks_unrouted().count())
    for task in tasks[:limit]:
        assert task.duty is not None
        kind = task.duty.agency_kind_id
        region = regions.get(task.place_region)  # type: ignore[attr-defined]
        out.rows.append(UnroutedRow(task, region, units_nearest(kind, region, task.place_district, units_by_kind[kind])))  # type: ignore[attr-defined]
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for kind, region in tasks.values_list("duty__agency_kind_id", "place_region"):  # type: ignore[misc]
        counts[(kind, region)] += 1
    kinds = {k.pk: k for k in AgencyKind.objects.all()}
    out.groups = [
        UnroutedGroup(kinds[k], regions[r], n, units_nearest(k, regions[r], None, units_by_kind[k]))
        for (k, r), n in sorted(counts.items()) if r in regions
    ]
    return out
