"""Membership of a counted row in a form of violence or a victim group, as SQL expressions, so that the
tallies are counted by GROUP BY in the database (never by a loop over the rows in Python).

Forms come from the incident's flags. Victim groups (DESIGN §8) come from a case's victim and markers:
women = the victim's sex is F; children = marker ``minor`` or younger than 18 at the incident; elderly
= marker ``elderly`` or 63 or older at the incident; the others are the case marker of the same code.
A report belongs to a group when any live case on its incident does (one report, two victims: it
counts once in each group either victim is in).
"""

from __future__ import annotations

from django.db.models import Exists, ExpressionWrapper, F, IntegerField, OuterRef, Q, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear

from qorgau.analytics.indicators import FORMS, GROUPS
from qorgau.cases.models import Case
from qorgau.people.models import Sex

CHILD_UNDER = 18
ELDERLY_FROM = 63
MARKER_GROUPS = {"disabled", "pregnant", "single_mother", "housewife_no_income", "migrant_wife"}

FORM_CODES = [c for c, _l in FORMS]
GROUP_CODES = [c for c, _l in GROUPS]


def occurred_parts(occurred: Combinable | str, zone: object) -> dict[str, Combinable]:
    """Annotations on the counted rows: the incident's year and month*100+day in the local zone (the
    group subqueries compare the victim's birth date with them)."""
    expr = F(occurred) if isinstance(occurred, str) else occurred
    return {
        "_occ_year": ExtractYear(expr, tzinfo=zone),
        "_occ_md": ExpressionWrapper(
            ExtractMonth(expr, tzinfo=zone) * Value(100) + ExtractDay(expr, tzinfo=zone), output_field=IntegerField()
        ),
    }


def _aged(cases: object) -> object:
    """Cases with ``_years`` (incident year minus birth year) and ``_bmd`` (birth month*100+day)."""
    return cases.annotate(  # type: ignore[attr-defined]
        _years=ExpressionWrapper(
            OuterRef("_occ_year") - ExtractYear("victim__birth_date"), output_field=IntegerField()
        ),
        _bmd=ExpressionWrapper(
            ExtractMonth("victim__birth_date") * Value(100) + ExtractDay("victim__birth_date"),
            output_field=IntegerField(),
        ),
    )


def group_condition(code: str) -> Q:
    """The condition on a Case (annotated by ``_aged``) for a victim group."""
    if code == "women":
        return Q(victim__sex=Sex.FEMALE)
    if code == "children":
        # Younger than 18: born less than 18 years before, or 18 years before but later in the year.
        return (
            Q(markers__code="minor") | Q(_years__lt=CHILD_UNDER) | Q(_years=CHILD_UNDER, _bmd__gt=OuterRef("_occ_md"))
        )
    if code == "elderly":
        return (
            Q(markers__code="elderly")
            | Q(_years__gt=ELDERLY_FROM)
            | Q(_years=ELDERLY_FROM, _bmd__lte=OuterRef("_occ_md"))
        )
    if code in MARKER_GROUPS:
        return Q(markers__code=code)
    raise ValueError(f"unknown victim group {code!r}")


def in_group(code: str, cases: Q) -> Exists:
    """Whether some live case matching ``cases`` (a condition with OuterRefs to the counted row) has a
    victim in the group. The counted row must carry the ``occurred_parts`` annotations."""
    qs = Case.objects.filter(cases, merged_into__isnull=True)
    if code in ("children", "elderly"):
        qs = _aged(qs)  # type: ignore[assignment]
    return Exists(qs.filter(group_condition(code)))
