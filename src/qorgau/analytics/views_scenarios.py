"""The scenario page: the note's three scenarios projected with the assumptions in the address.

A thin view over ``scenarios`` (the model) and ``scenario_params`` (what the page shows). No personal
data is read: the model runs on its parameters alone. A value outside its range gives the form with
its messages (422) and no results, never a page of results for assumptions nobody entered.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from qorgau.accounts.access import capability_required
from qorgau.accounts.roles import Capability
from qorgau.analytics import scenario_params
from qorgau.analytics.forms_scenarios import ScenarioForm
from qorgau.analytics.scenario_chart import Chart, band_chart
from qorgau.analytics.scenarios import BASE_YEAR, SCENARIOS, TOLERANCE, Band, Projection, simulate

BILLION = 1e9


@dataclass(frozen=True)
class Shown:
    """A band as the page prints it: median, 10th and 90th percentile, formatted for the language."""

    median: str
    low: str
    high: str


class Numbers:
    """Grouped numbers in the active language (the page prints some 400: formatted here, not by a filter each)."""

    def __init__(self) -> None:
        self._map = {ord(","): str(get_format("THOUSAND_SEPARATOR")), ord("."): str(get_format("DECIMAL_SEPARATOR"))}

    def __call__(self, value: float, decimals: int = 0) -> str:
        text = f"{value:,.{decimals}f}"
        if text.startswith("-") and not text.strip("-0.,"):
            text = text[1:]  # no "-0"
        return text.translate(self._map)

    def band(self, b: Band, decimals: int = 0, factor: float = 1.0) -> Shown:
        return Shown(self(b.median / factor, decimals), self(b.low / factor, decimals), self(b.high / factor, decimals))


@dataclass(frozen=True)
class YearRow:
    year: int
    base: bool
    scenario: str
    label: str
    reports: Shown
    victims: Shown
    deaths: Shown
    cost: Shown  # billion tenge


@dataclass(frozen=True)
class Comparison:
    scenario: str
    label: str
    victims: Shown
    deaths: Shown
    grave_harm: Shown
    cost: Shown  # billion tenge
    spending: Shown
    net: Shown


def _labels() -> dict[str, str]:
    return {code: str(label) for code, label in scenario_params.SCENARIO_LABELS.items()}


def _charts(p: Projection) -> list[Chart]:
    years = [int(y) for y in p.years]
    labels = _labels()
    specs = [
        ("reports", _("Police reports a year"), _("reports"), 1.0),
        ("victims", _("True victims a year, reported or not"), _("victims"), 1.0),
        ("deaths", _("Deaths a year"), _("deaths"), 1.0),
        ("cost", _("Cost of violence a year"), _("billion ₸"), BILLION),
    ]
    return [
        band_chart(
            key=key,
            title=title,
            unit=unit,
            years=years,
            quantiles=p.quantiles(key) / factor,
            labels=labels,
            scenarios=SCENARIOS,
        )
        for key, title, unit, factor in specs
    ]


def _year_rows(p: Projection, number: Numbers) -> list[YearRow]:
    labels = _labels()
    q = {m: p.quantiles(m) for m in ("reports", "victims", "deaths", "cost")}
    decimals = {"reports": 0, "victims": 0, "deaths": 0, "cost": 1}
    factors = {"reports": 1.0, "victims": 1.0, "deaths": 1.0, "cost": BILLION}
    rows = []
    for t, year in enumerate(p.years):
        for i, code in enumerate(SCENARIOS):
            if t == 0 and i > 0:
                continue  # the base year is the same in every scenario: one row
            shown = {
                m: number.band(
                    Band(median=float(v[1, i, t]), low=float(v[0, i, t]), high=float(v[2, i, t])),
                    decimals[m],
                    factors[m],
                )
                for m, v in q.items()
            }
            rows.append(
                YearRow(
                    year=int(year), base=t == 0, scenario=code, label=labels[code] if t else _("All scenarios"), **shown
                )
            )
    return rows


def _comparisons(p: Projection, number: Numbers) -> list[Comparison]:
    labels = _labels()
    out = []
    for code in SCENARIOS[1:]:
        c = p.compare(code)
        out.append(
            Comparison(
                scenario=code,
                label=labels[code],
                victims=number.band(c["victims"]),
                deaths=number.band(c["deaths"]),
                grave_harm=number.band(c["grave_harm"]),
                cost=number.band(c["cost"], 1, BILLION),
                spending=number.band(c["spending"], 1, BILLION),
                net=number.band(c["net"], 1, BILLION),
            )
        )
    return out


def _results(p: Projection) -> dict[str, object]:
    measures = {
        "reports": (_("Police reports"), _("Police, 2024 (the note)")),
        "orders": (_("Protective orders"), _("Police, 2024 (the note)")),
        "deaths": (_("Deaths a year"), _("The note: 869 over 4.5 years")),
        "grave_harm": (_("Grave harm a year"), _("The note: 2,086 over 4.5 years")),
    }
    calibration = [(*measures[row.measure], row, row.deviation * 100) for row in p.calibration()]
    reports = p.quantiles("reports")[1]
    strategic, inertial = SCENARIOS.index("strategic"), SCENARIOS.index("inertial")
    early = range(1, min(4, len(p.years)))
    number = Numbers()
    return {
        "charts": _charts(p),
        "rows": _year_rows(p, number),
        "calibration": calibration,
        "calibrated": all(row.within for _label, _source, row, _pct in calibration),
        "comparisons": _comparisons(p, number),
        "reports_rise_first": any(reports[strategic, t] > reports[inertial, t] for t in early),
        "first_year": int(p.years[1]),
        "last_year": int(p.years[-1]),
        "draws": p.assumptions.draws,
    }


@login_required
@capability_required(Capability.VIEW_AGGREGATES)
@require_GET
def scenarios_view(request: HttpRequest) -> HttpResponse:
    form = ScenarioForm(request.GET)
    context: dict[str, object] = {
        "form": form,
        "base_year": BASE_YEAR,
        "tolerance": round(TOLERANCE * 100),
        "scenarios": [
            (code, scenario_params.SCENARIO_LABELS[code], scenario_params.SCENARIO_DESCRIPTIONS[code])
            for code in SCENARIOS
        ],
    }
    if not form.is_valid():
        return render(request, "analytics/scenarios.html", context, status=422)
    projection = simulate(scenario_params.assumptions(form.values()))
    context.update(_results(projection))
    return render(request, "analytics/scenarios.html", context)
