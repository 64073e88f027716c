"""The sealed stream a backup archive is made of (docs/backup.md, "The archive").

::

    header  = MAGIC (8 bytes) ‖ version (2 bytes) ‖ salt (16 bytes) ‖ key check (16 bytes)
    chunk   = length (4 bytes; top bit set on the last chunk) ‖ AES-256-GCM(plaintext frame)

The data key is derived from the backup key and the archive's random salt (HKDF-SHA256), so no two
archives share a key and the chunk counter can serve as the nonce. Each chunk's associated data is
the header and its last-chunk flag: chunks cannot be reordered, dropped, moved between archives, and
a truncated archive lacks its flagged last chunk. The key check (an HMAC of the salt) tells a wrong
key from a damaged archive before anything is decrypted.

A frame is one type byte and its payload: ``B`` begins a member (payload: its name), ``D`` carries up
to ``CHUNK`` bytes of it, ``M`` is the manifest and the last frame.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"QORGAUBK"
VERSION = 1
SALT_BYTES = 16
CHECK_BYTES = 16
HEADER_BYTES = len(MAGIC) + 2 + SALT_BYTES + CHECK_BYTES
CHUNK = 1024 * 1024
LAST = 0x8000_0000
MAX_CHUNK = 64 * CHUNK  # the manifest, which lists every attachment, may exceed CHUNK
TAG_BYTES = 16

BEGIN, DATA, MANIFEST = b"B", b"D", b"M"


class ArchiveError(Exception):
    """The archive cannot be used; the message says why, without any of its content."""


class WrongKey(ArchiveError):
    pass


class Damaged(ArchiveError):
    pass


def _key_check(key: bytes, salt: bytes) -> bytes:
    return hmac.new(key, b"qorgau-backup-key-check\x1f" + salt, hashlib.sha256).digest()[:CHECK_BYTES]


def _data_key(key: bytes, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"qorgau-backup-v1").derive(key)
    return AESGCM(derived)


def _nonce(counter: int) -> bytes:
    return counter.to_bytes(12, "big")


class SealedWriter:
    """Writes frames as sealed chunks to ``out``; ``finish`` writes the manifest as the last one."""

    def __init__(self, out: BinaryIO, key: bytes) -> None:
        salt = os.urandom(SALT_BYTES)
        self._header = MAGIC + struct.pack(">H", VERSION) + salt + _key_check(key, salt)
        self._aead = _data_key(key, salt)
        self._out = out
        self._counter = 0
        out.write(self._header)

    def _chunk(self, frame: bytes, *, last: bool = False) -> None:
        flag = b"\x01" if last else b"\x00"
        sealed = self._aead.encrypt(_nonce(self._counter), frame, self._header + flag)
        self._out.write(struct.pack(">I", len(sealed) | (LAST if last else 0)) + sealed)
        self._counter += 1

    def begin(self, name: str) -> None:
        self._chunk(BEGIN + name.encode("utf-8"))

    def write(self, data: bytes) -> None:
        for start in range(0, len(data), CHUNK):
            self._chunk(DATA + data[start : start + CHUNK])

    def finish(self, manifest: bytes) -> None:
        self._chunk(MANIFEST + manifest, last=True)


def read_frames(src: BinaryIO, key: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Every frame in order, each authenticated before it is yielded. Raises ``WrongKey`` or
    ``Damaged`` (also for a truncated archive or bytes after its last chunk)."""
    header = src.read(HEADER_BYTES)
    if len(header) != HEADER_BYTES or not header.startswith(MAGIC):
        raise Damaged("not a Qorgau backup archive")
    (version,) = struct.unpack(">H", header[len(MAGIC) : len(MAGIC) + 2])
    if version != VERSION:
        raise Damaged(f"archive format {version} is not supported (this Qorgau reads format {VERSION})")
    salt = header[len(MAGIC) + 2 : len(MAGIC) + 2 + SALT_BYTES]
    if not hmac.compare_digest(header[-CHECK_BYTES:], _key_check(key, salt)):
        raise WrongKey("the archive was sealed with another backup key")
    aead = _data_key(key, salt)
    counter = 0
    while True:
        raw_len = src.read(4)
        if len(raw_len) != 4:
            raise Damaged("the archive is truncated")
        (word,) = struct.unpack(">I", raw_len)
        last, length = bool(word & LAST), word & ~LAST
        if length < TAG_BYTES + 1 or length > MAX_CHUNK:
            raise Damaged(f"chunk {counter} has an impossible length")
        sealed = src.read(length)
        if len(sealed) != length:
            raise Damaged("the archive is truncated")
        try:
            frame = aead.decrypt(_nonce(counter), sealed, header + (b"\x01" if last else b"\x00"))
        except InvalidTag as exc:
            raise Damaged(f"chunk {counter} failed authentication: the archive was altered or damaged") from exc
        counter += 1
        kind, payload = frame[:1], frame[1:]
        if last != (kind == MANIFEST):
            raise Damaged("the archive's last chunk is not its manifest")
        yield kind, payload
        if last:
            if src.read(1):
                raise Damaged("bytes follow the archive's last chunk")
            return
