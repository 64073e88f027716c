"""Writes for privacy requests: record a request, attach its subject, prepare and take an export,
correct a person record. Each is audited in its own transaction (docs/privacy.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields as dc_fields

from django.db import transaction
from django.utils.translation import gettext as _

from qorgau.accounts.access import require
from qorgau.accounts.models import User
from qorgau.accounts.normalise import name_key
from qorgau.accounts.roles import Capability
from qorgau.cases.ledger import event_add
from qorgau.cases.models import Case, EventKind
from qorgau.core import clock, crypto
from qorgau.core import iin as iin_rules
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Invalid, NotFound, QorgauError
from qorgau.core.models import AuditAction
from qorgau.people.models import IinStatus, Person, Sex
from qorgau.people.services import PersonInput, iin_index, name_dob_key, person_keys_file, validate_person
from qorgau.privacy import selectors
from qorgau.privacy.models import (
    ExportFormat,
    LegalBasis,
    PrivacyCorrection,
    PrivacyExport,
    PrivacyRequest,
    RequestKind,
)

EXPORT_LIFETIME = dt.timedelta(minutes=30)
CORRECTABLE = ("full_name", "iin", "birth_date", "sex", "phone", "address", "workplace")


class Gone(QorgauError):
    status = 410
    code = "gone"


def request_create(
    *, actor: User, reference: str, received_on: dt.date, legal_basis: str, identity_checked: bool, kind: str, language: str, notes: str = ""
) -> PrivacyRequest:
    require(actor, Capability.HANDLE_PRIVACY_REQUESTS)
    errors: dict[str, list[str]] = {}
    reference = " ".join(reference.split())
    if not reference:
        errors["reference"] = [_("Enter the request's reference number.")]
    elif len(reference) > 60 or "\x00" in reference:
        errors["reference"] = [_("This value is too long.")]
    if received_on > clock.local(clock.now(), "Asia/Almaty").date():
        errors["received_on"] = [_("The date is in the future.")]
    if not identity_checked:
        errors["identity_checked"] = [_("Check the requester's identity document before recording the request.")]
    if legal_basis not in LegalBasis.values:
        errors["legal_basis"] = [_("Choose one of the offered values.")]
    if kind not in RequestKind.values:
        errors["kind"] = [_("Choose one of the offered values.")]
    if language not in ("kk", "ru", "en"):
        errors["language"] = [_("Choose one of the offered values.")]
    if len(notes) > 2000 or "\x00" in notes:
        errors["notes"] = [_("This value is too long.")]
    if errors:
        raise Invalid(fields=errors)
    with transaction.atomic():
        found = PrivacyRequest.objects.create(
            reference=reference, received_on=received_on, legal_basis=legal_basis, identity_checked=True, kind=kind,
            language=language, notes=notes.strip(), created_by=actor, created_at=clock.now(),
        )
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="privacy_request", target_id=found.pk)
    return found


def subject_search(*, actor: User, request: PrivacyRequest, iin: str = "", case_number: str = "") -> list[selectors.Found]:
    """The search is audited (the term as a keyed hash, never in clear) against the request."""
    require(actor, Capability.HANDLE_PRIVACY_REQUESTS)
    found = selectors.subject_search(iin=iin, case_number=case_number)
    audit_record(actor=actor, action=AuditAction.SEARCH, target_type="privacy_request", target_id=request.pk,
                 term=(iin or case_number).strip(), count=len(found))
    return found


def subject_attach(*, actor: User, request: PrivacyRequest, person_id: int, iin: str = "", case_number: str = "", version: int) -> PrivacyRequest:
    """The officer confirms which found record is the requester. The record must be one the same
    search finds, so no other person can be attached by posting an id."""
    require(actor, Capability.HANDLE_PRIVACY_REQUESTS)
    found = {f.person.pk: f.person for f in selectors.subject_search(iin=iin, case_number=case_number)}
    if person_id not in found:
        raise Invalid.field("person", _("Choose one of the records the search found."))
    with transaction.atomic():
        updated = PrivacyRequest.objects.filter(pk=request.pk, version=version).update(subject=found[person_id], version=version + 1)
        if not updated:
            raise Conflict()
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="privacy_request", target_id=request.pk)
    request.refresh_from_db()
    return request


def export_prepare(*, actor: User, request: PrivacyRequest) -> PrivacyExport:
    require(actor, Capability.HANDLE_PRIVACY_REQUESTS)
    if request.subject_id is None:
        raise Invalid.field("subject", _("Find and confirm the person first."))
    now = clock.now()
    with transaction.atomic():
        export = PrivacyExport.objects.create(request=request, prepared_by=actor, prepared_at=now, expires_at=now + EXPORT_LIFETIME)
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="privacy_export", target_id=export.pk)
    return export


def export_take(*, actor: User, export_id: int, fmt: str) -> tuple[PrivacyRequest, dict[str, object]]:
    """Each file of an export may be taken once, before it expires; the taking is the audited export."""
    require(actor, Capability.HANDLE_PRIVACY_REQUESTS)
    if fmt not in ExportFormat.values:
        raise NotFound()
    export = selectors.export_get(export_id)
    now = clock.now()
    with transaction.atomic():
        taken = PrivacyExport.objects.filter(pk=export.pk, expires_at__gt=now, **{f"{fmt}_taken_at__isnull": True}).update(**{f"{fmt}_taken_at": now})
        if not taken:
            raise Gone(_("This download was already taken or has expired. Prepare a new export."))
        data = selectors.dossier(export.request)
        audit_record(actor=actor, action=AuditAction.EXPORT, target_type="privacy_request", target_id=export.request_id,
                     count=len(data["cases"]))
    return export.request, data


def _changes(person: Person, data: PersonInput) -> list[str]:
    now = {
        "full_name": person.full_name or "", "iin": person.iin or "", "birth_date": person.birth_date, "sex": person.sex,
        "phone": person.phone or "", "address": person.address or "", "workplace": person.workplace or "",
    }
    new = {f.name: getattr(data, f.name) for f in dc_fields(data) if f.name in CORRECTABLE}
    new["full_name"] = " ".join(str(new["full_name"]).split())
    for key in ("iin", "phone", "address", "workplace"):
        new[key] = str(new[key]).strip()
    return [k for k in CORRECTABLE if now[k] != new[k]]


def person_correct(*, actor: User, request: PrivacyRequest, person: Person, data: PersonInput, version: int, reason: str) -> list[str]:
    """Correct the subject's own fields on one of the subject's records; returns the changed field names.

    Optimistic: ``version`` is the record's version the officer saw (a stale one is a ``Conflict``).
    Blind indexes and blocking keys are recomputed, so a search by the new IIN finds her and the old
    one does not; each case of the record gets a timeline event; the write is audited."""
    require(actor, Capability.HANDLE_PRIVACY_REQUESTS)
    if request.kind != RequestKind.CORRECTION:
        raise Invalid(_("This request does not ask for a correction."))
    if request.subject is None or (person.cluster_id or person.pk) != (request.subject.cluster_id or request.subject.pk):
        raise NotFound()
    if not person.full_name or getattr(person, "personal_removed_at", None) is not None:
        raise Invalid(_("This record's personal fields were removed under the retention policy."))
    errors, status = validate_person(data, prefix="")
    reason = " ".join(reason.split())
    if not reason:
        errors["reason"] = [_("Say why the record is corrected.")]
    elif len(reason) > 500 or "\x00" in reason:
        errors["reason"] = [_("This value is too long.")]
    if errors:
        raise Invalid(fields=errors)
    changed = _changes(person, data)
    if not changed:
        raise Invalid(_("Nothing was changed."))
    name = " ".join(data.full_name.split())
    iin = data.iin.strip()
    info = iin_rules.parse(iin) if status == IinStatus.VALID else None
    birth_date = data.birth_date or (info.birth_date if info else None)
    values = {
        "full_name": name,
        "iin": iin or None,
        "iin_status": status,
        "iin_bidx": iin_index(iin) if iin else "",
        "name_bidx": crypto.blind_index("person_name", name_key(name)),
        "name_dob_bidx": crypto.blind_index("person_name_dob", name_dob_key(name, birth_date)) if birth_date else "",
        "birth_date": birth_date,
        "sex": data.sex if data.sex != Sex.UNKNOWN or not info else info.sex,
        "phone": data.phone.strip() or None,
        "address": data.address.strip() or None,
        "workplace": data.workplace.strip() or None,
    }
    with transaction.atomic():
        if not Person.objects.filter(pk=person.pk, version=version).update(version=version + 1, **values):
            raise Conflict()
        person.refresh_from_db()
        person_keys_file(person)
        PrivacyCorrection.objects.create(request=request, person=person, fields=changed, reason=reason, by=actor, at=clock.now())
        note = _("Personal data corrected on a lawful request (%(fields)s).") % {"fields": ", ".join(changed)}
        for case in Case.objects.filter(victim=person).union(Case.objects.filter(offender=person)):
            event_add(case, EventKind.EDITED, actor, reason=note)
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="person", target_id=person.pk, count=len(changed))
    return changed
