"""Reads of the analytics: the dashboard view, the key figures and the per-region column of the map.

Every function takes the user first and refuses anyone without ``VIEW_AGGREGATES``; every figure
leaves here already suppressed (``qorgau.analytics.suppression``), so no page, export, API or the
note can show an unsuppressed small cell. The period indicators are read from the monthly tallies
(``refresh.py``), never from the reports themselves; the live ones from small tables
(``snapshots.py``). Each read writes one audit row (no personal data: the view's name only).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum
from django.http import HttpRequest
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.analytics.filters import Filters, add_months
from qorgau.analytics.indicators import INDICATORS, MEAN_HOURS, SHARE, Indicator, breakdown_label
from qorgau.analytics.models import Tally
from qorgau.analytics.refresh import ZONE, refresh_mark
from qorgau.analytics.snapshots import LiveCounts, live_counts
from qorgau.analytics.suppression import SMALL_CELL, Hidden, count_group, mean_group, share_group
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Forbidden
from qorgau.core.models import AuditAction, District, Region

COARSEN_BELOW = 20  # a region with fewer reports in the period is not broken down by form or group
PER = 100_000
UNKNOWN = ""  # the row of things whose district was not recorded


@dataclass(frozen=True)
class Cell:
    value: float | None  # None when suppressed, or when there is nothing to compute (a share of 0)
    suppressed: bool
    rate: float | None = None  # per 100,000 people, for per_100k indicators with a population


@dataclass
class Row:
    key: str  # region ISO, district KATO, "" for the total or the "district not recorded" row
    name: str
    population: int | None
    cells: dict[str, Cell] = field(default_factory=dict)


@dataclass
class View:
    filters: Filters
    indicators: list[Indicator]
    rows: list[Row]
    total: Row
    series: dict[str, list[tuple[dt.date, Cell]]]
    notices: list[str]
    as_of: dt.datetime | None
    empty: bool


def _require(user: User) -> None:
    if not user.can(Capability.VIEW_AGGREGATES):
        raise Forbidden()


def _audit(user: User, action: str | None, target: str, request: HttpRequest | None) -> None:
    if action:
        audit_record(actor=user, action=action, target_type="analytics", target_id=target, request=request)


# --- reading the tallies ----------------------------------------------------------------------------

Values = dict[str, dict[str, tuple[float, float]]]  # indicator -> key -> (value, amount)


def _tallies(f: Filters, codes: Sequence[str], *, region: str = "", district: str = "") -> Any:
    qs = Tally.objects.filter(month__gte=f.start, month__lte=f.end, dimension=f.breakdown, indicator__in=list(codes))
    if f.urban is not None:
        qs = qs.filter(urban=f.urban)
    if region:
        qs = qs.filter(region_id=region)
    if district:
        qs = qs.filter(district_id=district)
    return qs


def _grouped(qs: Any, key: str) -> Values:
    out: Values = {}
    for row in qs.values("indicator", key).annotate(v=Sum("value"), a=Sum("amount")).order_by():
        out.setdefault(row["indicator"], {})[row[key] or UNKNOWN] = (float(row["v"] or 0), float(row["a"] or 0))
    return out


def _tallied_codes(indicators: Sequence[Indicator]) -> list[str]:
    codes = {i.code for i in indicators if not i.live}
    codes |= {i.denominator for i in indicators if i.denominator}
    return sorted(codes)


# --- suppression of one column ----------------------------------------------------------------------


def _column(ind: Indicator, keys: Sequence[str], values: Values, live: LiveCounts | None, forced: bool) -> Hidden[str]:
    """Which members (keys) and whether the total of one indicator's column are hidden."""

    def col(code: str) -> dict[str, float]:
        got = values.get(code, {})
        return {k: got.get(k, (0.0, 0.0))[0] for k in keys}

    if ind.live:
        assert live is not None
        if ind.code == "shelter_occupancy":
            return share_group(_live(live.occupied, keys), _live(live.beds, keys), forced_total=forced)
        if ind.code == "training_coverage":
            return share_group(_live(live.trained, keys), _live(live.staff, keys), forced_total=forced)
        return Hidden(set(), False)  # beds are not people: never hidden
    if ind.kind == SHARE:
        den = INDICATORS[ind.denominator]
        den_hidden = _column(den, keys, values, live, forced)
        return share_group(
            col(ind.code), col(ind.denominator), also=den_hidden.members, forced_total=forced or den_hidden.total
        )
    if ind.kind == MEAN_HOURS:
        return mean_group(col(ind.code), forced_total=forced)
    return count_group(col(ind.code), forced_total=forced)


def _live(table: Mapping[str, int], keys: Sequence[str]) -> dict[str, float]:
    return {k: float(table.get(k, 0)) for k in keys}


def _cell(
    ind: Indicator, key: str | None, values: Values, live: LiveCounts | None, hidden: bool, population: int | None
) -> Cell:
    """The cell of one indicator for one key (None: the column's total)."""

    def get(code: str) -> tuple[float, float]:
        got = values.get(code, {})
        if key is None:
            return (sum(v for v, _a in got.values()), sum(a for _v, a in got.values()))
        return got.get(key, (0.0, 0.0))

    if hidden:
        return Cell(None, True, None)
    if ind.live:
        assert live is not None

        def total(table: Mapping[str, int]) -> float:
            return float(sum(table.values()) if key is None else table.get(key, 0))

        if ind.code == "shelter_beds":
            return Cell(total(live.beds), False, None)
        if ind.code == "beds_per_100k":
            beds = total(live.beds)
            return Cell(round(beds * PER / population, 1) if population else None, False, None)
        part, whole = (live.occupied, live.beds) if ind.code == "shelter_occupancy" else (live.trained, live.staff)
        d = total(whole)
        return Cell(round(100 * total(part) / d, 1) if d else None, False, None)
    value, amount = get(ind.code)
    if ind.kind == SHARE:
        den = get(ind.denominator)[0]
        return Cell(round(100 * value / den, 1) if den else None, False, None)
    if ind.kind == MEAN_HOURS:
        return Cell(round(amount / value, 1) if value else None, False, None)
    rate = round(value * PER / population, 2) if ind.per_100k and population else None
    return Cell(value, False, rate)


# --- the table ---------------------------------------------------------------------------------------


@dataclass
class _Level:
    """One table: its rows' keys, names and populations, the values and which are hidden."""

    keys: list[str]
    names: dict[str, str]
    populations: dict[str, int | None]
    values: Values
    live: LiveCounts | None
    hidden: dict[str, Hidden[str]]


def _population(region: Region, urban: bool | None) -> int:
    if urban is None:
        return region.population
    return region.population_urban if urban else region.population_rural


def _regions() -> list[Region]:
    return sorted(Region.objects.defer("boundary_geojson"), key=lambda r: r.name)


def _national(f: Filters, indicators: Sequence[Indicator], today: dt.date) -> _Level:
    regions = _regions()
    keys = [r.iso for r in regions]
    values = _grouped(_tallies(f, _tallied_codes(indicators)), "region_id")
    live = live_counts(by="region", today=today) if any(i.live for i in indicators) else None
    hidden = {i.code: _column(i, keys, values, live, False) for i in indicators}
    return _Level(
        keys, {r.iso: r.name for r in regions}, {r.iso: _population(r, f.urban) for r in regions}, values, live, hidden
    )


def _districts(f: Filters, indicators: Sequence[Indicator], today: dt.date, forced: Mapping[str, bool]) -> _Level:
    districts = sorted(District.objects.filter(region_id=f.region).defer("boundary_geojson"), key=lambda d: d.name)
    values = _grouped(_tallies(f, _tallied_codes(indicators), region=f.region), "district_id")
    keys = [d.kato for d in districts]
    names = {d.kato: d.name for d in districts}
    # Things whose district was not recorded count in the region: a row of their own, so the rows add up.
    if any(UNKNOWN in col for col in values.values()):
        keys.append(UNKNOWN)
        names[UNKNOWN] = _("District not recorded")
    live = live_counts(by="district", region=f.region, today=today) if any(i.live for i in indicators) else None
    if live is not None and UNKNOWN not in keys and any(UNKNOWN in t for t in (live.beds, live.staff)):
        keys.append(UNKNOWN)
        names[UNKNOWN] = _("District not recorded")
    hidden = {i.code: _column(i, keys, values, live, forced.get(i.code, False)) for i in indicators}
    return _Level(keys, names, dict.fromkeys(keys), values, live, hidden)


def _single(
    key: str,
    name: str,
    population: int | None,
    values: Values,
    live: LiveCounts | None,
    indicators: Sequence[Indicator],
    forced: Mapping[str, bool],
) -> _Level:
    """A table of one row that is its own total (a region broken down by form or group; a district)."""
    hidden: dict[str, Hidden[str]] = {}
    for i in indicators:  # its own primary suppression, and the hidden state of the table above
        alone = _column(i, [key], values, live, forced.get(i.code, False))
        gone = alone.total or bool(alone.members)
        hidden[i.code] = Hidden({key} if gone else set(), gone)
    return _Level([key], {key: name}, {key: population}, values, live, hidden)


def _rows(level: _Level, indicators: Sequence[Indicator]) -> list[Row]:
    return [
        Row(
            k,
            level.names[k],
            level.populations.get(k),
            {
                i.code: _cell(
                    i, k, level.values, level.live, k in level.hidden[i.code].members, level.populations.get(k)
                )
                for i in indicators
            },
        )
        for k in level.keys
    ]


def _total(level: _Level, indicators: Sequence[Indicator], key: str, name: str, population: int | None) -> Row:
    return Row(
        key,
        name,
        population,
        {i.code: _cell(i, None, level.values, level.live, level.hidden[i.code].total, population) for i in indicators},
    )


# --- the series ----------------------------------------------------------------------------------------


def _months(f: Filters) -> list[dt.date]:
    return [add_months(f.start, n) for n in range(f.months)]


def _series(
    f: Filters, indicators: Sequence[Indicator], forced: Mapping[str, bool], population: int | None
) -> dict[str, list[tuple[dt.date, Cell]]]:
    """Monthly cells of the tallied indicators in the view's scope; each month suppressed on its own
    and, with the period total as a member, by the complementary rule."""
    tallied = [i for i in indicators if not i.live]
    months = _months(f)
    keys = [m.isoformat() for m in months]
    qs = _tallies(f, _tallied_codes(tallied), region=f.region, district=f.district)
    values: Values = {}
    for row in qs.values("indicator", "month").annotate(v=Sum("value"), a=Sum("amount")).order_by():
        values.setdefault(row["indicator"], {})[row["month"].isoformat()] = (float(row["v"] or 0), float(row["a"] or 0))
    out: dict[str, list[tuple[dt.date, Cell]]] = {}
    for i in tallied:
        hidden = _column(i, keys, values, None, forced.get(i.code, False))
        out[i.code] = [
            (m, _cell(i, k, values, None, k in hidden.members, population)) for m, k in zip(months, keys, strict=True)
        ]
    for i in indicators:
        if i.live:
            out[i.code] = []
    return out


# --- the view ----------------------------------------------------------------------------------------


def _indicators(codes: Sequence[str] | None) -> list[Indicator]:
    if codes is None:
        return list(INDICATORS.values())
    return [INDICATORS[c] for c in INDICATORS if c in set(codes)]


def _coarsened(f: Filters, notices: list[str]) -> Filters:
    """A breakdown of a region with fewer than COARSEN_BELOW reports in the period is widened to the
    whole (a form or group of a handful of reports would single people out)."""
    if not (f.breakdown and f.region):
        return f
    whole = dataclasses.replace(f, breakdown="")
    reports = _tallies(whole, ["reports"], region=f.region).aggregate(n=Sum("value"))["n"] or 0
    if reports >= COARSEN_BELOW:
        return f
    notices.append(
        _(
            "%(region)s had fewer than %(n)d reports in this period: the breakdown by “%(breakdown)s” is not shown for it, only the whole."
        )
        % {
            "region": Region.objects.get(pk=f.region).name,
            "n": COARSEN_BELOW,
            "breakdown": breakdown_label(f.breakdown),
        }
    )
    return whole


def _build(f: Filters, indicators: list[Indicator], today: dt.date) -> View:
    notices: list[str] = []
    f = _coarsened(f, notices)
    national = _national(f, indicators, today)
    national_pop = sum(p or 0 for p in national.populations.values())
    if not f.region:
        level = national
        total = _total(national, indicators, "", _("Kazakhstan"), national_pop)
        forced = {i.code: False for i in indicators}
        population: int | None = national_pop
    else:
        region = Region.objects.defer("boundary_geojson").get(pk=f.region)
        forced = {i.code: f.region in national.hidden[i.code].members for i in indicators}
        population = _population(region, f.urban)
        if f.breakdown:
            level = _single(
                region.iso,
                region.name,
                population,
                _grouped(_tallies(f, _tallied_codes(indicators), region=f.region), "region_id"),
                live_counts(by="region", region=f.region, today=today) if any(i.live for i in indicators) else None,
                indicators,
                forced,
            )
            total = _total(level, indicators, region.iso, region.name, population)
        else:
            districts = _districts(f, indicators, today, forced)
            if f.district:
                district = District.objects.defer("boundary_geojson").get(pk=f.district)
                forced = {i.code: f.district in districts.hidden[i.code].members for i in indicators}
                values = {c: {k: v for k, v in col.items() if k == f.district} for c, col in districts.values.items()}
                live = districts.live
                if live is not None:
                    live = LiveCounts(
                        *(
                            {k: v for k, v in t.items() if k == f.district}
                            for t in (live.beds, live.occupied, live.staff, live.trained)
                        )
                    )
                level = _single(district.kato, district.name, None, values, live, indicators, forced)
                total = _total(level, indicators, district.kato, district.name, None)
                population = None
            else:
                level = districts
                total = _total(districts, indicators, region.iso, region.name, population)
            if any(i.per_100k for i in indicators):
                notices.append(
                    _("Districts have no reference population: rates per 100,000 are given for regions only.")
                )
    rows = _rows(level, indicators)
    # The period total of the series is the total row's cell: hidden there, it is hidden in the series.
    series = _series(f, indicators, {i.code: total.cells[i.code].suppressed for i in indicators}, population)
    tallied = [i for i in indicators if not i.live]
    empty = not any(v for col in level.values.values() for v, _a in col.values()) if tallied else False
    if empty:
        notices.append(
            _(
                "No data for this period: nothing was recorded for these filters. Choose a longer period or another place."
            )
        )
    cells = [c for r in [*rows, total] for c in r.cells.values()] + [c for s in series.values() for _m, c in s]
    if any(c.suppressed for c in cells):
        notices.append(
            _(
                "Cells under %(n)d are hidden, and so is one more cell wherever a single hidden cell could be worked out from a total."
            )
            % {"n": SMALL_CELL}
        )
        shown = [c for c in cells if not c.suppressed and c.value]
        if not empty and not shown:
            notices.append(
                _("Every figure for these filters is under %(n)d and hidden: widen the period or the area.")
                % {"n": SMALL_CELL}
            )
    if f.breakdown:
        notices.append(
            _("Broken down by “%(breakdown)s”: rates are per 100,000 of the whole population, not of the group.")
            % {"breakdown": breakdown_label(f.breakdown)}
        )
    if any(i.live for i in indicators):
        notices.append(
            _(
                "Shelter beds, occupancy and training coverage are as they are now: the period, urban/rural and breakdown filters do not apply to them."
            )
        )
    mark = refresh_mark()
    return View(f, indicators, rows, total, series, notices, mark.at if mark else None, empty)


def _today() -> dt.date:
    return clock.now().astimezone(ZONE).date()


def dashboard_view(
    user: User,
    filters: Filters,
    codes: Sequence[str] | None = None,
    *,
    audit_action: str | None = AuditAction.READ,
    request: HttpRequest | None = None,
) -> View:
    """The dashboard: the indicators by region (or a region's districts), the total, the monthly series
    of the scope and the notices; ``audit_action`` EXPORT for an export, None when the caller audits."""
    _require(user)
    view = _build(filters, _indicators(codes), _today())
    _audit(user, audit_action, "dashboard", request)
    return view


def key_figures(
    user: User, filters: Filters, *, audit_action: str | None = AuditAction.READ, request: HttpRequest | None = None
) -> dict[str, Cell]:
    """The totals of the period for the filters' scope (national when no place is chosen)."""
    _require(user)
    view = _build(filters, _indicators(None), _today())
    _audit(user, audit_action, "key_figures", request)
    return view.total.cells


def by_region(
    user: User,
    filters: Filters,
    code: str,
    *,
    audit_action: str | None = AuditAction.READ,
    request: HttpRequest | None = None,
) -> dict[str, Cell]:
    """One indicator for each of the 20 regions (ISO -> Cell), suppressed as in the national table;
    a region or district filter is ignored (the map shows every region)."""
    _require(user)
    national = dataclasses.replace(filters, region="", district="")
    view = _build(national, _indicators([code]), _today())
    _audit(user, audit_action, f"by_region:{code}", request)
    return {r.key: r.cells[code] for r in view.rows}
