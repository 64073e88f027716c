"""Where keys come from: the environment, a key file, the demo's generated file, the test keys."""

from __future__ import annotations

import base64
import json
import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from qorgau.core.keyconfig import KEY_BYTES, generate_key_file, load_keyring
from tests.core.keyrings import b64, keys_cleared

K1, K2, K3 = (bytes([n]) * KEY_BYTES for n in (0x51, 0x52, 0x53))



@pytest.fixture
def env(monkeypatch):
    keys_cleared(monkeypatch)
    return monkeypatch


def test_environment_keys_first_is_active(env, tmp_path):
    env.setenv("QORGAU_FIELD_KEYS", f"new:{b64(K1)}, old:{b64(K2)}")
    env.setenv("QORGAU_BLIND_INDEX_KEYS", f"b1:{b64(K3)}")
    env.setenv("QORGAU_AUDIT_KEY", b64(K3))
    ring = load_keyring(mode="production", var_dir=tmp_path)
    assert ring.field_keys == {"new": K1, "old": K2}
    assert (ring.active_field_key, ring.active_blind_key) == ("new", "b1")
    assert ring.blind_keys == {"b1": K3}
    assert ring.audit_key == K3


def test_environment_can_name_the_active_keys(env, tmp_path):
    env.setenv("QORGAU_FIELD_KEYS", f"new:{b64(K1)},old:{b64(K2)}")
    env.setenv("QORGAU_FIELD_KEY_ACTIVE", "old")
    env.setenv("QORGAU_BLIND_INDEX_KEYS", f"b2:{b64(K2)},b1:{b64(K3)}")
    env.setenv("QORGAU_BLIND_INDEX_KEY_ACTIVE", "b1")
    env.setenv("QORGAU_AUDIT_KEY", b64(K3))
    ring = load_keyring(mode="production", var_dir=tmp_path)
    assert (ring.active_field_key, ring.active_blind_key) == ("old", "b1")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"QORGAU_FIELD_KEY_ACTIVE": "nope"}, "environment: active field key 'nope' is not configured"),
        ({"QORGAU_BLIND_INDEX_KEY_ACTIVE": "nope"}, "environment: active blind key 'nope' is not configured"),
        ({"QORGAU_AUDIT_KEY": ""}, "QORGAU_AUDIT_KEY is required with QORGAU_FIELD_KEYS"),
        ({"QORGAU_BLIND_INDEX_KEYS": ""}, "QORGAU_BLIND_INDEX_KEYS holds no key"),
        ({"QORGAU_FIELD_KEYS": f"bad-id:{b64(K1)}"}, "each key is 'id:base64' with a short alphanumeric id"),
        ({"QORGAU_FIELD_KEYS": f"{'k' * 17}:{b64(K1)}"}, "each key is 'id:base64' with a short alphanumeric id"),
        ({"QORGAU_AUDIT_KEY": b64(b"\x00" * 31)}, "QORGAU_AUDIT_KEY must be 32 bytes, got 31"),
    ],
)
def test_environment_errors(env, tmp_path, overrides, message):
    env.setenv("QORGAU_FIELD_KEYS", f"f1:{b64(K1)}")
    env.setenv("QORGAU_BLIND_INDEX_KEYS", f"b1:{b64(K2)}")
    env.setenv("QORGAU_AUDIT_KEY", b64(K3))
    for name, value in overrides.items():
        env.setenv(name, value)
    with pytest.raises(ImproperlyConfigured) as exc:
        load_keyring(mode="production", var_dir=tmp_path)
    assert message in str(exc.value)


def test_production_without_any_keys_is_refused(env, tmp_path):
    with pytest.raises(ImproperlyConfigured, match="Production needs keys"):
        load_keyring(mode="production", var_dir=tmp_path)


def test_key_file(env, tmp_path):
    path = tmp_path / "keys.json"
    generate_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    env.setenv("QORGAU_KEY_FILE", str(path))
    ring = load_keyring(mode="production", var_dir=tmp_path)
    data = json.loads(path.read_text())
    assert ring.field_keys == {"f1": base64.b64decode(data["field_keys"]["f1"])}
    assert (ring.active_field_key, ring.active_blind_key) == ("f1", "b1")
    assert len({ring.field_keys["f1"], ring.blind_keys["b1"], ring.audit_key}) == 3  # independent keys


def test_generate_key_file_never_overwrites(tmp_path):
    path = tmp_path / "keys.json"
    generate_key_file(path)
    before = path.read_text()
    with pytest.raises(FileExistsError):
        generate_key_file(path)
    assert path.read_text() == before


def test_key_file_missing_an_entry(env, tmp_path):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"field_keys": {"f1": b64(K1)}, "active_field_key": "f1"}))
    env.setenv("QORGAU_KEY_FILE", str(path))
    with pytest.raises(ImproperlyConfigured, match=f"{path} lacks 'blind_keys'"):
        load_keyring(mode="production", var_dir=tmp_path)


def test_demo_generates_its_keys_once_and_keeps_them(env, tmp_path):
    first = load_keyring(mode="demo", var_dir=tmp_path)
    assert (tmp_path / "keys.json").is_file()
    second = load_keyring(mode="demo", var_dir=tmp_path)
    assert first == second


def test_test_mode_has_two_field_keys_for_rotation_tests(env, tmp_path):
    ring = load_keyring(mode="test", var_dir=tmp_path)
    assert ring.active_field_key == "t2"
    assert set(ring.field_keys) == {"t1", "t2"}
    assert not (tmp_path / "keys.json").exists()
