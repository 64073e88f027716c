"""Writes of court hearings on a case: a court schedules one, moves or adjourns it, records that it was
held (with the decision that came of it) or cancels it.

A hearing belongs to the court that scheduled it: only that court's staff with the court capability
change it, through a working grant on the case. Every change carries the hearing's version (a stale
one is a conflict), writes a ``hearing`` event on the case's timeline and an audit row; a new date
tells the staff of the unit holding the case (``hearing_scheduled``).
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from qorgau.accounts.models import NotificationKind, User, VictimNoticeKind
from qorgau.accounts.recipients import unit_staff
from qorgau.accounts.roles import Capability
from qorgau.accounts.services import notify
from qorgau.accounts.victim_messages import victim_message
from qorgau.cases.access import scope_for
from qorgau.cases.ledger import event_add
from qorgau.cases.models import Case, EventKind
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.orders import permissions
from qorgau.orders.models import (
    UPCOMING_HEARING,
    CourtDecision,
    CourtHearing,
    CriminalCase,
    HearingKind,
    HearingStatus,
    Order,
)

TEXT_MAX = 4000
# A hearing is set weeks or months ahead; two years is a typing error.
FURTHEST = timedelta(days=730)
COURT_KIND = "court"


def _when_text(at: dt.datetime, zone: str) -> str:
    """The hearing's local date and time for the timeline: digits only, the same in every language."""
    return clock.local(at, zone).strftime("%d.%m.%Y %H:%M")


def _date_ahead(errors: dict[str, list[str]], at: dt.datetime | None) -> None:
    now = clock.now()
    if at is None:
        errors["scheduled_for"] = [_("Enter the date and time of the hearing.")]
    elif at <= now:
        errors["scheduled_for"] = [_("This time has already passed: a hearing is scheduled ahead.")]
    elif at > now + FURTHEST:
        errors["scheduled_for"] = [_("Check the year: a hearing more than two years ahead is not accepted.")]


def _tell_holding_unit(case: Case, actor: User, hearing: CourtHearing) -> None:
    if case.holding_unit_id is None:
        return
    recipients = unit_staff([case.holding_unit_id], capability=Capability.WORK_CASES, besides=actor)
    notify(recipients=recipients, kind=NotificationKind.HEARING_SCHEDULED, target_type="hearing", target_id=hearing.pk)


def _require_court(actor: User, case: Case) -> None:
    scope = scope_for(actor, case)
    if scope is None:
        raise NotFound()
    if not permissions.may_record_court(actor, scope):
        raise Forbidden()


def may_change(actor: User, hearing: CourtHearing) -> bool:
    """Staff of the hearing's court who may record court decisions on the case."""
    if actor.unit_id != hearing.court_unit_id:
        return False
    return permissions.may_record_court(actor, scope_for(actor, hearing.case))


@transaction.atomic
def hearing_schedule(
    *, actor: User, case: Case, kind: str, scheduled_for: dt.datetime | None, order_id: int | None = None,
    criminal_case_id: int | None = None,
) -> CourtHearing:
    """A court sets a hearing on a case it sees; the unit holding the case is told."""
    _require_court(actor, case)
    assert actor.unit is not None
    errors: dict[str, list[str]] = {}
    if case.merged_into_id is not None:
        errors["__all__"] = [_("This case was merged into another one: record it there.")]
    elif actor.unit.kind_id != COURT_KIND or not actor.unit.is_active:
        errors["__all__"] = [_("Only a court schedules hearings, and your unit is not a court.")]
    if kind not in HearingKind.values:
        errors["kind"] = [_("Choose one of the offered values.")]
    _date_ahead(errors, scheduled_for)
    order = None
    if order_id is not None:
        order = Order.objects.filter(pk=order_id, case_links__case=case).first()
        if order is None:
            errors["order"] = [_("Choose one of the offered values.")]
    criminal = None
    if criminal_case_id is not None:
        criminal = CriminalCase.objects.filter(pk=criminal_case_id, case=case).first()
        if criminal is None:
            errors["criminal_case"] = [_("Choose one of the offered values.")]
    if errors:
        raise Invalid(fields=errors)
    assert scheduled_for is not None
    now = clock.now()
    hearing = CourtHearing.objects.create(
        case=case, court_unit=actor.unit, scheduled_for=scheduled_for, kind=kind, order=order, criminal_case=criminal,
        scheduled_by=actor, scheduled_at=now,
    )
    event_add(case, EventKind.HEARING, actor, reason=_when_text(scheduled_for, actor.unit.timezone))
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="hearing", target_id=hearing.pk)
    _tell_holding_unit(case, actor, hearing)
    victim_message(actor=actor, case=case, kind=VictimNoticeKind.HEARING_SCHEDULED, key=f"hearing:{hearing.pk}")
    return hearing


def _prepare(actor: User, hearing: CourtHearing, version: int | None) -> None:
    """The gate, the court's ownership, the version and a hearing still to come, in that order."""
    _require_court(actor, hearing.case)
    if actor.unit_id != hearing.court_unit_id:
        raise Forbidden(_("Only the court that scheduled the hearing changes it."))
    if version is None or version != hearing.version:
        raise Conflict()
    if hearing.status not in UPCOMING_HEARING:
        raise Invalid(fields={"__all__": [_("This hearing was already held or cancelled.")]})


def _save(hearing: CourtHearing, version: int, **changes: Any) -> None:
    updated = CourtHearing.objects.filter(pk=hearing.pk, version=version).update(version=version + 1, changed_at=clock.now(), **changes)
    if not updated:
        raise Conflict()
    hearing.refresh_from_db()


def _text(errors: dict[str, list[str]], name: str, value: str, *, required: bool) -> None:
    if required and not value.strip():
        errors[name] = [_("This field is required.")]
    elif len(value) > TEXT_MAX:
        errors[name] = [_("This value is too long.")]


@transaction.atomic
def hearing_reschedule(
    *, actor: User, hearing: CourtHearing, version: int | None, scheduled_for: dt.datetime | None, adjourn: bool = False, reason: str = "",
) -> CourtHearing:
    """A new date: moved by the court's office, or adjourned at the hearing (then it says why)."""
    _prepare(actor, hearing, version)
    assert actor.unit is not None and version is not None
    errors: dict[str, list[str]] = {}
    _date_ahead(errors, scheduled_for)
    if not errors and scheduled_for == hearing.scheduled_for:
        errors["scheduled_for"] = [_("Choose a date and time other than the current one.")]
    _text(errors, "reason", reason, required=adjourn)
    if errors:
        raise Invalid(fields=errors)
    assert scheduled_for is not None
    status = HearingStatus.ADJOURNED if adjourn else hearing.status
    _save(hearing, version, scheduled_for=scheduled_for, status=status)
    when = _when_text(scheduled_for, actor.unit.timezone)
    event_add(hearing.case, EventKind.HEARING, actor, reason=f"{when} · {reason.strip()}" if reason.strip() else when)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="hearing", target_id=hearing.pk)
    _tell_holding_unit(hearing.case, actor, hearing)
    return hearing


@transaction.atomic
def hearing_hold(
    *, actor: User, hearing: CourtHearing, version: int | None, outcome: str = "", decision_id: int | None = None,
) -> CourtHearing:
    """The hearing took place: what came of it, and the court decision it gave, if any."""
    _prepare(actor, hearing, version)
    assert actor.unit is not None and version is not None
    errors: dict[str, list[str]] = {}
    today = clock.local(clock.now(), actor.unit.timezone).date()
    if clock.local(hearing.scheduled_for, actor.unit.timezone).date() > today:
        errors["__all__"] = [_("The hearing is set for a later day: it cannot have been held yet.")]
    _text(errors, "outcome", outcome, required=False)
    decision = None
    if decision_id is not None:
        decision = CourtDecision.objects.filter(pk=decision_id, case=hearing.case).first()
        if decision is None:
            errors["decision"] = [_("Choose one of the offered values.")]
    if errors:
        raise Invalid(fields=errors)
    _save(hearing, version, status=HearingStatus.HELD, outcome=outcome.strip(), decision=decision)
    event_add(hearing.case, EventKind.HEARING, actor, reason=outcome.strip())
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="hearing", target_id=hearing.pk)
    return hearing


@transaction.atomic
def hearing_cancel(*, actor: User, hearing: CourtHearing, version: int | None, reason: str) -> CourtHearing:
    _prepare(actor, hearing, version)
    assert version is not None
    errors: dict[str, list[str]] = {}
    _text(errors, "reason", reason, required=True)
    if errors:
        raise Invalid(fields=errors)
    _save(hearing, version, status=HearingStatus.CANCELLED, outcome=reason.strip())
    event_add(hearing.case, EventKind.HEARING, actor, reason=reason.strip())
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="hearing", target_id=hearing.pk)
    return hearing
