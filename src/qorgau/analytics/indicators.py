"""The indicators of the dashboards (DESIGN §8), in display order, with the forms of violence and the
victim groups they can be broken down by. Definitions and sources: docs/analytics.md."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

COUNT = "count"
SHARE = "share"
MEAN_HOURS = "mean_hours"
SNAPSHOT = "snapshot"


@dataclass(frozen=True)
class Indicator:
    """``kind``: a count per period; a share (0–100) of two counts; a mean of hours; or a snapshot of
    the present (shelter beds). ``live``: read from the small live tables, not from the monthly
    tallies, so the period, urban/rural and breakdown filters do not apply to it."""

    code: str
    label: Promise
    kind: str
    per_100k: bool
    help: Promise
    live: bool = False
    # For a share counted in tallies: the indicator whose count is its denominator.
    denominator: str = ""


_ALL = [
    Indicator(
        "reports",
        _("Reports"),
        COUNT,
        True,
        _("Reports of domestic violence received in the period (a report counts where its incident happened)."),
    ),
    Indicator(
        "cases", _("Cases opened"), COUNT, True, _("Cases (one victim–offender pair each) opened in the period.")
    ),
    Indicator("orders", _("Protective orders"), COUNT, True, _("Police protective orders issued in the period.")),
    Indicator(
        "special_requirements",
        _("Special requirements"),
        COUNT,
        True,
        _("Court special requirements for the offender's behaviour set in the period."),
    ),
    Indicator(
        "breaches",
        _("Breaches of orders"),
        COUNT,
        True,
        _("Breaches of protective orders and special requirements that happened in the period."),
    ),
    Indicator("court_decisions", _("Court decisions"), COUNT, True, _("Court decisions on cases taken in the period.")),
    Indicator("criminal_cases", _("Criminal cases"), COUNT, True, _("Criminal cases registered in the period.")),
    Indicator(
        "deaths",
        _("Deaths"),
        COUNT,
        True,
        _(
            "Criminal cases registered in the period under an article of the Criminal Code on a killing or a death (articles 99–105)."
        ),
    ),
    Indicator(
        "grave_harm",
        _("Grave harm to health"),
        COUNT,
        True,
        _("Criminal cases registered in the period for intentional grave harm to health (article 106)."),
    ),
    Indicator(
        "repeat_rate",
        _("Repeat reports, %"),
        SHARE,
        False,
        _(
            "Share of the reports that came on a case which already had an earlier report (the same victim–offender pair)."
        ),
        denominator="reports",
    ),
    Indicator(
        "first_contact_hours",
        _("Hours to first contact"),
        MEAN_HOURS,
        False,
        _(
            "Mean hours from a case's first report to the first task done on it, for cases whose first report came in the period."
        ),
    ),
    Indicator(
        "tasks_overdue",
        _("Overdue tasks"),
        COUNT,
        False,
        _("Protocol tasks due in the period that were done late or are still open past their due time."),
    ),
    Indicator(
        "placements",
        _("Shelter admissions"),
        COUNT,
        True,
        _("Admissions to shelters in the period (counted where the shelter is)."),
    ),
    Indicator(
        "shelter_beds",
        _("Shelter beds"),
        SNAPSHOT,
        False,
        _("Shelter beds of the active crisis centres now."),
        live=True,
    ),
    Indicator(
        "shelter_occupancy",
        _("Shelter occupancy, %"),
        SHARE,
        False,
        _("Share of the shelter beds occupied or held now."),
        live=True,
    ),
    Indicator(
        "beds_per_100k",
        _("Shelter beds per 100,000"),
        SNAPSHOT,
        False,
        _("Shelter beds now per 100,000 people of the reference population."),
        live=True,
    ),
    Indicator("alerts", _("Monitoring alerts"), COUNT, False, _("Electronic monitoring alerts raised in the period.")),
    Indicator(
        "programme_completions",
        _("Programme completions"),
        COUNT,
        False,
        _("Enrolments in correction or support programmes completed in the period."),
    ),
    Indicator(
        "training_coverage",
        _("Training coverage, %"),
        SHARE,
        False,
        _("Share of active staff holding a current training certificate now."),
        live=True,
    ),
]

INDICATORS: dict[str, Indicator] = {i.code: i for i in _ALL}

# Indicators kept in the monthly tallies (the rest are live snapshots).
TALLIED = [i.code for i in _ALL if not i.live]

FORMS: list[tuple[str, Promise]] = [
    ("physical", _("Physical violence")),
    ("psychological", _("Psychological violence")),
    ("economic", _("Economic violence")),
    ("sexual", _("Sexual violence")),
    ("neglect", _("Neglect")),
]

GROUPS: list[tuple[str, Promise]] = [
    ("women", _("Women")),
    ("children", _("Children")),
    ("elderly", _("Elderly people")),
    ("disabled", _("People with disabilities")),
    ("pregnant", _("Pregnant women")),
    ("single_mother", _("Single mothers")),
    ("housewife_no_income", _("Housewives without income")),
    ("migrant_wife", _("Migrants' wives")),
]

BREAKDOWNS: list[str] = [f"form:{c}" for c, _l in FORMS] + [f"group:{c}" for c, _l in GROUPS]


def breakdown_label(breakdown: str) -> str:
    """The localised name of ``"form:<code>"`` / ``"group:<code>"`` ("" for none)."""
    kind, _sep, code = breakdown.partition(":")
    table = dict(FORMS) if kind == "form" else dict(GROUPS) if kind == "group" else {}
    label = table.get(code)
    return str(label) if label is not None else ""
