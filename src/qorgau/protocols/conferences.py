"""Case conferences (MARAC): the proposal rules the sweep runs, and the coordinator's writes —
propose by hand, schedule, record (decisions become tasks), dismiss or cancel.

Proposal rules (``conferences_propose``, run by ``protocols.sweep.sweep``) for every open, not
restricted case:

* ``checklist_14`` — the latest signed DASH checklist scored 14 or more;
* ``critical`` — the case's level (``risk.CaseRisk``) is critical;
* ``third_incident_12m`` — three or more incidents of the pair within the last 12 months;
* ``breach`` — a breach of one of the case's orders recorded within the last 12 months.

Each ground is an **event**: the assessment that began the current run of 14+ scores (or of the
critical level, by the instrument that sets it), the incident of the 12 months recorded last, the
latest breach. A ground is recorded once per case (``conference_ground_once``): a reassessment that keeps
the score or level is not a new event, so a held or dismissed conference is proposed again only when a
new event occurs (a new incident that makes three in 12 months, a new breach, or the score or level
falling and rising again). A new event on a case whose conference is still proposed or scheduled joins
that conference as a further reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, DateTimeField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import NotificationKind, Unit, User
from qorgau.accounts.roles import Capability
from qorgau.accounts.services import notify
from qorgau.cases.access import grants_in_force, scope_for
from qorgau.cases.ledger import event_add, grant_add
from qorgau.cases.models import Case, CaseState, EventKind, GrantReason, Incident
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.protocols.engine import route, task_grant, unit_workers
from qorgau.protocols.models import Mode, Task, TaskStatus, Trigger
from qorgau.protocols.models_conferences import (
    LIVE_CONFERENCE,
    Conference,
    ConferenceAttendee,
    ConferenceDecision,
    ConferenceGround,
    ConferenceReason,
    ConferenceStatus,
)

log = logging.getLogger(__name__)

CHECKLIST = "dash"  # the structured checklist whose score counts
CHECKLIST_SCORE = 14
WINDOW = timedelta(days=365)
INCIDENTS = 3
# The agency kinds whose coordinators convene (DESIGN §1), in order of preference.
CONVENING_KINDS = ("family_support", "police")
BATCH = 500
PLACE_LIMIT = 200
MINUTES_LIMIT = 20000
TEXT_LIMIT = 200  # a decision's text is its task's title
DETAILS_LIMIT = 4000
REASON_LIMIT = 4000
MAX_INVITED = 30
MAX_DECISIONS = 20
AHEAD = timedelta(days=365)  # how far ahead a conference or a decision's deadline may be set
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SOURCE_TYPE = {
    ConferenceReason.CHECKLIST_14: "assessment", ConferenceReason.CRITICAL: "assessment",
    ConferenceReason.THIRD_INCIDENT: "incident", ConferenceReason.BREACH: "breach",
}


# --- the proposal rules ------------------------------------------------------------------------------


def _open_cases() -> QuerySet[Case]:
    return Case.objects.filter(state__in=[CaseState.ACTIVE, CaseState.SUPERVISED], restricted=False, merged_into__isnull=True)


def _not_grounded(qs: QuerySet[Case], reason: str) -> QuerySet[Case]:
    grounded = ConferenceGround.objects.filter(case_id=OuterRef("pk"), reason=reason, source_id=OuterRef("source"))
    return qs.filter(Q(source__isnull=False)).exclude(Exists(grounded))


def _with_run_start(cases: QuerySet[Case], signed: QuerySet, in_run: Q) -> QuerySet[Case]:
    """Annotate each case with ``run_start``: its first signed assessment of the current run
    (``in_run``), i.e. signed after the latest one outside it. ``signed`` refers to OuterRef("pk")."""
    outside = signed.exclude(in_run).order_by("-signed_at", "-id")
    since = Coalesce(OuterRef("outside_at"), Value(_EPOCH, output_field=DateTimeField()))
    after = Q(signed_at__gt=since) | Q(signed_at=OuterRef("outside_at"), id__gt=OuterRef("outside_id"))
    start = signed.filter(in_run).filter(after).order_by("signed_at", "id").values("id")[:1]
    return (
        cases.annotate(outside_at=Subquery(outside.values("signed_at")[:1]), outside_id=Subquery(outside.values("id")[:1]))
        .annotate(run_start=Subquery(start))
    )


def _checklist_cases() -> QuerySet[Case]:
    from qorgau.risk.models import Assessment, AssessmentStatus

    signed = Assessment.objects.filter(case_id=OuterRef("pk"), status=AssessmentStatus.SIGNED, version__instrument__code=CHECKLIST)
    qs = _with_run_start(_open_cases(), signed, Q(score__gte=CHECKLIST_SCORE)).annotate(source=F("run_start"))
    return _not_grounded(qs, ConferenceReason.CHECKLIST_14)


def _critical_cases() -> QuerySet[Case]:
    from qorgau.risk.models import Assessment, AssessmentStatus, Level

    # The run is counted on the instrument of the assessment that sets the case's level; when the level
    # is critical only because another instrument raised it, that assessment itself is the event.
    signed = Assessment.objects.filter(case_id=OuterRef("pk"), status=AssessmentStatus.SIGNED,
                                       version__instrument_id=OuterRef("lead_instrument"))
    cases = _open_cases().filter(risk__level=Level.CRITICAL).annotate(lead_instrument=F("risk__assessment__version__instrument_id"))
    qs = _with_run_start(cases, signed, Q(final_level=Level.CRITICAL)).annotate(source=Coalesce(F("run_start"), F("risk__assessment_id")))
    return _not_grounded(qs, ConferenceReason.CRITICAL)


def _incident_cases(now: dt.datetime) -> QuerySet[Case]:
    since = now - WINDOW
    window = Q(incidents__occurred_at__gte=since, incidents__occurred_at__lte=now)
    # The event is the incident recorded last: an older incident reported late is news too.
    latest = Incident.objects.filter(cases=OuterRef("pk"), occurred_at__gte=since, occurred_at__lte=now).order_by("-created_at", "-id")
    qs = (
        _open_cases().annotate(n_incidents=Count("incidents", filter=window)).filter(n_incidents__gte=INCIDENTS)
        .annotate(source=Subquery(latest.values("id")[:1]))
    )
    return _not_grounded(qs, ConferenceReason.THIRD_INCIDENT)


def _breach_cases(now: dt.datetime) -> QuerySet[Case] | None:
    from django.apps import apps

    if not apps.is_installed("qorgau.orders"):
        return None
    from qorgau.orders.models import Breach

    latest = Breach.objects.filter(order__case_links__case=OuterRef("pk"), recorded_at__gte=now - WINDOW).order_by("-recorded_at", "-id")
    return _not_grounded(_open_cases().annotate(source=Subquery(latest.values("id")[:1])), ConferenceReason.BREACH)


def grounds_due(now: dt.datetime | None = None) -> dict[int, list[tuple[str, int]]]:
    """Case id → the new grounds (reason, source id) of the open cases, at most ``BATCH`` per rule."""
    now = now or clock.now()
    rules: list[tuple[str, QuerySet[Case] | None]] = [
        (ConferenceReason.CHECKLIST_14, _checklist_cases()),
        (ConferenceReason.CRITICAL, _critical_cases()),
        (ConferenceReason.THIRD_INCIDENT, _incident_cases(now)),
        (ConferenceReason.BREACH, _breach_cases(now)),
    ]
    due: dict[int, list[tuple[str, int]]] = {}
    for reason, qs in rules:
        if qs is None:
            continue
        for case_id, source in qs.order_by("pk").values_list("pk", "source")[:BATCH]:  # type: ignore[misc]  # an annotation
            due.setdefault(case_id, []).append((str(reason), int(source)))
    return due


def convening_unit_for(case: Case) -> Unit | None:
    """The unit that convenes: the case's family support centre (by the protocols' routing), else its
    police unit — the first of them with a conference coordinator, else the first found."""
    routed = [u for u in (route(kind, case) for kind in CONVENING_KINDS) if u is not None]
    for unit in routed:
        if unit_workers(unit, Capability.RUN_CONFERENCES):
            return unit
    return routed[0] if routed else None


def _unit_grant(case: Case, unit: Unit, actor: User | None) -> None:
    """The unit may open the case (scope ``worker``) unless it already holds a live grant."""
    if not grants_in_force().filter(case=case, unit=unit).exists():
        grant_add(case, unit, GrantReason.TASK, Scope.WORKER, by=actor)


def _ground_add(conference: Conference, reason: str, source: int | None) -> bool:
    try:
        with transaction.atomic():  # a savepoint: a concurrent sweep may have recorded it first
            ConferenceGround.objects.create(conference=conference, case_id=conference.case_id, reason=reason, source_id=source, at=clock.now())
    except IntegrityError:
        return False
    return True


def _propose(case: Case, grounds: Sequence[tuple[str, int | None]], actor: User | None, unit: Unit | None) -> Conference | None:
    """Record the grounds on the case's live conference, or on a new proposed one. None when every
    ground was already recorded (by an earlier pass or a concurrent one). The caller holds the transaction."""
    at = clock.now()
    savepoint = transaction.savepoint()
    live = Conference.objects.filter(case=case, status__in=LIVE_CONFERENCE).first()
    created = False
    if live is None:
        live = Conference(case=case, convening_unit=unit, proposed_at=at, proposed_by=actor if actor else None,
                          updated_at=at, updated_by=actor)
        try:
            with transaction.atomic():
                live.save()
            created = True
        except IntegrityError:  # another worker proposed one a moment ago: add to it
            live = Conference.objects.filter(case=case, status__in=LIVE_CONFERENCE).first()
            if live is None:
                transaction.savepoint_rollback(savepoint)
                return None
    added = [reason for reason, source in grounds if _ground_add(live, reason, source)]
    if not added:  # every ground was taken by a concurrent pass: no conference without a reason
        transaction.savepoint_rollback(savepoint)
        return None
    transaction.savepoint_commit(savepoint)
    event_add(case, EventKind.CONFERENCE, actor, to_state=ConferenceStatus.PROPOSED.value)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="conference", target_id=live.pk,
                 outcome="proposed" if created else f"grounds:{len(added)}")
    if created and live.convening_unit is not None:
        _unit_grant(case, live.convening_unit, actor)
        notify(recipients=unit_workers(live.convening_unit, Capability.RUN_CONFERENCES), kind=NotificationKind.CONFERENCE_PROPOSED,
               target_type="conference", target_id=live.pk)
    return live


def conferences_propose() -> int:
    """The sweep's part: propose a conference for each open case with a new ground (see the module's
    docstring). Returns the number of cases given a new ground. Safe to run twice, and concurrently."""
    proposed = 0
    for case_id, grounds in grounds_due().items():
        case = Case.objects.select_related("holding_unit").get(pk=case_id)
        with transaction.atomic():
            live = Conference.objects.filter(case=case, status__in=LIVE_CONFERENCE).select_related("convening_unit").first()
            unit = live.convening_unit if live is not None else convening_unit_for(case)
            proposed += _propose(case, grounds, None, unit) is not None
    return proposed


# --- the coordinator's writes ------------------------------------------------------------------------


def _require_manager(actor: User, conference: Conference) -> None:
    """Only a coordinator of the convening unit, who can open the case, manages the conference."""
    if not actor.can(Capability.RUN_CONFERENCES):
        raise Forbidden()
    if actor.unit_id is None or conference.convening_unit_id != actor.unit_id or scope_for(actor, conference.case) is None:
        raise NotFound()


def _text(value: str, field: str, limit: int, *, required: bool, message: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise Invalid(fields={field: [message or _("Write a few words: this field is required.")]})
    if len(value) > limit:
        raise Invalid(fields={field: [_("At most %(n)d characters.") % {"n": limit}]})
    return value


@transaction.atomic
def conference_propose_for(*, actor: User, case: Case, reasons: Sequence[str]) -> Conference:
    """A coordinator proposes a conference on a case their unit works on, for the reasons given; their
    unit convenes it. Refused while the case has a proposed or scheduled conference."""
    if not actor.can(Capability.RUN_CONFERENCES):
        raise Forbidden()
    if actor.unit is None or scope_for(actor, case) not in (Scope.FULL, Scope.WORKER):
        raise NotFound()
    chosen = list(dict.fromkeys(reasons))
    if not chosen:
        raise Invalid(fields={"reasons": [_("Choose at least one reason for the conference.")]})
    if any(r not in ConferenceReason.values for r in chosen):
        raise Invalid(fields={"reasons": [_("Choose the reasons from the list.")]})
    if case.restricted or case.merged_into_id is not None or case.state == CaseState.CLOSED:
        raise Invalid(fields={"reasons": [_("A conference can be proposed only on an open case.")]})
    if Conference.objects.filter(case=case, status__in=LIVE_CONFERENCE).exists():
        raise Invalid(fields={"reasons": [_("This case already has a conference proposed or scheduled.")]})
    conference = _propose(case, [(r, None) for r in chosen], actor, actor.unit)
    if conference is None:  # a concurrent proposal won the race
        raise Invalid(fields={"reasons": [_("This case already has a conference proposed or scheduled.")]})
    return conference


def _units(ids: Sequence[int], field: str) -> list[Unit]:
    wanted = list(dict.fromkeys(int(i) for i in ids))
    units = {u.pk: u for u in Unit.objects.filter(pk__in=wanted, is_active=True)}
    if len(units) != len(wanted):
        raise Invalid(fields={field: [_("Choose units from the list: one of them does not exist or is no longer active.")]})
    return [units[i] for i in wanted]


def _check_status(conference: Conference, allowed: Sequence[str]) -> None:
    if conference.status not in allowed:
        raise Invalid(fields={"status": [_("This conference is %(status)s: it cannot be changed that way.")
                                         % {"status": conference.get_status_display()}]})


def _claim(conference: Conference, version: int, allowed: Sequence[str], to: str, actor: User, **fields: object) -> None:
    """Move the conference on by a conditional update on its version: a stale form is a conflict."""
    _check_status(conference, allowed)
    updated = Conference.objects.filter(pk=conference.pk, version=version, status=conference.status).update(
        status=to, version=version + 1, updated_at=clock.now(), updated_by=actor, **fields
    )
    if not updated:
        raise Conflict()
    conference.refresh_from_db()


@transaction.atomic
def conference_schedule(*, actor: User, conference: Conference, version: int, when: dt.datetime | None, place: str,
                        invited_ids: Sequence[int]) -> Conference:
    """Set (or move) the time and place and invite units: each invited unit may open the case (scope
    ``worker``) and its workers are told. The convening unit attends by right."""
    _require_manager(actor, conference)
    _check_status(conference, LIVE_CONFERENCE)
    now = clock.now()
    errors: dict[str, list[str]] = {}
    if when is None:
        errors["when"] = [_("Give the date and time of the conference.")]
    elif when <= now:
        errors["when"] = [_("The conference must be in the future.")]
    elif when > now + AHEAD:
        errors["when"] = [_("A conference can be scheduled at most a year ahead.")]
    try:
        place = _text(place, "place", PLACE_LIMIT, required=True, message=_("Say where the conference meets."))
    except Invalid as exc:
        errors.update(exc.fields)
    others = [i for i in dict.fromkeys(invited_ids) if i != conference.convening_unit_id]
    if not others:
        errors["invited"] = [_("Invite at least one other agency.")]
    elif len(others) > MAX_INVITED:
        errors["invited"] = [_("At most %(n)d units can be invited.") % {"n": MAX_INVITED}]
    if errors:
        raise Invalid(fields=errors)
    units = _units(others, "invited")
    _claim(conference, version, LIVE_CONFERENCE, ConferenceStatus.SCHEDULED, actor, scheduled_for=when, place=place)
    case = conference.case
    assert conference.convening_unit is not None
    for unit in [conference.convening_unit, *units]:
        ConferenceAttendee.objects.get_or_create(conference=conference, unit=unit, defaults={"invited_at": now})
    recipients: list[User] = []
    for unit in units:
        _unit_grant(case, unit, actor)
        recipients += unit_workers(unit)
    notify(recipients=recipients, kind=NotificationKind.CONFERENCE_SCHEDULED, target_type="conference", target_id=conference.pk)
    event_add(case, EventKind.CONFERENCE, actor, to_state=ConferenceStatus.SCHEDULED.value)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="conference", target_id=conference.pk, outcome="scheduled")
    return conference


@dataclass(frozen=True)
class DecisionInput:
    text: str
    owner_id: int
    due_on: dt.date | None
    details: str = ""


def _due_at(due_on: dt.date, unit: Unit) -> dt.datetime:
    """The end of the due day in the owner unit's time zone."""
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(due_on, dt.time(23, 59), tzinfo=ZoneInfo(unit.timezone)).astimezone(clock.UTC)


def _check_decisions(conference: Conference, decisions: Sequence[DecisionInput]) -> tuple[dict[str, list[str]], dict[int, Unit]]:
    errors: dict[str, list[str]] = {}
    if len(decisions) > MAX_DECISIONS:
        return {"decisions": [_("At most %(n)d decisions at one conference.") % {"n": MAX_DECISIONS}]}, {}
    zone = conference.convening_unit.timezone if conference.convening_unit else "UTC"
    today = clock.local(clock.now(), zone).date()
    owners = {u.pk: u for u in Unit.objects.filter(pk__in=[d.owner_id for d in decisions], is_active=True)}
    for n, d in enumerate(decisions):
        for name, value, limit, required in (("text", d.text, TEXT_LIMIT, True), ("details", d.details, DETAILS_LIMIT, False)):
            try:
                _text(value, f"decisions.{n}.{name}", limit, required=required,
                      message=_("Write what was decided: the action the unit takes."))
            except Invalid as exc:
                errors.update(exc.fields)
        if d.owner_id not in owners:
            errors[f"decisions.{n}.owner"] = [_("Choose the unit that owns this action.")]
        if d.due_on is None:
            errors[f"decisions.{n}.due_on"] = [_("Give the date by which it must be done.")]
        elif d.due_on < today:
            errors[f"decisions.{n}.due_on"] = [_("The deadline cannot be in the past.")]
        elif d.due_on > today + AHEAD:
            errors[f"decisions.{n}.due_on"] = [_("The deadline can be at most a year ahead.")]
    return errors, owners


@transaction.atomic
def conference_record(*, actor: User, conference: Conference, version: int, attended_ids: Sequence[int], minutes: str,
                      decisions: Sequence[DecisionInput]) -> Conference:
    """The conference was held: who attended, the minutes (encrypted), and its decisions — each becomes
    an open task (trigger ``conference_decision``, key ``conference:<id>:<n>``) of its owner unit, which
    may then open the case (scope ``worker``) and is told."""
    _require_manager(actor, conference)
    _check_status(conference, (ConferenceStatus.SCHEDULED,))
    errors: dict[str, list[str]] = {}
    try:
        minutes = _text(minutes, "minutes", MINUTES_LIMIT, required=True, message=_("Write the minutes: what was discussed and agreed."))
    except Invalid as exc:
        errors.update(exc.fields)
    invited = set(conference.attendees.values_list("unit_id", flat=True))
    attended = set(attended_ids)
    if not attended:
        errors["attended"] = [_("Mark the units that attended.")]
    elif not attended <= invited:
        errors["attended"] = [_("Only invited units can be marked as attending.")]
    decision_errors, owners = _check_decisions(conference, decisions)
    errors.update(decision_errors)
    if errors:
        raise Invalid(fields=errors)
    at = clock.now()
    _claim(conference, version, (ConferenceStatus.SCHEDULED,), ConferenceStatus.HELD, actor, held_at=at)
    conference.minutes = minutes
    conference.save(update_fields=["minutes"])
    ConferenceAttendee.objects.filter(conference=conference, unit_id__in=attended).update(attended=True)
    case = conference.case
    level = _case_level(case)
    for n, d in enumerate(decisions, start=1):
        owner, due_on = owners[d.owner_id], d.due_on
        assert due_on is not None  # checked above
        task = Task.objects.create(
            case=case, duty=None, title=d.text.strip(), instructions=d.details.strip(), unit=owner, key=f"conference:{conference.pk}:{n}",
            trigger=Trigger.CONFERENCE_DECISION, level=level, mode=Mode.DUTY, status=TaskStatus.OPEN,
            due_at=_due_at(due_on, owner), created_by=actor, created_at=at, updated_at=at,
        )
        ConferenceDecision.objects.create(conference=conference, position=n, text=d.text.strip(), details=d.details.strip(),
                                          owner=owner, due_on=due_on, task=task)
        event_add(case, EventKind.TASK_CREATED, actor)
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="task", target_id=task.pk)
        task_grant(task, owner, actor)
        notify(recipients=unit_workers(owner), kind=NotificationKind.TASK_ASSIGNED, target_type="task", target_id=task.pk)
    event_add(case, EventKind.CONFERENCE, actor, to_state=ConferenceStatus.HELD.value)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="conference", target_id=conference.pk, outcome="held")
    return conference


def _case_level(case: Case) -> str:
    from qorgau.risk.models import CaseRisk

    return CaseRisk.objects.filter(case=case).values_list("level", flat=True).first() or ""


@transaction.atomic
def conference_dismiss(*, actor: User, conference: Conference, version: int, reason: str) -> Conference:
    """A proposed conference is dismissed, a scheduled one cancelled, with the reason (encrypted).
    The same grounds do not propose it again (only a new event does)."""
    _require_manager(actor, conference)
    _check_status(conference, LIVE_CONFERENCE)
    reason = _text(reason, "reason", REASON_LIMIT, required=True, message=_("Say why the conference is not needed."))
    to = ConferenceStatus.DISMISSED if conference.status == ConferenceStatus.PROPOSED else ConferenceStatus.CANCELLED
    _claim(conference, version, LIVE_CONFERENCE, to, actor, closed_at=clock.now())
    conference.close_reason = reason
    conference.save(update_fields=["close_reason"])
    event_add(conference.case, EventKind.CONFERENCE, actor, to_state=to.value, reason=reason)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="conference", target_id=conference.pk, outcome=to.value)
    return conference


def source_type(reason: str) -> str:
    """What a ground's ``source_id`` names (for the API): assessment, incident or breach."""
    return _SOURCE_TYPE.get(ConferenceReason(reason), "") if reason in ConferenceReason.values else ""
