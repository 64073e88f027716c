"""Where the backup key comes from: the environment, the key file, the demo's files, the test keys."""

from __future__ import annotations

import base64
import json
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from qorgau.core.keyconfig import KEY_BYTES, generate_key_file, load_keyring
from tests.core.keyrings import b64, keys_cleared

K1, K2, K3, K4 = (bytes([n]) * KEY_BYTES for n in (0x71, 0x72, 0x73, 0x74))



@pytest.fixture
def env(monkeypatch):
    keys_cleared(monkeypatch)
    monkeypatch.setenv("QORGAU_FIELD_KEYS", f"f1:{b64(K1)}")
    monkeypatch.setenv("QORGAU_BLIND_INDEX_KEYS", f"b1:{b64(K2)}")
    monkeypatch.setenv("QORGAU_AUDIT_KEY", b64(K3))
    return monkeypatch


def test_environment_backup_key(env, tmp_path):
    env.setenv("QORGAU_BACKUP_KEY", b64(K4))
    assert load_keyring(mode="production", var_dir=tmp_path).backup_key == K4


def test_production_starts_without_a_backup_key(env, tmp_path):
    # The backup commands refuse to run then (tests/core/test_backup.py); start-up does not.
    assert load_keyring(mode="production", var_dir=tmp_path).backup_key is None


def test_a_short_backup_key_is_refused(env, tmp_path):
    env.setenv("QORGAU_BACKUP_KEY", b64(b"\x01" * 16))
    with pytest.raises(ImproperlyConfigured, match="QORGAU_BACKUP_KEY must be 32 bytes, got 16"):
        load_keyring(mode="production", var_dir=tmp_path)


def test_generated_key_file_has_an_independent_backup_key(env, tmp_path):
    for name in ("QORGAU_FIELD_KEYS", "QORGAU_BLIND_INDEX_KEYS", "QORGAU_AUDIT_KEY"):
        env.delenv(name)
    path = tmp_path / "keys.json"
    generate_key_file(path)
    env.setenv("QORGAU_KEY_FILE", str(path))
    ring = load_keyring(mode="production", var_dir=tmp_path)
    assert ring.backup_key == base64.b64decode(json.loads(path.read_text())["backup_key"])
    assert len({ring.field_keys["f1"], ring.blind_keys["b1"], ring.audit_key, ring.backup_key}) == 4


def test_demo_keys_from_before_backups_get_their_own_backup_key_once(env, tmp_path):
    for name in ("QORGAU_FIELD_KEYS", "QORGAU_BLIND_INDEX_KEYS", "QORGAU_AUDIT_KEY"):
        env.delenv(name)
    old = {"field_keys": {"f1": b64(K1)}, "active_field_key": "f1", "blind_keys": {"b1": b64(K2)}, "active_blind_key": "b1", "audit_key": b64(K3)}
    (tmp_path / "keys.json").write_text(json.dumps(old))
    first = load_keyring(mode="demo", var_dir=tmp_path)
    assert first.backup_key is not None and len(first.backup_key) == KEY_BYTES
    assert stat.S_IMODE((tmp_path / "backup-key").stat().st_mode) == 0o600
    assert json.loads((tmp_path / "keys.json").read_text()) == old  # the key file is never rewritten
    assert load_keyring(mode="demo", var_dir=tmp_path) == first


def test_test_mode_has_a_fixed_backup_key(tmp_path, monkeypatch):
    for name in ("QORGAU_FIELD_KEYS", "QORGAU_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    assert load_keyring(mode="test", var_dir=tmp_path).backup_key == b"\x06" * KEY_BYTES
