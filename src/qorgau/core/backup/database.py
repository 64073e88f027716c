"""The database part of a backup: PostgreSQL through ``pg_dump``/``pg_restore``, SQLite through its
online backup API. Both take one consistent snapshot and report what it holds (migrations, row
counts, the audit chain head) from that same snapshot, so a restore can be checked against it.

Connection details go to the PostgreSQL tools through ``PG*`` environment variables, never on their
command line (where other users of the machine could read a password).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.db import connection

from qorgau.core.backup.sealed import CHUNK, ArchiveError
from qorgau.core.models import AuditEvent, AuditSealState

SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"
# Tables whose rows make a database "in use": a restore over them needs --force.
IN_USE_TABLES = ("accounts_user", AuditEvent._meta.db_table, "people_person", "cases_report")


class DatabaseToolFailed(Exception):
    """pg_dump, pg_restore or psql exited with an error (its last lines are in the message)."""


def member_name() -> str:
    return POSTGRES_MEMBER if connection.vendor == "postgresql" else SQLITE_MEMBER


@contextmanager
def _private_dir() -> Iterator[Path]:
    # mkdtemp makes it 0700: the plaintext SQLite snapshot never sits where others can read it.
    path = Path(tempfile.mkdtemp(prefix="qorgau-backup-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _facts(cur: Any, tables: list[str]) -> dict[str, Any]:
    counts = {}
    for table in sorted(tables):
        cur.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - names from the catalogue
        counts[table] = int(cur.fetchone()[0])
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in tables:
        cur.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        for app, name in cur.fetchall():
            migrations.setdefault(app, []).append(name)
    audit: dict[str, Any] = {"last_pos": 0, "rows": counts.get(AuditEvent._meta.db_table, 0)}
    if AuditSealState._meta.db_table in tables:
        cur.execute(f"SELECT last_pos FROM {_quote(AuditSealState._meta.db_table)} WHERE id = 1")  # noqa: S608
        row = cur.fetchone()
        audit["last_pos"] = int(row[0]) if row else 0
    return {"migrations": migrations, "counts": counts, "audit": audit}


def _tool_env() -> dict[str, str]:
    sd = connection.settings_dict
    env = dict(os.environ)
    for var, value in (
        ("PGDATABASE", sd.get("NAME")),
        ("PGUSER", sd.get("USER")),
        ("PGPASSWORD", sd.get("PASSWORD")),
        ("PGHOST", sd.get("HOST")),
        ("PGPORT", sd.get("PORT")),
        ("PGSSLMODE", (sd.get("OPTIONS") or {}).get("sslmode")),
    ):
        if value:
            env[var] = str(value)
    return env


def _conninfo() -> dict[str, Any]:
    sd = connection.settings_dict
    info = {"dbname": sd.get("NAME"), "user": sd.get("USER"), "password": sd.get("PASSWORD"), "host": sd.get("HOST"), "port": sd.get("PORT")}
    return {k: v for k, v in info.items() if v}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise DatabaseToolFailed(f"{name} is not installed or not on the PATH (Debian: apt-get install postgresql-client)")
    return path


def _tail(stream: IO[bytes]) -> str:
    stream.seek(0)
    lines = stream.read().decode("utf-8", "replace").strip().splitlines()
    return " | ".join(lines[-5:])


def dump(write: Callable[[bytes], None]) -> dict[str, Any]:
    """Stream one consistent snapshot of the database to ``write``; return its facts."""
    if connection.vendor == "postgresql":
        return _dump_postgres(write)
    if connection.vendor == "sqlite":
        return _dump_sqlite(write)
    raise ArchiveError(f"backups support PostgreSQL and SQLite, not {connection.vendor}")


def _dump_sqlite(write: Callable[[bytes], None]) -> dict[str, Any]:
    connection.ensure_connection()
    with _private_dir() as tmp:
        path = tmp / SQLITE_MEMBER
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
            cur = target.cursor()
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            facts = _facts(cur, [r[0] for r in cur.fetchall()])
        finally:
            target.close()
        with path.open("rb") as fh:
            while block := fh.read(CHUNK):
                write(block)
    return facts


def _dump_postgres(write: Callable[[bytes], None]) -> dict[str, Any]:
    import psycopg

    # The exported snapshot stays valid while this transaction is open: pg_dump and the facts see
    # the same database state, whatever is being written meanwhile.
    with psycopg.connect(**_conninfo(), autocommit=False) as pc:
        cur = pc.cursor()
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cur.execute("SELECT pg_export_snapshot()")
        snapshot = cur.fetchone()[0]  # type: ignore[index]
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        facts = _facts(cur, [r[0] for r in cur.fetchall()])
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(  # noqa: S603 - fixed program, no shell
                [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}"],
                stdout=subprocess.PIPE,
                stderr=err,
                env=_tool_env(),
            )
            assert proc.stdout is not None
            while block := proc.stdout.read(CHUNK):
                write(block)
            if proc.wait() != 0:
                raise DatabaseToolFailed(f"pg_dump failed: {_tail(err)}")
        pc.rollback()
    return facts


def target_dir_make() -> None:
    """On a fresh machine the SQLite file's directory (``var/``) may not exist yet."""
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor == "sqlite" and name and not name.startswith("file:") and name != ":memory:":
        Path(name).parent.mkdir(parents=True, exist_ok=True, mode=0o700)


def holds_data() -> bool:
    """Whether the database is in use (users, people, reports or audit rows)."""
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cur:
        for table in IN_USE_TABLES:
            if table in tables:
                cur.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
                if cur.fetchone():
                    return True
    return False


def current_facts() -> dict[str, Any]:
    tables = list(connection.introspection.table_names())
    with connection.cursor() as cur:
        return _facts(cur, tables)


class DatabaseSink:
    """Receives the dump's bytes from the archive and replaces the database with it on ``finish``
    (PostgreSQL: in one transaction, while the bytes arrive; SQLite: in one backup step)."""

    def __init__(self, member: str) -> None:
        expected = member_name()
        if member != expected:
            have = "PostgreSQL" if member == POSTGRES_MEMBER else "SQLite"
            raise ArchiveError(f"the archive holds a {have} database; this Qorgau runs on {connection.vendor}")
        self._postgres = connection.vendor == "postgresql"
        self._tmp_cm = _private_dir()
        self._tmp = self._tmp_cm.__enter__()
        self._errors: list[IO[bytes]] = []
        self._closed = False
        if self._postgres:
            self._start_postgres()
        else:
            self._file = (self._tmp / SQLITE_MEMBER).open("wb")

    def _start_postgres(self) -> None:
        env = _tool_env()
        with connection.cursor() as cur:
            cur.execute(
                "SELECT 'DROP TABLE IF EXISTS ' || string_agg(quote_ident(schemaname) || '.' || quote_ident(tablename), ', ') || ' CASCADE'"
                " FROM pg_tables WHERE schemaname = current_schema()"
            )
            drop = cur.fetchone()[0] or "SELECT 1"
        connection.close()  # psql must not wait for this connection's locks
        # Kept open for the tools' lifetime, closed in abort().
        err_restore, err_psql = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115
        self._errors = [err_restore, err_psql]
        self._restore = subprocess.Popen(  # noqa: S603 - fixed programs, no shell
            [_tool("pg_restore"), "--no-owner", "--no-privileges", "--file=-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err_restore,
            env=env,
        )
        # The old tables' removal and the whole restored script run in one transaction: a failure
        # anywhere leaves the database as it was.
        self._psql = subprocess.Popen(  # noqa: S603
            [_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "-v", "ON_ERROR_STOP=1", "-c", drop, "-f", "-"],
            stdin=self._restore.stdout,
            stdout=subprocess.DEVNULL,
            stderr=err_psql,
            env=env,
        )
        assert self._restore.stdout is not None
        self._restore.stdout.close()

    def write(self, data: bytes) -> None:
        if self._postgres:
            assert self._restore.stdin is not None
            with contextlib.suppress(BrokenPipeError):  # the tool died; finish() reports why
                self._restore.stdin.write(data)
        else:
            self._file.write(data)

    def finish(self) -> None:
        try:
            if self._postgres:
                assert self._restore.stdin is not None
                with contextlib.suppress(BrokenPipeError):
                    self._restore.stdin.close()
                rc_restore, rc_psql = self._restore.wait(), self._psql.wait()
                if rc_restore != 0 or rc_psql != 0:
                    raise DatabaseToolFailed(
                        f"the database was left as it was: pg_restore exit {rc_restore} ({_tail(self._errors[0])}), "
                        f"psql exit {rc_psql} ({_tail(self._errors[1])})"
                    )
            else:
                self._file.close()
                source = sqlite3.connect(self._tmp / SQLITE_MEMBER)
                try:
                    connection.ensure_connection()
                    source.backup(connection.connection)
                finally:
                    source.close()
            connection.close()
        finally:
            self.abort()

    def abort(self) -> None:
        if self._closed:
            return
        self._closed = True
        for proc in (getattr(self, "_restore", None), getattr(self, "_psql", None)):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        for fh in self._errors:
            fh.close()
        if not self._postgres and not self._file.closed:
            self._file.close()
        self._tmp_cm.__exit__(None, None, None)
