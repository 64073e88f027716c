"""``qorgau backup`` / ``qorgau restore``: an encrypted archive restored on a fresh machine gives the
same data, readable, with the audit chain intact; a damaged, altered or foreign archive is refused
before anything is touched, and so is a restore over a machine in use."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from qorgau.accounts.roles import Role
from qorgau.cases.attachments import attachment_add
from qorgau.cases.models import Attachment, Report
from qorgau.cases.services import report_register
from qorgau.core.audit import audit_seal, audit_verify, read_checkpoints
from qorgau.core.backup.database import current_facts
from qorgau.core.backup.sealed import CHUNK, HEADER_BYTES, MAGIC
from qorgau.core.models import AuditAction, AuditEvent
from qorgau.people.models import Person
from tests.cases.factories import person, report_input
from tests.cases.test_attachments import png_bytes, upload

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)

# Run in a fresh process: the restored installation's own view of its data.
READ_BACK = r"""
import json
import django
django.setup()
from qorgau.cases.attachments import _unseal
from qorgau.cases.models import Attachment, Report
from qorgau.core.audit import audit_verify
from qorgau.people.models import Person
from qorgau.people.services import iin_candidates
v = audit_verify()
print(json.dumps({
    "people": {str(p.pk): [p.full_name, p.iin, p.phone, p.address] for p in Person.objects.all()},
    "narratives": {str(r.pk): r.narrative for r in Report.objects.all()},
    "files": {str(a.pk): _unseal(a)[0].hex() for a in Attachment.objects.all()},
    "found_by_iin": {p.iin: list(Person.objects.filter(iin_bidx__in=iin_candidates(p.iin)).values_list("pk", flat=True)) for p in Person.objects.exclude(iin_bidx="")},
    "verify": [v.ok, v.checked, v.problem],
}))
"""


@pytest.fixture
def store(settings, tmp_path: Path) -> Path:
    settings.QORGAU_ATTACHMENT_DIR = tmp_path / "attachments"
    return settings.QORGAU_ATTACHMENT_DIR


@pytest.fixture
def world(make_user, store) -> dict:
    """Two reports (four people), a sealed audit chain with checkpoints, one attachment."""
    from qorgau.cases.reference import markers_load

    markers_load()
    actor = make_user(Role.POLICE_INSPECTOR)
    first = report_register(actor=actor, data=report_input(narrative="Ударил, угрожал ножом."))
    second = report_register(
        actor=actor,
        data=report_input(
            offender=person("Жұмабаев Асқар", birth=dt.date(1979, 1, 9), sex="M", serial=2000),
            narrative="Әйелін қорқытты; O'Neil \"quoted\" 😀",
        ),
    )
    audit_seal()
    attachment = attachment_add(actor=actor, case=first.cases[0], kind="injury_photo", upload=upload("injury.png", png_bytes()))
    audit_seal()
    return {"actor": actor, "reports": [first.report.pk, second.report.pk], "attachment": attachment.pk}


def _expected() -> dict:
    from qorgau.cases.attachments import _unseal
    from qorgau.people.services import iin_candidates

    v = audit_verify()
    return {
        "people": {str(p.pk): [p.full_name, p.iin, p.phone, p.address] for p in Person.objects.all()},
        "narratives": {str(r.pk): r.narrative for r in Report.objects.all()},
        "files": {str(a.pk): _unseal(a)[0].hex() for a in Attachment.objects.all()},
        "found_by_iin": {p.iin: list(Person.objects.filter(iin_bidx__in=iin_candidates(p.iin)).values_list("pk", flat=True)) for p in Person.objects.exclude(iin_bidx="")},
        "verify": [v.ok, v.checked, v.problem],
    }


def _backup(path: Path) -> str:
    out = io.StringIO()
    call_command("backup", "--out", str(path), stdout=out)
    return out.getvalue().strip()


def _restore(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("restore", str(path), *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def fresh_database(tmp_path: Path):
    """An empty database of the suite's vendor, outside this test's connection."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh' / 'qorgau.sqlite3'}"
        return
    import psycopg

    sd = connection.settings_dict
    info = {"user": sd["USER"], "password": sd["PASSWORD"], "host": sd["HOST"], "port": sd["PORT"]}
    info = {k: v for k, v in info.items() if v}
    name = "h2_restore"
    with psycopg.connect(dbname="postgres", autocommit=True, **info) as pc:
        pc.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pc.execute(f'CREATE DATABASE "{name}"')
    auth = f"{sd['USER']}" + (f":{sd['PASSWORD']}" if sd["PASSWORD"] else "")
    yield f"postgres://{auth}@{sd['HOST'] or '127.0.0.1'}:{sd['PORT'] or 5432}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **info) as pc:
        pc.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_env(database_url: str, var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QORGAU_", "DJANGO_", "DATABASE_URL", "PYTEST"))}
    env.update(QORGAU_MODE="test", QORGAU_VAR_DIR=str(var), DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="qorgau.settings")
    return env


def test_round_trip_onto_a_fresh_machine(world, tmp_path, store, fresh_database):
    expected = _expected()
    assert expected["verify"][0] is True
    assert len(expected["people"]) == 4 and len(expected["files"]) == 1
    facts = current_facts()
    archive = tmp_path / "qorgau.backup"
    printed = _backup(archive)
    vendor = connection.vendor
    rows = sum(facts["counts"].values())
    assert printed == (
        f"backup written to {archive}: {vendor} database ({rows} rows), 1 attachment files, "
        f"audit chain at position {expected['verify'][1]}, {len(read_checkpoints())} checkpoints"
    )
    assert AuditEvent.objects.filter(action=AuditAction.BACKUP).count() == 1  # after the snapshot: not in it
    raw = archive.read_bytes()
    assert raw.startswith(MAGIC)
    for secret in ("Ударил".encode(), "Сапарова".encode(), png_bytes()[-40:], b"SQLite format", b"PGDMP"):
        assert secret not in raw

    var = tmp_path / "fresh-var"
    env = _fresh_env(fresh_database, var)
    done = subprocess.run(
        [sys.executable, "-m", "qorgau.cli", "restore", str(archive)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].endswith(f"{vendor} database ({rows} rows), 1 attachment files")
    assert lines[-1] == f"audit chain OK: {expected['verify'][1]} sealed rows verified, 0 awaiting the sealer"
    assert (var / "attachments").is_dir()
    assert [p.read_bytes() for p in (var / "attachments").iterdir()] == [p.read_bytes() for p in store.iterdir()]
    assert (var / "audit-checkpoints.log").read_bytes() == Path(tmp_path / "audit-checkpoints.log").read_bytes()

    read = subprocess.run(
        [sys.executable, "-c", READ_BACK], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert read.returncode == 0, read.stderr
    got = json.loads(read.stdout)
    # The restore added its own audit row (unsealed), which does not change the verified chain.
    assert got == expected

    # The restored machine is in use now: a second restore is refused.
    again = subprocess.run(
        [sys.executable, "-m", "qorgau.cli", "restore", str(archive)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 1
    assert "restore refused: the database holds data" in again.stderr


def _tamper(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _state(store: Path) -> tuple:
    return (current_facts()["counts"], sorted(p.name for p in store.iterdir()), read_checkpoints())


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("body", "chunk 1 failed authentication: the archive was altered or damaged"),
        ("last", "failed authentication: the archive was altered or damaged"),
        ("truncate", "the archive is truncated"),
        ("append", "bytes follow the archive's last chunk"),
        ("magic", "not a Qorgau backup archive"),
    ],
)
def test_a_damaged_or_altered_archive_is_refused_and_nothing_changes(world, tmp_path, store, damage, message):
    archive = tmp_path / "qorgau.backup"
    _backup(archive)
    size = archive.stat().st_size
    if damage == "body":
        _tamper(archive, HEADER_BYTES + 4 + 20 + 4 + 40)  # inside the second chunk
    elif damage == "last":
        _tamper(archive, size - 5)
    elif damage == "truncate":
        archive.write_bytes(archive.read_bytes()[: size - 100])
    elif damage == "append":
        archive.write_bytes(archive.read_bytes() + b"\x00")
    else:
        _tamper(archive, 0)
    before = _state(store)
    with pytest.raises(CommandError) as exc:
        _restore(archive, "--force")  # even with --force: nothing of a bad archive is used
    assert str(exc.value).startswith("restore refused, nothing was changed: ")
    assert message in str(exc.value)
    assert _state(store) == before
    assert audit_verify().ok
    assert not AuditEvent.objects.filter(action=AuditAction.RESTORE).exists()


def test_an_archive_sealed_with_another_key_is_refused(world, tmp_path, store, settings):
    archive = tmp_path / "qorgau.backup"
    _backup(archive)
    before = _state(store)
    settings.QORGAU_KEYRING = dataclasses.replace(settings.QORGAU_KEYRING, backup_key=b"\x07" * 32)
    with pytest.raises(CommandError) as exc:
        _restore(archive, "--force")
    assert str(exc.value) == "restore refused, nothing was changed: the archive was sealed with another backup key"
    assert _state(store) == before


def test_without_a_backup_key_nothing_is_written(world, tmp_path, settings):
    settings.QORGAU_KEYRING = dataclasses.replace(settings.QORGAU_KEYRING, backup_key=None)
    archive = tmp_path / "qorgau.backup"
    with pytest.raises(CommandError) as exc:
        _backup(archive)
    assert str(exc.value) == (
        "backup failed: no backup key is configured: set QORGAU_BACKUP_KEY or the key file's backup_key (docs/backup.md)"
    )
    assert list(tmp_path.glob("qorgau.backup*")) == []


def test_restore_over_a_machine_in_use_is_refused(world, tmp_path, store):
    archive = tmp_path / "qorgau.backup"
    _backup(archive)
    before = _state(store)
    with pytest.raises(CommandError) as exc:
        _restore(archive)
    assert str(exc.value) == (
        f"restore refused: the database holds data; the attachment directory {store} holds files; "
        f"the audit checkpoint log {tmp_path / 'audit-checkpoints.log'} is not empty. "
        "Restore only onto an empty machine, or add --force"
    )
    assert _state(store) == before


def test_forced_restore_returns_the_machine_to_the_backup(world, tmp_path, store):
    archive = tmp_path / "qorgau.backup"
    _backup(archive)
    audit_seal()
    snapshot_counts = json.loads(json.dumps(current_facts()["counts"]))
    later = report_register(actor=world["actor"], data=report_input(offender=person("Later Man", sex="M", birth=dt.date(1980, 2, 2), serial=3000)))
    audit_seal()
    assert Report.objects.filter(pk=later.report.pk).exists()
    checkpoint = tmp_path / "audit-checkpoints.log"
    cache.set("signed-in-before-the-restore", "stale")  # the shared cache (ADR 0017) holds the old database's users
    printed = _restore(archive, "--force").splitlines()
    assert cache.get("signed-in-before-the-restore") is None
    assert not Report.objects.filter(pk=later.report.pk).exists()
    assert sorted(Report.objects.values_list("pk", flat=True)) == sorted(world["reports"])
    assert printed[-1].startswith("audit chain OK: ")
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("audit-checkpoints.log.before-restore-")]
    assert len(aside) == 1 and printed[1] == f"the previous checkpoint log was kept as {aside[0]}"
    assert checkpoint.exists() and len(read_checkpoints()) < len(aside[0].read_text().splitlines())
    counts = current_facts()["counts"]
    # The backup's own audit row was written after its snapshot; the restore added one of its own.
    audit_table = AuditEvent._meta.db_table
    assert counts[audit_table] == snapshot_counts[audit_table]
    assert {k: v for k, v in counts.items() if k != audit_table} == {k: v for k, v in snapshot_counts.items() if k != audit_table}
    assert list(AuditEvent.objects.filter(action=AuditAction.RESTORE).values_list("outcome", flat=True)) == ["ok"]
    assert audit_verify().ok


def test_big_members_are_streamed_in_chunks(world, tmp_path, store):
    """A file larger than one chunk comes back whole (the archive is never built in memory)."""
    big = os.urandom(2 * CHUNK + 123)
    (store / "0000-big-test-file").write_bytes(big)
    archive = tmp_path / "qorgau.backup"
    _backup(archive)
    (store / "0000-big-test-file").unlink()
    _restore(archive, "--force")
    assert (store / "0000-big-test-file").read_bytes() == big
