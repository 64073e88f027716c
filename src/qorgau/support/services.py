"""Writes of victim support: the programme catalogue and referrals with her consent (issue 7).

A referral runs requested → accepted → started → completed; it may be declined (by the provider,
or because she refused) or withdrawn (her consent withdrawn) at any live step. Each step has a date,
never in the future and never before the previous step. A stale ``version`` is a Conflict.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.masks import Scope, Viewer
from qorgau.accounts.models import NotificationKind, Unit, User
from qorgau.accounts.recipients import unit_staff
from qorgau.accounts.roles import Capability
from qorgau.accounts.services import notify
from qorgau.cases.ledger import event_add, grant_add
from qorgau.cases.models import Case, EventKind, Grant, GrantReason
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction, Region
from qorgau.support.models import (
    KIND_OUTCOME,
    LIVE_STATUSES,
    PROVIDER_KINDS,
    ConsentWay,
    DeclinedBy,
    SupportKind,
    SupportOutcome,
    SupportProgramme,
    SupportReferral,
    SupportStatus,
)

NOTE_LIMIT = 4000
NAME_LIMIT = 200
LANG_FLAGS = ("lang_kk", "lang_ru", "lang_en", "lang_other")
GROUP_FLAGS = ("serves_migrants", "serves_ethnic", "serves_disabilities")
ZONE = "Asia/Almaty"

# status → the statuses it may move to; the date column each status sets.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    SupportStatus.REQUESTED: (SupportStatus.ACCEPTED, SupportStatus.DECLINED, SupportStatus.WITHDRAWN),
    SupportStatus.ACCEPTED: (SupportStatus.STARTED, SupportStatus.DECLINED, SupportStatus.WITHDRAWN),
    SupportStatus.STARTED: (SupportStatus.COMPLETED, SupportStatus.DECLINED, SupportStatus.WITHDRAWN),
}
DATE_OF: dict[str, str] = {
    SupportStatus.REQUESTED: "requested_on",
    SupportStatus.ACCEPTED: "accepted_on",
    SupportStatus.STARTED: "started_on",
    SupportStatus.COMPLETED: "completed_on",
    SupportStatus.DECLINED: "ended_on",
    SupportStatus.WITHDRAWN: "ended_on",
}
PROVIDER_MOVES = (SupportStatus.ACCEPTED, SupportStatus.STARTED, SupportStatus.COMPLETED, SupportStatus.DECLINED)
REFERRER_MOVES = (SupportStatus.WITHDRAWN, SupportStatus.DECLINED)



def today_for(unit: Unit | None) -> dt.date:
    """Today in the unit's zone (Kazakhstan by default): the latest date a step may carry."""
    return clock.now().astimezone(ZoneInfo(unit.timezone if unit is not None and unit.timezone else ZONE)).date()


def works_on_cases(user: User) -> bool:
    return user.can(Capability.SUPPORT_VICTIMS) or user.can(Capability.WORK_CASES)


def may_refer(user: User, viewer: Viewer) -> bool:
    """A unit working on the case (full or worker grant) with a case-working capability."""
    return works_on_cases(user) and viewer.scope in (Scope.FULL, Scope.WORKER)


def is_provider(user: User, referral: SupportReferral) -> bool:
    return user.unit_id is not None and user.unit_id == referral.unit_id and works_on_cases(user)


def may_manage_programme(user: User, unit: Unit | None) -> bool:
    """Administrators (MANAGE_REFERENCE), or the provider unit's own supervisor."""
    if user.can(Capability.MANAGE_REFERENCE):
        return True
    return (unit is not None and unit.kind_id in PROVIDER_KINDS and user.can(Capability.SUPERVISE_UNIT)
            and user.unit_id == unit.pk)


# --- the catalogue ---------------------------------------------------------------------------------


def programme_save(
    *, actor: User | None, unit: Unit, kind: str, name_kk: str, name_ru: str, name_en: str, region: Region | None = None,
    programme: SupportProgramme | None = None, version: int | None = None, active: bool = True, **flags: bool,
) -> SupportProgramme:
    """Create a programme (``programme`` None) or edit one (with its ``version``)."""
    if actor is not None and not may_manage_programme(actor, unit):
        raise Forbidden()
    errors: dict[str, list[str]] = {}
    if unit.kind_id not in PROVIDER_KINDS:
        errors["unit"] = [str(_("Only a social protection office, an akimat, a crisis centre or a family support centre offers programmes."))]
    if kind not in SupportKind.values:
        errors["kind"] = [str(_("Choose the kind of support."))]
    names = {"name_kk": (name_kk or "").strip(), "name_ru": (name_ru or "").strip(), "name_en": (name_en or "").strip()}
    for key, value in names.items():
        if not value:
            errors[key] = [str(_("Give the programme's name in each language."))]
        elif len(value) > NAME_LIMIT:
            errors[key] = [str(_("At most %(n)d characters.") % {"n": NAME_LIMIT})]
    unknown = set(flags) - set(LANG_FLAGS) - set(GROUP_FLAGS)
    if unknown:
        raise ValueError(f"unknown flags: {sorted(unknown)}")
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        if programme is None:
            programme = SupportProgramme(unit=unit)
        else:
            locked = SupportProgramme.objects.select_for_update().filter(pk=programme.pk).first()
            if locked is None:
                raise NotFound()
            if version is None or locked.version != version:
                raise Conflict()
            programme = locked
            programme.version += 1
        programme.unit = unit
        programme.kind = kind
        programme.region = region or unit.region
        programme.active = active
        for key, value in names.items():
            setattr(programme, key, value)
        for key in (*LANG_FLAGS, *GROUP_FLAGS):
            if key in flags:
                setattr(programme, key, bool(flags[key]))
        if not programme.languages:
            raise Invalid.field("lang_kk", _("Tick at least one language the programme works in."))
        others = SupportProgramme.objects.filter(unit=unit, kind=kind, name_ru=names["name_ru"])
        if programme.pk:
            others = others.exclude(pk=programme.pk)
        if others.exists():
            raise Invalid.field("name_ru", _("This unit already has a programme of this kind with this name."))
        programme.save()
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="support_programme", target_id=programme.pk)
    return programme


# --- referrals -----------------------------------------------------------------------------------


def _check_date(name: str, value: dt.date, *, after: dt.date | None, today: dt.date) -> None:
    if value > today:
        raise Invalid.field(name, _("The date cannot be in the future."))
    if after is not None and value < after:
        raise Invalid.field(name, _("The date cannot be before the previous step (%(date)s).") % {"date": after.strftime("%d.%m.%Y")})


def referral_create(
    *, actor: User, case: Case, viewer: Viewer, programme: SupportProgramme, consent_how: str, identity: bool = True,
    contact: bool = False, requested_on: dt.date | None = None, note: str = "",
) -> SupportReferral:
    """Refer her to a programme with her recorded consent; the caller has passed the case gate
    (``viewer``). The provider unit gets a ``consent`` grant and is notified."""
    if not may_refer(actor, viewer):
        raise Forbidden()
    errors: dict[str, list[str]] = {}
    if consent_how not in ConsentWay.values:
        errors["consent_how"] = [str(_("Say how she gave her consent: in person, by phone or in writing. Without her consent there is no referral."))]
    if not identity:
        errors["identity"] = [str(_("Her consent must at least cover her identity: the provider cannot help someone it cannot name."))]
    if not programme.active:
        errors["programme"] = [str(_("This programme is no longer offered. Choose another one."))]
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        errors["note"] = [str(_("At most %(n)d characters.") % {"n": NOTE_LIMIT})]
    if case.merged_into_id is not None:
        errors["programme"] = [str(_("This case was merged into another one: refer her from that case."))]
    if errors:
        raise Invalid(fields=errors)
    today = today_for(actor.unit)
    requested_on = requested_on or today
    _check_date("requested_on", requested_on, after=None, today=today)
    with transaction.atomic():
        if SupportReferral.objects.filter(case=case, programme=programme, status__in=LIVE_STATUSES).exists():
            raise Invalid.field("programme", _("She already has a referral to this programme in progress."))
        now = clock.now()
        grant = grant_add(case, programme.unit, GrantReason.REFERRAL, Scope.CONSENT, by=actor)
        referral = SupportReferral.objects.create(
            case=case, programme=programme, unit=programme.unit, status=SupportStatus.REQUESTED, requested_on=requested_on,
            note=note, consent_how=consent_how, shares_identity=True, shares_contact=contact, consent_at=now, grant=grant,
            referred_by=actor, referring_unit=actor.unit, created_at=now, updated_at=now,
        )
        event_add(case, EventKind.SUPPORT, actor, to_state=SupportStatus.REQUESTED.value)
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="support_referral", target_id=referral.pk, outcome="requested")
        notify(recipients=unit_staff([programme.unit], besides=actor), kind=NotificationKind.SUPPORT_REFERRAL,
               target_type="support_referral", target_id=referral.pk)
    return referral


def referral_move(
    *, actor: User, referral_id: int, version: int, to: str, on: dt.date | None = None, outcome: str = "",
    declined_by: str = "", note: str | None = None, as_referrer: bool = False,
) -> SupportReferral:
    """Move a referral one step. The provider accepts, starts, completes or declines; the referring
    side (``as_referrer``, checked by the caller through the case gate) withdraws or records that she
    refused. Ending it ends the provider's grant."""
    with transaction.atomic():
        referral = SupportReferral.objects.select_for_update().select_related("programme", "case", "unit").filter(pk=referral_id).first()
        if referral is None:
            raise NotFound()
        provider = is_provider(actor, referral)
        if not provider and not as_referrer:
            raise NotFound()
        if referral.version != version:
            raise Conflict()
        if to not in SupportStatus.values:
            raise Invalid.field("status", _("Choose the next step."))
        allowed = TRANSITIONS.get(referral.status, ())
        if to not in allowed:
            raise Invalid.field("status", _("A referral that is %(from)s cannot become %(to)s.")
                          % {"from": SupportStatus(referral.status).label, "to": SupportStatus(to).label})
        moves = (PROVIDER_MOVES if provider else ()) + (REFERRER_MOVES if as_referrer else ())
        if to not in moves:
            raise Forbidden(_("Only the provider unit accepts, starts and completes a referral; the referring unit withdraws it."))
        today = today_for(actor.unit)
        on = on or today
        previous = max(d for d in (referral.requested_on, referral.accepted_on, referral.started_on) if d is not None)
        _check_date("on", on, after=previous, today=today)
        fields = ["status", DATE_OF[to], "version", "updated_at"]
        if to == SupportStatus.COMPLETED:
            fitting = {KIND_OUTCOME[SupportKind(referral.programme.kind)], SupportOutcome.OTHER}
            if outcome not in fitting:
                raise Invalid.field("outcome", _("Choose the outcome that fits this kind of support: %(choices)s.")
                              % {"choices": ", ".join(str(SupportOutcome(o).label) for o in sorted(fitting))})
            referral.outcome = outcome
            fields.append("outcome")
        elif outcome:
            raise Invalid.field("outcome", _("An outcome is recorded only when the support is completed."))
        if to == SupportStatus.DECLINED:
            if declined_by not in DeclinedBy.values:
                declined_by = DeclinedBy.PROVIDER if provider and not as_referrer else DeclinedBy.VICTIM
            referral.declined_by = declined_by
            fields.append("declined_by")
        if note is not None and note.strip():
            if len(note.strip()) > NOTE_LIMIT:
                raise Invalid.field("note", _("At most %(n)d characters.") % {"n": NOTE_LIMIT})
            referral.note = note.strip()
            fields.append("note")
        referral.status = to
        setattr(referral, DATE_OF[to], on)
        referral.version += 1
        referral.updated_at = clock.now()
        referral.save(update_fields=fields)
        if to not in LIVE_STATUSES and referral.grant_id:
            at = clock.now()
            Grant.objects.filter(pk=referral.grant_id).filter(Q(until__isnull=True) | Q(until__gt=at)).update(until=at)
        event_add(referral.case, EventKind.SUPPORT, actor, to_state=to)
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="support_referral", target_id=referral.pk, outcome=to)
        if not provider:
            notify(recipients=unit_staff([referral.unit], besides=actor), kind=NotificationKind.SUPPORT_ENDED,
                   target_type="support_referral", target_id=referral.pk)
    return referral
