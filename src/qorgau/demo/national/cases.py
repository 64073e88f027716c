"""One planned pair written as the registry's rows, as ``cases.services.report_register`` and
``case_change_state`` would leave them: the people, each report and its incident (a report about the
previous report's incident within 48 hours joins it), one case per victim with its markers, the
parties of each incident, the registering unit's grant (the holding unit), and the timeline —
opened, report added, reopened by a new report, state changed — with the numbers in the project's
format (``cases.ledger.record_number``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from qorgau.accounts.masks import Scope
from qorgau.cases.ledger import record_number
from qorgau.cases.models import (
    Case,
    CaseEvent,
    CaseState,
    EventKind,
    Grant,
    GrantReason,
    Incident,
    Party,
    PartyRole,
    Report,
)
from qorgau.cases.services import CIRCUMSTANCES, FORMS, TRANSITIONS
from qorgau.demo.national.context import Context, Registrar
from qorgau.demo.national.people import person_add
from qorgau.demo.national.tables import Loader, encrypted, sealed
from qorgau.demo.synthetic import ReportPlan, StoryPlan

_REASON = encrypted(Case, "state_reason")
_NARRATIVE = encrypted(Report, "narrative")
_EVENT_REASON = encrypted(CaseEvent, "reason")
_JUSTIFICATION = encrypted(Grant, "justification")

INCIDENT = ("id", "occurred_at", "region_id", "district_id", "locality", "urban", *FORMS, *CIRCUMSTANCES, "created_at")
REPORT = ("id", "number", "incident_id", "channel", "received_at", "narrative", "unit_id", "registered_by_id", "registered_at", "import_key")
CASE = (
    "id", "number", "victim_id", "offender_id", "relationship", "state", "state_reason", "restricted", "holding_unit_id",
    "opened_at", "closed_at", "version", "merged_into_id",
)  # fmt: skip
EVENT = ("case_id", "at", "kind", "actor_id", "unit_id", "report_id", "from_state", "to_state", "reason")
GRANT = ("case_id", "unit_id", "reason", "scope", "granted_by_id", "since", "until", "justification")


def cases_tables(loader: Loader) -> None:
    loader.table("incident", Incident, INCIDENT)
    loader.table("report", Report, REPORT)
    loader.table("case", Case, CASE)
    loader.table("case_incident", Case.incidents.through, ("case_id", "incident_id"))
    loader.table("case_marker", Case.markers.through, ("case_id", "marker_id"))
    loader.table("party", Party, ("incident_id", "person_id", "role"))
    loader.table("grant", Grant, GRANT)
    loader.table("event", CaseEvent, EVENT)


@dataclass
class WrittenReport:
    plan: ReportPlan
    id: int
    incident_id: int
    new_incident: bool
    child_involved: bool


@dataclass
class WrittenCase:
    id: int
    victim_id: int
    relationship: str
    markers: list[str]
    state: str = CaseState.ACTIVE
    closed_at: dt.datetime | None = None
    reason: str = ""
    version: int = 1


@dataclass
class Pair:
    """What the downstream tables need to know of a written pair."""

    story: StoryPlan
    registrar: Registrar
    offender_id: int
    children_ids: list[int]
    cases: list[WrittenCase]
    reports: list[WrittenReport] = field(default_factory=list)
    granted: dict[int, set[int]] = field(default_factory=dict)  # case id -> units with a grant


def _event(loader: Loader, case_id: int, at: dt.datetime, kind: str, who: Registrar, *, report: int | None = None,
           from_state: str = "", to_state: str = "", reason: str = "") -> None:  # fmt: skip
    loader.add("event", (case_id, at, kind, who.user_id, who.unit_id, report, from_state, to_state, sealed(reason, _EVENT_REASON)))


def grant(loader: Loader, pair: Pair, case_id: int, unit_id: int, reason: str, scope: Scope, at: dt.datetime) -> None:
    units = pair.granted.setdefault(case_id, set())
    if unit_id in units:
        return
    units.add(unit_id)
    loader.add("grant", (case_id, unit_id, reason, str(scope), pair.registrar.user_id, at, None, sealed("", _JUSTIFICATION)))


def pair_write(loader: Loader, ctx: Context, story: StoryPlan) -> Pair:
    who = ctx.registrars[story.registrar]
    first = story.reports[0].registered_at
    victims = [person_add(loader, v.person, at=first, unit_id=who.unit_id) for v in story.victims]
    offender = person_add(loader, story.offender, at=first, unit_id=who.unit_id)
    witnesses = any("children_present" in rp.circumstances for rp in story.reports)
    children = [person_add(loader, c, at=first, unit_id=who.unit_id) for c in story.children] if witnesses else []
    cases = [
        WrittenCase(loader.next_id(Case), vid, str(v.relationship), [m for m in v.markers if m in ctx.markers])
        for vid, v in zip(victims, story.victims, strict=True)
    ]
    pair = Pair(story, who, offender, children, cases)
    # Reports and state changes in time order (a state change planned before a report comes first).
    steps: list[tuple[dt.datetime, int, int]] = [(rp.registered_at, 1, k) for k, rp in enumerate(story.reports)]
    steps += [(sp.at, 0, k) for k, sp in enumerate(story.states) if sp.at < ctx.anchor]
    incident_id = 0
    parties: set[tuple[int, int, str]] = set()
    for at, what, k in sorted(steps):
        if what == 0:
            sp = story.states[k]
            for case in cases:
                if sp.to_state in TRANSITIONS.get(CaseState(case.state), set()):
                    _event(loader, case.id, at, EventKind.STATE_CHANGED, who, from_state=case.state, to_state=sp.to_state, reason=sp.reason)
                    case.state, case.reason, case.version = sp.to_state, sp.reason, case.version + 1
                    case.closed_at = at if sp.to_state == CaseState.CLOSED else None
            continue
        rp = story.reports[k]
        new = not (rp.attach and incident_id)
        if new:
            incident_id = loader.next_id(Incident)
            loader.add("incident", (
                incident_id, rp.occurred_at, story.region_iso, story.district_kato or None, story.locality[:120], story.urban,
                *(f in rp.forms for f in FORMS), *(c in rp.circumstances for c in CIRCUMSTANCES), at,
            ))  # fmt: skip
        report_id = loader.next_id(Report)
        loader.add("report", (
            report_id, record_number("R", report_id, at), incident_id, rp.channel, rp.received_at,
            sealed(rp.narrative.strip(), _NARRATIVE), who.unit_id, who.user_id, at, rp.key,
        ))  # fmt: skip
        named = [(offender, PartyRole.OFFENDER), *((v, PartyRole.VICTIM) for v in victims)]
        if "children_present" in rp.circumstances:
            named += [(c, PartyRole.CHILD_WITNESS) for c in children]
        for person, role in named:
            if (incident_id, person, role) not in parties:
                parties.add((incident_id, person, role))
                loader.add("party", (incident_id, person, str(role)))
        child = bool({"children_present", "children_harmed"} & rp.circumstances) or any(
            c.relationship == "parent" or "minor" in c.markers for c in cases
        )
        pair.reports.append(WrittenReport(rp, report_id, incident_id, new, child))
        for case in cases:
            if k == 0:
                _event(loader, case.id, at, EventKind.OPENED, who, report=report_id)
                grant(loader, pair, case.id, who.unit_id, GrantReason.REGISTERED, Scope.FULL, at)
            elif case.state == CaseState.CLOSED:
                _event(loader, case.id, at, EventKind.REOPENED, who, report=report_id, from_state=CaseState.CLOSED, to_state=CaseState.ACTIVE)
                case.state, case.closed_at, case.version = CaseState.ACTIVE, None, case.version + 1
            if new:
                loader.add("case_incident", (case.id, incident_id))
            _event(loader, case.id, at, EventKind.REPORT_ADDED, who, report=report_id)
    for case in cases:
        loader.add("case", (
            case.id, record_number("C", case.id, first), case.victim_id, offender, case.relationship, case.state,
            sealed(case.reason, _REASON), False, who.unit_id, first, case.closed_at, case.version, None,
        ))  # fmt: skip
        for marker in case.markers:
            loader.add("case_marker", (case.id, marker))
    return pair
