"""Attachments of a case — photos of injuries, medical certificates, statements — encrypted at rest.

The bytes are sealed with AES-256-GCM under the field keys (``core.crypto.encrypt_bytes``), bound to
their record by the associated data ``cases.attachment:<storage key>``, and written under a random
name in ``settings.QORGAU_ATTACHMENT_DIR``: nothing on disk is readable, and a file moved to another
record's name does not decrypt. The type is read from the file's first bytes, never from the
client's content type or extension.

Visibility: a file's content is narrative-level data about her (FieldRule(NARRATIVE, VICTIM) in the
mask layer). On top of that, roles that work with offenders see no attachment at all, whatever their
grant: a photo or a certificate can show where she lives or stays (a geotag, the room behind her, an
address on a letterhead), which DESIGN §5 hides from those roles.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qorgau.accounts.masks import FieldRule, Scope, Sensitivity, Subject, Viewer, can_see
from qorgau.accounts.models import User
from qorgau.accounts.roles import OFFENDER_FACING_ROLES
from qorgau.cases.access import case_get_for, scope_for
from qorgau.cases.models import Attachment, AttachmentKind, Case, CaseEvent, EventKind
from qorgau.cases.presence import absent
from qorgau.cases.services import may_work
from qorgau.core import clock, crypto
from qorgau.core.audit import audit_record
from qorgau.core.errors import Forbidden, Invalid, NotFound, QorgauError
from qorgau.core.models import AuditAction

log = logging.getLogger(__name__)

ATTACHMENT_RULE = FieldRule(Sensitivity.NARRATIVE, Subject.VICTIM)
FILENAME_MAX = 100


@dataclass(frozen=True)
class FileType:
    signature: bytes
    content_type: str
    extension: str


# What Qorgau accepts, told apart by the first bytes of the file.
FILE_TYPES = (
    FileType(b"\xff\xd8\xff", "image/jpeg", "jpg"),
    FileType(b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    FileType(b"%PDF-", "application/pdf", "pdf"),
)


class AttachmentDamaged(QorgauError):
    """The stored file failed its integrity check (edited, replaced or lost on the server)."""

    status = 409
    code = "attachment_damaged"
    default_message = gettext_lazy(
        "This file failed its integrity check: it was altered or damaged on the server, so it is not shown. "
        "Tell your administrator; the case itself is not affected."
    )


class AttachmentRemoved(QorgauError):
    """The retention policy deleted the file (cases.retention); its row stays for the record."""

    status = 410
    code = "attachment_removed"
    default_message = gettext_lazy("This file was removed under the retention policy.")


def attachments_visible(viewer: Viewer) -> bool:
    """May this viewer (from the case's access gate) list and open the case's attachments?"""
    return can_see(viewer, ATTACHMENT_RULE) and viewer.role not in OFFENDER_FACING_ROLES


def attachment_can_add(actor: User, case: Case) -> bool:
    """A live full or worker grant and the capability to work on cases."""
    return attachment_can_add_with(actor, scope_for(actor, case))


def attachment_can_add_with(actor: User, scope: Scope | None) -> bool:
    """``attachment_can_add`` for a caller that already holds the actor's scope on the case (its page)."""
    return may_work(actor, scope)


def detect_type(head: bytes) -> FileType | None:
    return next((t for t in FILE_TYPES if head.startswith(t.signature)), None)


def sanitise_filename(name: str, extension: str) -> str:
    """A file name safe to store and to send back: no directories, no control or direction
    characters, letters (any script), digits and a few marks only, and the extension of the real type."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"[^\w\s()-]+", "_", stem)
    stem = re.sub(r"\s+", " ", stem).strip(" _-")[:FILENAME_MAX].strip(" _-")
    fallback = _("file")
    return f"{stem or fallback}.{extension}"


def storage_path(storage_key: uuid.UUID) -> Path:
    return Path(settings.QORGAU_ATTACHMENT_DIR) / str(storage_key)


def _context(storage_key: uuid.UUID) -> str:
    return f"cases.attachment:{storage_key}"


def _write_sealed(path: Path, sealed: bytes) -> None:
    """Write the whole file or nothing: a temporary name, flushed to disk, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".part")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:
        fh.write(sealed)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def attachment_file_check(upload: UploadedFile) -> tuple[bytes, FileType]:
    """The file's bytes and its type, or ``Invalid`` on ``file``: too big, empty, or not an accepted type."""
    limit: int = settings.QORGAU_ATTACHMENT_MAX_BYTES
    too_big = _("The file is larger than %(mb)d MB. Attach a smaller file.") % {"mb": limit // (1024 * 1024)}
    if upload.size is not None and upload.size > limit:
        raise Invalid(fields={"file": [too_big]})
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise Invalid(fields={"file": [too_big]})
    if not data:
        raise Invalid(fields={"file": [_("The file is empty.")]})
    kind = detect_type(data[:16])
    if kind is None:
        raise Invalid(fields={"file": [_("Attach a JPEG or PNG photo or a PDF document; this file is none of them.")]})
    return data, kind


def attachment_add(*, actor: User, case: Case, kind: str, upload: UploadedFile) -> Attachment:
    """Seal the file to disk, then record it, the timeline entry and the audit row in one transaction."""
    if scope_for(actor, case) is None:
        raise NotFound()
    if not attachment_can_add(actor, case) or actor.unit is None:
        raise Forbidden()
    unit = actor.unit
    errors: dict[str, list[str]] = {}
    if kind not in AttachmentKind.values:
        errors["kind"] = [_("Choose what kind of document this is.")]
    try:
        data, ftype = attachment_file_check(upload)
    except Invalid as exc:
        errors.update(exc.fields)
    if errors:
        raise Invalid(fields=errors)

    storage_key = uuid.uuid4()
    key_id, sealed = crypto.encrypt_bytes(data, context=_context(storage_key))
    path = storage_path(storage_key)
    _write_sealed(path, sealed)
    try:
        with transaction.atomic():
            now = clock.now()
            attachment = Attachment.objects.create(
                case=case,
                kind=kind,
                filename=sanitise_filename(upload.name or "", ftype.extension),
                content_type=ftype.content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                storage_key=storage_key,
                key_id=key_id,
                uploaded_by=actor,
                unit=unit,
                uploaded_at=now,
            )
            CaseEvent.objects.create(case=case, at=now, kind=EventKind.ATTACHMENT_ADDED, actor=actor, unit=unit)
            audit_record(actor=actor, action=AuditAction.WRITE, target_type="attachment", target_id=attachment.pk)
    except BaseException:
        path.unlink(missing_ok=True)  # no row points at it: an unreadable orphan otherwise
        raise
    return attachment


def _unseal(attachment: Attachment) -> tuple[bytes, str]:
    """The plaintext and the key that sealed it. The recorded key first; then the other configured
    keys, for a file a key rotation re-sealed before it could record the new key id."""
    sealed = storage_path(attachment.storage_key).read_bytes()
    ring = settings.QORGAU_KEYRING
    for kid in [attachment.key_id, *(k for k in ring.field_keys if k != attachment.key_id)]:
        try:
            content = crypto.decrypt_bytes(sealed, context=_context(attachment.storage_key), key_id=kid)
        except crypto.DecryptionError:
            continue
        if hashlib.sha256(content).hexdigest() != attachment.sha256:
            raise crypto.DecryptionError("checksum mismatch")
        return content, kid
    raise crypto.DecryptionError("no configured key opens the file")


def attachment_files_rotate() -> int:
    """Re-seal every file still under an old field key with the active one (for ``rotate-keys``).
    The file is replaced first, then its key id recorded, so a crash in between leaves it readable
    (see ``_unseal``) and a re-run finishes the job. Damaged files are left as they are and logged."""
    active = settings.QORGAU_KEYRING.active_field_key
    rewritten = 0
    for attachment in Attachment.objects.exclude(key_id=active).filter(removed_at__isnull=True).order_by("id").iterator():
        try:
            content, kid = _unseal(attachment)
        except (OSError, crypto.DecryptionError) as exc:
            log.error("attachment %s could not be re-sealed: %s", attachment.pk, type(exc).__name__)
            continue
        if kid != active:
            _kid, sealed = crypto.encrypt_bytes(content, context=_context(attachment.storage_key), key_id=active)
            _write_sealed(storage_path(attachment.storage_key), sealed)
        Attachment.objects.filter(pk=attachment.pk).update(key_id=active)
        rewritten += 1
    return rewritten


@dataclass(frozen=True)
class OpenedAttachment:
    attachment: Attachment
    content: bytes

    @property
    def content_type(self) -> str:
        return self.attachment.content_type

    @property
    def filename(self) -> str:
        return self.attachment.filename


def attachment_open(*, actor: User, attachment_id: int, request: HttpRequest | None = None) -> OpenedAttachment:
    """The decrypted file, through the case's access gate; every open is audited. NotFound alike for
    a missing attachment and one the actor may not see."""
    case_id = Attachment.objects.filter(pk=attachment_id).values_list("case_id", flat=True).first()
    if case_id is None:
        audit_record(actor=actor, action=AuditAction.DENIED, target_type="attachment", target_id=attachment_id, request=request, outcome="refused")
        raise NotFound()
    _case, viewer = case_get_for(actor, case_id, request=request)
    if not attachments_visible(viewer):
        audit_record(actor=actor, action=AuditAction.DENIED, target_type="attachment", target_id=attachment_id, request=request, outcome="refused")
        raise NotFound()
    attachment = Attachment.objects.get(pk=attachment_id)
    if attachment.removed_at is not None:
        audit_record(actor=actor, action=AuditAction.READ, target_type="attachment", target_id=attachment.pk, request=request, outcome="removed")
        raise AttachmentRemoved()
    try:
        content, _kid = _unseal(attachment)
    except (OSError, crypto.DecryptionError) as exc:
        log.error("attachment %s failed its integrity check: %s", attachment.pk, type(exc).__name__)
        audit_record(actor=actor, action=AuditAction.READ, target_type="attachment", target_id=attachment.pk, request=request, outcome="damaged")
        raise AttachmentDamaged() from exc
    audit_record(actor=actor, action=AuditAction.READ, target_type="attachment", target_id=attachment.pk, request=request)
    return OpenedAttachment(attachment, content)


ATTACHMENTS = "attachments"


def attachments_of(case: Case) -> QuerySet[Attachment, Attachment]:
    return Attachment.objects.filter(case=case)


class AttachmentList(list[Attachment]):
    """The case's attachments as the page shows them; ``hidden`` when the viewer may not see any."""

    hidden: bool = False


def case_attachments(case: Case, viewer: Viewer) -> AttachmentList:
    """The case's attachments for its page. ``case`` and ``viewer`` come from ``case_get_for``, which
    has audited the read; each file's opening is audited again by ``attachment_open``."""
    if not attachments_visible(viewer):
        hidden = AttachmentList()
        hidden.hidden = True
        return hidden
    if absent(case, ATTACHMENTS):
        return AttachmentList()
    return AttachmentList(attachments_of(case).select_related("unit", "uploaded_by"))
