"""The detectors' thresholds: settings ``QORGAU_WATCH_*`` with these defaults (docs/watch.md)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

DEFAULTS: dict[str, int | float] = {
    # (a) distinct cases read by one user in a day: alert above max(MIN, FACTOR × the unit's median
    # of distinct cases per user and day over the last BASELINE_DAYS days).
    "QORGAU_WATCH_CASES_MIN": 30,
    "QORGAU_WATCH_CASES_FACTOR": 3.0,
    "QORGAU_WATCH_BASELINE_DAYS": 30,
    # (b) break-glass uses by one user in 7 days: alert at this many or more.
    "QORGAU_WATCH_BREAK_GLASS": 3,
    # (c) exports by one user in a day: alert at this many or more, or one export of at least ROWS rows.
    "QORGAU_WATCH_EXPORTS": 5,
    "QORGAU_WATCH_EXPORT_ROWS": 500,
    # (d) refused requests by one user in one clock hour: alert at this many or more.
    "QORGAU_WATCH_DENIED": 20,
    # How far back each run looks (hours); windows already alerted are skipped, so overlap is harmless.
    "QORGAU_WATCH_LOOKBACK_HOURS": 48,
}


@dataclass(frozen=True)
class Thresholds:
    cases_min: int
    cases_factor: float
    baseline_days: int
    break_glass: int
    exports: int
    export_rows: int
    denied: int
    lookback_hours: int


def thresholds() -> Thresholds:
    def get(name: str) -> int | float:
        return getattr(settings, name, DEFAULTS[name])

    return Thresholds(
        cases_min=int(get("QORGAU_WATCH_CASES_MIN")),
        cases_factor=float(get("QORGAU_WATCH_CASES_FACTOR")),
        baseline_days=int(get("QORGAU_WATCH_BASELINE_DAYS")),
        break_glass=int(get("QORGAU_WATCH_BREAK_GLASS")),
        exports=int(get("QORGAU_WATCH_EXPORTS")),
        export_rows=int(get("QORGAU_WATCH_EXPORT_ROWS")),
        denied=int(get("QORGAU_WATCH_DENIED")),
        lookback_hours=int(get("QORGAU_WATCH_LOOKBACK_HOURS")),
    )
