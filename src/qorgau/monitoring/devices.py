"""Writes of devices and their assignments to cases (DESIGN §7, §10).

A bracelet belongs to the offender: assigned on a second case of the same man (another victim), it
joins the same offender set, which is created on first use with a shard fixed for good. A victim's
device is hers; on a case it is paired with the bracelet(s) of the case's offender through that
set. Every assignment stands on a legal ground: a protective order linked to the case or a court
decision on it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.cases.access import scope_for
from qorgau.cases.ledger import event_add
from qorgau.cases.models import Case, EventKind
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.monitoring import permissions
from qorgau.monitoring.broker import password_digest
from qorgau.monitoring.models import Assignment, Device, DeviceKind, DeviceStatus, Episode, OffenderSet, Wearer
from qorgau.orders.models import OPEN_STATUSES, CourtDecision, Order
from qorgau.people.models import Person

SERIAL_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{2,31}$")
PROXIMITY_MIN, PROXIMITY_MAX = 100, 5_000
SECRET_BYTES = 24
OFFENDER_KINDS = frozenset({DeviceKind.BRACELET, DeviceKind.OFFENDER_PHONE})


def _fresh(obj: Device | Assignment, version: int | None) -> None:
    if version is None or obj.version != version:
        raise Conflict()


# --- devices --------------------------------------------------------------------------------------------


@transaction.atomic
def device_register(*, actor: User, serial: str, kind: str, can_receive: bool = False, reports_phone_link: bool = False) -> Device:
    """A device into the stock of the operator's monitoring centre."""
    if not permissions.may_register_devices(actor) or actor.unit_id is None:
        raise Forbidden()
    serial = serial.strip().upper()
    errors: dict[str, list[str]] = {}
    if not SERIAL_RE.match(serial):
        errors["serial"] = [_("A serial number is 3 to 32 Latin letters, digits and dashes.")]
    elif Device.objects.filter(serial=serial).exists():
        errors["serial"] = [_("A device with this serial number is already registered.")]
    if kind not in DeviceKind.values:
        errors["kind"] = [_("Choose one of the offered values.")]
    elif can_receive and kind != DeviceKind.VICTIM:
        errors["can_receive"] = [_("Only her device can receive alerts.")]
    elif reports_phone_link and kind != DeviceKind.BRACELET:
        errors["reports_phone_link"] = [_("Only a bracelet reports separation from his phone.")]
    if errors:
        raise Invalid(fields=errors)
    device = Device.objects.create(
        serial=serial, kind=kind, can_receive=can_receive, reports_phone_link=reports_phone_link, unit_id=actor.unit_id,
        registered_at=clock.now(), registered_by=actor,
    )
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="device", target_id=device.pk)
    return device


@transaction.atomic
def device_secret_issue(*, actor: User, device: Device, version: int | None) -> tuple[Device, str]:
    """A new MQTT password for the device, returned once: only its digest is kept. The old one
    stops working when the broker's password file is next written."""
    if not permissions.may_monitor(actor) or actor.unit_id != device.unit_id:
        raise NotFound()
    _fresh(device, version)
    if device.status == DeviceStatus.RETIRED:
        raise Invalid.field("__all__", _("This device is retired."))
    secret = secrets.token_urlsafe(SECRET_BYTES)
    Device.objects.filter(pk=device.pk).update(secret_digest=password_digest(secret), version=F("version") + 1)
    device.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="device_secret", target_id=device.pk)
    return device, secret


@transaction.atomic
def device_retire(*, actor: User, device: Device, version: int | None) -> Device:
    if not permissions.may_monitor(actor) or actor.unit_id != device.unit_id:
        raise NotFound()
    _fresh(device, version)
    if Assignment.objects.filter(device=device, ended_at__isnull=True).exists():
        raise Invalid.field("__all__", _("The device is still assigned on a case: end the assignment first."))
    if device.status == DeviceStatus.RETIRED:
        raise Invalid.field("__all__", _("This device is retired."))
    Device.objects.filter(pk=device.pk).update(status=DeviceStatus.RETIRED, secret_digest="", version=F("version") + 1)
    device.refresh_from_db()
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="device", target_id=device.pk)
    return device


# --- offender sets --------------------------------------------------------------------------------------


def shard_of(offender_set_id: int) -> int:
    """A stable hash of the set's id (never Python's salted ``hash``), modulo the virtual shards."""
    h = hashlib.sha256(str(offender_set_id).encode()).digest()
    conf: dict[str, Any] = settings.QORGAU_MONITORING
    shards = int(conf["SHARDS"])
    return int.from_bytes(h[:8], "big") % shards


def _cluster(person: Person) -> int:
    return int(person.cluster_id or person.pk)


def offender_set_for(case: Case) -> OffenderSet:
    """The offender's set: reused across his cases (his other victims), created on first use."""
    root = _cluster(case.offender)
    found = (OffenderSet.objects.filter(Q(offender_id=case.offender_id) | Q(offender_id=root) | Q(offender__cluster_id=root))
             .order_by("pk").first())
    if found is not None:
        return found
    oset = OffenderSet.objects.create(offender_id=case.offender_id, shard=0, created_at=clock.now())
    OffenderSet.objects.filter(pk=oset.pk).update(shard=shard_of(oset.pk))
    oset.refresh_from_db()
    return oset


# --- assignments ----------------------------------------------------------------------------------------


def _legal_ground(case: Case, order_id: int | None, decision_id: int | None) -> tuple[Order | None, CourtDecision | None]:
    order = decision = None
    if decision_id is not None:
        decision = CourtDecision.objects.filter(pk=decision_id, case=case).select_related("order").first()
        if decision is None:
            raise Invalid.field("decision", _("Choose a court decision on this case."))
        order = decision.order
    if order_id is not None:
        order = Order.objects.filter(pk=order_id, case_links__case=case).first()
        if order is None:
            raise Invalid.field("order", _("Choose a protective order linked to this case."))
    if order is None and decision is None:
        raise Invalid.field("__all__", _("A device is assigned under a protective order or a court decision on the case."))
    if order is not None and decision is None and order.status not in OPEN_STATUSES:
        raise Invalid.field("order", _("This order is no longer in force."))
    return order, decision


@transaction.atomic
def assignment_start(
    *, actor: User, case: Case, serial: str, order_id: int | None = None, decision_id: int | None = None,
    proximity_m: int | None = None,
) -> Assignment:
    """Put a device on the case: his bracelet or phone (wearer: the offender), or her device."""
    scope = scope_for(actor, case)
    if scope is None:
        raise NotFound()
    if not permissions.may_assign(actor, scope):
        raise Forbidden()
    if case.merged_into_id is not None:
        raise Invalid.field("__all__", _("This case was merged into another: work on that one."))
    device = Device.objects.select_for_update().filter(serial=serial.strip().upper()).first()
    if device is None:
        raise Invalid.field("serial", _("No device has this serial number."))
    if device.status == DeviceStatus.RETIRED:
        raise Invalid.field("serial", _("This device is retired."))
    conf: dict[str, Any] = settings.QORGAU_MONITORING
    default = int(conf["PROXIMITY_M"])
    proximity = default if proximity_m is None else proximity_m
    if not PROXIMITY_MIN <= proximity <= PROXIMITY_MAX:
        raise Invalid.field("proximity_m", _("The distance he must keep is from %(min)d to %(max)d metres.")
                            % {"min": PROXIMITY_MIN, "max": PROXIMITY_MAX})
    order, decision = _legal_ground(case, order_id, decision_id)
    active = Assignment.objects.filter(device=device, ended_at__isnull=True).select_related("case")
    if active.filter(case=case).exists():
        raise Invalid.field("serial", _("This device is already assigned on this case."))
    wearer = Wearer.OFFENDER if device.kind in OFFENDER_KINDS else Wearer.VICTIM
    # A bracelet is his, her device is hers: another active case must be of the same person.
    for other in active:
        same = (_cluster(other.case.offender) == _cluster(case.offender) if wearer == Wearer.OFFENDER
                else _cluster(other.case.victim) == _cluster(case.victim))
        if not same:
            raise Invalid.field("serial", _("This device is worn by someone else on another case."))
    oset = offender_set_for(case)
    assignment = Assignment.objects.create(
        device=device, case=case, offender_set=oset, wearer=wearer, order=order, decision=decision, proximity_m=proximity,
        unit_id=device.unit_id, started_at=clock.now(), started_by=actor,
    )
    if device.status != DeviceStatus.ASSIGNED:
        Device.objects.filter(pk=device.pk).update(status=DeviceStatus.ASSIGNED, version=F("version") + 1)
    event_add(case, EventKind.MONITORING, actor)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="device_assignment", target_id=assignment.pk)
    return assignment


def assignment_get_for_case(case: Case, assignment_id: int) -> Assignment:
    found = Assignment.objects.filter(pk=assignment_id, case=case).select_related("device").first()
    if found is None:
        raise NotFound()
    return found


@transaction.atomic
def assignment_end(*, actor: User, assignment: Assignment, version: int | None) -> Assignment:
    scope = scope_for(actor, assignment.case)
    if scope is None:
        raise NotFound()
    if not permissions.may_assign(actor, scope):
        raise Forbidden()
    _fresh(assignment, version)
    if assignment.ended_at is not None:
        raise Invalid.field("__all__", _("This assignment has already ended."))
    now = clock.now()
    # The version moves too: ingestion reloads its topology when assignments change.
    Assignment.objects.filter(pk=assignment.pk).update(ended_at=now, ended_by=actor, version=F("version") + 1)
    assignment.refresh_from_db()
    if not Assignment.objects.filter(device_id=assignment.device_id, offender_set_id=assignment.offender_set_id, ended_at__isnull=True).exists():
        # Off his set: its open conditions end now, so a later assignment starts clean (their alerts stay).
        Episode.objects.filter(Q(device_id=assignment.device_id) | Q(counterpart_id=assignment.device_id),
                               offender_set_id=assignment.offender_set_id, ended_at__isnull=True).update(ended_at=now)
    if not Assignment.objects.filter(device_id=assignment.device_id, ended_at__isnull=True).exists():
        Device.objects.filter(pk=assignment.device_id, status=DeviceStatus.ASSIGNED).update(
            status=DeviceStatus.IN_STOCK, version=F("version") + 1)
    event_add(assignment.case, EventKind.MONITORING, actor)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="device_assignment", target_id=assignment.pk)
    return assignment
