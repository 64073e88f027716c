"""The case registry over the API (/api/v1): reports, cases, search, state, break-glass, safe contact.

Every case read goes through ``cases.access.case_get_for`` (audited, 404 alike for missing and
forbidden); every personal value through the mask layer: a hidden value is ``null`` and its field
name is listed in ``masked``. Field errors name the path of the value in the request, as schema
errors do (``payload.victims.0.person.iin``).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import AfterValidator, AwareDatetime, BaseModel

from qorgau.accounts.api import STAFF_AUTH, ImportClient
from qorgau.accounts.masks import MASKED, FieldRule, Sensitivity, Subject, Viewer, can_see, mask
from qorgau.accounts.models import User
from qorgau.accounts.roles import AGGREGATE_ONLY_ROLES, Capability, Role
from qorgau.cases import case_reads, selectors, services
from qorgau.cases.access import case_get_for, scope_for
from qorgau.cases.models import Case, CaseEvent, CaseState, Channel, Incident, Relationship
from qorgau.cases.removed import REMOVED
from qorgau.core.api_json import Instant, json_response
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid
from qorgau.core.models import AuditAction
from qorgau.people.models import SafeContact, Sex
from qorgau.people.services import PersonInput

router = Router(tags=["cases"])

MAX_ID = 2**63 - 1  # ids are 64-bit: a larger number names nothing and is malformed
MAX_VERSION = 2**31 - 1


# --- input types -------------------------------------------------------------------------------


def _clean_text(value: str) -> str:
    """Text the database and the cipher can hold: no NUL, no lone surrogate."""
    if "\x00" in value:
        raise ValueError("NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("not valid Unicode") from None
    return value


def _plausible_time(value: dt.datetime) -> dt.datetime:
    """A time that can be stored in UTC; the service decides whether it is in the future."""
    if not 1900 <= value.year <= 9998:
        raise ValueError("out of range")
    return value


Code = Annotated[str, Field(max_length=40), AfterValidator(_clean_text)]
Short = Annotated[str, Field(max_length=200), AfterValidator(_clean_text)]
Long = Annotated[str, Field(max_length=2000), AfterValidator(_clean_text)]
Narrative = Annotated[str, Field(max_length=services.NARRATIVE_MAX), AfterValidator(_clean_text)]
When = Annotated[AwareDatetime, AfterValidator(_plausible_time)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_VERSION)]
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ViolenceForm(StrEnum):
    """Mirrors ``cases.services.FORMS`` (a test keeps them equal)."""

    PHYSICAL = "physical"
    PSYCHOLOGICAL = "psychological"
    ECONOMIC = "economic"
    SEXUAL = "sexual"
    NEGLECT = "neglect"


class Circumstance(StrEnum):
    """Mirrors ``cases.services.CIRCUMSTANCES`` (a test keeps them equal)."""

    INJURIES = "injuries"
    WEAPON = "weapon"
    STRANGULATION = "strangulation"
    ALCOHOL = "alcohol"
    DRUGS = "drugs"
    CHILDREN_PRESENT = "children_present"
    CHILDREN_HARMED = "children_harmed"


class PersonIn(Schema):
    full_name: Short
    iin: Code = Field("", description="12 digits if known.")
    iin_unverified_ok: bool = Field(False, description="Keep an IIN that fails the check, flagged unverified.")
    birth_date: dt.date | None = None
    sex: Sex = Sex.UNKNOWN
    phone: Code = ""
    address: Short = ""
    workplace: Short = ""


class VictimIn(Schema):
    relationship: Relationship = Field(description="What the offender is to her.")
    person: PersonIn | None = Field(None, description="A new or IIN-matched person; or give existing_person_id.")
    existing_person_id: Id | None = Field(None, description="A person of a case you may see (a confirmed link).")
    markers: list[Code] = Field(default_factory=list, max_length=20, description="Vulnerability marker codes.")


class ReportIn(Schema):
    channel: Channel
    received_at: When
    occurred_at: When
    region_iso: Code
    district_kato: Code = ""
    locality: Annotated[str, Field(max_length=120), AfterValidator(_clean_text)] = ""
    urban: bool | None = Field(None, description="Defaults from the district (city districts are urban).")
    forms: list[ViolenceForm] = Field(default_factory=list, max_length=5)
    circumstances: list[Circumstance] = Field(default_factory=list, max_length=7)
    narrative: Narrative = ""
    victims: list[VictimIn] = Field(max_length=20)
    offender: PersonIn | None = None
    offender_existing_id: Id | None = None
    child_witnesses: list[PersonIn] = Field(default_factory=list, max_length=20)
    attach_incident_id: Id | None = Field(None, description="One of the pair's incidents of the last 48 hours.")
    restricted: bool = Field(False, description="The offender is police or other staff: the case goes to internal oversight.")


class StateIn(Schema):
    to_state: CaseState
    reason: Long
    version: Version


class BreakGlassIn(Schema):
    justification: Long


class SafeContactIn(Schema):
    may_call: bool
    call_times: Annotated[str, Field(max_length=120), AfterValidator(_clean_text)] = ""
    phone: Code = ""
    may_leave_message: bool = False
    code_word: Code = ""
    language: Literal["", "kk", "ru", "en"] = Field("", description="The language of messages to her; empty: the installation's default.")
    version: Version | None = Field(None, description="The version you read; null when none was recorded yet.")


class SearchQuery(Schema):
    iin: Code = ""
    full_name: Short = ""
    birth_date: dt.date | None = None
    number: Code = ""


# --- output types ------------------------------------------------------------------------------


class ErrorOut(Schema):
    code: str
    detail: str
    fields: dict[str, list[str]] = Field(default_factory=dict)


class CaseRef(Schema):
    id: int
    number: str
    new: bool


class ReportCreatedOut(Schema):
    report_id: int
    report_number: str
    incident_id: int
    cases: list[CaseRef] = Field(description="The cases you can see after registering (none when handed to oversight).")
    handed_to_oversight: bool
    people_linked: int = Field(description="People named in the report who were already in the registry, linked with certainty.")
    matches_to_review: int = Field(description="Uncertain matches sent to the data-quality review queue.")


class Built(BaseModel):
    """A response its view builds field by field: plain pydantic. Ninja's ``Schema`` wraps every value
    in a getter so that it can read ORM objects, about 9 µs a model against 1 µs, and a case detail
    builds some twenty of them (ADR 0018)."""


class CaseSummaryOut(Schema):
    id: int
    number: str
    state: CaseState
    holding_unit_id: int
    holding_unit: str
    opened_at: dt.datetime
    reports: int


class PersonOut(Built):
    id: int
    full_name: str | None
    iin: str | None
    birth_date: dt.date | None
    phone: str | None
    address: str | None
    workplace: str | None = None
    masked: list[str]
    removed: list[str] = Field(default=[], description="Fields removed under the retention policy (shown as null).")


class IncidentOut(Built):
    id: int
    occurred_at: Instant
    region_iso: str
    district_kato: str | None
    locality: str | None  # null for a viewer who may not see her address (the place may be her home)
    urban: bool
    forms: list[ViolenceForm]
    circumstances: list[Circumstance]


class ReportOut(Built):
    id: int
    number: str
    channel: Channel
    received_at: Instant
    unit: str
    incident_id: int
    narrative: str | None
    masked: list[str]
    removed: list[str] = Field(default=[], description="Fields removed under the retention policy (shown as null).")


class EventOut(Built):
    at: Instant
    kind: str
    unit: str | None
    report_number: str | None
    from_state: str
    to_state: str
    reason: str | None
    masked: list[str]


class WorkerOut(Built):
    unit_id: int
    unit: str
    reason: str
    scope: str
    since: Instant
    until: Instant | None


class PairHistoryOut(Built):
    incidents_6_months: int
    incidents_total: int
    reports_total: int


class CaseOut(Built):
    id: int
    number: str
    state: CaseState
    state_reason: str | None
    relationship: Relationship
    markers: list[str]
    restricted: bool
    holding_unit_id: int
    holding_unit: str
    opened_at: Instant
    closed_at: Instant | None
    version: int
    victim: PersonOut
    offender: PersonOut
    child_witnesses: int
    reports: list[ReportOut]
    incidents: list[IncidentOut]
    timeline: list[EventOut]
    workers: list[WorkerOut]
    flags: list[str]
    pair_history: PairHistoryOut
    masked: list[str]
    personal_removed_at: Instant | None = Field(
        None, description="When the retention policy removed the case's personal fields (docs/retention.md)."
    )


class CaseVersionOut(Schema):
    id: int
    number: str
    state: CaseState
    version: int


class StateConflictOut(ErrorOut):
    current: CaseVersionOut
    submitted: StateIn


class BreakGlassOut(Schema):
    case_id: int
    until: dt.datetime


class SafeContactOut(Schema):
    recorded: bool
    may_call: bool
    call_times: str
    phone: str | None
    may_leave_message: bool
    code_word: str | None
    language: str = Field("", description="The language of messages to her (kk, ru, en); empty: the installation's default.")
    updated_at: dt.datetime | None
    version: int | None
    masked: list[str]
    removed: list[str] = Field(default=[], description="Fields removed under the retention policy (shown as null).")


class SafeContactConflictOut(ErrorOut):
    current: SafeContactOut
    submitted: SafeContactIn


class SearchHitOut(Schema):
    case_id: int | None = Field(description="Null when the case exists but you may not open it.")
    number: str | None
    unit: str
    visible: bool


def errors(*codes: int) -> dict[int, type[Schema]]:
    return dict.fromkeys(codes, ErrorOut)


# --- helpers -----------------------------------------------------------------------------------

# Free text written on the case (state reasons, timeline notes) may name people: a narrative.
NOTE_POLICY: dict[str, FieldRule] = {"reason": FieldRule(Sensitivity.NARRATIVE, Subject.VICTIM)}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _case_reader(request: HttpRequest) -> User:
    """Anyone who may see a person; analysts see aggregates only (DESIGN §5)."""
    user = _user(request)
    if Role(user.role) in AGGREGATE_ONLY_ROLES:
        raise Forbidden()
    return user


def _case_worker(request: HttpRequest) -> User:
    """The caseload, search and every change need case work (as the pages do)."""
    user = _case_reader(request)
    if not user.can(Capability.WORK_CASES):
        raise Forbidden()
    return user


def _shown(value: object) -> Any:
    return None if value is MASKED or value is REMOVED else value


def _removed(values: dict[str, Any], names: dict[str, str]) -> list[str]:
    return sorted(out for key, out in names.items() if values.get(key) is REMOVED)


def _masked(values: dict[str, Any], names: dict[str, str]) -> list[str]:
    return sorted(out for key, out in names.items() if values.get(key) is MASKED)


def _person(values: dict[str, Any], prefix: str, person_id: int) -> PersonOut:
    names = {f"{prefix}_{f}": f for f in ("iin", "birth_date", "phone", "address", "workplace")}
    names[f"{prefix}_name"] = "full_name"
    return PersonOut(
        id=person_id,
        full_name=_shown(values[f"{prefix}_name"]),
        iin=_shown(values[f"{prefix}_iin"]) or None,
        birth_date=_shown(values[f"{prefix}_birth_date"]),
        phone=_shown(values[f"{prefix}_phone"]) or None,
        address=_shown(values[f"{prefix}_address"]) or None,
        workplace=_shown(values.get(f"{prefix}_workplace")) or None,
        masked=_masked(values, names),
        removed=_removed(values, names),
    )


def _incident(i: Incident, viewer: Viewer) -> IncidentOut:
    return IncidentOut(
        id=i.pk,
        occurred_at=i.occurred_at,
        region_iso=i.region_id,
        district_kato=i.district_id,
        locality=i.locality if can_see(viewer, selectors.CASE_POLICY["victim_address"]) else None,
        urban=i.urban,
        forms=[ViolenceForm(f) for f in services.FORMS if getattr(i, f)],
        circumstances=[Circumstance(c) for c in services.CIRCUMSTANCES if getattr(i, c)],
    )


def _event(e: CaseEvent, viewer: Viewer) -> EventOut:
    note = mask(viewer, {"reason": e.reason}, NOTE_POLICY)["reason"]
    return EventOut(
        at=e.at,
        kind=e.kind,
        unit=e.unit.name if e.unit else None,
        report_number=e.report.number if e.report else None,
        from_state=e.from_state,
        to_state=e.to_state,
        reason=_shown(note),
        masked=["reason"] if note is MASKED else [],
    )


def _case_out(case: Case, viewer: Viewer, actor: User) -> CaseOut:
    people = selectors.case_people(case, viewer)
    reason = mask(viewer, {"reason": case.state_reason}, NOTE_POLICY)["reason"]
    incidents, read = case_reads.incidents_and_reports(case)
    reports = [
        ReportOut(
            id=row["report"].pk,
            number=row["report"].number,
            channel=row["report"].channel,
            received_at=row["report"].received_at,
            unit=row["report"].unit.name,
            incident_id=row["incident"].pk,
            narrative=_shown(row["narrative"]),
            masked=["narrative"] if row["narrative"] is MASKED else [],
            removed=["narrative"] if row["narrative"] is REMOVED else [],
        )
        for row in selectors.case_reports(case, viewer, read)
    ]
    facts = selectors.case_facts(case)
    history = selectors.pair_history(case, facts)
    return CaseOut(
        id=case.pk,
        number=case.number,
        state=CaseState(case.state),
        state_reason=_shown(reason),
        relationship=Relationship(case.relationship),
        markers=facts.markers,
        restricted=case.restricted,
        holding_unit_id=case.holding_unit_id,
        holding_unit=case.holding_unit.name,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        version=case.version,
        victim=_person(people, "victim", case.victim_id),
        offender=_person(people, "offender", case.offender_id),
        child_witnesses=history.child_witnesses,
        reports=reports,
        incidents=[_incident(i, viewer) for i in incidents],
        timeline=[_event(e, viewer) for e in selectors.case_timeline(case)],
        workers=[
            WorkerOut(unit_id=g.unit_id, unit=g.unit.name, reason=g.reason, scope=g.scope, since=g.since, until=g.until)
            for g in selectors.case_workers(case)
        ],
        flags=selectors.case_flags(case, actor, facts),
        pair_history=PairHistoryOut(
            incidents_6_months=history.incidents_6_months,
            incidents_total=history.incidents_total,
            reports_total=history.reports_total,
        ),
        masked=["state_reason"] if reason is MASKED else [],
        personal_removed_at=case.personal_removed_at,
    )


def _safe_contact_out(case: Case, viewer: Viewer) -> SafeContactOut:
    row = selectors.case_safe_contact(case, viewer)
    if row is None:
        return SafeContactOut(
            recorded=False, may_call=False, call_times="", phone=None, may_leave_message=False,
            code_word=None, language="", updated_at=None, version=None, masked=[],
        )
    contact: SafeContact = row["contact"]
    return SafeContactOut(
        recorded=True,
        may_call=contact.may_call,
        call_times=contact.call_times,
        phone=_shown(row["phone"]) or None,
        may_leave_message=contact.may_leave_message,
        code_word=_shown(row["code_word"]) or None,
        language=contact.language,
        updated_at=contact.updated_at,
        version=contact.version,
        masked=sorted(k for k in ("phone", "code_word") if row[k] is MASKED),
        removed=sorted(k for k in ("phone", "code_word") if row[k] is REMOVED),
    )


_PERSON_KEY = re.compile(r"^(victim|child)(\d+)_(.+)$")


def _report_field(key: str) -> str:
    """A service field key (``victim0_iin``, ``offender_person``, ``region`` …) as the request path."""
    simple = {
        "region": "region_iso",
        "district": "district_kato",
        "attach_incident": "attach_incident_id",
        "offender_person": "offender_existing_id",
    }
    if key in simple:
        return f"payload.{simple[key]}"
    m = _PERSON_KEY.match(key)
    if m:
        who, index, name = m.groups()
        if who == "child":
            return f"payload.child_witnesses.{index}.{name}"
        if name == "person":
            return f"payload.victims.{index}.existing_person_id"
        if name in ("relationship", "markers"):
            return f"payload.victims.{index}.{name}"
        return f"payload.victims.{index}.person.{name}"
    if key.startswith("offender_"):
        return f"payload.offender.{key.removeprefix('offender_')}"
    return f"payload.{key}"


def _renamed(exc: Invalid, rename: Any) -> Invalid:
    fields: dict[str, list[str]] = {}
    for key, messages in exc.fields.items():
        fields.setdefault(rename(key), []).extend(messages)
    return Invalid(exc.message, fields=fields)


def _person_input(p: PersonIn) -> PersonInput:
    return PersonInput(
        full_name=p.full_name, iin=p.iin, iin_unverified_ok=p.iin_unverified_ok, birth_date=p.birth_date,
        sex=p.sex, phone=p.phone, address=p.address, workplace=p.workplace,
    )


def _report_input(payload: ReportIn) -> services.ReportInput:
    return services.ReportInput(
        channel=payload.channel,
        received_at=payload.received_at,
        occurred_at=payload.occurred_at,
        region_iso=payload.region_iso,
        district_kato=payload.district_kato,
        locality=payload.locality,
        urban=payload.urban,
        forms={f.value for f in payload.forms},
        circumstances={c.value for c in payload.circumstances},
        narrative=payload.narrative,
        victims=[
            services.VictimInput(
                relationship=v.relationship,
                person=_person_input(v.person) if v.person else None,
                existing_person_id=v.existing_person_id,
                markers=list(v.markers),
            )
            for v in payload.victims
        ],
        offender=_person_input(payload.offender) if payload.offender else None,
        offender_existing_id=payload.offender_existing_id,
        child_witnesses=[_person_input(c) for c in payload.child_witnesses],
        attach_incident_id=payload.attach_incident_id,
        restricted=payload.restricted,
    )


# --- routes ------------------------------------------------------------------------------------


@router.post("/reports", response={201: ReportCreatedOut, **errors(401, 403, 422)}, auth=[*STAFF_AUTH, ImportClient()], tags=["reports"])
def report_create(request: HttpRequest, payload: ReportIn) -> Status[ReportCreatedOut]:
    """Register a report: each victim–offender pair is a case; a pair already in the registry (an
    existing person picked, or people the matching engine links with certainty) joins its case."""
    user = _user(request)
    try:
        reg = services.report_register(actor=user, data=_report_input(payload))
    except Invalid as exc:
        raise _renamed(exc, _report_field) from None
    new = {c.pk for c in reg.new_cases}
    return Status(201, ReportCreatedOut(
        report_id=reg.report.pk,
        report_number=reg.report.number,
        incident_id=reg.report.incident_id,
        cases=[CaseRef(id=c.pk, number=c.number, new=c.pk in new) for c in reg.cases if scope_for(user, c) is not None],
        handed_to_oversight=reg.handed_to_oversight,
        people_linked=sum(1 for r in reg.people.values() if r.link is not None),
        matches_to_review=sum(r.reviews for r in reg.people.values()),
    ))


@router.get("/cases", response={200: list[CaseSummaryOut], **errors(401, 403)}, auth=STAFF_AUTH)
def case_list(request: HttpRequest) -> list[CaseSummaryOut]:
    """The caller's caseload: the cases their unit holds a live grant on, newest first."""
    user = _case_worker(request)
    cases = selectors.caseload(user)
    audit_record(actor=user, action=AuditAction.READ, target_type="caseload", count=len(cases), request=request)
    return [
        CaseSummaryOut(
            id=c.pk, number=c.number, state=CaseState(c.state), holding_unit_id=c.holding_unit_id,
            holding_unit=c.holding_unit.name, opened_at=c.opened_at, reports=c.n_reports,  # type: ignore[attr-defined]
        )
        for c in cases
    ]


@router.get("/cases/{case_id}", response={200: CaseOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def case_detail(request: HttpRequest, case_id: CaseId) -> HttpResponse:
    user = _case_reader(request)
    case, viewer = case_get_for(user, case_id, request=request)
    return json_response(_case_out(case, viewer, user))


@router.post(
    "/cases/{case_id}/state",
    response={200: CaseVersionOut, 409: StateConflictOut, **errors(401, 403, 404, 422)},
    auth=STAFF_AUTH,
)
def case_state(request: HttpRequest, case_id: CaseId, payload: StateIn) -> CaseVersionOut | Status[StateConflictOut]:
    """Active → supervised → closed, with a reason; a stale version is a conflict showing what is stored now."""
    user = _case_worker(request)
    case, _viewer = case_get_for(user, case_id, request=request)
    try:
        case = services.case_change_state(
            actor=user, case=case, version=payload.version, to_state=payload.to_state, reason=payload.reason
        )
    except Conflict as exc:
        case.refresh_from_db()
        return Status(409, StateConflictOut(
            code=exc.code, detail=str(exc.message),
            current=CaseVersionOut(id=case.pk, number=case.number, state=CaseState(case.state), version=case.version),
            submitted=payload,
        ))
    except Invalid as exc:
        raise _renamed(exc, lambda k: "payload.to_state" if k == "state" else f"payload.{k}") from None
    return CaseVersionOut(id=case.pk, number=case.number, state=CaseState(case.state), version=case.version)


@router.post("/cases/{case_id}/break-glass", response={201: BreakGlassOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def case_break_glass(request: HttpRequest, case_id: CaseId, payload: BreakGlassIn) -> Status[BreakGlassOut]:
    """Emergency access for 4 hours with a stated reason; audited; the holding unit's supervisors are told."""
    user = _user(request)
    try:
        grant = services.case_break_glass(actor=user, case_id=case_id, justification=payload.justification)
    except Invalid as exc:
        raise _renamed(exc, lambda k: f"payload.{k}") from None
    assert grant.until is not None
    return Status(201, BreakGlassOut(case_id=grant.case_id, until=grant.until))


@router.get("/cases/{case_id}/safe-contact", response={200: SafeContactOut, **errors(401, 403, 404, 422)}, auth=STAFF_AUTH)
def safe_contact(request: HttpRequest, case_id: CaseId) -> SafeContactOut:
    """How and when she may be contacted: read this before anyone contacts her."""
    user = _case_reader(request)
    case, viewer = case_get_for(user, case_id, request=request)
    return _safe_contact_out(case, viewer)


@router.put(
    "/cases/{case_id}/safe-contact",
    response={200: SafeContactOut, 409: SafeContactConflictOut, **errors(401, 403, 404, 422)},
    auth=STAFF_AUTH,
)
def safe_contact_put(request: HttpRequest, case_id: CaseId, payload: SafeContactIn) -> SafeContactOut | Status[SafeContactConflictOut]:
    user = _case_worker(request)
    case, viewer = case_get_for(user, case_id, request=request)
    if not services.may_edit_safe_contact(user, viewer):
        raise Forbidden()  # who may not see her safe number may not overwrite it either
    data = services.SafeContactInput(
        may_call=payload.may_call, call_times=payload.call_times, phone=payload.phone,
        may_leave_message=payload.may_leave_message, code_word=payload.code_word, language=payload.language,
    )
    try:
        services.safe_contact_update(actor=user, case=case, version=payload.version, data=data)
    except Conflict as exc:
        return Status(409, SafeContactConflictOut(
            code=exc.code, detail=str(exc.message), current=_safe_contact_out(case, viewer), submitted=payload
        ))
    except Invalid as exc:
        raise _renamed(exc, lambda k: f"payload.{k}") from None
    return _safe_contact_out(case, viewer)


@router.get("/search", response={200: list[SearchHitOut], **errors(401, 403, 422)}, auth=STAFF_AUTH)
def search(request: HttpRequest, query: Query[SearchQuery]) -> list[SearchHitOut]:
    """By IIN, by name (and birth date), or by case number. A case you may not open shows only that it
    exists and which unit holds it."""
    user = _case_worker(request)
    if not (query.iin.strip() or query.full_name.strip() or query.number.strip()):
        raise Invalid(fields={"query": [_("Give an IIN, a name (with the birth date if known) or a case number.")]})
    hits = selectors.case_search(
        user, iin=query.iin, full_name=query.full_name, birth_date=query.birth_date, number=query.number, request=request
    )
    return [
        SearchHitOut(case_id=h.case_id, number=h.number if h.visible else None, unit=h.unit_name, visible=h.visible)
        for h in hits
    ]
