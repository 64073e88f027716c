"""Reads of the national strategy, and the strategy beside the outcomes it should move.

Every function takes the user first and needs ``VIEW_AGGREGATES`` (the strategy holds no personal
data, but it is shown beside aggregates and only analysts see those). Outcome figures come from
``qorgau.analytics.selectors`` only, so they are suppressed exactly as on the dashboards: a measure
whose indicator is a small, hidden cell shows it hidden here too.

The headline figure of an indicator is the rate per 100,000 people when the indicator has one and
its value otherwise; baselines and targets are entered in that unit (docs/strategy.md).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import get_language

from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.analytics import selectors as outcomes
from qorgau.analytics.filters import Filters, filters_default
from qorgau.analytics.indicators import INDICATORS, Indicator
from qorgau.analytics.models import Campaign, Financing, NgoGrant, StrategyArea, StrategyMeasure
from qorgau.core.audit import audit_record
from qorgau.core.errors import Forbidden, NotFound
from qorgau.core.models import AuditAction, Region

TREND_YEARS = 3  # complete calendar years shown beside the last twelve months
ZERO = Decimal(0)
MAX_ID = 2**63 - 1  # a larger id names nothing (and would overflow the database's integer)


def tenge(value: Decimal | float | int | None) -> str:
    """Whole tenge (or people) grouped by thousands as each language writes them: "1 500 000" in
    Kazakh and Russian (no-break spaces), "1,500,000" in English. Tiyn are not shown on overviews."""
    if value is None:
        return "—"
    whole = int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    sep = "," if (get_language() or "ru").startswith("en") else "\u00a0"
    return f"{whole:,}".replace(",", sep)


def require_view(user: Any) -> None:
    if not (getattr(user, "is_authenticated", False) and user.can(Capability.VIEW_AGGREGATES)):
        raise Forbidden()


# --- single records (one gate each: missing is NotFound) ---------------------------------------


def measure_get(user: User, measure_id: int) -> StrategyMeasure:
    require_view(user)
    found = StrategyMeasure.objects.filter(pk=measure_id).first() if 0 < measure_id <= MAX_ID else None
    if found is None:
        raise NotFound()
    return found


def financing_get(user: User, financing_id: int) -> Financing:
    require_view(user)
    found = (
        Financing.objects.select_related("measure", "region").filter(pk=financing_id).first()
        if 0 < financing_id <= MAX_ID
        else None
    )
    if found is None:
        raise NotFound()
    return found


def campaign_get(user: User, campaign_id: int) -> Campaign:
    require_view(user)
    found = Campaign.objects.filter(pk=campaign_id).first() if 0 < campaign_id <= MAX_ID else None
    if found is None:
        raise NotFound()
    return found


def grant_get(user: User, grant_id: int) -> NgoGrant:
    require_view(user)
    found = NgoGrant.objects.filter(pk=grant_id).first() if 0 < grant_id <= MAX_ID else None
    if found is None:
        raise NotFound()
    return found


# --- lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    budget: Decimal
    spent: Decimal

    @property
    def share(self) -> float | None:
        """Spent as a share of the budget (above 1 when overspent); None without a budget."""
        return float(self.spent / self.budget) if self.budget > 0 else None

    @property
    def overspent(self) -> bool:
        return self.spent > self.budget

    @property
    def percent(self) -> float | None:
        share = self.share
        return None if share is None else share * 100

    @property
    def bar(self) -> float:
        """The progress bar's fill, 0–100 (an overspend fills it and is shown in red beside it)."""
        return min(self.percent or 0.0, 100.0)

    @property
    def bar_width(self) -> str:
        """The bar's fill as an SVG length (a dot, whatever the page's language)."""
        return f"{self.bar:.1f}"

    @property
    def budget_text(self) -> str:
        return tenge(self.budget)

    @property
    def spent_text(self) -> str:
        return tenge(self.spent)


def measures_list(user: User) -> list[StrategyMeasure]:
    """Measures with ``budget_total`` and ``spent_total`` over every year and place annotated."""
    require_view(user)
    qs = StrategyMeasure.objects.annotate(budget_total=Sum("financing__budget"), spent_total=Sum("financing__spent"))
    return list(qs.order_by("area", "code"))


def financing_list(user: User, *, measure_id: int | None = None, year: int | None = None) -> QuerySet[Financing]:
    require_view(user)
    qs = Financing.objects.select_related("measure", "region")
    if measure_id is not None:
        qs = qs.filter(measure_id=measure_id)
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("measure__area", "measure__code", "year", "region_id")


def campaigns_list(user: User) -> QuerySet[Campaign]:
    require_view(user)
    return Campaign.objects.select_related("measure", "region").order_by("-started_on", "-id")


def grants_list(user: User) -> QuerySet[NgoGrant]:
    require_view(user)
    return NgoGrant.objects.select_related("measure", "region").order_by("-awarded_on", "-id")


def financing_years(user: User) -> list[int]:
    require_view(user)
    return sorted(set(Financing.objects.values_list("year", flat=True)))


def _money_by_measure(year: int) -> dict[int, Money]:
    rows = Financing.objects.filter(year=year).values("measure_id").annotate(b=Sum("budget"), s=Sum("spent"))
    return {r["measure_id"]: Money(r["b"] or ZERO, r["s"] or ZERO) for r in rows}


# --- outcomes --------------------------------------------------------------------------------------


def headline(indicator: Indicator, cell: outcomes.Cell | None) -> float | None:
    """The figure a baseline and a target are compared with; None when hidden or missing."""
    if cell is None or cell.suppressed:
        return None
    return cell.rate if indicator.per_100k else cell.value


def _year_filters(year: int) -> Filters:
    return Filters(start=date(year, 1, 1), end=date(year, 12, 1))


@dataclass(frozen=True)
class Outcome:
    """An indicator's national figure for the last twelve complete months and for earlier years."""

    indicator: Indicator
    current: outcomes.Cell | None
    trend: list[tuple[int, outcomes.Cell | None]]  # (calendar year, cell), oldest first

    @property
    def figure(self) -> float | None:
        return headline(self.indicator, self.current)

    @property
    def digits(self) -> int:
        """Decimals worth showing: rates, shares and hours get one, plain counts none."""
        return 1 if self.indicator.per_100k or self.indicator.kind not in ("count", "snapshot") else 0

    @property
    def trend_figures(self) -> list[tuple[int, float | None]]:
        return [(y, headline(self.indicator, c)) for y, c in self.trend]


def outcomes_for(user: User, codes: set[str], *, today: date) -> tuple[dict[str, Outcome], Filters, list[str]]:
    """National outcomes of the given indicators: one read of the current period and one per trend year.

    Returns the outcomes, the current period and the notices of the current period's view (hidden
    cells, no data). Audited once, as one read of aggregates.
    """
    require_view(user)
    period = filters_default(today)
    codes = {c for c in codes if c in INDICATORS}
    audit_record(actor=user, action=AuditAction.READ, target_type="analytics", target_id="strategy")
    if not codes:
        return {}, period, []
    view = outcomes.dashboard_view(user, period, sorted(codes), audit_action=None)
    current = view.total.cells
    # A live indicator (beds now) has no past in the tallies: it gets no trend.
    tallied = sorted(c for c in codes if not INDICATORS[c].live)
    years = range(today.year - TREND_YEARS, today.year)  # the last complete calendar years
    by_year = (
        {y: outcomes.dashboard_view(user, _year_filters(y), tallied, audit_action=None).total.cells for y in years}
        if tallied
        else {}
    )
    found = {
        code: Outcome(
            INDICATORS[code],
            current.get(code),
            [] if INDICATORS[code].live else [(y, by_year[y].get(code)) for y in sorted(by_year)],
        )
        for code in codes
    }
    return found, period, list(view.notices)


def progress(baseline: float | None, target: float | None, figure: float | None) -> float | None:
    """How far the figure has moved from the baseline towards the target, in per cent (0 = not at all,
    100 = reached; negative when it moved away). Works for targets below and above the baseline."""
    if baseline is None or target is None or figure is None or target == baseline:
        return None
    return (figure - baseline) / (target - baseline) * 100


# --- the overview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureLine:
    measure: StrategyMeasure
    outcome: Outcome | None
    money: Money
    progress: float | None


@dataclass(frozen=True)
class RegionLine:
    iso: str
    name: str
    population: int
    money: Money
    outcome: outcomes.Cell | None

    @property
    def per_person(self) -> float | None:
        """Budget in tenge per inhabitant: the financing made comparable between regions."""
        return float(self.money.budget) / self.population if self.population else None

    @property
    def population_text(self) -> str:
        return tenge(self.population)

    @property
    def rate(self) -> float | None:
        return None if self.outcome is None or self.outcome.suppressed else self.outcome.rate


@dataclass(frozen=True)
class Overview:
    year: int
    period: Filters
    areas: list[tuple[str, list[MeasureLine]]]
    total: Money
    national: Money  # financing not allocated to a region
    regions: list[RegionLine]
    region_indicator: Indicator
    campaigns: int
    reach: int
    campaign_cost: Decimal
    grants: int
    grants_total: Decimal
    notices: list[str] = field(default_factory=list)

    @property
    def grants_total_text(self) -> str:
        return tenge(self.grants_total)

    @property
    def campaign_cost_text(self) -> str:
        return tenge(self.campaign_cost)

    @property
    def reach_text(self) -> str:
        return tenge(self.reach)


def region_indicators() -> list[Indicator]:
    """Indicators that have a rate per 100,000: the ones that can stand beside regional money."""
    return [i for i in INDICATORS.values() if i.per_100k]


def strategy_overview(user: User, *, today: date, year: int | None = None, region_code: str = "") -> Overview:
    require_view(user)
    year = year or today.year
    measures = list(StrategyMeasure.objects.order_by("area", "code"))
    found, period, notices = outcomes_for(user, {m.indicator for m in measures}, today=today)
    money = _money_by_measure(year)
    grouped: dict[str, list[MeasureLine]] = defaultdict(list)
    for m in measures:
        o = found.get(m.indicator)
        grouped[m.area].append(
            MeasureLine(
                m, o, money.get(m.pk, Money(ZERO, ZERO)), progress(m.baseline, m.target, o.figure if o else None)
            )
        )
    areas = [(str(label), grouped[value]) for value, label in StrategyArea.choices if grouped.get(value)]
    year_qs = Financing.objects.filter(year=year)
    t = year_qs.aggregate(b=Sum("budget"), s=Sum("spent"))
    n = year_qs.filter(region__isnull=True).aggregate(b=Sum("budget"), s=Sum("spent"))
    choices = region_indicators()
    indicator = next((i for i in choices if i.code == region_code), None) or (choices[0] if choices else None)
    assert indicator is not None, "no indicator has a rate per 100,000"
    regions = _regions(user, year, period, indicator)
    c = Campaign.objects.filter(
        Q(started_on__year__lte=year) & (Q(ended_on__isnull=True) | Q(ended_on__year__gte=year))
    ).aggregate(n=Count("id"), reach=Sum("reach"), cost=Sum("cost"))
    g = NgoGrant.objects.filter(awarded_on__year=year).aggregate(n=Count("id"), amount=Sum("amount"))
    return Overview(
        year=year,
        period=period,
        areas=areas,
        total=Money(t["b"] or ZERO, t["s"] or ZERO),
        national=Money(n["b"] or ZERO, n["s"] or ZERO),
        regions=regions,
        region_indicator=indicator,
        campaigns=c["n"],
        reach=c["reach"] or 0,
        campaign_cost=c["cost"] or ZERO,
        grants=g["n"],
        grants_total=g["amount"] or ZERO,
        notices=notices,
    )


def _regions(user: User, year: int, period: Filters, indicator: Indicator) -> list[RegionLine]:
    rows = (
        Financing.objects.filter(year=year, region__isnull=False)
        .values("region_id")
        .annotate(b=Sum("budget"), s=Sum("spent"))
    )
    money = {r["region_id"]: Money(r["b"] or ZERO, r["s"] or ZERO) for r in rows}
    cells = outcomes.by_region(user, period, indicator.code, audit_action=None)
    return [
        RegionLine(r.iso, r.name, r.population, money.get(r.iso, Money(ZERO, ZERO)), cells.get(r.iso))
        for r in Region.objects.order_by("iso")
    ]


@dataclass(frozen=True)
class MeasureDetail:
    measure: StrategyMeasure
    outcome: Outcome | None
    progress: float | None
    financing: list[Financing]
    by_year: list[tuple[int, Money]]
    total: Money
    campaigns: list[Campaign]
    grants: list[NgoGrant]
    period: Filters
    notices: list[str]


def measure_detail(user: User, measure_id: int, *, today: date) -> MeasureDetail:
    measure = measure_get(user, measure_id)
    found, period, notices = outcomes_for(user, {measure.indicator}, today=today)
    o = found.get(measure.indicator)
    lines = list(Financing.objects.filter(measure=measure).select_related("region").order_by("year", "region_id"))
    years: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for line in lines:
        years[line.year][0] += line.budget
        years[line.year][1] += line.spent
    by_year = [(y, Money(b, s)) for y, (b, s) in sorted(years.items())]
    total = Money(sum((m.budget for _, m in by_year), ZERO), sum((m.spent for _, m in by_year), ZERO))
    return MeasureDetail(
        measure=measure,
        outcome=o,
        progress=progress(measure.baseline, measure.target, o.figure if o else None),
        financing=lines,
        by_year=by_year,
        total=total,
        campaigns=list(measure.campaigns.select_related("region").order_by("-started_on")),
        grants=list(measure.grants.select_related("region").order_by("-awarded_on")),
        period=period,
        notices=notices,
    )
