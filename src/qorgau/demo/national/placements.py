"""Shelter stays in bulk: about a quarter of the high and critical cases whose region has a shelter
with beds, admitted a day or two after the assessment and discharged weeks later. Only stays that
ended before now are generated, so the live bed counts stay those of the small demo's centres."""

from __future__ import annotations

import random
from datetime import timedelta

from qorgau.cases.models import CaseEvent, EventKind
from qorgau.demo.national.cases import Pair
from qorgau.demo.national.context import Context
from qorgau.demo.national.tables import Loader, encrypted, sealed
from qorgau.risk.models import Level
from qorgau.shelters.models import Outcome, Placement

PLACED_SHARE = 0.25
PLACEMENT = (
    "case_id", "centre_id", "pool_id", "admitted_at", "children", "expected_days", "gave_psychologist", "gave_lawyer",
    "gave_medical", "gave_social", "discharged_at", "outcome", "admitted_by_id",
)  # fmt: skip
_EVENT_REASON = encrypted(CaseEvent, "reason")


def placements_tables(loader: Loader) -> None:
    loader.table("placement", Placement, PLACEMENT)


def placements_write(loader: Loader, ctx: Context, pair: Pair, levels: dict[int, Level], rng: random.Random) -> None:
    shelters = [s for s in ctx.shelters if s.region == pair.story.region_iso]
    if not shelters:
        return
    for case in pair.cases:
        if levels.get(case.id) not in (Level.HIGH, Level.CRITICAL) or rng.random() >= PLACED_SHARE or "minor" in case.markers:
            continue
        first = pair.reports[0].plan.registered_at
        admitted = first + timedelta(hours=rng.uniform(20, 72))
        discharged = admitted + timedelta(days=rng.uniform(5, 60))
        if discharged >= ctx.anchor:
            continue
        shelter = rng.choice(shelters)
        children = len(pair.children_ids)
        pool = shelter.pools.get("with_children" if children else "women") or next(iter(shelter.pools.values()))
        outcome = rng.choice([Outcome.INDEPENDENT, Outcome.RELATIVES, Outcome.RELATIVES, Outcome.RETURNED, Outcome.LEFT_EARLY])
        loader.add("placement", (
            case.id, shelter.centre_id, pool, admitted, children, 30, True, rng.random() < 0.5, rng.random() < 0.4,
            rng.random() < 0.7, discharged, outcome.value, shelter.staff_id or pair.registrar.user_id,
        ))  # fmt: skip
        unit = shelter.unit_id
        staff = shelter.staff_id or pair.registrar.user_id
        for at in (admitted, discharged):
            loader.add("event", (case.id, at, EventKind.PLACEMENT, staff, unit, None, "", "", sealed("", _EVENT_REASON)))

