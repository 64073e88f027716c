"""Where Qorgau's keys come from (DESIGN §5).

Keys come from the environment or a JSON key file (``QORGAU_KEY_FILE``); in production that file is
rendered by the KMS/HSM integration, never committed. The demo generates ``var/keys.json`` once so
that its data stays readable across restarts; tests use fixed, obviously fake keys.

Environment format: ``QORGAU_FIELD_KEYS="k2:<base64 32 bytes>,k1:<base64>"`` (the first is active
unless ``QORGAU_FIELD_KEY_ACTIVE`` names another), the same for ``QORGAU_BLIND_INDEX_KEYS``, and
``QORGAU_AUDIT_KEY="<base64>"``; the backup key (``qorgau backup``/``restore``, docs/backup.md) is
``QORGAU_BACKUP_KEY="<base64>"`` or the key file's ``backup_key``. Qorgau starts without it, but
the backup commands refuse to run in production until it is set.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 32


@dataclass(frozen=True)
class Keyring:
    field_keys: dict[str, bytes]
    active_field_key: str
    blind_keys: dict[str, bytes]
    active_blind_key: str
    audit_key: bytes
    # Seals backup archives; never in the database, never in a backup. None: backups refused.
    backup_key: bytes | None = None


def _decode(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{what} is not valid base64") from exc
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(f"{what} must be {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def _parse_list(spec: str, what: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for item in (s.strip() for s in spec.split(",")):
        if not item:
            continue
        kid, sep, b64 = item.partition(":")
        if not sep or not kid.isalnum() or len(kid) > 16:
            raise ImproperlyConfigured(f"{what}: each key is 'id:base64' with a short alphanumeric id")
        keys[kid] = _decode(b64, f"{what} {kid}")
    if not keys:
        raise ImproperlyConfigured(f"{what} holds no key")
    return keys


def _from_mapping(data: dict[str, object], origin: str) -> Keyring:
    try:
        field = {k: _decode(str(v), f"{origin} field key {k}") for k, v in dict(data["field_keys"]).items()}  # type: ignore[call-overload]
        blind = {k: _decode(str(v), f"{origin} blind key {k}") for k, v in dict(data["blind_keys"]).items()}  # type: ignore[call-overload]
        ring = Keyring(
            field_keys=field,
            active_field_key=str(data["active_field_key"]),
            blind_keys=blind,
            active_blind_key=str(data["active_blind_key"]),
            audit_key=_decode(str(data["audit_key"]), f"{origin} audit key"),
            backup_key=_decode(str(data["backup_key"]), f"{origin} backup key") if data.get("backup_key") else None,
        )
    except KeyError as exc:
        raise ImproperlyConfigured(f"{origin} lacks {exc}") from exc
    _check(ring, origin)
    return ring


def _check(ring: Keyring, origin: str) -> None:
    if ring.active_field_key not in ring.field_keys:
        raise ImproperlyConfigured(f"{origin}: active field key {ring.active_field_key!r} is not configured")
    if ring.active_blind_key not in ring.blind_keys:
        raise ImproperlyConfigured(f"{origin}: active blind key {ring.active_blind_key!r} is not configured")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def generate_key_file(path: Path) -> None:
    """Write a fresh key file (demo, or a template for a KMS integration)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "field_keys": {"f1": _b64(secrets.token_bytes(KEY_BYTES))},
        "active_field_key": "f1",
        "blind_keys": {"b1": _b64(secrets.token_bytes(KEY_BYTES))},
        "active_blind_key": "b1",
        "audit_key": _b64(secrets.token_bytes(KEY_BYTES)),
        "backup_key": _b64(secrets.token_bytes(KEY_BYTES)),
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)


def _demo_backup_key(path: Path) -> bytes:
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(_b64(secrets.token_bytes(KEY_BYTES)))
    return _decode(path.read_text().strip(), str(path))


def _test_keyring() -> Keyring:
    # Obviously fake, fixed keys so that tests are reproducible; two field keys for rotation tests.
    return Keyring(
        field_keys={"t2": b"\x02" * KEY_BYTES, "t1": b"\x01" * KEY_BYTES},
        active_field_key="t2",
        blind_keys={"tb1": b"\x03" * KEY_BYTES},
        active_blind_key="tb1",
        audit_key=b"\x04" * KEY_BYTES,
        backup_key=b"\x06" * KEY_BYTES,
    )


def load_keyring(*, mode: str, var_dir: Path) -> Keyring:
    env = os.environ
    key_file = env.get("QORGAU_KEY_FILE")
    if env.get("QORGAU_FIELD_KEYS"):
        field = _parse_list(env["QORGAU_FIELD_KEYS"], "QORGAU_FIELD_KEYS")
        blind = _parse_list(env.get("QORGAU_BLIND_INDEX_KEYS", ""), "QORGAU_BLIND_INDEX_KEYS")
        audit = env.get("QORGAU_AUDIT_KEY", "")
        if not audit:
            raise ImproperlyConfigured("QORGAU_AUDIT_KEY is required with QORGAU_FIELD_KEYS")
        ring = Keyring(
            field_keys=field,
            active_field_key=env.get("QORGAU_FIELD_KEY_ACTIVE") or next(iter(field)),
            blind_keys=blind,
            active_blind_key=env.get("QORGAU_BLIND_INDEX_KEY_ACTIVE") or next(iter(blind)),
            audit_key=_decode(audit, "QORGAU_AUDIT_KEY"),
            backup_key=_decode(env["QORGAU_BACKUP_KEY"], "QORGAU_BACKUP_KEY") if env.get("QORGAU_BACKUP_KEY") else None,
        )
        _check(ring, "environment")
        return ring
    if key_file:
        return _from_mapping(json.loads(Path(key_file).read_text()), key_file)
    if mode == "test":
        return _test_keyring()
    if mode == "demo":
        path = var_dir / "keys.json"
        if not path.exists():
            generate_key_file(path)
        ring = _from_mapping(json.loads(path.read_text()), str(path))
        if ring.backup_key is None:  # a keys.json from before backups existed: its own file, made once
            ring = dataclasses.replace(ring, backup_key=_demo_backup_key(var_dir / "backup-key"))
        return ring
    raise ImproperlyConfigured(
        "Production needs keys: set QORGAU_FIELD_KEYS, QORGAU_BLIND_INDEX_KEYS and QORGAU_AUDIT_KEY, "
        "or QORGAU_KEY_FILE (see docs/security.md)"
    )
