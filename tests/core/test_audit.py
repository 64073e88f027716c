"""The sealed audit log: no personal data in rows, chained by the sealer, tampering detected."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import RequestFactory

from qorgau.accounts.models import User
from qorgau.accounts.services import user_create
from qorgau.core import clock, crypto
from qorgau.core.audit import audit_record, audit_seal, audit_verify, read_checkpoints
from qorgau.core.models import AuditAction, AuditEvent, AuditSealState
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 14, 9, 30, 0, 123456, tzinfo=UTC)


def _record(n: int = 1, **kw) -> list[AuditEvent]:
    return [
        audit_record(actor=None, action=kw.get("action", AuditAction.READ), target_type="case", target_id=1000 + i)
        for i in range(n)
    ]


def _sql(statement: str, params: list | None = None) -> int:
    with connection.cursor() as cur:
        cur.execute(statement, params or [])
        return cur.rowcount


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


TABLE = AuditEvent._meta.db_table


def _verify() -> tuple[int | None, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = None
    try:
        call_command("audit-verify", stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue().strip(), err.getvalue().strip()


def _all_stored_text(row_id: int) -> str:
    """Every column of one audit row as the database holds it, joined."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT * FROM {_qn(TABLE)} WHERE {_qn('id')} = %s", [row_id])
        return "\x1f".join("" if v is None else str(v) for v in cur.fetchone())


# --- recording --------------------------------------------------------------------------------


def test_record_stores_ids_and_counts_from_the_actor(make_user):
    user = make_user()
    with clock.frozen(T0):
        row = audit_record(actor=user, action=AuditAction.EXPORT, target_type="case", target_id=42, count=17)
    row = AuditEvent.objects.get(pk=row.pk)
    assert (row.at, row.actor_id, row.actor_unit_id, row.action) == (T0, user.pk, user.unit_id, "export")
    assert (row.target_type, row.target_id, row.count, row.outcome) == ("case", "42", 17, "ok")
    assert (row.term_hash, row.client_hash, row.chain_pos, row.mac) == ("", "", None, "")


def test_anonymous_actor_is_recorded_without_ids():
    class Anonymous:
        pk = 99
        unit_id = 5
        is_authenticated = False

    row = audit_record(actor=Anonymous(), action=AuditAction.LOGIN_FAILED, outcome="denied")
    assert (row.actor_id, row.actor_unit_id, row.outcome) == (None, None, "denied")


def test_search_term_is_stored_only_as_a_keyed_hash():
    term = "Айгерим Нурланова 791028302728"
    row = audit_record(actor=None, action=AuditAction.SEARCH, term=term, count=3)
    assert row.term_hash == crypto.keyed_hash("term", term)
    assert row.term_hash.startswith("tb1.1.")
    stored = _all_stored_text(row.pk)
    for fragment in (term, "Айгерим", "Нурланова", "791028302728"):
        assert fragment not in stored


def test_username_typed_at_login_is_stored_only_as_a_keyed_hash():
    row = audit_record(actor=None, action=AuditAction.LOGIN_FAILED, term="aigerim.n", outcome="denied")
    assert row.term_hash == crypto.keyed_hash("term", "aigerim.n")
    assert "aigerim" not in _all_stored_text(row.pk)


def test_client_address_is_stored_only_as_a_keyed_hash():
    request = RequestFactory().get("/", REMOTE_ADDR="10.20.30.40")
    row = audit_record(actor=None, action=AuditAction.LOGIN, request=request)
    assert row.client_hash == crypto.keyed_hash("client", "10.20.30.40")
    assert "10.20.30.40" not in _all_stored_text(row.pk)


def test_audit_row_rolls_back_with_the_write_it_records(police_unit):
    before_users, before_rows = User.objects.count(), AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        user_create(actor=None, username="rolledback", password=PASSWORD, role="police_inspector", unit=police_unit)
        assert AuditEvent.objects.filter(target_type="user").count() >= 1
        raise RuntimeError("the write failed after its audit row")
    assert User.objects.count() == before_users
    assert AuditEvent.objects.count() == before_rows
    assert not AuditEvent.objects.filter(target_type="user").exists()


def test_audit_row_survives_when_its_transaction_commits():
    with transaction.atomic():
        row = audit_record(actor=None, action=AuditAction.WRITE, target_type="case", target_id=7)
    assert AuditEvent.objects.filter(pk=row.pk, target_id="7").exists()


# --- sealing ----------------------------------------------------------------------------------


def test_seal_chains_rows_in_id_order_and_writes_a_checkpoint(settings):
    rows = _record(4)
    with clock.frozen(T0):
        assert audit_seal() == 4
    sealed = list(AuditEvent.objects.order_by("id"))
    assert [r.pk for r in sealed] == [r.pk for r in rows]
    assert [r.chain_pos for r in sealed] == [1, 2, 3, 4]
    assert all(len(r.mac) == 64 for r in sealed)
    assert len({r.mac for r in sealed}) == 4
    state = AuditSealState.objects.get(id=1)
    assert (state.last_pos, state.last_mac, state.sealed_at) == (4, sealed[-1].mac, T0)
    assert read_checkpoints() == [{"pos": 4, "mac": sealed[-1].mac, "at": T0.isoformat()}]
    assert settings.QORGAU_AUDIT_CHECKPOINT_PATH.read_text().count("\n") == 1


def test_seal_in_batches_writes_one_checkpoint_per_batch():
    _record(5)
    assert audit_seal(batch=2) == 5
    macs = dict(AuditEvent.objects.values_list("chain_pos", "mac"))
    assert [(c["pos"], c["mac"]) for c in read_checkpoints()] == [(2, macs[2]), (4, macs[4]), (5, macs[5])]
    assert audit_verify().ok


def test_sealing_twice_seals_nothing_new(settings):
    _record(3)
    assert audit_seal() == 3
    macs = list(AuditEvent.objects.order_by("id").values_list("chain_pos", "mac"))
    checkpoint_text = settings.QORGAU_AUDIT_CHECKPOINT_PATH.read_text()
    assert audit_seal() == 0
    assert list(AuditEvent.objects.order_by("id").values_list("chain_pos", "mac")) == macs
    assert settings.QORGAU_AUDIT_CHECKPOINT_PATH.read_text() == checkpoint_text


def test_empty_log_seals_nothing_and_verifies():
    assert audit_seal() == 0
    assert read_checkpoints() == []
    result = audit_verify()
    assert (result.ok, result.checked, result.unsealed) == (True, 0, 0)


def test_verify_passes_on_an_intact_chain():
    _record(6)
    audit_seal()
    _record(2)
    code, out, err = _verify()
    assert (code, err) == (None, "")
    assert out == "audit chain OK: 6 sealed rows verified, 2 awaiting the sealer"


def test_verify_seal_first_seals_pending_rows():
    _record(3)
    out = io.StringIO()
    call_command("audit-verify", "--seal-first", stdout=out)
    assert out.getvalue().strip() == "audit chain OK: 3 sealed rows verified, 0 awaiting the sealer"
    assert not AuditEvent.objects.filter(chain_pos__isnull=True).exists()


def test_audit_seal_command_reports_the_count():
    _record(2)
    out = io.StringIO()
    call_command("audit-seal", stdout=out)
    assert out.getvalue().strip() == "sealed 2 rows"


def test_rows_added_after_a_seal_are_sealed_next_time_and_chain_on():
    _record(3)
    audit_seal()
    head = AuditSealState.objects.get(id=1).last_mac
    later = _record(2)
    assert audit_verify().unsealed == 2
    assert audit_seal() == 2
    assert [AuditEvent.objects.get(pk=r.pk).chain_pos for r in later] == [4, 5]
    assert [c["pos"] for c in read_checkpoints()] == [3, 5]
    assert head != AuditSealState.objects.get(id=1).last_mac
    result = audit_verify()
    assert (result.ok, result.checked, result.unsealed) == (True, 5, 0)


def test_a_late_committed_row_with_a_lower_id_is_sealed_next_time():
    # A transaction that took its id early but committed after a seal: simulated by freeing an id
    # before the seal and inserting the row with that id afterwards.
    placeholder = _record(1)[0]
    late_id = placeholder.pk
    placeholder.delete()
    early = _record(3)
    assert audit_seal() == 3
    assert min(r.pk for r in early) > late_id
    late = AuditEvent.objects.create(
        id=late_id, at=clock.now(), action=AuditAction.READ, target_type="case", target_id="late"
    )
    assert audit_seal() == 1
    late.refresh_from_db()
    assert late.chain_pos == 4
    result = audit_verify()
    assert (result.ok, result.checked, result.unsealed) == (True, 4, 0)


def test_seal_ignores_rows_of_a_rolled_back_transaction():
    _record(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        _record(3)
        raise RuntimeError
    _record(1)
    assert audit_seal() == 3
    assert sorted(AuditEvent.objects.values_list("chain_pos", flat=True)) == [1, 2, 3]
    assert audit_verify().ok


def test_macs_depend_on_the_audit_key(settings):
    _record(2)
    audit_seal()
    assert audit_verify().ok
    settings.QORGAU_KEYRING = dataclasses.replace(settings.QORGAU_KEYRING, audit_key=b"\x05" * 32)
    result = audit_verify()
    assert not result.ok
    assert result.problem.endswith("at position 1 was altered")


# --- tampering --------------------------------------------------------------------------------


@pytest.fixture
def sealed_chain() -> list[AuditEvent]:
    """Eight rows, sealed in two batches (checkpoints at 5 and 8)."""
    _record(5)
    audit_seal()
    _record(3)
    audit_seal()
    rows = list(AuditEvent.objects.order_by("chain_pos"))
    assert [r.chain_pos for r in rows] == list(range(1, 9))
    assert _verify()[0] is None
    return rows


def _broken(expected_fragment: str) -> str:
    code, out, err = _verify()
    assert code == 1
    assert out == ""
    assert err.startswith("audit chain BROKEN after ")
    assert expected_fragment in err
    return err


@pytest.mark.parametrize(
    ("column", "value"),
    [("target_id", "9999"), ("action", "write"), ("outcome", "denied"), ("count", 5), ("actor_id", 3)],
)
def test_editing_a_sealed_row_is_detected(sealed_chain, column, value):
    victim = sealed_chain[3]
    assert _sql(f"UPDATE {_qn(TABLE)} SET {_qn(column)} = %s WHERE {_qn('id')} = %s", [value, victim.pk]) == 1
    err = _broken(f"audit row {victim.pk} at position 4 was altered")
    assert err.startswith("audit chain BROKEN after 3 verified rows")


def test_editing_a_sealed_rows_time_is_detected(sealed_chain):
    victim = sealed_chain[0]
    AuditEvent.objects.filter(pk=victim.pk).update(
        at=victim.at.replace(microsecond=(victim.at.microsecond + 1) % 10**6)
    )
    _broken(f"audit row {victim.pk} at position 1 was altered")


def test_replacing_a_mac_is_detected(sealed_chain):
    victim = sealed_chain[6]
    _sql(f"UPDATE {_qn(TABLE)} SET {_qn('mac')} = %s WHERE {_qn('id')} = %s", ["f" * 64, victim.pk])
    _broken(f"audit row {victim.pk} at position 7 was altered")


def test_deleting_a_middle_row_is_detected(sealed_chain):
    assert _sql(f"DELETE FROM {_qn(TABLE)} WHERE {_qn('id')} = %s", [sealed_chain[2].pk]) == 1
    err = _broken("chain position 3 is missing (row removed)")
    assert err.startswith("audit chain BROKEN after 2 verified rows")


def test_deleting_the_last_rows_is_detected_as_truncation(sealed_chain):
    ids = [r.pk for r in sealed_chain[6:]]
    assert _sql(f"DELETE FROM {_qn(TABLE)} WHERE {_qn('id')} IN (%s, %s)", ids) == 2
    _broken("checkpoint at position 8 is past the chain's end 6 (rows truncated)")


def test_truncation_with_the_seal_state_rewound_is_still_detected_by_the_checkpoint(sealed_chain):
    """An intruder with database access can fix the head row, but not the checkpoint outside it."""
    keep = sealed_chain[4]
    ids = [r.pk for r in sealed_chain[5:]]
    assert _sql(f"DELETE FROM {_qn(TABLE)} WHERE {_qn('id')} IN (%s, %s, %s)", ids) == 3
    AuditSealState.objects.filter(id=1).update(last_pos=5, last_mac=keep.mac)
    _broken("checkpoint at position 8 is past the chain's end 5 (rows truncated)")


def test_closing_the_gap_after_a_deletion_is_detected(sealed_chain):
    """Delete position 3, then move every later row down one place so the positions run 1..7."""
    _sql(f"DELETE FROM {_qn(TABLE)} WHERE {_qn('id')} = %s", [sealed_chain[2].pk])
    for row in sealed_chain[3:]:  # ascending, so each target position is already free
        _sql(
            f"UPDATE {_qn(TABLE)} SET {_qn('chain_pos')} = %s WHERE {_qn('id')} = %s",
            [row.chain_pos - 1, row.pk],
        )
    assert list(AuditEvent.objects.order_by("chain_pos").values_list("chain_pos", flat=True)) == list(range(1, 8))
    _broken(f"audit row {sealed_chain[3].pk} at position 3 was altered")


def test_moving_the_last_row_into_a_gap_is_detected(sealed_chain):
    _sql(f"DELETE FROM {_qn(TABLE)} WHERE {_qn('id')} = %s", [sealed_chain[2].pk])
    _sql(f"UPDATE {_qn(TABLE)} SET {_qn('chain_pos')} = 3 WHERE {_qn('id')} = %s", [sealed_chain[7].pk])
    _broken(f"audit row {sealed_chain[7].pk} at position 3 was altered")


def test_swapping_two_rows_positions_is_detected(sealed_chain):
    a, b = sealed_chain[1], sealed_chain[2]
    _sql(f"UPDATE {_qn(TABLE)} SET {_qn('chain_pos')} = 100 WHERE {_qn('id')} = %s", [a.pk])
    _sql(f"UPDATE {_qn(TABLE)} SET {_qn('chain_pos')} = 2 WHERE {_qn('id')} = %s", [b.pk])
    _sql(f"UPDATE {_qn(TABLE)} SET {_qn('chain_pos')} = 3 WHERE {_qn('id')} = %s", [a.pk])
    _broken(f"audit row {b.pk} at position 2 was altered")


def test_unsealing_a_row_is_detected(sealed_chain):
    _sql(f"UPDATE {_qn(TABLE)} SET {_qn('chain_pos')} = NULL WHERE {_qn('id')} = %s", [sealed_chain[4].pk])
    _broken("chain position 5 is missing (row removed)")


def test_a_checkpoint_that_does_not_match_the_chain_is_detected(settings, sealed_chain):
    path = settings.QORGAU_AUDIT_CHECKPOINT_PATH
    lines = path.read_text().splitlines()
    first = json.loads(lines[0])
    first["mac"] = "0" * 64
    path.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    _broken("checkpoint at position 5 does not match the chain")


def test_seal_state_out_of_step_with_the_chain_is_detected(sealed_chain):
    AuditSealState.objects.filter(id=1).update(last_pos=9)
    _broken("seal state says 9 rows, chain holds 8")


def test_a_missing_checkpoint_file_does_not_hide_a_deletion(settings, sealed_chain):
    settings.QORGAU_AUDIT_CHECKPOINT_PATH.unlink()
    _sql(f"DELETE FROM {_qn(TABLE)} WHERE {_qn('id')} = %s", [sealed_chain[7].pk])
    _broken("seal state says 8 rows, chain holds 7")
