"""What the registry already knows about an assessment's items (DESIGN §5 "cross-case signals").

Each source answers "yes", "no" or None (unknown) from the case, its latest incident and counts
across the registry — including cases the officer cannot open, which are counted, never shown.
Restricted cases count only inside themselves. An item names its source in the instrument file; the
form shows the proposed answer as pre-filled and the officer confirms or corrects it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qorgau.cases.models import Case, Incident, Party, PartyRole, Relationship
from qorgau.cases.selectors import RepeatCounts, pair_history, pair_repeat_counts
from qorgau.core import clock


@dataclass
class Context:
    case: Case
    incident: Incident | None

    @cached_property
    def counts(self) -> RepeatCounts:
        return pair_repeat_counts(self.case.victim.cluster_id, self.case.offender.cluster_id, exclude_case=self.case.pk)

    @cached_property
    def markers(self) -> set[str]:
        return set(self.case.markers.values_list("code", flat=True))

    @cached_property
    def pair_incidents_6_months(self) -> int:
        return pair_history(self.case).incidents_6_months

    def offender_prior(self) -> bool:
        """An earlier incident with him as offender, against anyone (restricted cases aside)."""
        cluster = self.case.offender.cluster_id
        if cluster is None or self.incident is None:
            return False
        earlier = Party.objects.filter(
            role=PartyRole.OFFENDER, person__cluster_id=cluster, incident__occurred_at__lt=self.incident.occurred_at
        ).exclude(incident=self.incident)
        if not self.case.restricted:
            earlier = earlier.exclude(incident__cases__restricted=True)
        return earlier.exists()

    def orders_breached(self) -> int:
        from qorgau.orders.selectors import order_counts_for_offender

        return order_counts_for_offender(self.case.offender.cluster_id)[1]

    def children(self) -> int:
        known = Party.objects.filter(incident__cases=self.case, role=PartyRole.CHILD_WITNESS, incident__created_at__lte=clock.now())
        return known.values("person__cluster_id").distinct().count()


def _incident(field: str) -> Callable[[Context], str | None]:
    def source(ctx: Context) -> str | None:
        if ctx.incident is None:
            return None
        return "yes" if getattr(ctx.incident, field) else "no"

    return source


def _yes_or_unknown(test: Callable[[Context], bool]) -> Callable[[Context], str | None]:
    """For facts the registry can confirm but never rule out (history may be unreported)."""
    return lambda ctx: "yes" if test(ctx) else None


def _substance(ctx: Context) -> str | None:
    if ctx.incident is None:
        return None
    return "yes" if ctx.incident.alcohol or ctx.incident.drugs else "no"


# source code -> (how it is computed, what the form says about where it came from)
SOURCES: dict[str, tuple[Callable[[Context], str | None], Promise]] = {
    "offender_prior_incidents": (
        _yes_or_unknown(Context.offender_prior),
        _("The registry holds an earlier incident by him, possibly in a case you cannot open."),
    ),
    "offender_other_victims": (
        _yes_or_unknown(lambda c: c.counts.his_other_victims > 0),
        _("The registry holds his violence against another person, possibly in a case you cannot open."),
    ),
    "pair_repeat_6_months": (
        _yes_or_unknown(lambda c: c.pair_incidents_6_months >= 2),
        _("The registry holds two or more incidents of this pair in the last 6 months."),
    ),
    "incident_strangulation": (_incident("strangulation"), _("From the report of the latest incident.")),
    "incident_weapon": (_incident("weapon"), _("From the report of the latest incident.")),
    "incident_injuries": (_incident("injuries"), _("From the report of the latest incident.")),
    "incident_substance": (_substance, _("From the report of the latest incident.")),
    "incident_children_present": (_incident("children_present"), _("From the report of the latest incident.")),
    "incident_children_harmed": (_incident("children_harmed"), _("From the report of the latest incident.")),
    "incident_sexual": (_incident("sexual"), _("From the report of the latest incident.")),
    "incident_neglect": (_incident("neglect"), _("From the report of the latest incident.")),
    "incident_economic": (_incident("economic"), _("From the report of the latest incident.")),
    "victim_pregnant": (_yes_or_unknown(lambda c: "pregnant" in c.markers), _("From her vulnerability markers on the case.")),
    "victim_disabled": (_yes_or_unknown(lambda c: "disabled" in c.markers), _("From her vulnerability markers on the case.")),
    "victim_elderly": (_yes_or_unknown(lambda c: "elderly" in c.markers), _("From her vulnerability markers on the case.")),
    "victim_minor": (_yes_or_unknown(lambda c: "minor" in c.markers), _("From her vulnerability markers on the case.")),
    "victim_no_income": (_yes_or_unknown(lambda c: "housewife_no_income" in c.markers), _("From her vulnerability markers on the case.")),
    "children_two_or_more": (_yes_or_unknown(lambda c: c.children() >= 2), _("The case's reports name two or more children.")),
    "separated": (_yes_or_unknown(lambda c: c.case.relationship == Relationship.EX_SPOUSE), _("The case records him as her former spouse.")),
    "order_breached": (
        _yes_or_unknown(lambda c: c.orders_breached() > 0),
        _("The registry holds a breach of a protective order by him, possibly in a case you cannot open."),
    ),
}


def latest_incident(case: Case) -> Incident | None:
    """The latest incident registered by now (an assessment back-dated for the demo or a test must not
    see reports made after it)."""
    return case.incidents.filter(created_at__lte=clock.now()).order_by("-occurred_at", "-id").first()


def prefill_answers(case: Case, items: list[tuple[str, str]], *, incident: Incident | None = None) -> dict[str, str]:
    """{item code: "yes" | "no"} for the items (code, source) the registry can answer."""
    ctx = Context(case, incident if incident is not None else latest_incident(case))
    out = {}
    for code, source in items:
        if source in SOURCES:
            value = SOURCES[source][0](ctx)
            if value is not None:
                out[code] = value
    return out


def source_label(source: str) -> str:
    return str(SOURCES[source][1]) if source in SOURCES else ""
