"""Field encryption and blind indexes (DESIGN §5).

A stored value is ``v1:<key id>:<base64(nonce || ciphertext+tag)>``: AES-256-GCM with a random
96-bit nonce, the key id kept beside the value so that several keys can live side by side during a
rotation, and the column's identity as associated data, so a ciphertext copied into another column
does not decrypt.

A blind index is a keyed HMAC-SHA256 of a normalised value: ``<key id>.<normaliser version>.<hex>``.
Searches probe every key still configured (DESIGN §10).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from qorgau.core.keyconfig import Keyring

FORMAT = "v1"
NONCE_BYTES = 12
BLIND_HEX_CHARS = 32


class DecryptionError(Exception):
    """A stored value failed authentication: edited, moved between columns, or an unknown key."""


def _ring() -> Keyring:
    ring: Keyring = settings.QORGAU_KEYRING
    return ring


@cache
def _aesgcm(key: bytes) -> AESGCM:
    return AESGCM(key)


def encrypt(plaintext: str, *, context: str, key_id: str | None = None) -> str:
    ring = _ring()
    kid = key_id or ring.active_field_key
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aesgcm(ring.field_keys[kid]).encrypt(nonce, plaintext.encode("utf-8"), context.encode())
    return f"{FORMAT}:{kid}:{base64.b64encode(nonce + sealed).decode()}"


def key_id_of(token: str) -> str:
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != FORMAT:
        raise DecryptionError("not an encrypted value")
    return parts[1]


def decrypt(token: str, *, context: str) -> str:
    kid = key_id_of(token)
    key = _ring().field_keys.get(kid)
    if key is None:
        raise DecryptionError(f"key {kid!r} is not configured")
    try:
        raw = base64.b64decode(token.split(":", 2)[2], validate=True)
        plain = _aesgcm(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
    except (InvalidTag, ValueError) as exc:
        raise DecryptionError("authentication failed") from exc
    return plain.decode("utf-8")


def encrypt_bytes(plaintext: bytes, *, context: str, key_id: str | None = None) -> tuple[str, bytes]:
    """Bytes (a file) sealed like ``encrypt``: the key id to store beside them, and
    ``nonce || ciphertext+tag``. ``context`` is the associated data that binds them to their record."""
    ring = _ring()
    kid = key_id or ring.active_field_key
    nonce = os.urandom(NONCE_BYTES)
    return kid, nonce + _aesgcm(ring.field_keys[kid]).encrypt(nonce, plaintext, context.encode())


def decrypt_bytes(sealed: bytes, *, context: str, key_id: str) -> bytes:
    key = _ring().field_keys.get(key_id)
    if key is None:
        raise DecryptionError(f"key {key_id!r} is not configured")
    if len(sealed) < NONCE_BYTES + 16:  # a GCM tag is 16 bytes
        raise DecryptionError("too short to be sealed data")
    try:
        return _aesgcm(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode())
    except InvalidTag as exc:
        raise DecryptionError("authentication failed") from exc


def needs_rotation(token: str) -> bool:
    return key_id_of(token) != _ring().active_field_key


def active_blind_key_id() -> str:
    return _ring().active_blind_key


def blind_index(purpose: str, normalised: str, *, normaliser: int = 1, key_id: str | None = None) -> str:
    """The blind index of an already-normalised value, under one key (the active one by default)."""
    ring = _ring()
    kid = key_id or ring.active_blind_key
    msg = f"{purpose}\x1f{normaliser}\x1f{normalised}".encode()
    digest = hmac.new(ring.blind_keys[kid], msg, hashlib.sha256).hexdigest()[:BLIND_HEX_CHARS]
    return f"{kid}.{normaliser}.{digest}"


def blind_index_candidates(purpose: str, normalised: str, *, normalisers: tuple[int, ...] = (1,)) -> list[str]:
    """Every index the value may be stored under: all configured keys × the normaliser versions."""
    ring = _ring()
    return [
        blind_index(purpose, normalised, normaliser=n, key_id=kid) for kid in ring.blind_keys for n in normalisers
    ]


def keyed_hash(purpose: str, value: str) -> str:
    """A keyed, versioned hash for audit rows (search terms, client addresses) — never the value."""
    return blind_index(f"audit:{purpose}", value)
