"""What the tests of the hand-written reads (ADR 0018) compare: every column of an instance, its
type, and the state of a row read from the database."""

from __future__ import annotations

from typing import Any


def fields(obj: Any) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def same(ours: Any, orm: Any) -> None:
    """``ours`` is the row the ORM read as ``orm``: the same class, columns and column types
    (aware times, dicts, bools, decrypted text, not their stored form), marked as read."""
    assert type(ours) is type(orm)
    assert (ours._state.adding, ours._state.db) == (False, orm._state.db)
    assert fields(ours) == fields(orm)
    for name, value in fields(orm).items():
        assert type(fields(ours)[name]) is type(value), name
