"""Which of the case page's optional sections have rows, asked in one statement.

Most cases have no bracelet, no programme, no conference, no support referral, no attachment, no
hearing to come, no safety plan and no safe contact; the case page used to ask the database once per
section only to learn that (about a dozen statements of the page's 33, each about half a millisecond
of the ORM's Python). ``probe`` asks ``EXISTS`` of every section's own queryset in one statement and
records on the case the sections that came back empty; a selector whose section is recorded empty
answers without a statement (``absent``).

The probe and the selector cannot disagree as long as both take the queryset from the same function
(each section's ``…_of(case)``): the probe asks whether that queryset has a row, the selector reads
its rows. Nothing is recorded unless ``probe`` ran, so every other caller reads as before. The record
lives on the case object the gate returned for this request (``access.case_get_for``), like the
grants it read (``grants_read``), and goes with it.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Exists, QuerySet

from qorgau.cases.models import Case

EMPTY_ATTR = "sections_empty"


def probe(case: Case, sections: dict[str, QuerySet[Any, Any]]) -> frozenset[str]:
    """Ask whether each section's queryset has a row, in one statement; record and return the empty ones."""
    if not sections:
        return frozenset()
    names = {key: f"has_{i}" for i, key in enumerate(sections)}
    asked: dict[str, Any] = {names[k]: Exists(qs) for k, qs in sections.items()}
    row = cast("dict[str, Any] | None", Case.objects.filter(pk=case.pk).values(**asked).first())
    empty = frozenset(k for k in sections if row is not None and not row[names[k]])
    setattr(case, EMPTY_ATTR, empty)
    return empty


def absent(case: Case, section: str) -> bool:
    """True only when ``probe`` ran on this case object and found the section without rows."""
    return section in getattr(case, EMPTY_ATTR, frozenset())
