"""Writes of the courts' and investigators' records on a case: court decisions and criminal cases, so
that the national figures (orders, decisions, criminal cases) come out of the registry (DESIGN §8).
Hearings are in ``orders.hearings``."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.cases.access import scope_for
from qorgau.cases.ledger import event_add
from qorgau.cases.models import Case, EventKind
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.orders import permissions
from qorgau.orders.models import CourtDecision, CriminalCase, CriminalCaseStatus, DecisionKind, Order

EARLIEST = dt.date(2000, 1, 1)
TEXT_MAX = 4000


def _date_checked(errors: dict[str, list[str]], name: str, value: dt.date | None, zone: str) -> None:
    today = clock.local(clock.now(), zone).date()
    if value is None:
        errors[name] = [_("Enter a valid date.")]
    elif value > today:
        errors[name] = [_("This date is in the future.")]
    elif value < EARLIEST:
        errors[name] = [_("Check the year: dates before %(year)d are not accepted.") % {"year": EARLIEST.year}]


def _short(errors: dict[str, list[str]], name: str, value: str, *, limit: int, required: bool) -> None:
    if required and not value.strip():
        errors[name] = [_("This field is required.")]
    elif len(value.strip()) > limit:
        errors[name] = [_("This value is too long.")]


@transaction.atomic
def court_decision_record(
    *, actor: User, case: Case, kind: str, decided_on: dt.date | None, reference: str, article: str = "",
    sentence: str = "", order_id: int | None = None, criminal_case_id: int | None = None,
) -> CourtDecision:
    """A court decision on the case; a conviction or an acquittal may settle one of the case's
    criminal cases in the same step (its status follows the decision)."""
    scope = scope_for(actor, case)
    if scope is None:
        raise NotFound()
    if not permissions.may_record_court(actor, scope):
        raise Forbidden()
    assert actor.unit is not None
    errors: dict[str, list[str]] = {}
    if kind not in DecisionKind.values:
        errors["kind"] = [_("Choose one of the offered values.")]
    _date_checked(errors, "decided_on", decided_on, actor.unit.timezone)
    _short(errors, "reference", reference, limit=60, required=True)
    _short(errors, "article", article, limit=60, required=False)
    _short(errors, "sentence", sentence, limit=TEXT_MAX, required=False)
    order = None
    if order_id is not None:
        order = Order.objects.filter(pk=order_id, case_links__case=case).first()
        if order is None:
            errors["order"] = [_("Choose one of the offered values.")]
    criminal = None
    if criminal_case_id is not None:
        criminal = CriminalCase.objects.select_for_update().filter(pk=criminal_case_id, case=case).first()
        if criminal is None:
            errors["criminal_case"] = [_("Choose one of the offered values.")]
        elif kind not in VERDICT_OF:
            errors["criminal_case"] = [_("Only a conviction or an acquittal settles a criminal case.")]
        elif VERDICT_OF[kind] not in TRANSITIONS.get(criminal.status, frozenset()):
            errors["criminal_case"] = [_("This criminal case is already closed.")]
    if not errors and CourtDecision.objects.filter(case=case, court_unit=actor.unit, reference=reference.strip()).exists():
        errors["reference"] = [_("A decision with this reference is already recorded on the case.")]
    if errors:
        raise Invalid(fields=errors)
    assert decided_on is not None
    decision = CourtDecision.objects.create(
        case=case, court_unit=actor.unit, kind=kind, decided_on=decided_on, reference=reference.strip(), article=article.strip(),
        sentence=sentence.strip(), order=order, recorded_by=actor, recorded_at=clock.now(),
    )
    event_add(case, EventKind.COURT_DECISION, actor)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="court_decision", target_id=decision.pk)
    if criminal is not None:
        _criminal_apply(criminal, actor=actor, status=VERDICT_OF[kind], status_on=decided_on, decision=decision, version=criminal.version)
    return decision


# --- criminal cases ---------------------------------------------------------------------------------------

# registered → in court → conviction / acquittal / discontinued; a court may record a verdict on a case
# the registry still shows as registered (the step "sent to court" was not recorded).
TRANSITIONS: dict[str, frozenset[str]] = {
    CriminalCaseStatus.REGISTERED: frozenset({CriminalCaseStatus.IN_COURT, CriminalCaseStatus.CONVICTED, CriminalCaseStatus.ACQUITTED,
                                              CriminalCaseStatus.DISCONTINUED}),
    CriminalCaseStatus.IN_COURT: frozenset({CriminalCaseStatus.CONVICTED, CriminalCaseStatus.ACQUITTED, CriminalCaseStatus.DISCONTINUED}),
}
# Statuses only a court sets: a verdict, or ending a case that is already before the court.
VERDICTS = frozenset({CriminalCaseStatus.CONVICTED, CriminalCaseStatus.ACQUITTED})
VERDICT_OF: dict[str, str] = {DecisionKind.CRIMINAL_CONVICTION: CriminalCaseStatus.CONVICTED, DecisionKind.ACQUITTAL: CriminalCaseStatus.ACQUITTED}
FIRST_STATUSES = (CriminalCaseStatus.REGISTERED, CriminalCaseStatus.IN_COURT)


def _open_case(case: Case) -> None:
    if case.merged_into_id is not None:
        raise Invalid(_("This case was merged into another one: record it there."))


@transaction.atomic
def criminal_case_record(
    *, actor: User, case: Case, number: str, registered_on: dt.date | None, article: str, status: str = CriminalCaseStatus.REGISTERED
) -> CriminalCase:
    """A criminal case registered on the case's facts (police investigators, courts); it starts as
    registered, or as sent to court when a court records it."""
    scope = scope_for(actor, case)
    if scope is None:
        raise NotFound()
    if not permissions.may_record_criminal(actor, scope):
        raise Forbidden()
    _open_case(case)
    assert actor.unit is not None
    errors: dict[str, list[str]] = {}
    _short(errors, "number", number, limit=40, required=True)
    _short(errors, "article", article, limit=60, required=True)
    _date_checked(errors, "registered_on", registered_on, actor.unit.timezone)
    if status not in FIRST_STATUSES:
        errors["status"] = [_("A criminal case starts as registered or sent to court; record the verdict afterwards.")]
    if not errors and CriminalCase.objects.filter(case=case, number=number.strip()).exists():
        errors["number"] = [_("This criminal case is already recorded on the case.")]
    if errors:
        raise Invalid(fields=errors)
    assert registered_on is not None
    now = clock.now()
    record = CriminalCase.objects.create(
        case=case, number=number.strip(), registered_on=registered_on, article=article.strip(), status=status,
        status_on=registered_on, unit=actor.unit, recorded_by=actor, recorded_at=now,
    )
    event_add(case, EventKind.CRIMINAL_CASE, actor, reason=record.number)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="criminal_case", target_id=record.pk)
    return record


def _criminal_apply(
    record: CriminalCase, *, actor: User, status: str, status_on: dt.date, decision: CourtDecision | None, version: int
) -> CriminalCase:
    updated = CriminalCase.objects.filter(pk=record.pk, version=version).update(
        status=status, status_on=status_on, decision=decision, changed_at=clock.now(), version=version + 1,
    )
    if not updated:
        raise Conflict()
    record.refresh_from_db()
    event_add(record.case, EventKind.CRIMINAL_CASE, actor, reason=record.number)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="criminal_case", target_id=record.pk)
    return record


@transaction.atomic
def criminal_case_change(
    *, actor: User, record: CriminalCase, version: int | None, status: str, status_on: dt.date | None = None, decision_id: int | None = None,
) -> CriminalCase:
    """Move a criminal case on: to court, discontinued (investigators and courts), a verdict (courts
    only; a conviction names the court decision that holds the sentence). A stale version is a conflict."""
    case = record.case
    scope = scope_for(actor, case)
    if scope is None:
        raise NotFound()
    if not permissions.may_record_criminal(actor, scope):
        raise Forbidden()
    if version is None or version != record.version:
        raise Conflict()
    _open_case(case)
    assert actor.unit is not None
    errors: dict[str, list[str]] = {}
    court = permissions.may_record_court(actor, scope)
    if status not in CriminalCaseStatus.values:
        errors["status"] = [_("Choose one of the offered values.")]
    elif status not in TRANSITIONS.get(record.status, frozenset()):
        errors["status"] = [_("A criminal case cannot move from “%(from)s” to “%(to)s”.") % {
            "from": CriminalCaseStatus(record.status).label, "to": CriminalCaseStatus(status).label}]
    elif not court and (status in VERDICTS or record.status == CriminalCaseStatus.IN_COURT):
        errors["status"] = [_("Once the case is before the court, only the court records what happens to it.")]
    if status_on is None:
        status_on = clock.local(clock.now(), actor.unit.timezone).date()
    else:
        _date_checked(errors, "status_on", status_on, actor.unit.timezone)
        if "status_on" not in errors and status_on < record.registered_on:
            errors["status_on"] = [_("This date is before the criminal case was registered.")]
    decision = None
    if decision_id is not None:
        decision = CourtDecision.objects.filter(pk=decision_id, case=case).first()
        if decision is None:
            errors["decision"] = [_("Choose one of the offered values.")]
    if "status" not in errors and "decision" not in errors:
        wanted: dict[str, str] = {CriminalCaseStatus.CONVICTED: DecisionKind.CRIMINAL_CONVICTION, CriminalCaseStatus.ACQUITTED: DecisionKind.ACQUITTAL}
        if status == CriminalCaseStatus.CONVICTED and decision is None:
            errors["decision"] = [_("A conviction needs the court decision with the sentence: record the decision first and choose it.")]
        elif decision is not None and decision.kind != wanted.get(status):
            errors["decision"] = [_("This decision does not match the new status.")]
    if errors:
        raise Invalid(fields=errors)
    return _criminal_apply(record, actor=actor, status=status, status_on=status_on, decision=decision, version=version)
