"""Case conferences over the API (/api/v1/conferences): the coordinator's list, one conference, and
schedule / record / dismiss. Only ``RUN_CONFERENCES`` (403 otherwise); a conference another unit
convenes is 404 like a missing one; a stale ``version`` is 409; bad input 422 with the field named.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema
from pydantic import AfterValidator

from qorgau.accounts.api import STAFF_AUTH
from qorgau.accounts.masks import Viewer
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.api import MAX_ID, Id, Short, Version, When, _clean_text, errors
from qorgau.core.errors import Forbidden, Invalid
from qorgau.protocols import conference_selectors as selectors
from qorgau.protocols import conferences as services
from qorgau.protocols.models import TaskStatus
from qorgau.protocols.models_conferences import Conference, ConferenceReason, ConferenceStatus

router = Router(tags=["conferences"])

ConferenceId = Annotated[int, Path(ge=1, le=MAX_ID)]
Minutes = Annotated[str, Field(max_length=services.MINUTES_LIMIT), AfterValidator(_clean_text)]
Details = Annotated[str, Field(max_length=services.DETAILS_LIMIT), AfterValidator(_clean_text)]
Reason = Annotated[str, Field(max_length=services.REASON_LIMIT), AfterValidator(_clean_text)]


class GroundOut(Schema):
    reason: ConferenceReason
    label: str = Field(description="The reason in the caller's language.")
    source_type: str = Field(description="What source_id names: assessment, incident or breach; empty for a proposal by hand.")
    source_id: int | None


class AttendeeOut(Schema):
    unit_id: int
    unit: str
    attended: bool


class DecisionOut(Schema):
    position: int
    text: str
    details: str
    owner_unit_id: int
    due_on: dt.date
    task_id: int
    task_status: TaskStatus


class ConferenceOut(Schema):
    id: int
    case_id: int
    case_number: str
    status: ConferenceStatus
    reasons: list[GroundOut]
    convening_unit_id: int | None
    proposed_at: dt.datetime
    scheduled_for: dt.datetime | None
    place: str
    held_at: dt.datetime | None
    closed_at: dt.datetime | None
    minutes: str | None = Field(description="Null when the caller's role may not read them.")
    attendees: list[AttendeeOut]
    decisions: list[DecisionOut]
    version: int = Field(description="Send it back with a change; a stale one gets 409.")


class ConferenceListOut(Schema):
    proposed: list[ConferenceOut]
    scheduled: list[ConferenceOut]
    recent: list[ConferenceOut]


class ScheduleIn(Schema):
    version: Version
    scheduled_for: When
    place: Short
    invited: list[Id] = Field(max_length=services.MAX_INVITED, description="Units to invite (ids); the convening unit attends by right.")


class DecisionIn(Schema):
    text: Short
    owner_unit_id: Id
    due_on: dt.date
    details: Details = ""


class RecordIn(Schema):
    version: Version
    attended: list[Id] = Field(max_length=services.MAX_INVITED + 1)
    minutes: Minutes
    decisions: list[DecisionIn] = Field(default_factory=list, max_length=services.MAX_DECISIONS)


class DismissIn(Schema):
    version: Version
    reason: Reason


def _api_names(exc: Invalid) -> Invalid:
    """The service's field names as this API spells them (``when`` is ``scheduled_for``, …)."""
    def name(field: str) -> str:
        if field == "when":
            return "scheduled_for"
        return field[: -len(".owner")] + ".owner_unit_id" if field.startswith("decisions.") and field.endswith(".owner") else field

    return Invalid(exc.message, fields={name(k): v for k, v in exc.fields.items()})


def _coordinator(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not user.can(Capability.RUN_CONFERENCES):
        raise Forbidden()
    return user


def _out(c: Conference, viewer: Viewer | None = None) -> ConferenceOut:
    # The list reads no minutes (each would be a read of the case); one conference reads them through the mask.
    minutes: object = ""
    if c.minutes:
        minutes = selectors.minutes_for(viewer, c) if viewer is not None else None
    return ConferenceOut(
        id=c.pk, case_id=c.case_id, case_number=c.case.number, status=ConferenceStatus(c.status),
        reasons=[GroundOut(reason=ConferenceReason(g.reason), label=str(g.get_reason_display()), source_type=services.source_type(g.reason),
                           source_id=g.source_id) for g in c.grounds.all()],
        convening_unit_id=c.convening_unit_id, proposed_at=c.proposed_at, scheduled_for=c.scheduled_for, place=c.place,
        held_at=c.held_at, closed_at=c.closed_at, minutes=minutes if isinstance(minutes, str) else None,
        attendees=[AttendeeOut(unit_id=a.unit_id, unit=a.unit.name, attended=a.attended) for a in c.attendees.all()],
        decisions=[DecisionOut(position=d.position, text=d.text, details=d.details, owner_unit_id=d.owner_id, due_on=d.due_on,
                               task_id=d.task_id, task_status=TaskStatus(d.task.status)) for d in c.decisions.all()],
        version=c.version,
    )


@router.get("/conferences", response={200: ConferenceListOut, **errors(401, 403)}, auth=STAFF_AUTH)
def conference_list(request: HttpRequest) -> ConferenceListOut:
    """The conferences the caller's unit convenes: proposed, scheduled, and recent (90 days)."""
    found = selectors.conferences_for(_coordinator(request))
    return ConferenceListOut(proposed=[_out(c) for c in found.proposed], scheduled=[_out(c) for c in found.scheduled],
                             recent=[_out(c) for c in found.recent])


def _reloaded(user: User, conference_id: int) -> ConferenceOut:
    conference, viewer = selectors.conference_get_for(user, conference_id)
    return _out(conference, viewer)


@router.get("/conferences/{conference_id}", response={200: ConferenceOut, **errors(401, 403, 404)}, auth=STAFF_AUTH)
def conference_get(request: HttpRequest, conference_id: ConferenceId) -> ConferenceOut:
    """One conference the caller's unit convenes, with its minutes when the caller may read them."""
    return _reloaded(_coordinator(request), conference_id)


@router.post("/conferences/{conference_id}/schedule", response={200: ConferenceOut, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def conference_schedule(request: HttpRequest, conference_id: ConferenceId, payload: ScheduleIn) -> ConferenceOut:
    """Set or move the time and place and invite units (each may then open the case and is told)."""
    user = _coordinator(request)
    conference, _viewer = selectors.conference_get_for(user, conference_id)
    try:
        services.conference_schedule(actor=user, conference=conference, version=payload.version, when=payload.scheduled_for,
                                     place=payload.place, invited_ids=payload.invited)
    except Invalid as exc:
        raise _api_names(exc) from None
    return _reloaded(user, conference_id)


@router.post("/conferences/{conference_id}/record", response={200: ConferenceOut, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def conference_record(request: HttpRequest, conference_id: ConferenceId, payload: RecordIn) -> ConferenceOut:
    """Record the conference as held: attendance, minutes, and decisions that become tasks."""
    user = _coordinator(request)
    conference, _viewer = selectors.conference_get_for(user, conference_id)
    decisions = [services.DecisionInput(text=d.text, owner_id=d.owner_unit_id, due_on=d.due_on, details=d.details) for d in payload.decisions]
    try:
        services.conference_record(actor=user, conference=conference, version=payload.version, attended_ids=payload.attended,
                                   minutes=payload.minutes, decisions=decisions)
    except Invalid as exc:
        raise _api_names(exc) from None
    return _reloaded(user, conference_id)


@router.post("/conferences/{conference_id}/dismiss", response={200: ConferenceOut, **errors(401, 403, 404, 409, 422)}, auth=STAFF_AUTH)
def conference_dismiss(request: HttpRequest, conference_id: ConferenceId, payload: DismissIn) -> ConferenceOut:
    """Dismiss a proposed conference or cancel a scheduled one, with the reason."""
    user = _coordinator(request)
    conference, _viewer = selectors.conference_get_for(user, conference_id)
    services.conference_dismiss(actor=user, conference=conference, version=payload.version, reason=payload.reason)
    return _reloaded(user, conference_id)
