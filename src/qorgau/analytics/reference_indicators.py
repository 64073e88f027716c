"""Published regional indicators (``core/reference/kz_indicators.csv``) for the analytical note.

The file is long format: one row per region (ISO 3166-2 code, ``KZ`` for the nation), indicator and
period, with its unit, source and notes. Its ``year`` column mixes forms, so every value is read
with the period it covers (see ``period_parse``), never with an assumed year:

* ``2022`` — a calendar year; ``2022 (inferred)`` — the same, but the source did not print the
  period (the compiler inferred it, the notes say how);
* ``2024 (to ~Dec)``, ``2025 (to Nov)`` — the year so far, up to the month named (partial);
* ``2023Q4`` — a quarter; ``2025H1`` — a half-year; ``2024-12`` — a month;
* ``2024-01..08`` — a run of months of one year;
* ``2025-01-01`` — a point in time (a population on 1 January).

Rows are joined to regions by ISO code only, never by name (names differ between sources). For a
cross-section the note needs one period for every region: mixing a 2020 figure for one region with
a 2024 figure for another would compare inflation, not regions (``cross_section``).
"""

from __future__ import annotations

import calendar
import csv
import re
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

CSV_PATH = Path(__file__).resolve().parents[1] / "core" / "reference" / "kz_indicators.csv"
NATIONAL = "KZ"

MONTHS = {
    name: i
    for i, name in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)
}


@dataclass(frozen=True)
class RefPeriod:
    """The span a published value covers (both ends inclusive)."""

    start: date
    end: date
    text: str  # as written in the file
    inferred: bool = False  # the source did not print the period
    partial: bool = False  # the year so far, not the whole year
    point: bool = False  # a stock on one day (population on 1 January)

    @property
    def year(self) -> int:
        return self.end.year


@dataclass(frozen=True)
class RefValue:
    region: str  # ISO 3166-2 code, or "KZ" for the nation
    indicator: str
    period: RefPeriod
    value: float
    unit: str
    source: str
    notes: str


@dataclass(frozen=True)
class CrossSection:
    """One indicator for many regions over one and the same period."""

    indicator: str
    period: RefPeriod | None
    values: dict[str, float]  # ISO -> value (regions only; the nation is ``national``)
    national: float | None
    unit: str
    sources: tuple[str, ...]
    notes: tuple[str, ...]


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


_YEAR = re.compile(r"^(\d{4})(?:\s*\((inferred|to\s*~?\s*([A-Za-z]{3})[a-z]*)\))?$")
_QUARTER = re.compile(r"^(\d{4})\s*Q([1-4])$", re.IGNORECASE)
_HALF = re.compile(r"^(\d{4})\s*H([12])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTHS = re.compile(r"^(\d{4})-(\d{2})\.\.(\d{2})$")


def period_parse(text: str) -> RefPeriod:
    """The period of a ``year`` cell; ``ValueError`` for a form not listed in the module docstring."""
    raw = text
    text = " ".join(text.split())
    try:
        if m := _YEAR.match(text):
            year, note, until = int(m[1]), m[2], m[3]
            if until:
                month = MONTHS.get(until.title())
                if month is None:
                    raise ValueError(raw)
                return RefPeriod(date(year, 1, 1), _month_end(year, month), raw, partial=True)
            return RefPeriod(date(year, 1, 1), date(year, 12, 31), raw, inferred=note == "inferred")
        if m := _QUARTER.match(text):
            year, q = int(m[1]), int(m[2])
            return RefPeriod(date(year, 3 * q - 2, 1), _month_end(year, 3 * q), raw)
        if m := _HALF.match(text):
            year, h = int(m[1]), int(m[2])
            return RefPeriod(date(year, 6 * h - 5, 1), _month_end(year, 6 * h), raw)
        if m := _MONTH.match(text):
            year, month = int(m[1]), int(m[2])
            return RefPeriod(date(year, month, 1), _month_end(year, month), raw)
        if m := _DAY.match(text):
            day = date(int(m[1]), int(m[2]), int(m[3]))
            return RefPeriod(day, day, raw, point=True)
        if m := _MONTHS.match(text):
            year, first, last = int(m[1]), int(m[2]), int(m[3])
            if last < first:
                raise ValueError(raw)
            return RefPeriod(date(year, first, 1), _month_end(year, last), raw)
    except ValueError as exc:  # a month 13 or a day 32
        raise ValueError(f"unreadable period {raw!r}") from exc
    raise ValueError(f"unreadable period {raw!r}")


def values_parse(path: Path = CSV_PATH) -> list[RefValue]:
    """Every row with a value; empty values are gaps (never guessed) and are skipped."""
    out: list[RefValue] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            raw = (row.get("value") or "").strip().replace(",", "")
            if not raw:
                continue
            out.append(
                RefValue(
                    region=row["region_iso"].strip(),
                    indicator=row["indicator"].strip(),
                    period=period_parse(row["year"]),
                    value=float(raw),
                    unit=row.get("unit", "").strip(),
                    source=row.get("source", "").strip(),
                    notes=row.get("notes", "").strip(),
                )
            )
    return out


_lock = threading.Lock()
_cache: dict[Path, list[RefValue]] = {}


def reference_values() -> list[RefValue]:
    """The parsed file (read once per process: it is reference data, shipped with the code)."""
    with _lock:
        if CSV_PATH not in _cache:
            _cache[CSV_PATH] = values_parse(CSV_PATH)
        return _cache[CSV_PATH]


def cross_section(
    indicator: str, values: list[RefValue] | None = None, *, regions: set[str] | None = None
) -> CrossSection:
    """``indicator`` for the regions over the one period that covers the most of them (the latest on a tie).

    ``regions`` limits the count to the current units (so a period on the old, pre-2022 boundaries
    is not preferred for regions that no longer exist).
    """
    rows = [v for v in (values if values is not None else reference_values()) if v.indicator == indicator]
    by_period: dict[str, list[RefValue]] = {}
    for v in rows:
        by_period.setdefault(v.period.text, []).append(v)

    def regional(vs: list[RefValue]) -> list[RefValue]:
        return [v for v in vs if v.region != NATIONAL and (regions is None or v.region in regions)]

    if not by_period:
        return CrossSection(indicator, None, {}, None, "", (), ())
    best = max(by_period.values(), key=lambda vs: (len(regional(vs)), vs[0].period.end))
    chosen = regional(best)
    national = next((v.value for v in best if v.region == NATIONAL), None)
    return CrossSection(
        indicator=indicator,
        period=best[0].period,
        values={v.region: v.value for v in chosen},
        national=national,
        unit=best[0].unit,
        sources=tuple(dict.fromkeys(v.source for v in best if v.source)),
        notes=tuple(dict.fromkeys(v.notes for v in best if v.notes)),
    )


def national_value(indicator: str, values: list[RefValue] | None = None) -> RefValue | None:
    """The latest national value of ``indicator`` (by the end of its period)."""
    rows = [
        v
        for v in (values if values is not None else reference_values())
        if v.indicator == indicator and v.region == NATIONAL
    ]
    return max(rows, key=lambda v: v.period.end) if rows else None
