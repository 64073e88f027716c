"""Reads of anonymous intake: the record gate, the holding unit's list, what is shared with a unit
(through the mask layer, scoped to her consent), and the figures analytics may count.

Every read of a record or a share is audited (``target_type`` "anonymous_record" / "record_share").
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language

from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import FieldRule, Relation, Scope, Sensitivity, Subject, Viewer, mask
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.core.audit import audit_record
from qorgau.core.errors import NotFound
from qorgau.core.models import AuditAction
from qorgau.intake.models import AnonymousRecord, RecordShare

CENTRE_KINDS = ("crisis_centre", "family_support")
INTAKE_CAPABILITIES = (Capability.SHELTER_INTAKE, Capability.SUPPORT_VICTIMS)

_V = Subject.VICTIM
RECORD_POLICY: dict[str, FieldRule] = {
    "number": FieldRule(Sensitivity.PUBLIC, _V),
    "unit": FieldRule(Sensitivity.PUBLIC, _V),
    "taken_in_at": FieldRule(Sensitivity.PUBLIC, _V),
    "closed": FieldRule(Sensitivity.PUBLIC, _V),
    "alias": FieldRule(Sensitivity.IDENTITY, _V),
    "full_name": FieldRule(Sensitivity.IDENTITY, _V),
    "iin": FieldRule(Sensitivity.IDENTITY, _V),
    "birth_year": FieldRule(Sensitivity.IDENTITY, _V),
    "age_band": FieldRule(Sensitivity.IDENTITY, _V),
    "phone": FieldRule(Sensitivity.CONTACT, _V),
    "region": FieldRule(Sensitivity.WHEREABOUTS, _V),
    "district": FieldRule(Sensitivity.WHEREABOUTS, _V),
    "shelter_city": FieldRule(Sensitivity.WHEREABOUTS, _V),  # a shelter stay: the city, never the centre or its address
    "forms": FieldRule(Sensitivity.NARRATIVE, _V),
    "narrative": FieldRule(Sensitivity.NARRATIVE, _V),
    "children": FieldRule(Sensitivity.NARRATIVE, _V),
    "services": FieldRule(Sensitivity.NARRATIVE, _V),
}
_SHARE_FIELDS = {
    Sensitivity.IDENTITY: "shares_identity",
    Sensitivity.CONTACT: "shares_contact",
    Sensitivity.WHEREABOUTS: "shares_whereabouts",
    Sensitivity.NARRATIVE: "shares_narrative",
}


def is_intake_staff(user: User) -> bool:
    """Staff of a crisis centre or family support centre who take women in."""
    return (user.unit_id is not None and any(user.can(c) for c in INTAKE_CAPABILITIES)
            and user.unit is not None and user.unit.kind_id in CENTRE_KINDS)


def record_get_for(user: User, record_id: int, *, request: HttpRequest | None = None, audit: bool = True) -> AnonymousRecord:
    """The holding unit's intake staff only: NotFound for everyone else — supervisors, analysts,
    administrators, other units; break-glass does not reach it (it is not a case)."""
    found = AnonymousRecord.objects.select_related("unit", "region", "district").filter(pk=record_id).first()
    if found is None or found.unit_id != user.unit_id or not is_intake_staff(user):
        # Refused alike for a missing record and someone else's, and recorded as the case gate does.
        audit_record(actor=user, action=AuditAction.DENIED, target_type="anonymous_record", target_id=record_id, request=request,
                     outcome="refused")
        raise NotFound()
    if audit:
        audit_record(actor=user, action=AuditAction.READ, target_type="anonymous_record", target_id=found.pk, request=request)
    return found


def unit_records(user: User, *, open_only: bool = False) -> QuerySet[AnonymousRecord]:
    if not is_intake_staff(user):
        return AnonymousRecord.objects.none()
    assert user.unit_id is not None
    qs = AnonymousRecord.objects.filter(unit_id=user.unit_id).select_related("region", "district")
    return qs.filter(closed_at__isnull=True) if open_only else qs


def share_shares(share: RecordShare) -> frozenset[Sensitivity]:
    return frozenset(s for s, name in _SHARE_FIELDS.items() if getattr(share, name))


def record_shares(record: AnonymousRecord) -> QuerySet[RecordShare]:
    return record.shares.select_related("to_unit", "given_by", "withdrawn_by")


def shares_to_unit(user: User) -> QuerySet[RecordShare]:
    """The live shares with the user's unit (no personal data: the list shows numbers and dates)."""
    if user.unit_id is None or not user.can(Capability.WORK_CASES):
        return RecordShare.objects.none()
    return RecordShare.objects.filter(to_unit_id=user.unit_id, withdrawn_at__isnull=True).select_related("record", "record__unit")


def share_get_for(user: User, share_id: int, *, request: HttpRequest | None = None) -> RecordShare:
    """A live share, for the staff of the unit it was given to; NotFound otherwise (and at once
    after a withdrawal)."""
    found = RecordShare.objects.select_related("record", "record__unit", "record__region", "record__district", "to_unit").filter(
        pk=share_id, withdrawn_at__isnull=True).first()
    if found is None or user.unit_id != found.to_unit_id or not user.can(Capability.WORK_CASES):
        raise NotFound()
    audit_record(actor=user, action=AuditAction.READ, target_type="record_share", target_id=found.pk, request=request)
    return found


def _live_city(record: AnonymousRecord) -> str:
    from qorgau.shelters.models import Placement

    stay = Placement.objects.filter(record=record, discharged_at__isnull=True).select_related("centre", "centre__unit",
                                                                                               "centre__unit__region").first()
    if stay is None:
        return ""
    region = stay.centre.unit.region
    lang = (get_language() or "ru")[:2]
    # The city of the region's centre: where she stays, never which centre or its address.
    return str(getattr(region, f"centre_{lang}", "") or region.centre_ru)


def record_values(record: AnonymousRecord) -> dict[str, Any]:
    return {
        "number": record.number, "unit": str(record.unit), "taken_in_at": record.taken_in_at, "closed": record.closed_at is not None,
        "alias": record.alias, "full_name": record.full_name, "iin": record.iin, "birth_year": record.birth_year,
        "age_band": record.get_age_band_display() if record.age_band else "", "phone": record.phone,
        "region": str(record.region), "district": str(record.district) if record.district else "", "shelter_city": _live_city(record),
        "forms": record.forms, "narrative": record.narrative, "children": record.children, "services": record.services,
    }


def holder_viewer(user: User) -> Viewer:
    return viewer_for(user, scope=Scope.FULL, relations=frozenset({Relation.HOLDS_ANONYMOUS_RECORD}))


def share_viewer(user: User, share: RecordShare) -> Viewer:
    return viewer_for(user, scope=Scope.CONSENT, consented=share_shares(share))


def shared_values(user: User, share: RecordShare) -> dict[str, Any]:
    """The record as the receiving unit sees it: only what her consent covers; the rest MASKED."""
    return mask(share_viewer(user, share), record_values(share.record), RECORD_POLICY)


def intake_figures(region: str | None = None) -> dict[str, Any]:
    """Counts only, for analytics: records by region, how many were ever shared and are shared now."""
    records = AnonymousRecord.objects.all()
    if region:
        records = records.filter(region_id=region)
    by_region = {r["region_id"]: r["n"] for r in records.values("region_id").annotate(n=Count("id")).order_by("region_id")}
    shares = RecordShare.objects.filter(record__in=records.values("pk"))
    counted = shares.aggregate(total=Count("id"), live=Count("id", filter=Q(withdrawn_at__isnull=True)),
                               records=Count("record_id", distinct=True))
    return {"records": sum(by_region.values()), "by_region": by_region, "shared_records": counted["records"],
            "shares": counted["total"], "live_shares": counted["live"]}
