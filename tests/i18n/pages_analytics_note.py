"""Language-walker pages of the analytical note (merged into ``test_languages.PAGES``).

An analyst (the one role with VIEW_AGGREGATES) opens the note's form, asks for a month that does not
exist (the form's own message), and for a period with no reports (the note's message). The PDF itself
is checked in tests/analytics/test_note.py (its text is in the tree, per language)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ANALYST = "walker_analyst"


def _analyst(w: Any, lang: str) -> Any:
    from django.test import Client

    from qorgau.accounts.models import User
    from tests.conftest import sign_in

    user = User.objects.filter(username=ANALYST).first() or w._make_user("analyst", username=ANALYST)
    User.objects.filter(pk=user.pk).update(language=lang)
    user.refresh_from_db()
    return sign_in(Client(), user)


PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "analytics-note": (200, lambda w, lang: _analyst(w, lang).get("/analytics/note/")),
    "analytics-note-bad-month": (
        422,
        lambda w, lang: _analyst(w, lang).get(
            "/analytics/note/pdf/", {"start": "2024-13", "end": "2024-12", "lang": lang}
        ),
    ),
    "analytics-note-end-before-start": (
        422,
        lambda w, lang: _analyst(w, lang).get(
            "/analytics/note/pdf/", {"start": "2024-06", "end": "2024-01", "lang": lang}
        ),
    ),
    "analytics-note-no-reports": (
        422,
        lambda w, lang: _analyst(w, lang).get(
            "/analytics/note/pdf/", {"start": "2001-01", "end": "2001-12", "lang": lang}
        ),
    ),
}
