"""The scenario model (issue 9): one run of the three scenarios, 1,000 draws × 10 years, against the
time numpy takes only to generate the same random inputs, in the same run.

* the model (``analytics.scenarios.simulate`` with the default assumptions: the triangular draws of
  every uncertain input, the three scenarios year by year, vectorised over the draws) against numpy's
  own ``Generator.triangular`` drawing the same number of values (one per uncertain input, scenario
  and draw) — the floor of any Monte Carlo model of this size;
* the same arithmetic written as a plain loop over the draws (each draw a scalar run, without the
  random draws), so the figure shows what the vectorisation is worth;
* with a database (``make bench``): the scenario page, signed in as the demo analyst, against the
  one-query endpoint ``/healthz``.

The budget: a model run under 0.2 s; the note gives the absolute time. ``python -m bench.scenarios``
runs the first two alone (no database).
"""

from __future__ import annotations

import time

import numpy as np

from bench.harness import Report, compare
from qorgau.analytics.scenarios import PER_SCENARIO, SCENARIOS, SPREADS, Assumptions, simulate

DRAWS, HORIZON = 1000, 10
BUDGET_S = 0.2


def _random_inputs(draws: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    count = sum(len(SCENARIOS) if name in PER_SCENARIO else 1 for name in SPREADS)
    return rng.triangular(0.0, 0.5, 1.0, size=(count, draws))


def _loop(a: Assumptions, draws: int) -> float:
    """The model draw by draw in plain Python (deterministic inputs; the same arithmetic per draw)."""
    total = 0.0
    v0 = a.incidence * a.population / (1 - a.repeat)
    for _ in range(draws):
        for s in range(len(SCENARIOS)):
            victims = v0
            for t in range(1, a.horizon + 1):
                immediate = min(1.0, t / a.build_years)
                delayed = min(1.0, max(0.0, (t - a.prevention_lag) / a.build_years))
                deter = a.deterrence[s] * 0.5 ** ((t - 1) / a.deterrence_half_life)
                new = a.incidence * (1 + a.trend) ** t * (1 - a.prevention[s] * delayed) * (1 - deter)
                rho = a.repeat * (1 - a.repeat_effect[s] * immediate)
                victims = new * a.population * (1 + a.population_growth) ** t + rho * victims
                reporting = a.reporting + a.reporting_change[s] * immediate
                protect = a.protection[s] * immediate * reporting / a.reporting
                deaths = a.lethality * victims * (1 - protect)
                total += a.cost_case * reporting * victims + a.cost_death * deaths + a.days_lost * a.day_value * victims
    return total


def run(report: Report, *, client: object | None = None) -> None:
    a = Assumptions(draws=DRAWS, horizon=HORIZON)
    start = time.perf_counter()
    simulate(a)
    once = time.perf_counter() - start
    timings = []
    for _ in range(20):
        start = time.perf_counter()
        simulate(a)
        timings.append(time.perf_counter() - start)
    best = sorted(timings)[len(timings) // 2]
    verdict = "within" if best < BUDGET_S else "OVER"
    report.add(
        compare(
            f"scenario model ({DRAWS:,} draws × {HORIZON} years × 3 scenarios)",
            lambda: simulate(a),
            "numpy triangular draws of the same inputs",
            lambda: _random_inputs(DRAWS),
            n=5,
            note=f"median {best * 1000:.1f} ms, first call {once * 1000:.1f} ms; {verdict} the {BUDGET_S:.1f} s budget",
        )
    )
    report.add(
        compare(
            f"scenario model vectorised ({DRAWS:,} draws)",
            lambda: simulate(a),
            "the same arithmetic as a Python loop over the draws",
            lambda: _loop(a, DRAWS),
            n=2,
            note="the loop leaves out the draws and the percentiles, so it does less than the model",
        )
    )
    if client is not None:
        get = client.get  # type: ignore[attr-defined]
        assert get("/analytics/scenarios/").status_code == 200
        report.add(
            compare(
                "scenario page (model, charts, tables, 37 inputs)",
                lambda: get("/analytics/scenarios/"),
                "one-query endpoint (/healthz)",
                lambda: get("/healthz"),
                n=20,
                rounds=3,
                note="in-process test client, demo analyst",
            )
        )


def main() -> None:
    run(Report())


if __name__ == "__main__":
    main()
