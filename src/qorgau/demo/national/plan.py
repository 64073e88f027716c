"""The national plan: the small demo's planner (``demo.synthetic.Planner``: names, IINs, families,
relationships, places, forms of violence, narratives, repeats, states) stretched over ``years`` and
streamed one pair at a time, so that a million reports never sit in memory at once.

What differs from the small demo: the reports spread over the whole span instead of three years; the
pairs are planned region by region (each region's budget by population, ``synthetic.allocate``); the
demo ``inspector`` holds a few hundred recent pairs in his district; there are no restricted pairs,
no wandering spellings and no reports by the demo clinic, school or centre (the small demo shows
those journeys; at national scale each person is one registry record).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from datetime import timedelta

from qorgau.demo.synthetic import DEMO_DISTRICT, DEMO_REGION, Planner, RegionInfo, StoryPlan, _evening_hour, allocate

REPORTS_PER_YEAR = 100_000
KEY_PREFIX = "national:"
INSPECTOR_RECENT = timedelta(days=120)


def inspector_pairs(total: int) -> int:
    """The demo inspector's recent pairs: a few hundred at national scale, a handful in a small run."""
    return min(300, max(2, total // 300)) if total else 0


class NationalPlanner(Planner):
    def __init__(self, *, seed: int, anchor: dt.datetime, regions: list[RegionInfo], years: float) -> None:
        super().__init__(seed=seed, anchor=anchor, regions=regions)
        self.span = timedelta(days=round(365 * years))

    def dates(self, n: int, *, recent: timedelta | None = None, newest: timedelta | None = None) -> list[tuple[dt.datetime, dt.datetime, dt.datetime, bool]]:
        """As ``Planner.dates``, over the national span instead of the small demo's three years."""
        rng = self.rng
        gaps: list[tuple[timedelta, bool]] = []
        for k in range(1, n):
            if k == 1 and rng.random() < 0.35:
                gaps.append((timedelta(hours=rng.uniform(1.5, 30)), True))
            else:
                gaps.append((timedelta(days=rng.uniform(5, 40) if recent else rng.uniform(7, 200)), False))
        span = sum((g for g, _ in gaps), timedelta())
        latest = self.anchor - timedelta(hours=2)
        window = max((recent or self.span) - span - timedelta(hours=2), timedelta())
        first = latest - span - window * rng.random()
        evening = first.replace(hour=_evening_hour(rng), minute=rng.randrange(60))
        first = evening if evening + span <= latest else evening - timedelta(days=1)
        out: list[tuple[dt.datetime, dt.datetime, dt.datetime, bool]] = []
        received = first
        for k in range(n):
            attach = bool(k) and gaps[k - 1][1]
            if k:
                received = received + gaps[k - 1][0]
            attach_next = k + 1 < n and gaps[k][1]
            if attach:
                occurred = out[-1][2]
            elif attach_next or rng.random() < 0.85:
                occurred = received - timedelta(minutes=rng.uniform(12, 600))
            else:
                occurred = received - timedelta(days=rng.uniform(1, 6))
            registered = received + timedelta(minutes=rng.uniform(3, 45))
            out.append((received, registered, occurred, attach))
        return out

    def stories(self, total: int) -> Iterator[StoryPlan]:
        """The pairs of ``total`` reports, region by region; the inspector's first."""
        budgets = allocate(total, self.region_list)
        own = inspector_pairs(total)
        index = 0
        for region in sorted(self.region_list, key=lambda r: r.iso != DEMO_REGION):
            left = budgets[region.iso]
            while left > 0:
                if own > 0 and region.iso == DEMO_REGION:
                    own -= 1
                    n = min(self.repeats(often=True), left)
                    story = self.story(index, region.iso, "inspector", n, district_kato=DEMO_DISTRICT, recent=INSPECTOR_RECENT)
                else:
                    n = min(self.repeats(), left)
                    story = self.story(index, region.iso, region.iso, n)
                for k, rp in enumerate(story.reports):
                    rp.key = f"{KEY_PREFIX}{self.seed}:{index}:{k}"
                yield story
                index += 1
                left -= n
