"""Protocol versions from the administrator's pages (DESIGN §10): an uploaded file becomes a draft,
a draft is published (the previous version retires, in one transaction) or discarded. Published and
retired versions never change. Reads for the pages: the versions list and a version's changes against
the published one.

Shipped files still load through ``definitions.protocols_load``; both paths share the file check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Forbidden, Invalid
from qorgau.core.models import AuditAction
from qorgau.protocols.definitions import ProtocolFileError, protocol_file_check, version_import
from qorgau.protocols.models import Duty, EscalationStep, Protocol, ProtocolVersion, VersionStatus

MAX_UPLOAD_BYTES = 256 * 1024


def _require(actor: User) -> None:
    if not actor.can(Capability.MANAGE_REFERENCE):
        raise Forbidden()


@transaction.atomic
def version_draft_upload(*, actor: User, raw: bytes) -> ProtocolVersion:
    """Check an uploaded protocol file and store it as a draft; nothing is in force until it is
    published. The number must be higher than every version of the protocol (drafts included)."""
    _require(actor)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise Invalid(fields={"file": [_("The file is too large: at most %(n)d KB.") % {"n": MAX_UPLOAD_BYTES // 1024}]})
    try:
        checked = protocol_file_check(raw)
    except ProtocolFileError as exc:
        raise Invalid(fields={"file": [exc.localised()]}) from exc
    code, number = checked.data["code"], checked.data["version"]
    # Lock the protocol row (when it exists) so that two uploads cannot take the same number.
    Protocol.objects.select_for_update().filter(code=code).first()
    highest = ProtocolVersion.objects.filter(protocol__code=code).aggregate(n=Max("number"))["n"]
    if highest is not None and number <= highest:
        raise Invalid(fields={"file": [_(
            "Version %(number)d of this protocol cannot be added: give the file a number higher than %(highest)d, "
            "the latest version (versions never change)."
        ) % {"number": number, "highest": highest}]})
    draft = version_import(checked, status=VersionStatus.DRAFT)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="protocol_version", target_id=draft.pk)
    return draft


def _locked_draft(version_id: int) -> ProtocolVersion:
    locked = ProtocolVersion.objects.select_for_update().filter(pk=version_id).first()
    if locked is None or locked.status != VersionStatus.DRAFT:
        raise Invalid(fields={"version": [_("Only a draft can be published or discarded; published and retired versions never change.")]})
    return locked


@transaction.atomic
def version_publish(*, actor: User, version_id: int) -> ProtocolVersion:
    """Publish a draft: it becomes the protocol's version in force and the previous published one
    retires, in one transaction (at most one published version per protocol). Tasks already made
    keep the duty and deadline they were made with."""
    _require(actor)
    locked = _locked_draft(version_id)
    current = ProtocolVersion.objects.select_for_update().filter(protocol=locked.protocol_id, status=VersionStatus.PUBLISHED).first()
    if current is not None and current.number > locked.number:
        raise Invalid(fields={"version": [_("A newer version (%(number)d) is already published; this draft would go back in time.")
                                          % {"number": current.number}]})
    if current is not None:
        ProtocolVersion.objects.filter(pk=current.pk).update(status=VersionStatus.RETIRED)
    locked.status = VersionStatus.PUBLISHED
    locked.published_at = clock.now()
    locked.save(update_fields=["status", "published_at"])
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="protocol_version", target_id=locked.pk)
    return locked


@transaction.atomic
def version_discard(*, actor: User, version_id: int) -> int:
    """Discard a draft: it was never in force and no task names its duties, so its rows go. Returns
    the protocol's id (for the page to go back to). Published and retired versions are kept for good."""
    _require(actor)
    locked = _locked_draft(version_id)
    EscalationStep.objects.filter(duty__version=locked).delete()
    Duty.objects.filter(version=locked).delete()
    locked.delete()
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="protocol_version", target_id=version_id, outcome="discarded")
    return locked.protocol_id


# --- reads for the pages ----------------------------------------------------------------------------------


def versions_list() -> list[ProtocolVersion]:
    """Every version of every protocol, newest first within a protocol, with its duty count."""
    return list(
        ProtocolVersion.objects.select_related("protocol").annotate(duty_count=Count("duties")).order_by("protocol__code", "-number")
    )


# Labels of the duty fields that the comparison names.
FIELD_LABELS = {
    "trigger": gettext_lazy("trigger"),
    "min_level": gettext_lazy("from risk level"),
    "agency_kind": gettext_lazy("agency"),
    "mode": gettext_lazy("mode"),
    "hours": gettext_lazy("hours"),
    "measure": gettext_lazy("measure"),
    "texts": gettext_lazy("title or instructions"),
    "chain": gettext_lazy("escalation"),
}


@dataclass
class DutyChange:
    duty: Duty
    fields: list[str]  # labels of what changed


@dataclass
class Diff:
    against: ProtocolVersion | None
    added: list[Duty] = field(default_factory=list)
    removed: list[Duty] = field(default_factory=list)
    changed: list[DutyChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _shape(duty: Duty) -> dict[str, Any]:
    return {
        "trigger": duty.trigger,
        "min_level": duty.min_level,
        "agency_kind": duty.agency_kind_id,
        "mode": duty.mode,
        "hours": duty.hours,
        "measure": duty.measure,
        "texts": tuple(getattr(duty, f"{stem}_{lang}") for stem in ("title", "instructions") for lang in ("kk", "ru", "en")),
        "chain": tuple((s.after_hours, s.to) for s in duty.chain.all()),
    }


def version_duties(version: ProtocolVersion) -> list[Duty]:
    return list(version.duties.select_related("agency_kind").prefetch_related("chain").order_by("position"))


def version_diff(version: ProtocolVersion) -> Diff:
    """What ``version`` changes against the protocol's published version, duty by duty (by code)."""
    published = ProtocolVersion.objects.filter(protocol=version.protocol_id, status=VersionStatus.PUBLISHED).exclude(pk=version.pk).first()
    diff = Diff(against=published)
    if published is None:
        return diff
    mine = {d.code: d for d in version_duties(version)}
    theirs = {d.code: d for d in version_duties(published)}
    diff.added = [d for code, d in mine.items() if code not in theirs]
    diff.removed = [d for code, d in theirs.items() if code not in mine]
    for code, duty in mine.items():
        if code in theirs:
            a, b = _shape(theirs[code]), _shape(duty)
            changed = [str(FIELD_LABELS[k]) for k in a if a[k] != b[k]]
            if changed:
                diff.changed.append(DutyChange(duty, changed))
    return diff
