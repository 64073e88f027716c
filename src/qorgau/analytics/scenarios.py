"""The scenario model: the note's three scenarios projected year by year, with Monte Carlo uncertainty.

Pure numpy, no Django (only ``scenario_table`` imports ``scenario_params`` for its defaults and labels).
The equations, every assumption with its source and range, the calibration and the limits are in
``docs/scenarios.md``; the parameters the page shows (labels, units, ranges, sources) in
``scenario_params``.

**The interface for the analytical note** (keep it stable)::

    scenario_table(params=None) -> list[ScenarioRow]

One row per scenario and model year: scenarios in the order ``SCENARIOS`` (inertial, reactive,
strategic), years ascending from ``BASE_YEAR`` (the calibration year, ``base=True``, the same in all
three scenarios) to ``BASE_YEAR + horizon``. Each row::

    ScenarioRow(scenario="strategic", label="Strategic" (active language), year=2030, base=False,
                reports=Band(median, low, high),   # police reports in the year
                victims=Band(...),                 # true victims in the year (reported or not)
                deaths=Band(...),                  # deaths from domestic violence in the year
                cost=Band(...))                    # social and economic cost of violence, tenge, that year

``low`` and ``high`` are the 10th and 90th percentiles of the draws (the 80% band). ``cost`` leaves
out the scenario's own programme spending (see ``Projection.compare``). ``params``: ``None`` (the
defaults), a mapping of the page's field names to values in the page's units (missing ones take their
defaults; ``scenario_params.assumptions`` checks ranges), or an ``Assumptions``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

SCENARIOS: tuple[str, ...] = ("inertial", "reactive", "strategic")
BASE_YEAR = 2024  # the year of the national figures the model is calibrated to
SEED = 2024  # a fixed seed: the same assumptions always give the same bands
LOW, HIGH = 0.10, 0.90  # the band: 10th to 90th percentile

# Published national figures for the base year (the reference data's README; the note).
PUBLISHED: dict[str, float] = {
    "reports": 100_000.0,  # 2024, police (MVD)
    "orders": 72_000.0,  # 2024, police protective orders
    "deaths": 869 / 4.5,  # 869 deaths over 4.5 years
    "grave_harm": 2086 / 4.5,  # 2,086 cases of grave harm over 4.5 years
}
TOLERANCE = 0.02  # the defaults must reproduce every published figure within 2%

MEASURES = ("victims", "reports", "orders", "deaths", "grave_harm", "cost", "spending")


@dataclass(frozen=True)
class Assumptions:
    """Every input of the model, in model units (shares as fractions, money in tenge, people as counts).

    Per-scenario values are triples in the order of ``SCENARIOS``.
    """

    horizon: int = 10  # years projected after the base year
    draws: int = 1000
    uncertainty: float = 1.0  # multiplies every spread; 0 = one deterministic run
    population: float = 20.2e6
    population_growth: float = 0.011
    incidence: float = 866e-5  # new victims per person per year
    reporting: float = 0.40  # reports per true victim in the base year
    repeat: float = 0.30  # share of a year's victims victimised again the next year
    trend: float = 0.0  # yearly change of new-victim incidence without any policy change
    order_rate: float = 0.72  # protective orders per report
    lethality: float = 77.2e-5  # deaths per true victim
    grave_harm: float = 185.5e-5  # cases of grave harm per true victim
    cost_case: float = 300_000.0  # tenge per reported case: police, health, court, shelter
    cost_death: float = 120e6  # tenge per death
    cost_grave: float = 5e6  # tenge per case of grave harm
    days_lost: float = 5.0  # working days lost per victim per year
    day_value: float = 19_500.0  # tenge per working day
    prevention_lag: int = 2  # years before prevention reduces new victims
    build_years: int = 3  # years for a measure to reach its full effect
    deterrence_half_life: float = 2.0  # years for the deterrence of harsher punishment to halve
    # per scenario (inertial, reactive, strategic)
    prevention: tuple[float, float, float] = (0.0, 0.0, 0.20)  # fall in new victims at full effect
    deterrence: tuple[float, float, float] = (0.0, 0.05, 0.0)  # fall in new victims in year 1, fading
    reporting_change: tuple[float, float, float] = (-0.03, -0.04, 0.10)  # change of the reporting share
    repeat_effect: tuple[float, float, float] = (0.0, 0.05, 0.25)  # relative fall of the repeat share
    protection: tuple[float, float, float] = (0.0, 0.03, 0.15)  # fall in deaths and grave harm per victim
    spending: tuple[float, float, float] = (0.0, 4e9, 15e9)  # additional public spending, tenge per year

    def replace(self, **changes: Any) -> Assumptions:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Assumptions(**values)


# How each uncertain input is drawn: a triangular distribution with its mode at the entered value and
# half-width ``spread`` (absolute, or relative to the value), times ``Assumptions.uncertainty``, cut to
# the limits that keep it meaningful. Inputs not listed are fixed (observed figures and timing).
@dataclass(frozen=True)
class Spread:
    half_width: float
    relative: bool
    lower: float
    upper: float


SPREADS: dict[str, Spread] = {
    "reporting": Spread(0.10, False, 0.05, 0.95),
    "repeat": Spread(0.10, False, 0.0, 0.90),
    "population_growth": Spread(0.003, False, -0.05, 0.05),
    "trend": Spread(0.01, False, -0.20, 0.20),
    "cost_case": Spread(0.5, True, 0.0, np.inf),
    "cost_death": Spread(0.5, True, 0.0, np.inf),
    "cost_grave": Spread(0.5, True, 0.0, np.inf),
    "days_lost": Spread(0.5, True, 0.0, 365.0),
    "day_value": Spread(0.1, True, 0.0, np.inf),
    "prevention": Spread(0.75, True, 0.0, 0.95),
    "deterrence": Spread(1.0, True, -0.5, 0.95),
    "reporting_change": Spread(0.5, True, -0.9, 0.9),
    "repeat_effect": Spread(0.6, True, -1.0, 0.95),
    "protection": Spread(0.6, True, 0.0, 0.95),
    "spending": Spread(0.3, True, 0.0, np.inf),
}
PER_SCENARIO = ("prevention", "deterrence", "reporting_change", "repeat_effect", "protection", "spending")
MAX_REPEAT = 0.95  # keeps the stock of victims finite whatever the inputs
REPORTING_BOUNDS = (0.01, 0.95)


@dataclass(frozen=True)
class Band:
    median: float
    low: float
    high: float


@dataclass(frozen=True)
class ScenarioRow:
    scenario: str
    label: str
    year: int
    base: bool
    reports: Band
    victims: Band
    deaths: Band
    cost: Band


@dataclass(frozen=True)
class CalibrationRow:
    measure: str
    published: float
    model: Band
    deviation: float  # (model median - published) / published

    @property
    def within(self) -> bool:
        return abs(self.deviation) <= TOLERANCE


def _triangular(u: np.ndarray, mode: np.ndarray, spread: Spread, scale: float) -> np.ndarray:
    """Inverse CDF of the triangular distribution (vectorised; a zero width gives the mode itself)."""
    mode = np.asarray(mode, dtype=float)
    half = spread.half_width * scale * (np.abs(mode) if spread.relative else 1.0)
    c = np.clip(mode, spread.lower, spread.upper)
    a = np.clip(c - half, spread.lower, spread.upper)
    b = np.clip(c + half, spread.lower, spread.upper)
    width = b - a
    safe = np.where(width > 0, width, 1.0)
    f = (c - a) / safe
    left = a + np.sqrt(u * width * (c - a))
    right = b - np.sqrt((1.0 - u) * width * (b - c))
    return np.where(width > 0, np.where(u < f, left, right), c)


def ramp(years_in: int | float, build_years: int) -> float:
    """Share of a measure's full effect ``years_in`` years after it starts: 1/build, 2/build, … 1."""
    if years_in <= 0:
        return 0.0
    return min(1.0, years_in / max(build_years, 1))


@dataclass(frozen=True)
class Projection:
    """The draws: ``values[measure]`` has shape (scenarios, draws, years)."""

    years: np.ndarray
    values: dict[str, np.ndarray]
    assumptions: Assumptions
    _quantiles: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def quantiles(self, measure: str) -> np.ndarray:
        """Shape (3: low, median, high; scenarios; years); computed once per measure (read-only)."""
        found = self._quantiles.get(measure)
        if found is None:
            found = np.quantile(self.values[measure], [LOW, 0.5, HIGH], axis=1)
            found.flags.writeable = False
            self._quantiles[measure] = found
        return found

    def band(self, measure: str, scenario: str, year_index: int) -> Band:
        q = self.quantiles(measure)[:, SCENARIOS.index(scenario), year_index]
        return Band(median=float(q[1]), low=float(q[0]), high=float(q[2]))

    def cumulative(self, measure: str) -> np.ndarray:
        """Sum over the projected years (the base year left out), per scenario and draw: (scenarios, draws)."""
        return self.values[measure][:, :, 1:].sum(axis=2)

    def compare(self, scenario: str, against: str = "inertial") -> dict[str, Band]:
        """Cumulative over the projection, draw by draw (the same draws in both scenarios):
        victims, deaths and grave harm averted, cost of violence saved, extra spending, net saving."""
        i, j = SCENARIOS.index(scenario), SCENARIOS.index(against)
        out: dict[str, np.ndarray] = {}
        for measure in ("victims", "deaths", "grave_harm", "cost"):
            total = self.cumulative(measure)
            out[measure] = total[j] - total[i]
        spend = self.cumulative("spending")
        out["spending"] = spend[i] - spend[j]
        out["net"] = out["cost"] - out["spending"]
        return {k: _band(v) for k, v in out.items()}

    def calibration(self) -> list[CalibrationRow]:
        rows = []
        for measure, published in PUBLISHED.items():
            band = self.band(measure, SCENARIOS[0], 0)
            rows.append(CalibrationRow(measure, published, band, (band.median - published) / published))
        return rows


def _band(values: np.ndarray) -> Band:
    q = np.quantile(values, [LOW, 0.5, HIGH])
    return Band(median=float(q[1]), low=float(q[0]), high=float(q[2]))


def simulate(a: Assumptions, *, seed: int = SEED) -> Projection:
    """Run the three scenarios over ``a.draws`` draws and ``a.horizon`` years after the base year.

    Every scenario uses the same draws (common random numbers), so the differences between scenarios
    come from the scenarios, not from chance. The draws keep the base year's observed figures at
    what the entered values give (reports, deaths, grave harm) and vary what the published figures
    cannot pin down: how many victims go unreported, and so the true incidence behind the reports.
    """
    n, horizon = int(a.draws), int(a.horizon)
    s = len(SCENARIOS)
    rng = np.random.default_rng(seed)
    uniforms = rng.random((len(SPREADS), n))
    drawn: dict[str, np.ndarray] = {}
    for k, (name, spread) in enumerate(SPREADS.items()):
        value = getattr(a, name)
        if name in PER_SCENARIO:
            mode = np.asarray(value, dtype=float)[:, None] * np.ones((1, n))
            drawn[name] = _triangular(uniforms[k][None, :], mode, spread, a.uncertainty)
        else:
            drawn[name] = _triangular(uniforms[k], np.full(n, float(value)), spread, a.uncertainty)

    # The base year: observed figures fixed at the entered values, latent ones drawn.
    victims_entered = a.incidence * a.population / (1.0 - min(a.repeat, MAX_REPEAT))
    reports0 = a.reporting * victims_entered
    r0 = np.clip(drawn["reporting"], *REPORTING_BOUNDS)
    rho0 = np.minimum(drawn["repeat"], MAX_REPEAT)
    v0 = reports0 / r0
    new0 = v0 * (1.0 - rho0) / a.population  # new victims per person, consistent with v0 as a steady state
    lethality = a.lethality * victims_entered / v0
    grave = a.grave_harm * victims_entered / v0

    years = np.arange(BASE_YEAR, BASE_YEAR + horizon + 1)
    shape = (s, n, horizon + 1)
    out = {m: np.zeros(shape) for m in MEASURES}
    growth, trend = drawn["population_growth"], drawn["trend"]
    prevention, deterrence = drawn["prevention"], drawn["deterrence"]
    d_reporting, repeat_effect, protection = drawn["reporting_change"], drawn["repeat_effect"], drawn["protection"]
    per_victim = drawn["days_lost"] * drawn["day_value"]

    victims = np.broadcast_to(v0, (s, n)).copy()
    reporting = np.broadcast_to(r0, (s, n))
    for t in range(horizon + 1):
        if t == 0:
            protect = np.zeros((s, n))
        else:
            population = a.population * (1.0 + growth) ** t
            delayed, immediate = ramp(t - a.prevention_lag, a.build_years), ramp(t, a.build_years)
            fading = 0.5 ** ((t - 1) / max(a.deterrence_half_life, 1e-9))
            deter = np.minimum(deterrence * fading, 0.95)
            new = new0 * (1.0 + trend) ** t * (1.0 - prevention * delayed) * (1.0 - deter)
            rho = np.clip(rho0 * (1.0 - repeat_effect * immediate), 0.0, MAX_REPEAT)
            victims = new * population + rho * victims
            reporting = np.clip(r0 + d_reporting * immediate, *REPORTING_BOUNDS)
            # Protection reaches the victims who report: it grows with the reporting share.
            protect = np.clip(protection * immediate * reporting / r0, 0.0, 0.95)
            out["spending"][:, :, t] = drawn["spending"]
        reports = reporting * victims
        deaths = lethality * victims * (1.0 - protect)
        harm = grave * victims * (1.0 - protect)
        out["victims"][:, :, t] = victims
        out["reports"][:, :, t] = reports
        out["orders"][:, :, t] = a.order_rate * reports
        out["deaths"][:, :, t] = deaths
        out["grave_harm"][:, :, t] = harm
        out["cost"][:, :, t] = (
            drawn["cost_case"] * reports
            + drawn["cost_death"] * deaths
            + drawn["cost_grave"] * harm
            + per_victim * victims
        )
    return Projection(years=years, values=out, assumptions=a)


def scenario_table(params: Assumptions | Mapping[str, float] | None = None) -> list[ScenarioRow]:
    """The scenario table of the analytical note (the shape is documented at the top of this module)."""
    from qorgau.analytics import scenario_params

    a = params if isinstance(params, Assumptions) else scenario_params.assumptions(params or {})
    p = simulate(a)
    q = {m: p.quantiles(m) for m in ("reports", "victims", "deaths", "cost")}
    rows = []
    for i, code in enumerate(SCENARIOS):
        label = str(scenario_params.SCENARIO_LABELS[code])
        for t, year in enumerate(p.years):
            bands = {
                m: Band(median=float(v[1, i, t]), low=float(v[0, i, t]), high=float(v[2, i, t])) for m, v in q.items()
            }
            rows.append(ScenarioRow(scenario=code, label=label, year=int(year), base=t == 0, **bands))
    return rows
