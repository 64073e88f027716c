"""Writes of protective orders: issue, serve, extend, revoke, the sweep's expiry and warnings, breaches
and check-ins. Each write checks the case's grant, audits in its transaction, writes the timeline of
every linked case and then calls the protocol engine for each of them (DESIGN §3).
"""

from __future__ import annotations

import datetime as dt
import importlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import NotificationKind, User, VictimNoticeKind
from qorgau.accounts.recipients import unit_staff
from qorgau.accounts.services import notify
from qorgau.accounts.victim_messages import victim_message
from qorgau.cases.access import SCOPE_ORDER, cases_visible_to, grants_in_force, live_grants, scope_for
from qorgau.cases.ledger import event_add, record_number
from qorgau.cases.models import Case, EventKind, Party, PartyRole
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.orders import permissions
from qorgau.orders.legal import Rules, Span, add_months, rules_for
from qorgau.orders.models import (
    BANS,
    COURT_KINDS,
    OPEN_STATUSES,
    SERVED_STATUSES,
    Breach,
    BreachSource,
    CheckIn,
    Order,
    OrderCase,
    OrderExtension,
    OrderKind,
    OrderProtected,
    OrderStatus,
)
from qorgau.people.models import Person
from qorgau.training.models import Action
from qorgau.training.services import certificate_required

MIN_REASON = 10
TEXT_MAX = 4000
REFERENCE_MAX = 60
EXPIRY_WARNING_DAYS = 3
# A breach or a check-in is written down after the fact; a few minutes' clock drift is not the future.
CLOCK_SLACK = timedelta(minutes=5)


@dataclass
class OrderInput:
    kind: str
    protected_ids: list[int]
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None = None  # None: the law's default duration
    ban_contact: bool = False
    ban_seeking: bool = False
    ban_weapons: bool = False
    ban_alcohol: bool = False
    ban_drugs: bool = False
    ban_cohabitation: bool = False
    reporting_per_month: int = 0
    court_reference: str = ""
    bans: dict[str, bool] = field(init=False)

    def __post_init__(self) -> None:
        self.bans = {b: bool(getattr(self, b)) for b in BANS}


# --- the protocol engine ---------------------------------------------------------------------------------


def _fire(*, trigger: str, case: Case, actor: User | None, key: str) -> list[Any]:
    """Call ``qorgau.protocols.engine.fire``; nothing while that app is not installed yet."""
    try:
        engine = importlib.import_module("qorgau.protocols.engine")
    except ImportError:
        return []
    return list(engine.fire(trigger=trigger, case=case, actor=actor, key=key) or [])


# --- shared helpers -------------------------------------------------------------------------------------


def _cluster(person: Person) -> int:
    return int(person.cluster_id or person.pk)


def _local_date(at: dt.datetime, zone: str) -> dt.date:
    return clock.local(at, zone).date()


def order_scope(actor: User, order: Order) -> Scope | None:
    """The widest grant the actor holds on any case the order is linked to."""
    values = live_grants(actor).filter(case__order_links__order=order).values_list("scope", flat=True)
    scopes = [Scope(s) for s in values]
    return max(scopes, key=SCOPE_ORDER.__getitem__) if scopes else None


def _linked_cases(order: Order) -> list[Case]:
    return list(Case.objects.filter(order_links__order=order).order_by("pk"))


def _events(order: Order, kind: str, actor: User | None, reason: str = "") -> list[Case]:
    cases = _linked_cases(order)
    for case in cases:
        event_add(case, kind, actor, reason=reason)
    return cases


def _unit_users(cases: Iterable[Case], *, besides: User | None) -> list[User]:
    """Staff of every unit holding a grant on the cases (never aggregate-only roles)."""
    return unit_staff(grants_in_force().filter(case__in=list(cases)).values("unit_id"), besides=besides)


def _require_order(actor: User, order: Order, check: Any) -> Scope:
    scope = order_scope(actor, order)
    if scope is None:
        raise NotFound()
    if not check(actor, scope, order):
        raise Forbidden()
    return scope


def _fresh(order: Order, version: int | None) -> None:
    """A form or request made on an older version is a conflict, whatever else changed since."""
    if version is None or order.version != version:
        raise Conflict()


def _versioned(order: Order, version: int | None, **changes: Any) -> None:
    """Apply the changes only to the version the user saw; a stale one is a conflict."""
    if version is None or order.version != version:
        raise Conflict()
    updated = Order.objects.filter(pk=order.pk, version=version).update(version=version + 1, **changes)
    if not updated:
        raise Conflict()
    order.refresh_from_db()


def _span_message(span: Span) -> str:
    if span.unit == "days":
        return _("For this kind of order the law allows from %(min)d to %(max)d days.") % {"min": span.min, "max": span.max}
    return _("For this kind of order the law allows from %(min)d to %(max)d months.") % {"min": span.min, "max": span.max}


def _age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- who the order protects and which cases it joins ------------------------------------------------------


def protected_candidates(actor: User, case: Case) -> list[Person]:
    """Whom an order issued on this case may protect: the victim of each case of this offender that
    the actor may see, and the children who witnessed the case's incidents."""
    cases = cases_visible_to(actor).filter(offender__cluster_id=_cluster(case.offender), merged_into=None).select_related("victim")
    people: dict[int, Person] = {case.victim.pk: case.victim}
    for other in cases.order_by("opened_at", "pk"):
        people.setdefault(other.victim.pk, other.victim)
    children = Person.objects.filter(parties__incident__cases=case, parties__role=PartyRole.CHILD_WITNESS).distinct()
    for child in children.order_by("pk"):
        people.setdefault(child.pk, child)
    return list(people.values())


def _of_case(case: Case) -> set[int]:
    children = Party.objects.filter(incident__cases=case, role=PartyRole.CHILD_WITNESS).values_list("person_id", flat=True)
    return {case.victim_id, *children}


def cases_to_link(case: Case, protected: list[Person]) -> list[Case]:
    """Every case of the offender with a person the order protects (DESIGN §10), this one first."""
    clusters = [_cluster(p) for p in protected]
    others = Case.objects.filter(offender__cluster_id=_cluster(case.offender), victim__cluster_id__in=clusters, merged_into=None)
    return [case, *others.exclude(pk=case.pk).order_by("pk")]


# --- issue ---------------------------------------------------------------------------------------------


def _validate(actor: User, case: Case, data: OrderInput) -> tuple[Rules, dt.datetime, dt.datetime, list[Person]]:
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    rules = rules_for(data.kind)
    now = clock.now()
    starts = data.starts_at
    if starts is None:
        err("starts_at", _("Enter the date and time the order takes effect."))
        raise Invalid(fields=errors)
    ends = data.ends_at or rules.duration.after(starts, rules.duration.default)
    if ends <= starts:
        err("ends_at", _("The order cannot end before it starts."))
    elif not rules.duration.after(starts, rules.duration.min) <= ends <= rules.duration.after(starts, rules.duration.max):
        err("ends_at", _span_message(rules.duration))
    elif ends <= now:
        err("ends_at", _("This end has already passed: an order that has ended cannot be issued."))
    birth = case.offender.birth_date
    if birth is not None and _age_on(birth, _local_date(starts, case.holding_unit.timezone)) < rules.min_age:
        err("__all__", _("The offender is under %(age)d: the law does not allow this order.") % {"age": rules.min_age})
    candidates = {p.pk: p for p in protected_candidates(actor, case)}
    ids = list(dict.fromkeys(data.protected_ids))
    if not ids:
        err("protected", _("Choose at least one person the order protects."))
    elif any(i not in candidates for i in ids):
        err("protected", _("Choose among the persons offered."))
    elif not set(ids) & _of_case(case):
        err("protected", _("At least one protected person must be of this case: the victim or a child."))
    if not any(data.bans.values()):
        err("bans", _("Choose at least one ban."))
    if data.ban_cohabitation and not rules.cohabitation_ban:
        err("ban_cohabitation", _("Only a court may ban living together."))
    if rules.reporting is not None:
        low, high, _default = rules.reporting
        if not low <= data.reporting_per_month <= high:
            err("reporting_per_month", _("Reporting to the police is set from %(min)d to %(max)d times a month.") % {"min": low, "max": high})
    elif data.reporting_per_month:
        err("reporting_per_month", _("Reporting to the police is set only with special requirements."))
    reference = data.court_reference.strip()
    if data.kind in COURT_KINDS and not reference:
        err("court_reference", _("Enter the reference of the court decision."))
    elif len(reference) > REFERENCE_MAX:
        err("court_reference", _("This value is too long."))
    if errors:
        raise Invalid(fields=errors)
    return rules, starts, ends, [candidates[i] for i in ids]


def _checkin_days(starts: dt.datetime, ends: dt.datetime, per_month: int, zone: str) -> list[dt.date]:
    """``per_month`` dates spread over each month of the period, from its first day."""
    days: list[dt.date] = []
    k = 0
    window = starts
    while per_month and window < ends:
        nxt = min(add_months(starts, k + 1), ends)
        for i in range(per_month):
            at = window + (nxt - window) * (i + 1) / (per_month + 1)
            day = _local_date(at, zone)
            if day not in days:
                days.append(day)
        k += 1
        window = add_months(starts, k)
    return days


def _checkins_add(order: Order, starts: dt.datetime, ends: dt.datetime, *, after: dt.date | None = None) -> int:
    if not order.reporting_per_month:
        return 0
    days = _checkin_days(starts, ends, order.reporting_per_month, order.issuing_unit.timezone)
    existing = set(order.checkins.values_list("due_on", flat=True))
    rows = [CheckIn(order=order, due_on=d) for d in days if d not in existing and (after is None or d > after)]
    CheckIn.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def order_issue(*, actor: User, case: Case, data: OrderInput) -> Order:
    """Issue an order on the case to its offender. It is linked to every case of the offender with a
    person it protects, and counted once."""
    if data.kind not in OrderKind.values:
        raise Invalid(fields={"kind": [_("Choose one of the offered values.")]})
    scope = scope_for(actor, case)
    if scope is None:
        raise NotFound()
    if not permissions.may_issue(actor, scope, data.kind):
        raise Forbidden()
    if data.kind == OrderKind.POLICE:  # a configured, current training certificate (training/courses.json)
        certificate_required(actor, Action.ISSUE_PROTECTIVE_ORDER)
    assert actor.unit is not None  # a grant means a unit
    if case.merged_into_id is not None:
        raise Invalid(fields={"__all__": [_("This case was merged into another: issue the order there.")]})
    _rules, starts, ends, protected = _validate(actor, case, data)
    now = clock.now()
    order = Order.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:14]}",
        kind=data.kind, offender=case.offender, issuing_unit=actor.unit, issued_by=actor, issued_at=now,
        starts_at=starts, ends_at=ends, reporting_per_month=data.reporting_per_month,
        court_reference=data.court_reference.strip(), **data.bans,
    )
    order.number = record_number("O", order.pk, now)
    order.save(update_fields=["number"])
    OrderProtected.objects.bulk_create([OrderProtected(order=order, person=p) for p in protected])
    linked = cases_to_link(case, protected)
    OrderCase.objects.bulk_create([OrderCase(order=order, case=c) for c in linked])
    _checkins_add(order, starts, ends)
    for c in linked:
        event_add(c, EventKind.ORDER_ISSUED, actor)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="order", target_id=order.pk, count=len(linked))
    for c in linked:
        _fire(trigger="order_issued", case=c, actor=actor, key=f"order:{order.pk}")
        victim_message(actor=actor, case=c, kind=VictimNoticeKind.ORDER_ISSUED, key=f"order_issued:{order.pk}")
    return order


# --- lifecycle ---------------------------------------------------------------------------------------------


@transaction.atomic
def order_serve(*, actor: User, order: Order, version: int | None, served_at: dt.datetime | None = None) -> Order:
    """The offender was handed the order: it binds him from then (or from its start, if later)."""
    _require_order(actor, order, permissions.may_serve)
    _fresh(order, version)
    now = clock.now()
    at = served_at or now
    if order.status != OrderStatus.ISSUED:
        raise Invalid(fields={"__all__": [_("This order was already served, or is no longer open.")]})
    if at > now + CLOCK_SLACK:
        raise Invalid(fields={"served_at": [_("This time is in the future.")]})
    if at >= order.ends_at:
        raise Invalid(fields={"served_at": [_("The order had already ended by then.")]})
    status = OrderStatus.ACTIVE if order.starts_at <= now else OrderStatus.SERVED
    _versioned(order, version, status=status, served_at=at, served_by=actor)
    cases = _events(order, EventKind.ORDER_CHANGED, actor)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="order", target_id=order.pk)
    for c in cases:
        victim_message(actor=actor, case=c, kind=VictimNoticeKind.ORDER_SERVED, key=f"order_served:{order.pk}")
    return order


@transaction.atomic
def order_extend(*, actor: User, order: Order, version: int | None, ends_at: dt.datetime | None, reason: str) -> Order:
    _require_order(actor, order, permissions.may_manage)
    _fresh(order, version)
    rules = rules_for(order.kind)
    if order.status not in OPEN_STATUSES:
        raise Invalid(fields={"__all__": [_("An expired or revoked order cannot be extended: issue a new one.")]})
    if rules.extension_max is None:
        raise Invalid(fields={"ends_at": [_("This kind of order cannot be extended: issue a new one when it ends.")]})
    errors: dict[str, list[str]] = {}
    if ends_at is None or ends_at <= order.ends_at:
        errors["ends_at"] = [_("The new end must be after the current end.")]
    elif ends_at > rules.extension_max.after(order.ends_at, rules.extension_max.max):
        errors["ends_at"] = [_("An extension may add at most %(n)d months.") % {"n": rules.extension_max.max}]
    if len(reason.strip()) < MIN_REASON:
        errors["reason"] = [_("Write the reason (at least 10 characters).")]
    elif len(reason) > TEXT_MAX:
        errors["reason"] = [_("This value is too long.")]
    if errors:
        raise Invalid(fields=errors)
    assert ends_at is not None and actor.unit is not None
    before = order.ends_at
    status = OrderStatus.EXTENDED if order.status in SERVED_STATUSES else order.status
    _versioned(order, version, ends_at=ends_at, status=status, expiry_warned_at=None)
    OrderExtension.objects.create(order=order, from_ends_at=before, to_ends_at=ends_at, reason=reason.strip(), by=actor, unit=actor.unit, at=clock.now())
    _checkins_add(order, order.starts_at, ends_at, after=_local_date(before, order.issuing_unit.timezone))
    _events(order, EventKind.ORDER_CHANGED, actor, reason=reason.strip())
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="order", target_id=order.pk)
    return order


@transaction.atomic
def order_revoke(*, actor: User, order: Order, version: int | None, reason: str) -> Order:
    _require_order(actor, order, permissions.may_manage)
    _fresh(order, version)
    if order.status not in OPEN_STATUSES:
        raise Invalid(fields={"__all__": [_("This order is no longer open.")]})
    if len(reason.strip()) < MIN_REASON:
        raise Invalid(fields={"reason": [_("Write the reason (at least 10 characters).")]})
    if len(reason) > TEXT_MAX:
        raise Invalid(fields={"reason": [_("This value is too long.")]})
    now = clock.now()
    _versioned(order, version, status=OrderStatus.REVOKED, revoked_at=now, revoked_by=actor, revoke_reason=reason.strip())
    today = _local_date(now, order.issuing_unit.timezone)
    order.checkins.filter(due_on__gt=today, attended_at__isnull=True, missed_at__isnull=True).update(cancelled_at=now)
    _events(order, EventKind.ORDER_CHANGED, actor, reason=reason.strip())
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="order", target_id=order.pk)
    return order


# --- the sweep (each step safe to run twice) ---------------------------------------------------------------


@transaction.atomic
def order_activate_due() -> int:
    """Served orders whose first day has come are in force."""
    return Order.objects.filter(status=OrderStatus.SERVED, starts_at__lte=clock.now()).update(status=OrderStatus.ACTIVE)


def order_expire_due() -> list[Order]:
    """Bring statuses up to the clock: served orders whose first day has come are in force; every
    open order past its end expires. Returns the orders expired by this call (safe to run twice)."""
    order_activate_due()
    now = clock.now()
    expired = []
    for pk in Order.objects.filter(status__in=[s.value for s in OPEN_STATUSES], ends_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            changed = Order.objects.filter(pk=pk, status__in=[s.value for s in OPEN_STATUSES]).update(
                status=OrderStatus.EXPIRED, expired_at=now, version=F("version") + 1
            )
            if not changed:
                continue
            order = Order.objects.get(pk=pk)
            today = _local_date(now, order.issuing_unit.timezone)
            order.checkins.filter(due_on__gt=today, attended_at__isnull=True, missed_at__isnull=True).update(cancelled_at=now)
            _events(order, EventKind.ORDER_CHANGED, None)
            audit_record(actor=None, action=AuditAction.WRITE, target_type="order", target_id=pk)
            expired.append(order)
    return expired


def order_expiring_warn(*, within_days: int = EXPIRY_WARNING_DAYS) -> list[Order]:
    """Tell the units on the cases that an order in force ends within ``within_days``, once per end
    date (an extension clears the mark). The ``order_expiring`` protocol trigger is fired by the
    protocols sweep itself (``qorgau.protocols.sweep.orders_expiring``), not here."""
    now = clock.now()
    due = Order.objects.filter(
        status__in=[OrderStatus.ACTIVE, OrderStatus.EXTENDED], expiry_warned_at__isnull=True, ends_at__gt=now,
        ends_at__lte=now + timedelta(days=within_days),
    )
    warned = []
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            if not Order.objects.filter(pk=pk, expiry_warned_at__isnull=True).update(expiry_warned_at=now):
                continue
            order = Order.objects.get(pk=pk)
            cases = _linked_cases(order)
            notify(recipients=_unit_users(cases, besides=None), kind=NotificationKind.ORDER_EXPIRING, target_type="order", target_id=order.pk)
            audit_record(actor=None, action=AuditAction.WRITE, target_type="order", target_id=pk)
            for c in cases:
                key = f"order_expiring:{order.pk}:{order.ends_at.date().isoformat()}"
                victim_message(actor=None, case=c, kind=VictimNoticeKind.ORDER_EXPIRING, key=key)
            warned.append(order)
    return warned


# --- breaches ---------------------------------------------------------------------------------------------


@transaction.atomic
def breach_record(
    *, actor: User, order: Order, occurred_at: dt.datetime | None, what: str, evidence: str = "", source: str = BreachSource.POLICE,
    authorised: bool = False,
) -> Breach:
    """A breach escalates every linked case: a timeline event, a notification to the units working
    on it, the protocol's trigger; the risk app reads it as a reason to reassess at once.

    ``authorised``: the caller has checked the actor's standing by its own gate (a monitoring
    operator resolving an alert of their centre holds no grant on the case)."""
    if not authorised:
        _require_order(actor, order, lambda a, s, _o: permissions.may_record_breach(a, s))
    assert actor.unit is not None
    errors: dict[str, list[str]] = {}
    now = clock.now()
    if order.served_at is None:
        errors["__all__"] = [_("The order was not served on the offender yet: a breach needs a served order.")]
    if occurred_at is None:
        errors["occurred_at"] = [_("Enter when it happened.")]
    elif occurred_at > now + CLOCK_SLACK:
        errors["occurred_at"] = [_("This time is in the future.")]
    elif occurred_at < max(order.starts_at, order.served_at or order.starts_at):
        errors["occurred_at"] = [_("The order did not bind him yet at that time.")]
    elif occurred_at > min(order.revoked_at or order.ends_at, order.ends_at):
        errors["occurred_at"] = [_("The order was no longer in force at that time.")]
    if not what.strip():
        errors["what"] = [_("Describe what happened.")]
    elif len(what) > TEXT_MAX:
        errors["what"] = [_("This value is too long.")]
    if len(evidence) > TEXT_MAX:
        errors["evidence"] = [_("This value is too long.")]
    if source not in BreachSource.values:
        errors["source"] = [_("Choose one of the offered values.")]
    if errors:
        raise Invalid(fields=errors)
    assert occurred_at is not None
    breach = Breach.objects.create(
        order=order, occurred_at=occurred_at, what=what.strip(), evidence=evidence.strip(), source=source,
        reported_by=actor, unit=actor.unit, recorded_at=now,
    )
    cases = _events(order, EventKind.BREACH, actor)
    notify(recipients=_unit_users(cases, besides=actor), kind=NotificationKind.ORDER_BREACHED, target_type="order", target_id=order.pk)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="breach", target_id=breach.pk)
    for c in cases:
        _fire(trigger="order_breached", case=c, actor=actor, key=f"breach:{breach.pk}")
    return breach


# --- check-ins -------------------------------------------------------------------------------------------


@transaction.atomic
def checkin_record(*, actor: User, checkin: CheckIn, attended_at: dt.datetime | None = None) -> CheckIn:
    """The offender reported to the police as the special requirements demand."""
    order = checkin.order
    _require_order(actor, order, lambda a, s, _o: permissions.may_record_checkin(a, s))
    now = clock.now()
    at = attended_at or now
    if checkin.attended_at is not None or checkin.missed_at is not None or checkin.cancelled_at is not None:
        raise Invalid(fields={"__all__": [_("This check-in is already settled.")]})
    if at > now + CLOCK_SLACK:
        raise Invalid(fields={"attended_at": [_("This time is in the future.")]})
    updated = CheckIn.objects.filter(pk=checkin.pk, attended_at__isnull=True, missed_at__isnull=True, cancelled_at__isnull=True).update(
        attended_at=at, recorded_by=actor
    )
    if not updated:
        raise Conflict()
    checkin.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="checkin", target_id=checkin.pk)
    return checkin


def checkins_missed_due() -> list[CheckIn]:
    """Mark as missed every open check-in whose day and the day after have passed (in the issuing
    unit's zone); returns only those this call marked."""
    now = clock.now()
    candidates = CheckIn.objects.filter(
        attended_at__isnull=True, missed_at__isnull=True, cancelled_at__isnull=True, due_on__lt=now.date(),
    ).select_related("order__issuing_unit")
    missed = []
    for checkin in candidates:
        if _local_date(now, checkin.order.issuing_unit.timezone) <= checkin.due_on + timedelta(days=1):
            continue
        with transaction.atomic():
            q = Q(pk=checkin.pk, attended_at__isnull=True, missed_at__isnull=True, cancelled_at__isnull=True)
            if not CheckIn.objects.filter(q).update(missed_at=now):
                continue
            checkin.missed_at = now
            cases = _events(checkin.order, EventKind.CHECKIN_MISSED, None)
            audit_record(actor=None, action=AuditAction.WRITE, target_type="checkin", target_id=checkin.pk)
            for c in cases:
                _fire(trigger="checkin_missed", case=c, actor=None, key=f"checkin:{checkin.pk}")
            missed.append(checkin)
    return missed


def orders_sweep() -> dict[str, int]:
    """The orders' part of the periodic sweep (DESIGN §3); every step is idempotent."""
    return {
        "expired": len(order_expire_due()),
        "warned": len(order_expiring_warn()),
        "checkins_missed": len(checkins_missed_due()),
    }
