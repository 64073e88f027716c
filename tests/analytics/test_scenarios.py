"""The scenario model (analytics.scenarios) and its parameters (analytics.scenario_params): calibration to
the published national figures, the scenarios' mechanics, the uncertainty, and the note's table."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qorgau.analytics import scenario_params
from qorgau.analytics.scenarios import (
    BASE_YEAR,
    PUBLISHED,
    SCENARIOS,
    TOLERANCE,
    Assumptions,
    ScenarioRow,
    ramp,
    scenario_table,
    simulate,
)
from qorgau.core.errors import Invalid

INERTIAL, REACTIVE, STRATEGIC = range(3)
NO_POLICY = {
    "prevention": (0.0,) * 3,
    "deterrence": (0.0,) * 3,
    "reporting_change": (0.0,) * 3,
    "repeat_effect": (0.0,) * 3,
    "protection": (0.0,) * 3,
    "spending": (0.0,) * 3,
}


def _det(**changes) -> Assumptions:
    """The defaults without uncertainty (one deterministic run, repeated over a few draws)."""
    return Assumptions(draws=10, uncertainty=0.0).replace(**changes)


# --- calibration -----------------------------------------------------------------------------------


def test_the_defaults_reproduce_the_published_figures_of_the_base_year():
    p = simulate(scenario_params.assumptions({}))
    rows = {r.measure: r for r in p.calibration()}
    assert set(rows) == {"reports", "orders", "deaths", "grave_harm"}
    assert rows["reports"].model.median == pytest.approx(100_000, rel=TOLERANCE)
    assert rows["orders"].model.median == pytest.approx(72_000, rel=TOLERANCE)
    assert rows["deaths"].model.median == pytest.approx(869 / 4.5, rel=TOLERANCE)
    assert rows["grave_harm"].model.median == pytest.approx(2086 / 4.5, rel=TOLERANCE)
    assert all(r.within for r in rows.values())
    assert PUBLISHED["deaths"] == pytest.approx(193.1, abs=0.05)


def test_the_draws_keep_the_observed_base_year_and_vary_the_unreported_part():
    p = simulate(Assumptions())
    reports = p.values["reports"][:, :, 0]
    victims = p.values["victims"][:, :, 0]
    assert np.ptp(reports) == pytest.approx(0.0, abs=1e-6)  # fixed by the calibration
    assert np.ptp(p.values["deaths"][:, :, 0]) == pytest.approx(0.0, abs=1e-9)
    # true victims = reports / reporting share, the share drawn from 30% to 50% around 40%
    assert victims.min() >= 100_000 / 0.5 - 1 and victims.max() <= 100_000 / 0.3 + 1
    assert np.ptp(victims) > 50_000


def test_assumptions_that_no_longer_match_the_published_figures_are_flagged():
    p = simulate(scenario_params.assumptions({"reporting": 20}))
    rows = {r.measure: r for r in p.calibration()}
    assert rows["reports"].model.median == pytest.approx(50_000, rel=0.01)
    assert rows["reports"].deviation == pytest.approx(-0.5, abs=0.01)
    assert not rows["reports"].within
    assert rows["deaths"].within  # deaths are counted per true victim, and the true victims did not change


# --- the parameters --------------------------------------------------------------------------------


def test_the_page_defaults_are_the_model_defaults():
    from_page, model = scenario_params.assumptions({}), Assumptions()
    for f in fields(Assumptions):
        a, b = getattr(from_page, f.name), getattr(model, f.name)
        if isinstance(b, tuple):
            assert a == pytest.approx(b, rel=1e-12), f.name
        else:
            assert a == pytest.approx(b, rel=1e-12), f.name


def test_every_model_input_has_exactly_one_parameter_on_the_page():
    assert set(scenario_params.PARAMS) == {f.name for f in fields(Assumptions)}


@pytest.mark.parametrize("code", sorted(scenario_params.PARAMS))
def test_every_default_lies_inside_its_range_and_has_a_source(code):
    p = scenario_params.PARAMS[code]
    values = p.default if isinstance(p.default, tuple) else (p.default,)
    assert all(p.minimum <= v <= p.maximum for v in values)
    assert len(str(p.source)) > 20 and str(p.label) and str(p.unit)


def test_the_reporting_share_cannot_exceed_the_notes_half():
    assert scenario_params.PARAMS["reporting"].maximum == 50
    with pytest.raises(Invalid) as exc:
        scenario_params.assumptions({"reporting": 51})
    assert list(exc.value.fields) == ["reporting"]


def test_values_outside_their_range_unknown_names_and_fractional_years_are_refused():
    with translation.override("en"), pytest.raises(Invalid) as exc:
        scenario_params.assumptions({"horizon": 11, "prevention_strategic": -1, "nonsense": 1, "prevention_lag": 1.5})
    assert exc.value.fields == {
        "horizon": ["Enter a value from 5 to 10."],
        "prevention_strategic": ["Enter a value from 0 to 60."],
        "nonsense": ["Unknown assumption."],
        "prevention_lag": ["Enter a whole number from 0 to 5."],
    }


def test_page_units_are_converted_to_model_units():
    a = scenario_params.assumptions(
        {"reporting": 25, "spending_strategic": 10, "cost_death": 200, "population": 19, "horizon": 7}
    )
    assert a.reporting == pytest.approx(0.25)
    assert a.spending == pytest.approx((0.0, 4e9, 10e9))
    assert a.cost_death == pytest.approx(200e6)
    assert a.population == pytest.approx(19e6)
    assert a.horizon == 7 and isinstance(a.horizon, int)


# --- the mechanics ---------------------------------------------------------------------------------


def test_ramp_reaches_the_full_effect_step_by_step():
    assert [ramp(t, 3) for t in (-1, 0, 1, 2, 3, 4)] == pytest.approx([0, 0, 1 / 3, 2 / 3, 1, 1])
    assert ramp(1, 1) == 1.0


def test_the_first_projected_year_by_hand():
    a = _det(**NO_POLICY, population_growth=0.01, trend=0.02, repeat=0.3, reporting=0.4)
    a = a.replace(
        prevention=(0.0, 0.0, 0.3),
        prevention_lag=0,
        build_years=2,
        reporting_change=(0.0, 0.0, 0.1),
        repeat_effect=(0.0, 0.0, 0.5),
        protection=(0.0, 0.0, 0.2),
        spending=(0.0, 0.0, 7e9),
    )
    p = simulate(a)
    v0 = a.incidence * a.population / 0.7
    population = a.population * 1.01
    new = a.incidence * 1.02 * (1 - 0.3 * 0.5)
    victims = new * population + 0.3 * (1 - 0.5 * 0.5) * v0
    reporting = 0.4 + 0.1 * 0.5
    protect = 0.2 * 0.5 * reporting / 0.4
    deaths = a.lethality * victims * (1 - protect)
    harm = a.grave_harm * victims * (1 - protect)
    reports = reporting * victims
    cost = a.cost_case * reports + a.cost_death * deaths + a.cost_grave * harm + a.days_lost * a.day_value * victims
    got = {m: p.values[m][STRATEGIC, 0, 1] for m in ("victims", "reports", "deaths", "grave_harm", "cost", "spending")}
    assert got == pytest.approx(
        {"victims": victims, "reports": reports, "deaths": deaths, "grave_harm": harm, "cost": cost, "spending": 7e9},
        rel=1e-9,
    )
    assert p.values["orders"][STRATEGIC, 0, 1] == pytest.approx(a.order_rate * reports, rel=1e-9)


def test_the_base_year_is_the_same_in_every_scenario():
    p = simulate(Assumptions())
    for m in ("victims", "reports", "deaths", "cost"):
        base = p.values[m][:, :, 0]
        assert np.array_equal(base[0], base[1]) and np.array_equal(base[0], base[2])
    assert p.values["spending"][:, :, 0].sum() == 0


def test_a_scenario_without_measures_is_the_inertial_one_draw_for_draw():
    """Common random numbers: the scenarios share their draws, so only their measures differ."""
    a = Assumptions().replace(reporting_change=(-0.03, -0.03, -0.03))
    a = a.replace(
        prevention=(0.0,) * 3,
        deterrence=(0.0,) * 3,
        repeat_effect=(0.0,) * 3,
        protection=(0.0,) * 3,
        spending=(0.0,) * 3,
    )
    p = simulate(a)
    for m in ("victims", "reports", "deaths", "cost"):
        assert np.array_equal(p.values[m][STRATEGIC], p.values[m][INERTIAL])
    assert p.compare("strategic")["deaths"].median == 0.0


def test_prevention_waits_for_its_delay():
    a = _det(**NO_POLICY).replace(prevention=(0.0, 0.0, 0.3), prevention_lag=2, build_years=3)
    p = simulate(a)
    v = p.values["victims"][:, 0, :]
    assert v[STRATEGIC, 1] == pytest.approx(v[INERTIAL, 1]) and v[STRATEGIC, 2] == pytest.approx(v[INERTIAL, 2])
    assert v[STRATEGIC, 3] < v[INERTIAL, 3] * 0.99
    assert v[STRATEGIC, 6] < v[STRATEGIC, 3]


def test_deterrence_is_strongest_at_first_and_fades():
    a = _det(**NO_POLICY, repeat=0.0).replace(deterrence=(0.0, 0.08, 0.0), deterrence_half_life=2.0)
    v = simulate(a).values["victims"][:, 0, :]
    ratio = v[REACTIVE] / v[INERTIAL]  # no repeat victims: the ratio is the new victims' ratio
    assert ratio[1] == pytest.approx(1 - 0.08)
    assert ratio[3] == pytest.approx(1 - 0.04)
    assert ratio[5] == pytest.approx(1 - 0.02)


def test_with_the_defaults_strategic_reports_rise_first_while_violence_and_deaths_fall():
    p = simulate(Assumptions())
    reports, victims, deaths = (p.quantiles(m)[1] for m in ("reports", "victims", "deaths"))
    assert all(reports[STRATEGIC, t] > reports[INERTIAL, t] for t in (1, 2, 3))
    assert all(victims[STRATEGIC, t] < victims[INERTIAL, t] for t in range(1, len(p.years)))
    assert deaths[STRATEGIC, -1] < 0.75 * deaths[INERTIAL, -1]
    averted = p.compare("strategic")
    assert averted["deaths"].low > 0 and averted["victims"].low > 0


def test_with_the_defaults_reactive_reports_fall_more_than_violence():
    p = simulate(Assumptions())
    reports, victims = p.quantiles("reports")[1], p.quantiles("victims")[1]
    assert reports[REACTIVE, 2] / reports[INERTIAL, 2] < victims[REACTIVE, 2] / victims[INERTIAL, 2]
    assert victims[REACTIVE, -1] / victims[INERTIAL, -1] > 0.95  # a small, short-lived effect


def test_the_inertial_scenario_grows_latency_and_costs():
    p = simulate(Assumptions())
    q = {m: p.quantiles(m)[1, INERTIAL] for m in ("reports", "victims", "cost")}
    assert q["reports"][3] / q["victims"][3] < q["reports"][0] / q["victims"][0]  # a smaller reported share
    assert q["cost"][-1] > q["cost"][0]


# --- uncertainty -----------------------------------------------------------------------------------


def test_the_same_assumptions_give_the_same_bands_and_another_seed_others():
    a = Assumptions(draws=500)
    first, again, other = simulate(a), simulate(a), simulate(a, seed=7)
    assert np.array_equal(first.values["deaths"], again.values["deaths"])
    assert not np.array_equal(first.values["deaths"], other.values["deaths"])


def test_bands_are_ordered_and_vanish_without_uncertainty():
    p = simulate(Assumptions())
    for m in ("reports", "victims", "deaths", "cost"):
        q = p.quantiles(m)
        assert np.all(q[0] <= q[1]) and np.all(q[1] <= q[2])
    assert np.ptp(p.quantiles("deaths")[:, STRATEGIC, -1]) > 0
    flat = simulate(_det())
    for m in ("reports", "victims", "deaths", "cost"):
        q = flat.quantiles(m)
        assert np.allclose(q[0], q[2], rtol=1e-12)


def test_a_wider_uncertainty_widens_the_band():
    narrow = simulate(Assumptions(uncertainty=0.5)).quantiles("deaths")[:, STRATEGIC, -1]
    wide = simulate(Assumptions(uncertainty=2.0)).quantiles("deaths")[:, STRATEGIC, -1]
    assert wide[2] - wide[0] > 2 * (narrow[2] - narrow[0])


def test_the_comparison_is_the_band_of_the_draw_by_draw_difference():
    p = simulate(Assumptions())
    totals = p.cumulative("deaths")
    diff = totals[INERTIAL] - totals[STRATEGIC]
    band = p.compare("strategic")["deaths"]
    assert band.median == pytest.approx(float(np.median(diff)))
    assert band.low == pytest.approx(float(np.quantile(diff, 0.1)))
    net = p.compare("strategic")["net"]
    cost = p.cumulative("cost")
    spend = p.cumulative("spending")
    assert net.median == pytest.approx(
        float(np.median((cost[INERTIAL] - cost[STRATEGIC]) - (spend[STRATEGIC] - spend[INERTIAL])))
    )


# Every combination of in-range values gives finite, non-negative figures (no 500 on the page).
_ranges = {code: (p.minimum, p.maximum) for code, p in scenario_params.PARAMS.items()}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_values_in_range_give_finite_non_negative_figures(data):
    values: dict[str, float] = {"draws": 200}
    for code, p in scenario_params.PARAMS.items():
        if code == "draws":
            continue
        for name in p.field_names():
            if p.integer:
                values[name] = data.draw(st.integers(int(p.minimum), int(p.maximum)), label=name)
            else:
                values[name] = data.draw(st.floats(p.minimum, p.maximum, allow_nan=False), label=name)
    p = simulate(scenario_params.assumptions(values))
    for m, v in p.values.items():
        assert np.all(np.isfinite(v)), m
        assert np.all(v >= 0), m
    assert np.all(p.values["reports"] <= p.values["victims"] * 0.95 + 1e-6)
    assert len(p.years) == int(values["horizon"]) + 1


# --- the note's table ------------------------------------------------------------------------------


def test_scenario_table_has_one_row_per_scenario_and_year_in_order():
    with translation.override("en"):
        rows = scenario_table()
    assert len(rows) == 3 * 11
    assert all(isinstance(r, ScenarioRow) for r in rows)
    assert [r.scenario for r in rows[::11]] == list(SCENARIOS)
    assert [r.year for r in rows[:11]] == list(range(BASE_YEAR, BASE_YEAR + 11))
    assert [r.base for r in rows[:2]] == [True, False]
    assert {r.label for r in rows} == {"Inertial", "Reactive", "Strategic"}
    last = rows[-1]
    assert last.scenario == "strategic" and last.year == BASE_YEAR + 10
    for band in (last.reports, last.victims, last.deaths, last.cost):
        assert band.low <= band.median <= band.high and math.isfinite(band.median)
    assert rows[0].reports.median == pytest.approx(100_000, rel=TOLERANCE)
    assert rows[0].cost.median > 1e9  # tenge, not billions


def test_scenario_table_takes_page_values_and_refuses_bad_ones():
    rows = scenario_table({"horizon": 5, "prevention_strategic": 0})
    assert len(rows) == 3 * 6 and rows[-1].year == BASE_YEAR + 5
    with pytest.raises(Invalid):
        scenario_table({"horizon": 12})
    with translation.override("ru"):
        assert scenario_table(Assumptions(horizon=5, draws=100))[0].label == str(
            scenario_params.SCENARIO_LABELS["inertial"]
        )
