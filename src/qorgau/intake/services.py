"""Writes of anonymous intake: register, edit and close a record; an anonymous shelter stay in the
holding centre's beds; a share with another unit on her recorded consent, and its withdrawal.

There is no override: without her consent (a purpose, how she gave it, what it covers) nothing is
shared. Every write is audited in its transaction (``target_type`` "anonymous_record" or
"record_share").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import NotificationKind, Unit, User
from qorgau.accounts.recipients import unit_staff
from qorgau.accounts.roles import Capability
from qorgau.accounts.services import notify
from qorgau.core import clock, iin
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction, District, Region
from qorgau.intake.models import AgeBand, AnonymousRecord, ConsentHow, RecordOutcome, RecordShare
from qorgau.intake.selectors import is_intake_staff, record_get_for
from qorgau.shelters.models import BedKind, BedPool, Centre, Placement
from qorgau.shelters.selectors import pool_occupancy
from qorgau.shelters.services import MAX_CHILDREN, NO_FREE_BED, SERVICES

FORMS = ("physical", "psychological", "economic", "sexual")
SHARES = ("identity", "contact", "whereabouts", "narrative")
TEXT_LIMIT = 200
NARRATIVE_LIMIT = 8000
PURPOSE_LIMIT = 1000



@dataclass
class RecordInput:
    region: str
    alias: str = ""
    full_name: str = ""
    iin: str = ""
    phone: str = ""
    birth_year: int | None = None
    age_band: str = ""
    district: str | None = None
    children: int = 0
    forms: frozenset[str] = frozenset()
    narrative: str = ""
    services: frozenset[str] = frozenset()
    taken_in_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    outcome: str = ""


def _validate(data: RecordInput, now: dt.datetime) -> tuple[Region, District | None]:
    for name in ("alias", "full_name", "phone"):
        if len(getattr(data, name)) > TEXT_LIMIT:
            raise Invalid.field(name, _("At most %(n)d characters.") % {"n": TEXT_LIMIT})
    if len(data.narrative) > NARRATIVE_LIMIT:
        raise Invalid.field("narrative", _("At most %(n)d characters.") % {"n": NARRATIVE_LIMIT})
    if data.iin and not iin.is_valid(data.iin):
        raise Invalid.field("iin", _("The IIN is not valid: 12 digits with a correct check digit. Leave it blank if she did not give it."))
    if data.birth_year is not None and not 1900 <= data.birth_year <= now.year:
        raise Invalid.field("birth_year", _("Give a year of birth between 1900 and this year, or leave it blank."))
    if data.age_band and data.age_band not in AgeBand.values:
        raise Invalid.field("age_band", _("Choose an age band."))
    if not 0 <= data.children <= MAX_CHILDREN:
        raise Invalid.field("children", _("Give the number of children, from 0 to %(n)d.") % {"n": MAX_CHILDREN})
    if set(data.forms) - set(FORMS) or set(data.services) - set(SERVICES):
        raise Invalid.field("forms", _("Choose from the listed forms of violence and services."))
    region = Region.objects.filter(pk=data.region).first()
    if region is None:
        raise Invalid.field("region", _("Choose a region."))
    district = None
    if data.district:
        district = District.objects.filter(pk=data.district, region=region).first()
        if district is None:
            raise Invalid.field("district", _("Choose a district of the chosen region."))
    if data.taken_in_at is not None and data.taken_in_at > now + dt.timedelta(minutes=5):
        raise Invalid.field("taken_in_at", _("The intake cannot be in the future."))
    if data.closed_at is not None:
        if data.taken_in_at is not None and data.closed_at < data.taken_in_at:
            raise Invalid.field("closed_at", _("The record cannot be closed before she was taken in."))
        if data.closed_at > now + dt.timedelta(minutes=5):
            raise Invalid.field("closed_at", _("The closing cannot be in the future."))
        if data.outcome not in RecordOutcome.values:
            raise Invalid.field("outcome", _("Choose the outcome when you close the record."))
    elif data.outcome:
        raise Invalid.field("closed_at", _("Give the date of closing together with the outcome."))
    return region, district


def _apply(record: AnonymousRecord, data: RecordInput, region: Region, district: District | None) -> None:
    record.alias, record.full_name, record.iin, record.phone = data.alias.strip(), data.full_name.strip(), data.iin.strip(), data.phone.strip()
    record.birth_year, record.age_band, record.region, record.district = data.birth_year, data.age_band, region, district
    record.children, record.narrative = data.children, data.narrative
    for f in FORMS:
        setattr(record, f, f in data.forms)
    for s in SERVICES:
        setattr(record, f"gave_{s}", s in data.services)
    if data.taken_in_at is not None:
        record.taken_in_at = data.taken_in_at
    record.closed_at, record.outcome = data.closed_at, data.outcome if data.closed_at else ""


def record_register(*, actor: User, data: RecordInput) -> AnonymousRecord:
    """Take her in anonymously: a record of the actor's own centre, never linked to people or cases."""
    if not is_intake_staff(actor):
        raise Forbidden(_("Only the staff of a crisis centre or a family support centre take women in anonymously."))
    now = clock.now()
    data.taken_in_at = data.taken_in_at or now
    region, district = _validate(data, now)
    assert actor.unit_id is not None
    with transaction.atomic():
        record = AnonymousRecord(unit_id=actor.unit_id, created_by=actor, taken_in_at=data.taken_in_at)
        _apply(record, data, region, district)
        record.save()
        record.number = f"A-{record.taken_in_at.year}-{record.pk:06d}"
        record.save(update_fields=["number"])
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="anonymous_record", target_id=record.pk, outcome="registered")
    return record


def _locked(actor: User, record_id: int) -> AnonymousRecord:
    record_get_for(actor, record_id, audit=False)  # the gate first: NotFound for anyone but its staff
    return AnonymousRecord.objects.select_for_update().get(pk=record_id)


def record_update(*, actor: User, record_id: int, version: int, data: RecordInput) -> AnonymousRecord:
    """Edit (and close, with ``closed_at`` and ``outcome``) her record; a stale version is a conflict."""
    now = clock.now()
    with transaction.atomic():
        record = _locked(actor, record_id)
        if record.version != version:
            raise Conflict()
        data.taken_in_at = data.taken_in_at or record.taken_in_at
        region, district = _validate(data, now)
        was_closed = record.closed_at is not None
        _apply(record, data, region, district)
        record.version += 1
        record.save()
        outcome = "closed" if record.closed_at is not None and not was_closed else "edited"
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="anonymous_record", target_id=record.pk, outcome=outcome)
    return record


def record_admit(*, actor: User, record_id: int, kind: str = BedKind.WOMEN, expected_days: int = 30) -> Placement:
    """An anonymous stay in a free bed of the holding centre: the pool is locked and counted again,
    as every admission of the shelters is, so the last bed goes to one woman only."""
    if not actor.can(Capability.SHELTER_INTAKE):
        raise Forbidden(_("Only the centre's shelter staff admit her into a bed."))
    if kind not in BedKind.values:
        raise Invalid.field("kind", _("Choose a kind of bed."))
    if not 1 <= expected_days <= 365:
        raise Invalid.field("expected_days", _("The expected stay is 1 to 365 days."))
    with transaction.atomic():
        record = _locked(actor, record_id)
        if record.closed_at is not None:
            raise Invalid.field("kind", _("The record is closed: reopen it before admitting her."))
        centre = Centre.objects.filter(unit_id=record.unit_id, shelter=True).first()
        if centre is None:
            raise Invalid.field("kind", _("This centre has no shelter beds."))
        if record.children and not centre.accepts_children:
            raise Invalid.field("kind", _("This centre does not accept children. Choose a centre that does."))
        pool = BedPool.objects.select_for_update().filter(centre=centre, kind=kind).first()
        if pool is None:
            raise Invalid.field("kind", NO_FREE_BED)
        if Placement.objects.filter(record=record, discharged_at__isnull=True).exists():
            raise Invalid.field("kind", _("She already has a bed here."))
        if pool_occupancy(pool) >= pool.capacity:
            raise Invalid.field("kind", NO_FREE_BED)
        placement = Placement.objects.create(
            record=record, centre=centre, pool=pool, admitted_at=clock.now(), children=record.children, expected_days=expected_days,
            admitted_by=actor, **{f"gave_{s}": True for s in record.services},
        )
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="placement", target_id=placement.pk, outcome="admitted")
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="anonymous_record", target_id=record.pk, outcome="admitted")
    return placement


def share_give(*, actor: User, record_id: int, to_unit_id: int, purpose: str, how: str, shares: frozenset[str],
               given_at: dt.datetime | None = None) -> RecordShare:
    """Record her consent and share what it covers with one unit, which is notified."""
    purpose = (purpose or "").strip()
    if not purpose:
        raise Invalid.field("purpose", _("Write what she agreed to share it for: without a purpose there is no consent."))
    if len(purpose) > PURPOSE_LIMIT:
        raise Invalid.field("purpose", _("At most %(n)d characters.") % {"n": PURPOSE_LIMIT})
    if how not in ConsentHow.values:
        raise Invalid.field("how", _("Choose how she gave her consent."))
    if not shares:
        raise Invalid.field("shares", _("Choose what she agreed to share: nothing is shared without it."))
    if set(shares) - set(SHARES):
        raise Invalid.field("shares", _("Choose from the listed kinds of data."))
    now = clock.now()
    given_at = given_at or now
    with transaction.atomic():
        record = _locked(actor, record_id)
        if given_at > now + dt.timedelta(minutes=5) or given_at < record.taken_in_at:
            raise Invalid.field("given_at", _("Her consent is given after she was taken in and not in the future."))
        unit = Unit.objects.filter(pk=to_unit_id, is_active=True).first()
        if unit is None:
            raise Invalid.field("to_unit", _("Choose an active unit."))
        if unit.pk == record.unit_id:
            raise Invalid.field("to_unit", _("The record is already your unit's: choose another unit to share it with."))
        if RecordShare.objects.filter(record=record, to_unit=unit, withdrawn_at__isnull=True).exists():
            raise Invalid.field("to_unit", _("It is already shared with this unit: withdraw that share first to change what it covers."))
        share = RecordShare.objects.create(
            record=record, to_unit=unit, purpose=purpose, how=how, given_at=given_at, given_by=actor,
            **{f"shares_{s}": True for s in shares},
        )
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="record_share", target_id=share.pk, outcome="share_given")
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="anonymous_record", target_id=record.pk, outcome="share_given")
        notify(recipients=unit_staff([unit]), kind=NotificationKind.RECORD_SHARED, target_type="record_share", target_id=share.pk)
    return share


def share_withdraw(*, actor: User, share_id: int) -> RecordShare:
    """She withdrew her consent: the share ends at once (the receiving unit's page 404s)."""
    with transaction.atomic():
        share = RecordShare.objects.select_for_update().filter(pk=share_id).first()
        if share is None:
            raise NotFound()
        record_get_for(actor, share.record_id, audit=False)  # only the holding unit's staff
        if share.withdrawn_at is not None:
            raise Invalid.field("share", _("This consent has already been withdrawn."))
        share.withdrawn_at = clock.now()
        share.withdrawn_by = actor
        share.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="record_share", target_id=share.pk, outcome="withdrawn")
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="anonymous_record", target_id=share.record_id, outcome="withdrawn")
    return share
