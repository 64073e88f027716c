"""Hand-written read statements for the hottest reads, with rows converted as the ORM converts them.

The ORM costs about half a millisecond to a millisecond of Python for every statement it compiles,
whatever PostgreSQL does with it; a statement on a bare cursor costs about 50 µs (ADR 0018). The few
reads on every case view are written here by hand, in SQL that both databases speak. Their values
pass through the same converters the ORM applies (the backend's, then the field's: on SQLite the
timestamps and booleans, on both the decryption of personal fields), so a value read here is the value
the ORM would have given. Everything else reads through the ORM.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from typing import Any

from django.db import connection, models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init

Convert = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


@cache
def _converter(vendor: str, model: type[models.Model], name: str) -> Convert:
    """The ORM's converters of one column (``compiler.get_converters``: the backend's, then the field's)."""
    field = model._meta.get_field(name)
    expression = field.get_col(model._meta.db_table)  # type: ignore[union-attr]
    steps = [*connection.ops.get_db_converters(expression), *expression.get_db_converters(connection)]
    if not steps:
        return _same

    def convert(value: Any) -> Any:
        for step in steps:
            value = step(value, expression, connection)
        return value

    return convert


def converted(model: type[models.Model], name: str, value: Any) -> Any:
    """A value read by hand from ``model``'s column ``name`` — alone, or an aggregate that keeps its
    type, such as its ``MIN`` — converted as the ORM converts that column (SQLite gives a time as
    text). NULL stays None."""
    return None if value is None else _converter(connection.vendor, model, name)(value)


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The statement's rows as the database gives them: counts and ids as they are, a model's columns
    to be converted by ``Shape.build`` (a flag is 0 or 1 on SQLite: the caller makes it ``bool``)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(frozen=True)
class Shape:
    """The concrete columns of a model under a table alias: ``select_related`` written by hand. Columns
    left out (``defer``, or all but ``only``) are deferred on the instance, as the ORM leaves them."""

    model: type[models.Model]
    alias: str
    db: str  # the connection's alias, as Model.from_db records it (looked up once, not per row)
    columns: tuple[str, ...]
    names: tuple[str, ...]  # attnames, in the order Model.from_db takes them
    converts: tuple[tuple[int, Convert], ...]  # only the columns that have converters
    pk_at: int
    plain: bool  # an instance may be made without Model.__init__ (see ``made``)

    @property
    def sql(self) -> str:
        return ", ".join(f"{self.alias}.{c}" for c in self.columns)

    def build(self, row: Sequence[Any], start: int, seen: dict[Any, Any] | None = None) -> Any:
        """The instance whose columns begin at ``start`` of a joined row (None when its key is NULL,
        as for the missing side of a LEFT JOIN). With ``seen``, a row already built for the same key
        is given again (the same unit on every event of a timeline)."""
        key = row[start + self.pk_at]
        if key is None:
            return None
        if seen is not None and key in seen:
            return seen[key]
        values = list(row[start : start + len(self.names)])
        for i, convert in self.converts:
            values[i] = convert(values[i])
        built = self.made(values) if self.plain else self.model.from_db(self.db, list(self.names), values)
        if seen is not None:
            seen[key] = built
        return built


    def made(self, values: list[Any]) -> Any:
        """The instance ``Model.from_db`` makes, without ``Model.__init__``'s per-field ``setattr``
        (about 8 µs an instance against 1.5): the loaded columns in the instance's ``__dict__``, the others
        left out (deferred, read on first use, as ``from_db`` leaves them), and the state of a row read
        from ``db``. Only for a model whose ``from_db`` is Django's, with no ``pre_init``/``post_init``
        receivers and no field that sets its value through a descriptor of its own."""
        instance = self.model.__new__(self.model)
        instance.__dict__.update(zip(self.names, values, strict=True))
        state = instance._state = ModelState()
        state.adding, state.db = False, self.db
        return instance


def _plain(model: type[models.Model]) -> bool:
    """Whether ``Shape.made`` makes what ``Model.from_db`` makes for this model: Django's ``from_db``,
    nothing listening to its instances being made, and every column's descriptor either Django's plain
    deferred attribute (no ``__set__``) or a foreign key's (whose ``__set__`` only drops a cached
    related object, which a new instance has none of)."""
    from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
    from django.db.models.query_utils import DeferredAttribute

    if getattr(model.from_db, "__func__", None) is not models.Model.from_db.__func__:  # type: ignore[attr-defined]
        return False
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return False
    return all(type(getattr(model, f.attname, None)) in (DeferredAttribute, ForeignKeyDeferredAttribute)
               for f in model._meta.concrete_fields)


@cache
def _shape(vendor: str, db: str, model: type[models.Model], alias: str, defer: tuple[str, ...], only: tuple[str, ...]) -> Shape:
    fields = [f for f in model._meta.concrete_fields if f.name not in defer and (not only or f.primary_key or f.name in only)]
    converts = [(i, _converter(vendor, model, f.name)) for i, f in enumerate(fields)]
    return Shape(
        model, alias, db, tuple(f.column for f in fields), tuple(f.attname for f in fields),
        tuple((i, c) for i, c in converts if c is not _same), [f.primary_key for f in fields].index(True), _plain(model),
    )


def shape(model: type[models.Model], alias: str, *, defer: tuple[str, ...] = (), only: tuple[str, ...] = ()) -> Shape:
    return _shape(connection.vendor, connection.alias, model, alias, defer, only)


def attach(instance: models.Model, **related: Any) -> None:
    """Related rows read in the same statement, cached on the instance as ``select_related`` caches
    them (its foreign keys already hold their ids; the descriptor's checks are skipped)."""
    for name, value in related.items():
        instance._meta.get_field(name).set_cached_value(instance, value)  # type: ignore[union-attr]


def starts(*shapes: Shape) -> list[int]:
    """Where each shape's columns begin in a row that selects them one after the other."""
    return list(accumulate((len(s.names) for s in shapes[:-1]), initial=0))


def when(value: dt.datetime) -> Any:
    """A time as a statement parameter, adapted as the ORM adapts it (SQLite keeps naive UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def listed(expression: str) -> str:
    """An aggregate that joins a text expression's values with commas (NULL when there are none):
    PostgreSQL's ``string_agg`` and SQLite's ``group_concat``, the one spelling the two differ in."""
    if connection.vendor == "postgresql":
        return f"string_agg({expression}, ',')"
    return f"group_concat({expression}, ',')"


def placeholders(values: Iterable[Any]) -> str:
    """``%s, %s, …`` for an IN list (never empty: the caller skips the statement instead)."""
    n = sum(1 for _ in values)
    if n == 0:
        raise ValueError("an IN list needs at least one value")
    return ", ".join(["%s"] * n)
