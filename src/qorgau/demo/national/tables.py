"""Bulk rows into the database: ``COPY … FROM STDIN`` on PostgreSQL (psycopg 3), ``executemany`` on SQLite.

A ``Table`` is a model and the attributes the generator fills, in order; the model's other columns
get their defaults, so a field added to a model later still loads (as ``bench.registry_scale`` does).
An encrypted column left to its default gets a fresh ciphertext of the empty string on every row,
exactly what the field would store (never one shared token).

``Loader`` hands out primary keys itself (from the table's largest id on), so that the generator can
refer to a row before it is written; the sequences are set past them at the end. It therefore wants
a quiet database while it runs, which the demo command is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models

from qorgau.core import crypto
from qorgau.core.fields import EncryptedTextField


def sealed(value: str, field: EncryptedTextField) -> str:
    return crypto.encrypt(value, context=field.crypto_context)


def encrypted(model: type[models.Model], name: str) -> EncryptedTextField:
    field = model._meta.get_field(name)
    if not isinstance(field, EncryptedTextField):
        raise TypeError(f"{model.__name__}.{name} is not encrypted")
    return field


class Table:
    """One table's layout: the generator's columns, then the model's other columns with their defaults."""

    def __init__(self, model: type[models.Model], known: Sequence[str]) -> None:
        self.model = model
        self.name = model._meta.db_table
        fields = {f.attname: f for f in model._meta.concrete_fields}
        missing = [name for name in known if name not in fields]
        if missing:
            raise ValueError(f"{self.name}: no columns {missing}")
        extra = [f for name, f in fields.items() if name not in known and not f.primary_key]
        self.columns = [fields[name].column for name in known] + [f.column for f in extra]
        self.width = len(known)
        fixed: list[Any] = []
        self.fresh: list[tuple[int, EncryptedTextField]] = []  # encrypted defaults: a new token per row
        for i, f in enumerate(extra):
            if isinstance(f, EncryptedTextField) and f.get_default() is not None:
                self.fresh.append((len(known) + i, f))
                fixed.append(None)
            else:
                fixed.append(f.get_db_prep_save(f.get_default(), connection))
        self.defaults = tuple(fixed)
        # SQLite takes dates and times as text; PostgreSQL's COPY takes the Python values.
        self.convert: list[tuple[int, Callable[[Any], Any]]] = []
        if connection.vendor == "sqlite":
            for i, name in enumerate(known):
                f = fields[name]
                if isinstance(f, models.DateTimeField):
                    self.convert.append((i, connection.ops.adapt_datetimefield_value))
                elif isinstance(f, models.DateField):
                    self.convert.append((i, connection.ops.adapt_datefield_value))

    def row(self, values: Sequence[Any]) -> tuple[Any, ...]:
        if len(values) != self.width:
            raise ValueError(f"{self.name}: {len(values)} values for {self.width} columns")
        out = list(values) + list(self.defaults)
        for i, convert in self.convert:
            if out[i] is not None:
                out[i] = convert(out[i])
        for i, f in self.fresh:
            out[i] = sealed(str(f.get_default()), f)
        return tuple(out)


class Loader:
    """Buffers rows per table and writes them in bulk; hands out primary keys."""

    def __init__(self, *, flush_rows: int = 50_000) -> None:
        self.tables: dict[str, Table] = {}
        self.buffers: dict[str, list[tuple[Any, ...]]] = {}
        self.order: list[str] = []  # tables in the order they were declared: parents before children
        self.next_ids: dict[type[models.Model], int] = {}
        self.written: dict[str, int] = {}
        self.flush_rows = flush_rows
        self.pending = 0

    def table(self, key: str, model: type[models.Model], known: Sequence[str]) -> None:
        self.tables[key] = Table(model, known)
        self.buffers[key] = []
        self.order.append(key)
        self.written.setdefault(key, 0)

    def next_id(self, model: type[models.Model]) -> int:
        if model not in self.next_ids:
            last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
            self.next_ids[model] = int(last or 0) + 1
        value = self.next_ids[model]
        self.next_ids[model] = value + 1
        return value

    def add(self, key: str, values: Sequence[Any]) -> None:
        self.buffers[key].append(self.tables[key].row(values))
        self.pending += 1

    def maybe_flush(self) -> None:
        if self.pending >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        for key in self.order:
            rows = self.buffers[key]
            if rows:
                _write(self.tables[key], rows)
                self.written[key] += len(rows)
                self.buffers[key] = []
        self.pending = 0

    def reset_sequences(self) -> None:
        with connection.cursor() as cur:
            for sql in connection.ops.sequence_reset_sql(no_style(), list(self.next_ids)):
                cur.execute(sql)


def _write(table: Table, rows: list[tuple[Any, ...]]) -> None:
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(table.columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * len(table.columns))
        # table and column names come from the models, never from input
        raw.executemany(f"INSERT INTO {table.name} ({', '.join(table.columns)}) VALUES ({marks})", rows)  # noqa: S608


def secondary_indexes(tables: Iterable[str]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the tables' secondary indexes (not those behind constraints)."""
    out: list[tuple[str, str]] = []
    with connection.cursor() as cur:
        for table in tables:
            if connection.vendor == "sqlite":
                cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL", [table])
            else:
                cur.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                    [table],
                )
            out += [(str(n), str(s)) for n, s in cur.fetchall()]
    return out
