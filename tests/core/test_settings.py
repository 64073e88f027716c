"""Settings refuse to start production without real secrets and keys, and pass the deploy check."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PYTHON = sys.executable
QORGAU = str(Path(sys.executable).with_name("qorgau"))
SETUP = "import django; django.setup(); print('settings loaded')"


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _secret() -> str:
    return secrets.token_urlsafe(60)[:60]


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """No QORGAU_* or DATABASE_URL from the test run: only what a bare shell has."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "qorgau.settings",
        "QORGAU_VAR_DIR": str(tmp_path / "var"),
    }


@pytest.fixture
def production_env(clean_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return {
        **clean_env,
        "QORGAU_SECRET_KEY": _secret(),
        "QORGAU_FIELD_KEYS": f"f2:{_key()},f1:{_key()}",
        "QORGAU_BLIND_INDEX_KEYS": f"b1:{_key()}",
        "QORGAU_AUDIT_KEY": _key(),
        "QORGAU_ALLOWED_HOSTS": "qorgau.gov.kz",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
    }


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def _setup(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return _run([PYTHON, "-c", SETUP], env, cwd)


def _refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode != 0
    assert "settings loaded" not in result.stdout
    assert f"django.core.exceptions.ImproperlyConfigured: {message}" in result.stderr


def test_without_mode_and_secret_production_refuses_to_start(clean_env, tmp_path):
    _refused(_setup(clean_env, tmp_path), "QORGAU_SECRET_KEY is required in production")


def test_the_qorgau_command_refuses_too(clean_env, tmp_path):
    result = _run([QORGAU, "check"], clean_env, tmp_path)
    _refused(result, "QORGAU_SECRET_KEY is required in production")


def test_production_without_keys_names_them(production_env, tmp_path):
    env = {
        k: v
        for k, v in production_env.items()
        if k not in {"QORGAU_FIELD_KEYS", "QORGAU_BLIND_INDEX_KEYS", "QORGAU_AUDIT_KEY"}
    }
    result = _setup(env, tmp_path)
    _refused(result, "Production needs keys: set QORGAU_FIELD_KEYS, QORGAU_BLIND_INDEX_KEYS and QORGAU_AUDIT_KEY")


def test_production_with_everything_passes_the_deploy_check(production_env, tmp_path):
    result = _run([QORGAU, "check", "--deploy", "--fail-level", "WARNING"], production_env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_production_keys_from_a_key_file(production_env, tmp_path):
    key_file = tmp_path / "keys.json"
    key_file.write_text(
        json.dumps(
            {
                "field_keys": {"f1": _key()},
                "active_field_key": "f1",
                "blind_keys": {"b1": _key()},
                "active_blind_key": "b1",
                "audit_key": _key(),
            }
        )
    )
    env = {
        k: v
        for k, v in production_env.items()
        if k not in {"QORGAU_FIELD_KEYS", "QORGAU_BLIND_INDEX_KEYS", "QORGAU_AUDIT_KEY"}
    }
    env["QORGAU_KEY_FILE"] = str(key_file)
    result = _setup(env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "settings loaded"


@pytest.mark.parametrize(
    ("secret", "why"),
    [("x" * 49, "short"), ("qorgau-insecure-" + "a" * 50, "marked insecure")],
)
def test_weak_secret_keys_are_refused(production_env, tmp_path, secret, why):
    result = _setup({**production_env, "QORGAU_SECRET_KEY": secret}, tmp_path)
    _refused(result, "QORGAU_SECRET_KEY must be a random string of 50 characters or more")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("QORGAU_FIELD_KEYS", "f1:not*base64", "QORGAU_FIELD_KEYS f1 is not valid base64"),
        (
            "QORGAU_FIELD_KEYS",
            "f1:" + base64.b64encode(b"short").decode(),
            "QORGAU_FIELD_KEYS f1 must be 32 bytes, got 5",
        ),
        ("QORGAU_BLIND_INDEX_KEYS", "b1:%%%", "QORGAU_BLIND_INDEX_KEYS b1 is not valid base64"),
        ("QORGAU_AUDIT_KEY", "AAAA*", "QORGAU_AUDIT_KEY is not valid base64"),
        (
            "QORGAU_FIELD_KEYS",
            "no-separator",
            "QORGAU_FIELD_KEYS: each key is 'id:base64' with a short alphanumeric id",
        ),
    ],
)
def test_malformed_keys_are_refused(production_env, tmp_path, name, value, message):
    _refused(_setup({**production_env, name: value}, tmp_path), message)


def test_production_without_allowed_hosts_is_refused(production_env, tmp_path):
    env = {k: v for k, v in production_env.items() if k != "QORGAU_ALLOWED_HOSTS"}
    _refused(_setup(env, tmp_path), "QORGAU_ALLOWED_HOSTS is required in production")


def test_production_without_database_url_is_refused(production_env, tmp_path):
    env = {k: v for k, v in production_env.items() if k != "DATABASE_URL"}
    _refused(_setup(env, tmp_path), "DATABASE_URL is required in production")


def test_unknown_mode_is_refused(clean_env, tmp_path):
    _refused(
        _setup({**clean_env, "QORGAU_MODE": "staging"}, tmp_path),
        "QORGAU_MODE must be production, demo or test, not 'staging'",
    )


def test_production_settings_are_hardened(production_env, tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.ALLOWED_HOSTS, s.QORGAU_KEYRING.active_field_key, sorted(s.QORGAU_KEYRING.field_keys))"
    )
    result = _run([PYTHON, "-c", code], {**production_env, "QORGAU_DEBUG": "1"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True True True 31536000 ['qorgau.gov.kz'] f2 ['f1', 'f2']"
