"""Writes for the case registry: register a report, change a case's state, correct it, break-glass,
safe-contact preferences. Every write is audited in its transaction; stale edits are conflicts."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qorgau.accounts import normalise
from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import Scope, Viewer, can_see
from qorgau.accounts.models import NotificationKind, Unit, User
from qorgau.accounts.recipients import unit_staff
from qorgau.accounts.roles import Capability
from qorgau.accounts.services import notify
from qorgau.cases import triggers
from qorgau.cases.access import cases_visible_to, grants_in_force, scope_for
from qorgau.cases.identity import Resolution, person_resolve
from qorgau.cases.ledger import case_restrict, event_add, grant_add, record_number
from qorgau.cases.models import (
    Case,
    CaseState,
    Channel,
    EventKind,
    Grant,
    GrantReason,
    Incident,
    Marker,
    Party,
    PartyRole,
    Relationship,
    Report,
)
from qorgau.cases.selectors import SAFE_CONTACT_POLICY
from qorgau.core import clock, crypto
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.geography import district_is_urban
from qorgau.core.models import AuditAction, District, Region
from qorgau.people.models import IinStatus, Person, SafeContact
from qorgau.people.services import PersonInput, validate_person

FORMS = ("physical", "psychological", "economic", "sexual", "neglect")
CIRCUMSTANCES = ("injuries", "weapon", "strangulation", "alcohol", "drugs", "children_present", "children_harmed")
INCIDENT_WINDOW = timedelta(hours=48)
BREAK_GLASS_HOURS = 4
NARRATIVE_MAX = 20000


@dataclass
class VictimInput:
    relationship: str
    person: PersonInput | None = None
    existing_person_id: int | None = None
    markers: list[str] = field(default_factory=list)


@dataclass
class ReportInput:
    channel: str
    received_at: dt.datetime
    occurred_at: dt.datetime
    region_iso: str
    victims: list[VictimInput]
    offender: PersonInput | None = None
    offender_existing_id: int | None = None
    district_kato: str = ""
    locality: str = ""
    urban: bool | None = None  # defaults from the district (city districts urban)
    forms: set[str] = field(default_factory=set)
    circumstances: set[str] = field(default_factory=set)
    narrative: str = ""
    child_witnesses: list[PersonInput] = field(default_factory=list)
    attach_incident_id: int | None = None
    restricted: bool = False
    import_key: str | None = None


@dataclass
class Registration:
    report: Report
    cases: list[Case]
    new_cases: list[Case]
    handed_to_oversight: bool
    # How each named person was resolved against the registry, by form prefix ("offender_", "victim0_").
    people: dict[str, Resolution] = field(default_factory=dict)


def _visible_person(actor: User, person_id: int) -> Person | None:
    cases = cases_visible_to(actor)
    return Person.objects.filter(
        Q(pk=person_id) & (Q(cases_as_victim__in=cases) | Q(cases_as_offender__in=cases))
    ).distinct().first()


def _validate(actor: User, data: ReportInput) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    now = clock.now()
    if data.channel not in Channel.values:
        errors["channel"] = [_("Choose who reported.")]
    # A time without its zone (an API or import client's omission) cannot be compared: a field error, not a 500.
    naive = [f for f in ("received_at", "occurred_at") if timezone.is_naive(getattr(data, f))]
    for f in naive:
        errors[f] = [_("Give the time with its time zone.")]
    if not naive:
        if data.received_at > now + timedelta(minutes=5):
            errors["received_at"] = [_("This time is in the future.")]
        if data.occurred_at > now + timedelta(minutes=5):
            errors["occurred_at"] = [_("This time is in the future.")]
        elif data.occurred_at > data.received_at + timedelta(minutes=5):
            errors["occurred_at"] = [_("The incident cannot happen after it was reported.")]
    if not Region.objects.filter(iso=data.region_iso).exists():
        errors["region"] = [_("Choose a region from the list.")]
    elif data.district_kato and not District.objects.filter(kato=data.district_kato, region_id=data.region_iso).exists():
        errors["district"] = [_("The district is not in the chosen region.")]
    if not (data.forms & set(FORMS)) or data.forms - set(FORMS):
        errors["forms"] = [_("Choose at least one form of violence.")]
    if data.circumstances - set(CIRCUMSTANCES):
        errors["circumstances"] = [_("Choose one of the offered values.")]
    for name in ("received_at", "occurred_at"):
        if getattr(data, name).year < 1900 and name not in errors:
            errors[name] = [_("Check the year.")]
    if "\x00" in data.narrative or "\x00" in data.locality:
        errors["narrative"] = [_("The text contains characters that are not allowed.")]
    if len(data.narrative) > NARRATIVE_MAX:
        errors["narrative"] = [_("The narrative is too long.")]
    if not data.victims:
        errors["victims"] = [_("Name at least one victim.")]
    known_markers = set(Marker.objects.values_list("code", flat=True))
    for i, v in enumerate(data.victims):
        prefix = f"victim{i}_"
        if v.relationship not in Relationship.values:
            errors[prefix + "relationship"] = [_("Choose what the offender is to her.")]
        if set(v.markers) - known_markers:
            errors[prefix + "markers"] = [_("Choose one of the offered values.")]
        if v.existing_person_id is not None:
            if _visible_person(actor, v.existing_person_id) is None:
                errors[prefix + "person"] = [_("Not found, or you have no access to it.")]
        elif v.person is None:
            errors[prefix + "full_name"] = [_("Enter the full name.")]
        else:
            errors.update(validate_person(v.person, prefix=prefix)[0])
    if data.offender_existing_id is not None:
        if _visible_person(actor, data.offender_existing_id) is None:
            errors["offender_person"] = [_("Not found, or you have no access to it.")]
    elif data.offender is None:
        errors["offender_full_name"] = [_("Enter the full name.")]
    else:
        errors.update(validate_person(data.offender, prefix="offender_")[0])
    for i, child in enumerate(data.child_witnesses):
        errors.update(validate_person(child, prefix=f"child{i}_")[0])
    # One IIN on two people of the same report is a mistake whatever the names say.
    offender_iin = data.offender.iin.strip() if data.offender else ""
    victim_iins = [v.person.iin.strip() if v.person else "" for v in data.victims]
    for i, iin in enumerate(victim_iins):
        if iin and iin == offender_iin:
            errors[f"victim{i}_full_name"] = [_("The victim and the offender are the same person.")]
    named = [iin for iin in victim_iins if iin]
    if len(set(named)) != len(named):
        errors["victims"] = [_("The same victim is named twice.")]
    return errors


def _region_mostly_urban(region_iso: str) -> bool:
    """Without a district, the flag defaults from where most of the region's people live."""
    region = Region.objects.get(iso=region_iso)
    return region.population_urban >= region.population_rural


def _resolve(actor: User, data: PersonInput | None, existing_id: int | None, prefix: str) -> Resolution:
    if existing_id is not None:
        return Resolution(Person.objects.get(pk=existing_id))
    assert data is not None
    return person_resolve(actor=actor, data=data, prefix=prefix)


def _offender_is_staff(offender: Person) -> bool:
    """The offender is police or other staff (DESIGN §5): a record of his carries a staff IIN, or his
    exact normalised name and birth date are a staff member's; or another case of his was already
    restricted — every case of his then is."""
    if Case.objects.filter(offender__cluster_id=offender.cluster_id, restricted=True).exists():
        return True
    iin_keys: list[str] = []
    name_keys: list[str] = []
    for record in Person.objects.filter(cluster_id=offender.cluster_id)[:50]:
        if record.iin_status == IinStatus.VALID and record.iin:
            iin_keys += crypto.blind_index_candidates("staff_iin", normalise.iin_key(record.iin))
        key = normalise.person_match_key(record.full_name or "", record.birth_date)
        if key:
            name_keys += crypto.blind_index_candidates("staff_person", key)
    return User.objects.filter(Q(iin_bidx__in=iin_keys) | Q(name_bidx__in=name_keys)).exists()


def _pair_incident(actor: User, data: ReportInput, pairs: list[tuple[Person, Person]]) -> Incident | None:
    """The incident to attach to: one of the pair's incidents of the last 48 hours (DESIGN §10)."""
    if data.attach_incident_id is None:
        return None
    since = data.received_at - INCIDENT_WINDOW
    q = Q()
    for victim, offender in pairs:
        q |= Q(cases__victim__cluster_id=victim.cluster_id, cases__offender__cluster_id=offender.cluster_id)
    incident = Incident.objects.filter(q, pk=data.attach_incident_id, occurred_at__gte=since).distinct().first()
    if incident is None or not Case.objects.filter(incidents=incident, pk__in=cases_visible_to(actor)).exists():
        raise Invalid(fields={"attach_incident": [_("This incident is not one of the pair's incidents of the last 48 hours.")]})
    return incident


@transaction.atomic
def report_register(*, actor: User, data: ReportInput) -> Registration:
    if not actor.can(Capability.REGISTER_REPORT) or actor.unit is None:
        raise Forbidden()
    if data.import_key:
        existing = Report.objects.filter(import_key=data.import_key).first()
        if existing is not None:
            cases = list(Case.objects.filter(incidents=existing.incident))
            return Registration(existing, cases, [], False)
    errors = _validate(actor, data)
    if errors:
        raise Invalid(fields=errors)
    resolved = {"offender_": _resolve(actor, data.offender, data.offender_existing_id, "offender_")}
    for i, v in enumerate(data.victims):
        resolved[f"victim{i}_"] = _resolve(actor, v.person, v.existing_person_id, f"victim{i}_")
    offender = resolved["offender_"].person
    victims = [resolved[f"victim{i}_"].person for i in range(len(data.victims))]
    for i, victim in enumerate(victims):
        if victim.cluster_id == offender.cluster_id:
            raise Invalid(fields={f"victim{i}_full_name": [_("The victim and the offender are the same person.")]})
    if len({v.cluster_id for v in victims}) != len(victims):
        raise Invalid(fields={"victims": [_("The same victim is named twice.")]})
    now = clock.now()
    restrict = data.restricted or _offender_is_staff(offender)
    incident = _pair_incident(actor, data, [(v, offender) for v in victims])
    fresh = incident is None
    if incident is None:
        district = District.objects.filter(kato=data.district_kato).first() if data.district_kato else None
        urban = data.urban if data.urban is not None else (district_is_urban(district.kato, data.region_iso) if district else _region_mostly_urban(data.region_iso))
        incident = Incident.objects.create(
            occurred_at=data.occurred_at,
            region_id=data.region_iso,
            district=district,
            locality=data.locality.strip()[:120],
            urban=urban,
            created_at=now,
            **{f: f in data.forms for f in FORMS},
            **{c: c in data.circumstances for c in CIRCUMSTANCES},
        )
    report = Report.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:14]}",
        incident=incident,
        channel=data.channel,
        received_at=data.received_at,
        narrative=data.narrative.strip(),
        unit=actor.unit,
        registered_by=actor,
        registered_at=now,
        import_key=data.import_key,
    )
    report.number = record_number("R", report.pk, now)
    report.save(update_fields=["number"])
    parties = [(offender, PartyRole.OFFENDER), *((v, PartyRole.VICTIM) for v in victims)]
    if fresh:  # an incident made just now has no parties yet: one statement for all of them
        Party.objects.bulk_create([Party(incident=incident, person=person, role=role) for person, role in parties])
    else:
        for person, role in parties:
            Party.objects.get_or_create(incident=incident, person=person, role=role)
    for i, child in enumerate(data.child_witnesses):
        kid = _resolve(actor, child, None, f"child{i}_")
        resolved[f"child{i}_"] = kid
        Party.objects.get_or_create(incident=incident, person=kid.person, role=PartyRole.CHILD_WITNESS)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="report", target_id=report.pk)

    cases, new_cases, handed = [], [], False
    for victim, v in zip(victims, data.victims, strict=True):
        case = (
            Case.objects.select_for_update()
            .filter(victim__cluster_id=victim.cluster_id, offender__cluster_id=offender.cluster_id, merged_into=None)
            .order_by("opened_at", "id")
            .first()
        )
        if case is None:
            case = Case.objects.create(
                number=f"tmp-{uuid.uuid4().hex[:14]}",
                victim=victim,
                offender=offender,
                relationship=v.relationship,
                holding_unit=actor.unit,
                opened_at=now,
            )
            case.number = record_number("C", case.pk, now)
            case.save(update_fields=["number"])
            new_cases.append(case)
            event_add(case, EventKind.OPENED, actor, report=report)
            grant_add(case, actor.unit, GrantReason.REGISTERED, Scope.FULL, by=actor)
        else:
            if case.state == CaseState.CLOSED:
                Case.objects.filter(pk=case.pk).update(state=CaseState.ACTIVE, closed_at=None, version=case.version + 1)
                case.refresh_from_db()
                event_add(case, EventKind.REOPENED, actor, report=report, from_state=CaseState.CLOSED, to_state=CaseState.ACTIVE)
            if not case.restricted and scope_for(actor, case) is None:
                grant_add(case, actor.unit, GrantReason.REGISTERED, Scope.FULL, by=actor)
        case.incidents.add(incident)
        if v.markers:
            case.markers.add(*Marker.objects.filter(code__in=v.markers))
        event_add(case, EventKind.REPORT_ADDED, actor, report=report)
        if restrict and not case.restricted:
            case_restrict(case, actor)
        handed = handed or case.restricted
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="case", target_id=case.pk)
        triggers.report_registered(actor=actor, case=case, incident=incident, report_id=report.pk)
        cases.append(case)
    return Registration(report, cases, new_cases, handed, resolved)


TRANSITIONS = {
    CaseState.ACTIVE: {CaseState.SUPERVISED, CaseState.CLOSED},
    CaseState.SUPERVISED: {CaseState.ACTIVE, CaseState.CLOSED},
    CaseState.CLOSED: {CaseState.ACTIVE},
}


def may_work(actor: User, scope: Scope | str | None) -> bool:
    """Changing a case (state, corrections, attachments) needs case work and more than consent scope."""
    return actor.can(Capability.WORK_CASES) and scope in (Scope.FULL, Scope.WORKER)


def may_edit_safe_contact(actor: User, viewer: Viewer) -> bool:
    """Only someone who may see her safe number and code word may change them: a form or request
    from a role that cannot read them would overwrite what it never saw (DESIGN §5)."""
    return (
        may_work(actor, viewer.scope)
        and viewer.scope == Scope.FULL
        and all(can_see(viewer, rule) for rule in SAFE_CONTACT_POLICY.values())
    )


def _require_work(actor: User, case: Case) -> Scope:
    scope = scope_for(actor, case)
    if scope is None:
        raise NotFound()
    if not may_work(actor, scope):
        raise Forbidden()
    return Scope(scope)


def _bump(case: Case, version: int, **changes: object) -> None:
    updated = Case.objects.filter(pk=case.pk, version=version).update(version=version + 1, **changes)
    if not updated:
        raise Conflict()
    case.refresh_from_db()


@transaction.atomic
def case_change_state(*, actor: User, case: Case, version: int, to_state: str, reason: str) -> Case:
    _require_work(actor, case)
    if to_state not in TRANSITIONS.get(CaseState(case.state), set()):
        if case.version != version:
            raise Conflict()
        raise Invalid(fields={"state": [_("This change of state is not possible.")]})
    reason = reason.strip()
    if not reason:
        raise Invalid(fields={"reason": [_("Give the reason.")]})
    from_state = case.state
    _bump(case, version, state=to_state, state_reason=reason, closed_at=clock.now() if to_state == CaseState.CLOSED else None)
    event_add(case, EventKind.STATE_CHANGED, actor, from_state=from_state, to_state=to_state, reason=reason)
    if to_state == CaseState.CLOSED:
        triggers.case_closing(actor=actor, case=case)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="case", target_id=case.pk)
    return case


@transaction.atomic
def case_correct(*, actor: User, case: Case, version: int, relationship: str, markers: list[str], reason: str) -> Case:
    """Correct the pair's relationship and her vulnerability markers; the reason goes to the timeline."""
    _require_work(actor, case)
    errors: dict[str, list[str]] = {}
    if relationship not in Relationship.values:
        errors["relationship"] = [_("Choose what the offender is to her.")]
    if set(markers) - set(Marker.objects.values_list("code", flat=True)):
        errors["markers"] = [_("Choose one of the offered values.")]
    if not reason.strip():
        errors["reason"] = [_("Give the reason.")]
    if errors:
        raise Invalid(fields=errors)
    _bump(case, version, relationship=relationship)
    case.markers.set(Marker.objects.filter(code__in=markers))
    event_add(case, EventKind.EDITED, actor, reason=reason.strip())
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="case", target_id=case.pk)
    return case


@transaction.atomic
def case_break_glass(*, actor: User, case_id: int, justification: str) -> Grant:
    """A short worker-scope grant with a stated reason; audited; the holding unit's supervisors are told."""
    if not actor.can(Capability.BREAK_GLASS) or actor.unit is None:
        raise Forbidden()
    case = Case.objects.filter(pk=case_id, restricted=False).first()
    if case is None:
        raise NotFound()
    justification = justification.strip()
    if len(justification) < 10:
        raise Invalid(fields={"justification": [_("Explain the emergency in at least 10 characters.")]})
    grant = grant_add(
        case, actor.unit, GrantReason.BREAK_GLASS, Scope.WORKER, by=actor,
        until=clock.now() + timedelta(hours=BREAK_GLASS_HOURS), why=justification,
    )
    event_add(case, EventKind.BREAK_GLASS, actor)
    audit_record(actor=actor, action=AuditAction.BREAK_GLASS, target_type="case", target_id=case.pk)
    notify(recipients=unit_staff([case.holding_unit_id], capability=Capability.SUPERVISE_UNIT), kind=NotificationKind.BREAK_GLASS, target_type="case", target_id=case.pk)
    return grant


@dataclass
class SafeContactInput:
    may_call: bool
    call_times: str = ""
    phone: str = ""
    may_leave_message: bool = False
    code_word: str = ""
    language: str = ""  # of messages to her: kk, ru, en or blank (the installation's default)


@transaction.atomic
def safe_contact_update(*, actor: User, case: Case, version: int | None, data: SafeContactInput) -> SafeContact:
    scope = _require_work(actor, case)
    if not may_edit_safe_contact(actor, viewer_for(actor, scope=scope)):
        raise Forbidden()
    if any("\x00" in v for v in (data.call_times, data.phone, data.code_word)):
        raise Invalid(fields={"phone": [_("The text contains characters that are not allowed.")]})
    too_long = [f for f, limit in (("call_times", 120), ("phone", 40), ("code_word", 100)) if len(getattr(data, f).strip()) > limit]
    if too_long:
        raise Invalid(fields={f: [_("This value is too long.")] for f in too_long})
    if data.language not in ("", *(code for code, _name in settings.LANGUAGES)):
        raise Invalid(fields={"language": [_("Choose one of the offered values.")]})
    contact = SafeContact.objects.select_for_update().filter(person=case.victim).first()
    values = {
        "language": data.language,
        "may_call": data.may_call,
        "call_times": data.call_times.strip(),
        "phone": data.phone.strip() or None,
        "may_leave_message": data.may_leave_message,
        "code_word": data.code_word.strip() or None,
        "updated_at": clock.now(),
    }
    if contact is None:
        contact = SafeContact.objects.create(person=case.victim, **values)
    else:
        if version != contact.version:
            raise Conflict()
        for k, v in values.items():
            setattr(contact, k, v)
        contact.version += 1
        contact.save()
    event_add(case, EventKind.SAFE_CONTACT, actor)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="safe_contact", target_id=contact.pk)
    return contact


def may_add_unit(actor: User, case: Case) -> bool:
    """A supervisor whose unit holds a full grant adds units to an ordinary case; on a restricted case
    only internal oversight names the investigating unit (DESIGN §5)."""
    return may_add_unit_with(actor, case, scope_for(actor, case))


def may_add_unit_with(actor: User, case: Case, scope: Scope | None) -> bool:
    """``may_add_unit`` for a caller that already holds the actor's scope on the case (its page)."""
    if scope != Scope.FULL:
        return False
    if case.restricted:
        return actor.can(Capability.OVERSEE_RESTRICTED)
    return actor.can(Capability.SUPERVISE_UNIT)


@transaction.atomic
def case_add_unit(*, actor: User, case: Case, unit_id: int, scope: str, justification: str) -> Grant:
    """Give another unit need-to-know access: a supervisor's grant, or oversight's investigating unit."""
    if scope_for(actor, case) is None:
        raise NotFound()
    if not may_add_unit(actor, case):
        raise Forbidden()
    errors: dict[str, list[str]] = {}
    unit = Unit.objects.filter(pk=unit_id, is_active=True).first()
    if unit is None:
        errors["unit"] = [_("Choose a unit from the list.")]
    elif scope_for_unit(case, unit) is not None:
        errors["unit"] = [_("This unit already works on the case.")]
    if scope not in (Scope.FULL, Scope.WORKER):
        errors["scope"] = [_("Choose one of the offered values.")]
    justification = justification.strip()
    if len(justification) < 10:
        errors["justification"] = [_("Explain why in at least 10 characters.")]
    if errors:
        raise Invalid(fields=errors)
    assert unit is not None
    reason = GrantReason.OVERSIGHT if case.restricted else GrantReason.SUPERVISOR
    grant = grant_add(case, unit, reason, Scope(scope), by=actor, why=justification)
    event_add(case, EventKind.GRANT_ADDED, actor, reason=justification)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="grant", target_id=grant.pk)
    notify(recipients=User.objects.filter(unit=unit, is_active=True), kind=NotificationKind.CASE_SHARED, target_type="case", target_id=case.pk)
    return grant


def scope_for_unit(case: Case, unit: Unit) -> str | None:
    return grants_in_force().filter(case=case, unit=unit).values_list("scope", flat=True).first()
