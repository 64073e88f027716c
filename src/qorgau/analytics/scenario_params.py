"""The scenario model's parameters as the page shows them: label, unit, range, default and source.

Values here are in the page's units (percent, thousand or million tenge, …); ``scale`` turns one into
the model's unit (``scenarios.Assumptions``). Common parameters have one value; scenario parameters
have one per scenario (inertial, reactive, strategic), each with its own default. The sources are
short; ``docs/scenarios.md`` gives each in full with the reasoning behind the number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qorgau.analytics.scenarios import SCENARIOS, Assumptions
from qorgau.core.errors import Invalid

SCENARIO_LABELS: dict[str, Promise] = {
    "inertial": _("Inertial"),
    "reactive": _("Reactive"),
    "strategic": _("Strategic"),
}
SCENARIO_DESCRIPTIONS: dict[str, Promise] = {
    "inertial": _("Current mechanisms kept, no reform: rising latency, growing social costs."),
    "reactive": _("Harsher punishment without systemic change: a short-term effect that does not remove the causes."),
    "strategic": _("A comprehensive approach: prevention, education and support for victims."),
}


@dataclass(frozen=True)
class Param:
    code: str  # the field of ``scenarios.Assumptions``
    label: Promise
    unit: Promise
    minimum: float
    maximum: float
    default: float | tuple[float, float, float]  # one value, or one per scenario (SCENARIOS order)
    source: Promise
    scale: float = 1.0  # page unit -> model unit
    step: str = "any"
    integer: bool = False

    @property
    def per_scenario(self) -> bool:
        return isinstance(self.default, tuple)

    def field_names(self) -> list[str]:
        return [field_name(self.code, s) for s in SCENARIOS] if self.per_scenario else [self.code]

    def defaults(self) -> dict[str, float]:
        if isinstance(self.default, tuple):
            return {field_name(self.code, s): v for s, v in zip(SCENARIOS, self.default, strict=True)}
        return {self.code: self.default}


def field_name(code: str, scenario: str = "") -> str:
    """The query-string name: ``prevention_strategic`` for a scenario's value, ``reporting`` for a common one."""
    return f"{code}_{scenario}" if scenario else code


PCT, PP = 0.01, 0.01
RUN: tuple[Param, ...] = (
    Param(
        "horizon",
        _("Years projected"),
        _("years"),
        5,
        10,
        10,
        _("Years after the base year 2024 (5 to 10)."),
        step="1",
        integer=True,
    ),
    Param(
        "draws",
        _("Simulation draws"),
        _("draws"),
        100,
        5000,
        1000,
        _("Monte Carlo draws with a fixed seed: the same assumptions always give the same results."),
        step="1",
        integer=True,
    ),
    Param(
        "uncertainty",
        _("Width of the uncertainty"),
        _("times the stated ranges"),
        0,
        3,
        1,
        _("Scales the range of every uncertain assumption; 0 gives a single run without uncertainty."),
        step="0.1",
    ),
)
BASE: tuple[Param, ...] = (
    Param(
        "population",
        _("Population in the base year"),
        _("million people"),
        10,
        30,
        20.2,
        _("Bureau of National Statistics: 20.29 million on 1 January 2025; mid-2024 about 20.2 million."),
        scale=1e6,
    ),
    Param(
        "population_growth",
        _("Population growth"),
        _("% a year"),
        -1,
        3,
        1.1,
        _("Bureau of National Statistics: about 1.0–1.3% a year in 2023–2025."),
        scale=PCT,
    ),
    Param(
        "incidence",
        _("New victims"),
        _("per 100,000 people a year"),
        100,
        5000,
        866,
        _(
            "Calibrated: with the reporting and repeat shares below it gives about 100,000 reports in 2024 (police figures cited in the note)."
        ),
        scale=1e-5,
    ),
    Param(
        "reporting",
        _("Reporting share"),
        _("per cent of victims"),
        5,
        50,
        40,
        _("The note: the real scale is at least twice the reported one, so at most half of victims reach the police."),
        scale=PCT,
    ),
    Param(
        "repeat",
        _("Repeat victimisation"),
        _("per cent of victims hurt again the next year"),
        0,
        80,
        30,
        _(
            "Assumption: victim surveys abroad find 20–45%; the registry's own repeat rate will replace it as it accumulates."
        ),
        scale=PCT,
    ),
    Param(
        "trend",
        _("Trend of new victims without reform"),
        _("% a year"),
        -5,
        5,
        0,
        _("About 100,000 reports in both 2023 and 2024: no trend assumed beyond population growth."),
        scale=PCT,
    ),
    Param(
        "order_rate",
        _("Protective orders"),
        _("per 100 reports"),
        0,
        150,
        72,
        _("Police, 2024: 72,000 protective orders for about 100,000 reports."),
        scale=PCT,
    ),
    Param(
        "lethality",
        _("Lethality"),
        _("per 100,000 victims"),
        0,
        1000,
        77.2,
        _(
            "The note: 869 deaths in 4.5 years, about 193 a year. Counted per victim, not per report, so that more reporting does not mean more deaths."
        ),
        scale=1e-5,
    ),
    Param(
        "grave_harm",
        _("Grave harm"),
        _("per 100,000 victims"),
        0,
        3000,
        185.5,
        _("The note: 2,086 cases of grave harm in 4.5 years, about 464 a year."),
        scale=1e-5,
    ),
    Param(
        "cost_case",
        _("Cost of services per reported case"),
        _("thousand ₸"),
        0,
        5000,
        300,
        _(
            "Assumption: police response and protective order, medical examination, court, crisis centre; service costs in foreign cost-of-violence studies, scaled to Kazakh wages."
        ),
        scale=1e3,
    ),
    Param(
        "cost_death",
        _("Cost of a death"),
        _("million ₸"),
        0,
        2000,
        120,
        _(
            "Lost lifetime output: output per person times about 17 discounted working years. The value of a statistical life would be several times higher."
        ),
        scale=1e6,
    ),
    Param(
        "cost_grave",
        _("Cost of a case of grave harm"),
        _("million ₸"),
        0,
        100,
        5,
        _("Assumption: treatment, rehabilitation and disability benefits."),
        scale=1e6,
    ),
    Param(
        "days_lost",
        _("Working days lost"),
        _("days per victim a year"),
        0,
        60,
        5,
        _("Assumption from foreign cost-of-violence studies: days of paid or household work a victim loses in a year."),
    ),
    Param(
        "day_value",
        _("Value of a working day"),
        _("thousand ₸"),
        0,
        100,
        19.5,
        _("Average monthly wage of 410–420 thousand ₸ (Bureau of National Statistics, 2025) over 21 working days."),
        scale=1e3,
    ),
    Param(
        "prevention_lag",
        _("Delay before prevention works"),
        _("years"),
        0,
        5,
        2,
        _("Prevention works through schools and social norms: years pass before there are fewer new victims."),
        step="1",
        integer=True,
    ),
    Param(
        "build_years",
        _("Years to full effect"),
        _("years"),
        1,
        8,
        3,
        _("A measure reaches its full effect step by step over these years once it starts."),
        step="1",
        integer=True,
    ),
    Param(
        "deterrence_half_life",
        _("Fading of deterrence"),
        _("years to half"),
        0.5,
        10,
        2,
        _("The effect of harsher punishment fades as it becomes routine (the note: a short-term effect)."),
        step="0.5",
    ),
)
SCENARIO: tuple[Param, ...] = (
    Param(
        "prevention",
        _("Prevention: fewer new victims"),
        _("% at full effect"),
        0,
        60,
        (0, 0, 20),
        _(
            "Trials of community and school prevention programmes found falls in partner violence from none to about half; a national programme is assumed to reach a fifth, after the delay."
        ),
        scale=PCT,
    ),
    Param(
        "deterrence",
        _("Deterrence: fewer new victims"),
        _("per cent in the first year, then fading"),
        -10,
        30,
        (0, 5, 0),
        _(
            "Research finds that the certainty of punishment deters more than its severity: harsher sentences alone are expected to have a small, uncertain and short-lived effect; a negative value means it backfires."
        ),
        scale=PCT,
    ),
    Param(
        "reporting_change",
        _("Change in the reporting share"),
        _("percentage points"),
        -20,
        30,
        (-3, -4, 10),
        _(
            "Inertial: latency rises (the note). Reactive: some victims stop calling when a call can send the family's earner to prison. Strategic: campaigns, hotlines and trust bring more victims to report, so reports rise before they fall."
        ),
        scale=PP,
    ),
    Param(
        "repeat_effect",
        _("Fall in repeat victimisation"),
        _("per cent of the repeat share"),
        -20,
        60,
        (0, 5, 25),
        _(
            "Protective orders with monitoring, risk assessment, shelters, work for victims and offender programmes (Spain and Georgia in the note); reviews find that protective orders reduce re-abuse. Prison keeps some offenders away for a time."
        ),
        scale=PCT,
    ),
    Param(
        "protection",
        _("Fall in deaths and grave harm per victim"),
        _("% at full effect"),
        0,
        50,
        (0, 3, 15),
        _(
            "Risk assessment and monitoring of high-risk cases for the victims who report; in Spain partner killings fell by about a quarter over the decade after its integrated system began."
        ),
        scale=PCT,
    ),
    Param(
        "spending",
        _("Additional public spending"),
        _("billion ₸ a year"),
        0,
        200,
        (0, 4, 15),
        _(
            "Illustrative. Strategic: Spain's state pact spends about one billion euros over five years; scaled to Kazakhstan's population and income this is 15–20 billion ₸ a year. Reactive: prison places for longer sentences."
        ),
        scale=1e9,
    ),
)
GROUPS: tuple[tuple[Promise, tuple[Param, ...]], ...] = (
    (_("The run"), RUN),
    (_("The base year and costs (all scenarios)"), BASE),
)
PARAMS: dict[str, Param] = {p.code: p for p in (*RUN, *BASE, *SCENARIO)}


def defaults() -> dict[str, float]:
    """Every field's default, in the page's units, keyed by field name."""
    out: dict[str, float] = {}
    for p in PARAMS.values():
        out.update(p.defaults())
    return out


def out_of_range(p: Param, value: float) -> str | None:
    """The localised refusal of a value, or None when it is acceptable."""
    limits = {
        "min": number_format(p.minimum, force_grouping=True),
        "max": number_format(p.maximum, force_grouping=True),
    }
    if p.integer and not float(value).is_integer():
        return gettext("Enter a whole number from %(min)s to %(max)s.") % limits
    if not p.minimum <= value <= p.maximum:
        return gettext("Enter a value from %(min)s to %(max)s.") % limits
    return None


def assumptions(values: Mapping[str, float]) -> Assumptions:
    """The model's inputs from page values (missing fields take their defaults); ``Invalid`` on an unknown
    field or a value outside its range."""
    merged = defaults()
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if name not in merged:
            errors[name] = [gettext("Unknown assumption.")]
            continue
        merged[name] = float(value)
    for p in PARAMS.values():
        for name in p.field_names():
            problem = out_of_range(p, merged[name])
            if problem:
                errors.setdefault(name, []).append(problem)
    if errors:
        raise Invalid(fields=errors)
    kwargs: dict[str, object] = {}
    for p in PARAMS.values():
        if p.per_scenario:
            kwargs[p.code] = tuple(merged[field_name(p.code, s)] * p.scale for s in SCENARIOS)
        elif p.integer:
            kwargs[p.code] = int(merged[p.code])
        else:
            kwargs[p.code] = merged[p.code] * p.scale
    return Assumptions(**kwargs)  # type: ignore[arg-type]
