"""``qorgau backup`` and ``qorgau restore`` (docs/backup.md).

An archive holds, in this order: the audit checkpoint log, the database snapshot, every attachment
file (already sealed under the field keys), and a manifest. The checkpoint is copied before the
database snapshot is taken, so it can only lag behind the chain in the snapshot, which audit-verify
accepts; the files are copied after it, so every attachment the snapshot knows is in the archive.

A restore reads the archive twice: once to authenticate every chunk and check every member against
the manifest, writing nothing; then to put the members in place. A wrong key, a damaged or altered
archive is refused before anything is touched.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction

from qorgau.core import clock
from qorgau.core.audit import VerifyResult, audit_record, audit_verify
from qorgau.core.backup import database
from qorgau.core.backup.sealed import BEGIN, CHUNK, DATA, MANIFEST, ArchiveError, Damaged, SealedWriter, read_frames
from qorgau.core.models import AuditAction

FORMAT = 1
CHECKPOINT_MEMBER = "audit-checkpoints.log"
ATTACHMENT_PREFIX = "attachments/"


class RestoreRefused(ArchiveError):
    """The target is not empty and --force was not given."""


def backup_key() -> bytes:
    key: bytes | None = settings.QORGAU_KEYRING.backup_key
    if key is None:
        raise ArchiveError("no backup key is configured: set QORGAU_BACKUP_KEY or the key file's backup_key (docs/backup.md)")
    return key


def _attachment_dir() -> Path:
    return Path(settings.QORGAU_ATTACHMENT_DIR)


def _checkpoint_path() -> Path:
    return Path(settings.QORGAU_AUDIT_CHECKPOINT_PATH)


def _attachment_files() -> list[Path]:
    root = _attachment_dir()
    if not root.is_dir():
        return []
    # ".part" files are writes in progress (or abandoned): no record points at them yet.
    return sorted(p for p in root.iterdir() if p.is_file() and not p.name.endswith(".part"))


class _Members:
    """Writes members through the sealed writer and keeps each one's size and SHA-256."""

    def __init__(self, writer: SealedWriter) -> None:
        self.writer = writer
        self.listed: list[dict[str, Any]] = []
        self._hash = hashlib.sha256()
        self._size = 0

    def begin(self, name: str) -> None:
        self.writer.begin(name)
        self.listed.append({"name": name})
        self._hash, self._size = hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self._hash.update(data)
        self._size += len(data)
        self.writer.write(data)

    def end(self) -> None:
        self.listed[-1].update(bytes=self._size, sha256=self._hash.hexdigest())

    def copy_file(self, name: str, path: Path) -> None:
        self.begin(name)
        with path.open("rb") as fh:
            while block := fh.read(CHUNK):
                self.write(block)
        self.end()


def backup_create(out: Path) -> dict[str, Any]:
    """Write an encrypted archive of the database, the attachments and the checkpoint log to
    ``out`` (first under a temporary name, renamed when complete); return its manifest."""
    key = backup_key()
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            members = _Members(SealedWriter(fh, key))
            created_at = clock.now()
            checkpoint = _checkpoint_path()
            checkpoint_lines = 0
            if checkpoint.exists():
                data = checkpoint.read_bytes()
                # Only whole lines: an append in progress is left for the next backup.
                data = data[: data.rfind(b"\n") + 1]
                checkpoint_lines = data.count(b"\n")
                members.begin(CHECKPOINT_MEMBER)
                members.write(data)
                members.end()
            db_member = database.member_name()
            members.begin(db_member)
            facts = database.dump(members.write)
            members.end()
            files = _attachment_files()
            for path in files:
                members.copy_file(ATTACHMENT_PREFIX + path.name, path)
            manifest = {
                "format": FORMAT,
                "created_at": created_at.isoformat(),
                "database": {"vendor": connection.vendor, "member": db_member},
                "migrations": facts["migrations"],
                "counts": facts["counts"],
                "audit": {**facts["audit"], "checkpoint_lines": checkpoint_lines},
                "attachments": len(files),
                "members": members.listed,
            }
            members.writer.finish(json.dumps(manifest, sort_keys=True).encode())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    with transaction.atomic():
        audit_record(actor=None, action=AuditAction.BACKUP, target_type="backup", count=len(members.listed))
    return manifest


def _safe_attachment_name(name: str) -> str:
    rel = name[len(ATTACHMENT_PREFIX) :]
    if not rel or PurePosixPath(rel).name != rel or rel in {".", ".."} or rel.endswith(".part"):
        raise Damaged(f"the archive names an attachment outside the attachment directory: {name!r}")
    return rel


def archive_verify(src: BinaryIO, key: bytes) -> dict[str, Any]:
    """Authenticate the whole archive and check every member against the manifest; return the
    manifest. Writes nothing."""
    seen: list[dict[str, Any]] = []
    digest = hashlib.sha256()
    size = 0
    manifest: dict[str, Any] | None = None
    for kind, payload in read_frames(src, key):
        if kind == BEGIN:
            if seen:
                seen[-1].update(bytes=size, sha256=digest.hexdigest())
            seen.append({"name": payload.decode("utf-8")})
            digest, size = hashlib.sha256(), 0
        elif kind == DATA:
            if not seen:
                raise Damaged("data before any member")
            digest.update(payload)
            size += len(payload)
        elif kind == MANIFEST:
            if seen:
                seen[-1].update(bytes=size, sha256=digest.hexdigest())
            manifest = json.loads(payload)
        else:
            raise Damaged("unknown frame")
    assert manifest is not None  # read_frames ends with the manifest or raises
    if manifest.get("format") != FORMAT:
        raise Damaged(f"manifest format {manifest.get('format')!r} is not supported")
    if manifest["members"] != seen:
        raise Damaged("the archive's members do not match its manifest")
    for member in seen:
        if member["name"].startswith(ATTACHMENT_PREFIX):
            _safe_attachment_name(member["name"])
    return manifest


class _Sink(Protocol):
    def write(self, data: bytes) -> None: ...
    def finish(self) -> None: ...
    def abort(self) -> None: ...


class _FileSink:
    """A file written whole under a temporary name and renamed into place on ``finish``."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = path
        self.tmp = path.with_name(path.name + ".restoring")
        self.fh = os.fdopen(os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")

    def write(self, data: bytes) -> None:
        self.fh.write(data)

    def finish(self) -> None:
        self.fh.flush()
        os.fsync(self.fh.fileno())
        self.fh.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if not self.fh.closed:
            self.fh.close()
        self.tmp.unlink(missing_ok=True)


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    verify: VerifyResult
    attachments: int = 0
    set_aside: list[Path] = field(default_factory=list)
    # What differs between the restored database and the manifest ("counts", "migrations").
    mismatch: list[str] = field(default_factory=list)


def target_in_use() -> list[str]:
    """What on this machine a restore would overwrite: a database in use, attachments, a checkpoint."""
    found = []
    if database.holds_data():
        found.append("the database holds data")
    if _attachment_files():
        found.append(f"the attachment directory {_attachment_dir()} holds files")
    checkpoint = _checkpoint_path()
    if checkpoint.exists() and checkpoint.stat().st_size:
        found.append(f"the audit checkpoint log {_checkpoint_path()} is not empty")
    return found


def backup_restore(archive: Path, *, force: bool = False) -> RestoreResult:
    key = backup_key()
    with Path(archive).open("rb") as src:
        manifest = archive_verify(src, key)
        database.target_dir_make()
        in_use = target_in_use()
        if in_use and not force:
            raise RestoreRefused("; ".join(in_use) + ". Restore only onto an empty machine, or add --force")
        if manifest["database"]["vendor"] != connection.vendor:
            raise ArchiveError(f"the archive holds a {manifest['database']['vendor']} database; this Qorgau runs on {connection.vendor}")
        src.seek(0)
        result = RestoreResult(manifest=manifest, verify=VerifyResult(False, 0, 0, "not verified"))
        checkpoint_sink: _FileSink | None = None
        sink: _Sink | None = None
        try:
            for kind, payload in read_frames(src, key):
                if kind == BEGIN:
                    if sink is not None and sink is not checkpoint_sink:
                        sink.finish()
                    name = payload.decode("utf-8")
                    if name == CHECKPOINT_MEMBER:
                        # Put in place only once the database is: a checkpoint without its chain
                        # would make the old database look truncated.
                        checkpoint_sink = _FileSink(_checkpoint_path())
                        sink = checkpoint_sink
                    elif name.startswith(ATTACHMENT_PREFIX):
                        sink = _FileSink(_attachment_dir() / _safe_attachment_name(name))
                        result.attachments += 1
                    else:
                        sink = database.DatabaseSink(name)
                elif kind == DATA:
                    assert sink is not None
                    sink.write(payload)
                elif kind == MANIFEST:
                    if sink is not None and sink is not checkpoint_sink:
                        sink.finish()
                    sink = None
            old = _checkpoint_path()
            if old.exists() and old.stat().st_size:
                aside = old.with_name(f"{old.name}.before-restore-{clock.now():%Y%m%dT%H%M%S}")
                os.replace(old, aside)  # never deleted: it belongs to the database it replaced
                result.set_aside.append(aside)
            if checkpoint_sink is not None:
                checkpoint_sink.finish()
                checkpoint_sink = None
        except BaseException:
            for open_sink in (sink, checkpoint_sink):
                if open_sink is not None:
                    open_sink.abort()
            raise
    # The shared cache (ADR 0017) holds sessions and signed-in users of the database just replaced.
    cache.clear()
    restored = database.current_facts()
    for what in ("counts", "migrations"):
        if restored[what] != manifest[what]:
            result.mismatch.append(what)
    result.verify = audit_verify()
    with transaction.atomic():
        audit_record(actor=None, action=AuditAction.RESTORE, target_type="backup", count=len(manifest["members"]), outcome="ok" if result.verify.ok and not result.mismatch else "broken")
    return result
