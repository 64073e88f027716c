"""Reads of case conferences: the coordinator's list, one conference through its gate, the units one
may invite, and the case page's card.

A conference is managed by the coordinators (``RUN_CONFERENCES``) of its convening unit, and only
while their unit can open the case; to anyone else it is "not found". Units working on the case see
its conferences read-only on the case page (``conference_context``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from qorgau.accounts.masks import FieldRule, Scope, Sensitivity, Subject, Viewer, mask
from qorgau.accounts.models import Unit, User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import case_get_for, cases_visible_to, grants_in_force
from qorgau.cases.models import Case
from qorgau.cases.presence import absent
from qorgau.core import clock
from qorgau.core.errors import Forbidden, NotFound
from qorgau.protocols.engine import route
from qorgau.protocols.models_conferences import LIVE_CONFERENCE, Conference, ConferenceStatus

RECENT = timedelta(days=90)
LIST_LIMIT = 200
CARD_LIMIT = 5
# Agencies a conference usually invites (DESIGN §1); the units come from the protocols' routing.
INVITE_KINDS = ("police", "family_support", "crisis_centre", "health", "school", "minors_commission", "social_protection", "probation", "court")
# The minutes are a narrative about her: the mask layer decides who reads them.
MINUTES_POLICY = {"minutes": FieldRule(Sensitivity.NARRATIVE, Subject.VICTIM)}


CONFERENCES = "conferences"


def conferences_of(case: Case) -> QuerySet[Conference, Conference]:
    return Conference.objects.filter(case=case)


def _conferences() -> QuerySet[Conference]:
    return Conference.objects.select_related("case", "convening_unit").prefetch_related(
        "grounds", "attendees__unit", "decisions__owner", "decisions__task"
    )


@dataclass
class ConferenceList:
    proposed: list[Conference] = field(default_factory=list)
    scheduled: list[Conference] = field(default_factory=list)
    recent: list[Conference] = field(default_factory=list)


def unit_conferences(actor: User) -> QuerySet[Conference]:
    """The conferences the actor's unit convenes, on cases the unit can open."""
    if actor.unit_id is None or not actor.can(Capability.RUN_CONFERENCES):
        return Conference.objects.none()
    return _conferences().filter(convening_unit_id=actor.unit_id, case__in=cases_visible_to(actor))


def conferences_for(actor: User) -> ConferenceList:
    """Proposed (oldest first), scheduled (soonest first) and those held, dismissed or cancelled in the
    last 90 days."""
    qs = unit_conferences(actor)
    since = clock.now() - RECENT
    return ConferenceList(
        proposed=list(qs.filter(status=ConferenceStatus.PROPOSED).order_by("proposed_at", "id")[:LIST_LIMIT]),
        scheduled=list(qs.filter(status=ConferenceStatus.SCHEDULED).order_by("scheduled_for", "id")[:LIST_LIMIT]),
        recent=list(qs.exclude(status__in=LIVE_CONFERENCE).filter(updated_at__gte=since).order_by("-updated_at", "-id")[:LIST_LIMIT]),
    )


def conference_get_for(actor: User, conference_id: int, *, request: HttpRequest | None = None) -> tuple[Conference, Viewer]:
    """The conference for its manager, through the case gate (which audits the read); NotFound alike
    for a missing conference and one the actor may not manage."""
    if not actor.can(Capability.RUN_CONFERENCES):
        raise Forbidden()
    conference = _conferences().filter(pk=conference_id).first()
    if conference is None or actor.unit_id is None or conference.convening_unit_id != actor.unit_id:
        raise NotFound()
    _case, viewer = case_get_for(actor, conference.case_id, request=request)
    return conference, viewer


def invitable_units(conference: Conference) -> list[Unit]:
    """Units working on the case, then the units the protocols would route each agency kind to."""
    case = conference.case
    held = list(Unit.objects.filter(pk__in=grants_in_force().filter(case=case).values("unit_id"), is_active=True).order_by("id"))
    routed = [u for u in (route(kind, case) for kind in INVITE_KINDS) if u is not None]
    out: dict[int, Unit] = {}
    for unit in [*held, *routed, *(a.unit for a in conference.attendees.all())]:
        if unit.pk != conference.convening_unit_id and unit.kind_id not in ("oversight", "system", "ministry", "data_quality"):
            out.setdefault(unit.pk, unit)
    return list(out.values())


def minutes_for(viewer: Viewer, conference: Conference) -> Any:
    """The minutes as the viewer may read them (MASKED otherwise)."""
    return mask(viewer, {"minutes": conference.minutes}, MINUTES_POLICY)["minutes"]


@dataclass
class ConferenceRow:
    conference: Conference
    minutes: Any = ""
    manage: bool = False


def conference_context(case: Case, viewer: Viewer, actor: User | None = None) -> dict[str, Any]:
    """What ``protocols/conferences/_case_card.html`` needs on the case page; every key starts with
    ``conference_``. Units working on the case (scope full or worker) see its conferences read-only;
    the convening unit's coordinators get a link to manage each, and may propose one by hand."""
    if viewer.scope not in (Scope.FULL, Scope.WORKER):
        return {"conference_rows": [], "conference_show": False, "conference_can_propose": False}
    coordinator = actor is not None and actor.can(Capability.RUN_CONFERENCES)
    rows = []
    listed = [] if absent(case, CONFERENCES) else _conferences().filter(case=case).order_by("-proposed_at", "-id")[:CARD_LIMIT]
    for c in listed:
        rows.append(ConferenceRow(conference=c, minutes=minutes_for(viewer, c) if c.minutes else "",
                                  manage=coordinator and actor is not None and c.convening_unit_id == actor.unit_id))
    live = any(r.conference.live for r in rows)
    open_case = not case.restricted and case.merged_into_id is None and case.state != "closed"
    return {
        "conference_rows": rows,
        "conference_show": bool(rows) or coordinator,
        "conference_can_propose": coordinator and open_case and not live,
    }
