"""Writes of the courts' and investigators' records on a case: court decisions and criminal cases, so
that the national figures (orders, decisions, criminal cases) come out of the registry (DESIGN §8)."""

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
from qorgau.core.errors import Forbidden, Invalid, NotFound
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
    sentence: str = "", order_id: int | None = None,
) -> CourtDecision:
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
    return decision


@transaction.atomic
def criminal_case_record(
    *, actor: User, case: Case, number: str, registered_on: dt.date | None, article: str, status: str = CriminalCaseStatus.REGISTERED
) -> CriminalCase:
    """A criminal case registered on the case's facts (police investigators, courts)."""
    scope = scope_for(actor, case)
    if scope is None:
        raise NotFound()
    if not (permissions.may_record_court(actor, scope) or (scope in permissions.WORKING and permissions.is_police(actor))):
        raise Forbidden()
    assert actor.unit is not None
    errors: dict[str, list[str]] = {}
    _short(errors, "number", number, limit=40, required=True)
    _short(errors, "article", article, limit=60, required=True)
    _date_checked(errors, "registered_on", registered_on, actor.unit.timezone)
    if status not in CriminalCaseStatus.values:
        errors["status"] = [_("Choose one of the offered values.")]
    if not errors and CriminalCase.objects.filter(case=case, number=number.strip()).exists():
        errors["number"] = [_("This criminal case is already recorded on the case.")]
    if errors:
        raise Invalid(fields=errors)
    assert registered_on is not None
    record = CriminalCase.objects.create(
        case=case, number=number.strip(), registered_on=registered_on, article=article.strip(), status=status,
        unit=actor.unit, recorded_by=actor, recorded_at=clock.now(),
    )
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="criminal_case", target_id=record.pk)
    return record
