"""The sealed audit log (DESIGN §5, §10).

``audit_record`` appends a row inside the caller's transaction, without touching a chain tail.
``audit_seal`` chains committed rows in batches with a keyed HMAC and appends each batch's head to
an append-only checkpoint outside the database. ``audit_verify`` walks the chain and the checkpoints
and reports the first broken link: an edited row, a removed row, or a truncated tail.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction

from qorgau.core import clock, crypto
from qorgau.core.client import client_address
from qorgau.core.models import AuditAction, AuditEvent, AuditSealState

if TYPE_CHECKING:
    from django.http import HttpRequest

GENESIS = "0" * 64
_INSERT = (
    "INSERT INTO core_auditevent (at, actor_id, actor_unit_id, action, target_type, target_id, count, term_hash, client_hash, outcome, mac)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
)


def _client_hash(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    addr = client_address(request)
    return crypto.keyed_hash("client", addr) if addr else ""


def audit_record(
    *,
    actor: Any,
    action: AuditAction | str,
    target_type: str = "",
    target_id: object = "",
    count: int | None = None,
    term: str | None = None,
    request: HttpRequest | None = None,
    outcome: str = "ok",
) -> AuditEvent:
    """Append an audit row in the current transaction. ``term`` is hashed, never stored."""
    actor_id = getattr(actor, "pk", None) if actor is not None and getattr(actor, "is_authenticated", False) else None
    unit_id = getattr(actor, "unit_id", None) if actor_id else None
    row = AuditEvent(
        at=clock.now(),
        actor_id=actor_id,
        actor_unit_id=unit_id,
        action=str(action),
        target_type=target_type,
        target_id=str(target_id or ""),
        count=count,
        term_hash=crypto.keyed_hash("term", term) if term else "",
        client_hash=_client_hash(request),
        outcome=outcome,
    )
    # Every read of a case writes one of these: one hand-written statement, not the ORM's insert
    # (core.sql_reads, ADR 0018). The columns are those the sealer chains (``_canonical``).
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [
            connection.ops.adapt_datetimefield_value(row.at), row.actor_id, row.actor_unit_id, row.action, row.target_type,
            row.target_id, row.count, row.term_hash, row.client_hash, row.outcome, row.mac,
        ])
        (row.id,) = cursor.fetchone()
    row._state.adding = False
    row._state.db = connection.alias
    return row

def audit_denied(request: HttpRequest) -> None:
    """A refused request: the route pattern (never the path, which may carry search terms)."""
    match = getattr(request, "resolver_match", None)
    route = match.route if match is not None else ""
    audit_record(actor=request.user, action=AuditAction.DENIED, target_type="route", target_id=route[:64], request=request, outcome="refused")


def _canonical(row: AuditEvent, pos: int) -> bytes:
    at: datetime = row.at
    fields = [
        str(pos),
        str(row.id),
        at.astimezone(clock.UTC).isoformat(timespec="microseconds"),
        str(row.actor_id or ""),
        str(row.actor_unit_id or ""),
        row.action,
        row.target_type,
        row.target_id,
        "" if row.count is None else str(row.count),
        row.term_hash,
        row.client_hash,
        row.outcome,
    ]
    return "\x1f".join(fields).encode()


def _link(prev_mac: str, row: AuditEvent, pos: int) -> str:
    key: bytes = settings.QORGAU_KEYRING.audit_key
    return hmac.new(key, prev_mac.encode() + b"\x1e" + _canonical(row, pos), hashlib.sha256).hexdigest()


def _checkpoint_path() -> Path:
    return Path(settings.QORGAU_AUDIT_CHECKPOINT_PATH)


def _append_checkpoint(pos: int, mac: str, at: datetime) -> None:
    path = _checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"pos": pos, "mac": mac, "at": at.isoformat()}) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read_checkpoints() -> list[dict[str, Any]]:
    path = _checkpoint_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _write_links(rows: list[AuditEvent]) -> None:
    # One prepared UPDATE executed many times: several times faster than bulk_update's CASE chains.
    qn = connection.ops.quote_name
    table = qn(AuditEvent._meta.db_table)
    with connection.cursor() as cur:
        cur.executemany(
            f"UPDATE {table} SET {qn('chain_pos')} = %s, {qn('mac')} = %s WHERE {qn('id')} = %s",  # noqa: S608
            [(r.chain_pos, r.mac, r.id) for r in rows],
        )


def audit_seal(*, batch: int | None = None) -> int:
    """Seal the committed, unsealed rows; return how many were sealed. Safe to run concurrently."""
    # Run it outside any transaction (the task and the command do): inside an outer transaction that
    # later rolls back, a checkpoint already written would outrun the chain.
    size = batch or settings.QORGAU_AUDIT_SEAL_BATCH
    sealed = 0
    while True:
        with transaction.atomic():
            state, _ = AuditSealState.objects.select_for_update().get_or_create(id=1)
            rows = list(AuditEvent.objects.filter(chain_pos__isnull=True).order_by("id")[:size])
            if not rows:
                return sealed
            pos, mac = state.last_pos, state.last_mac or GENESIS
            for row in rows:
                pos += 1
                mac = _link(mac, row, pos)
                row.chain_pos, row.mac = pos, mac
            _write_links(rows)
            state.last_pos, state.last_mac, state.sealed_at = pos, mac, clock.now()
            state.save()
            head = (pos, mac, state.sealed_at)
        # After the commit: a crash in between leaves the checkpoint behind the chain, which verify
        # accepts; a checkpoint ahead of the chain can only mean rows were removed.
        _append_checkpoint(*head)
        sealed += len(rows)
        if len(rows) < size:
            return sealed


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    unsealed: int
    problem: str = ""


def audit_verify() -> VerifyResult:
    """Walk the chain in order; the first broken link is reported."""
    checkpoints = {int(c["pos"]): str(c["mac"]) for c in read_checkpoints()}
    expected_pos, mac, checked = 1, GENESIS, 0
    macs_at: dict[int, str] = {}
    rows = AuditEvent.objects.filter(chain_pos__isnull=False).order_by("chain_pos")
    for row in rows.iterator(chunk_size=2000):
        assert row.chain_pos is not None
        if row.chain_pos != expected_pos:
            return VerifyResult(False, checked, 0, f"chain position {expected_pos} is missing (row removed)")
        mac = _link(mac, row, expected_pos)
        if not hmac.compare_digest(mac, row.mac):
            return VerifyResult(False, checked, 0, f"audit row {row.id} at position {expected_pos} was altered")
        if expected_pos in checkpoints:
            macs_at[expected_pos] = mac
        checked += 1
        expected_pos += 1
    last = expected_pos - 1
    for pos in sorted(checkpoints):
        if pos > last:
            return VerifyResult(False, checked, 0, f"checkpoint at position {pos} is past the chain's end {last} (rows truncated)")
        if not hmac.compare_digest(macs_at[pos], checkpoints[pos]):
            return VerifyResult(False, checked, 0, f"checkpoint at position {pos} does not match the chain")
    state = AuditSealState.objects.filter(id=1).first()
    if state is not None and state.last_pos != last:
        return VerifyResult(False, checked, 0, f"seal state says {state.last_pos} rows, chain holds {last}")
    unsealed = AuditEvent.objects.filter(chain_pos__isnull=True).count()
    return VerifyResult(True, checked, unsealed)
