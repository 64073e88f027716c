"""Keyrings for tests that need keys other than the suite's fixed test keys."""

from __future__ import annotations

import base64
import dataclasses

from django.conf import settings

from qorgau.core.keyconfig import KEY_BYTES, Keyring

# Every variable load_keyring reads: a test of where keys come from starts with none of them set.
KEY_ENVIRONMENT = (
    "QORGAU_FIELD_KEYS",
    "QORGAU_BLIND_INDEX_KEYS",
    "QORGAU_AUDIT_KEY",
    "QORGAU_BACKUP_KEY",
    "QORGAU_FIELD_KEY_ACTIVE",
    "QORGAU_BLIND_INDEX_KEY_ACTIVE",
    "QORGAU_KEY_FILE",
)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def keys_cleared(monkeypatch):
    """The monkeypatch with every key variable removed from the environment."""
    for name in KEY_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def key(byte: int) -> bytes:
    return bytes([byte]) * KEY_BYTES


def current() -> Keyring:
    ring: Keyring = settings.QORGAU_KEYRING
    return ring


def with_field_keys(keys: dict[str, bytes], active: str, base: Keyring | None = None) -> Keyring:
    return dataclasses.replace(base or current(), field_keys=dict(keys), active_field_key=active)


def with_blind_keys(keys: dict[str, bytes], active: str, base: Keyring | None = None) -> Keyring:
    return dataclasses.replace(base or current(), blind_keys=dict(keys), active_blind_key=active)
