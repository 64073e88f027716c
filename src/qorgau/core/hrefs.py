"""Links to the rows of a long list, made without a ``reverse`` per row.

``{% url %}`` costs about 30 µs a link in a template (resolving its arguments, ``reverse``, escaping)
against about 5 µs for a variable: on the work queue, two links a row for up to 150 rows were a
quarter of the page. ``href_maker`` reverses a route once, with a stand-in id, and makes each row's
link by putting the row's id in its place — the same path ``reverse`` would give for that id, for a
route whose only argument is an integer id.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

STAND_IN = 918273645  # an id no table of Qorgau reaches; its digits appear nowhere else in a path


def href_maker(name: str) -> Callable[[int], str]:
    """A function giving ``reverse(name, args=[pk])`` for an integer ``pk``, reversed once now (under
    the current script prefix)."""
    path = reverse(name, args=[STAND_IN])
    head, found, tail = path.partition(str(STAND_IN))
    if not found or str(STAND_IN) in tail:
        raise ValueError(f"route {name!r} does not place its id once in its path")
    return lambda pk: f"{head}{int(pk)}{tail}"
