"""Keyrings for tests that need keys other than the suite's fixed test keys."""

from __future__ import annotations

import dataclasses

from django.conf import settings

from qorgau.core.keyconfig import KEY_BYTES, Keyring


def key(byte: int) -> bytes:
    return bytes([byte]) * KEY_BYTES


def current() -> Keyring:
    ring: Keyring = settings.QORGAU_KEYRING
    return ring


def with_field_keys(keys: dict[str, bytes], active: str, base: Keyring | None = None) -> Keyring:
    return dataclasses.replace(base or current(), field_keys=dict(keys), active_field_key=active)


def with_blind_keys(keys: dict[str, bytes], active: str, base: Keyring | None = None) -> Keyring:
    return dataclasses.replace(base or current(), blind_keys=dict(keys), active_blind_key=active)
