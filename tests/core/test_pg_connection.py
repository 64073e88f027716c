"""Qorgau's PostgreSQL connections: JIT off (ADR 0015), server-side parameters and prepared
statements (ADR 0016), and the switch that turns the latter off for a pooler that cannot keep them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from qorgau.core.models import Region

PRINT_OPTIONS = "from django.conf import settings; import json; print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
ON_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's own connection settings: the PostgreSQL tier runs this"
)


def _settings(tmp_path: Path, database_url: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "QORGAU_MODE": "test",
        "DJANGO_SETTINGS_MODULE": "qorgau.settings",
        "QORGAU_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url,
        **extra,
    }
    return subprocess.run([sys.executable, "-c", PRINT_OPTIONS], env=env, capture_output=True, text=True, timeout=120, check=False)


def _options(tmp_path: Path, database_url: str, **extra: str) -> dict[str, object]:
    done = _settings(tmp_path, database_url, **extra)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_postgresql_connections_prepare_statements_by_default(tmp_path):
    options = _options(tmp_path, "postgres://u@db.example:5432/qorgau")
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5
    assert options["options"] == "-c jit=off"


def test_the_threshold_can_be_changed_or_turned_off(tmp_path):
    assert _options(tmp_path, "postgres://u@db.example/q", QORGAU_PG_PREPARE_THRESHOLD="0")["prepare_threshold"] == 0
    off = _options(tmp_path, "postgres://u@db.example/q", QORGAU_PG_PREPARE_THRESHOLD="off")
    assert "server_side_binding" not in off and "prepare_threshold" not in off


@pytest.mark.parametrize("value", ["five", "-1", "2.5"])
def test_a_malformed_threshold_stops_the_start_with_its_name(tmp_path, value):
    done = _settings(tmp_path, "postgres://u@db.example/q", QORGAU_PG_PREPARE_THRESHOLD=value)
    assert done.returncode != 0
    assert "ImproperlyConfigured: QORGAU_PG_PREPARE_THRESHOLD must be a number of executions (0 or more) or off" in done.stderr


def test_sqlite_connections_are_untouched(tmp_path):
    options = _options(tmp_path, f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert "server_side_binding" not in options and "prepare_threshold" not in options


@ON_POSTGRESQL
@pytest.mark.django_db
def test_a_statement_run_again_is_prepared_on_the_connection():
    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%core_region%"])
            return int(cursor.fetchone()[0])

    before = prepared()
    for code in range(7):  # the same statement with different values, past the threshold of 5
        list(Region.objects.filter(iso=f"KZ-{code}").values_list("pk", flat=True))
    assert prepared() > before
