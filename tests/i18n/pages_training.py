"""Language-walker pages for staff training (merged into ``test_languages.PAGES``).

The shipped courses are loaded on first use; the walker's supervisor records the inspector's risk
assessment course, so the unit page, the inspector's own page and the coverage show a certificate."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any


def _ready(w: Any) -> None:
    from qorgau.core import clock
    from qorgau.training.models import Completion, Course
    from qorgau.training.reference import courses_load
    from qorgau.training.services import completion_record

    if not Course.objects.exists():
        courses_load()
    inspector = w.user("inspector")
    if not Completion.objects.filter(user=inspector).exists():
        completion_record(actor=w.user("supervisor"), user_id=inspector.pk, course="risk_assessment",
                          completed_on=clock.now().date() - timedelta(days=30), certificate_number="12345")


def _page(key: str, path: str) -> Callable[[Any, str], object]:
    def get(w: Any, lang: str) -> object:
        _ready(w)
        return w.signed_in(key, lang).get(path)

    return get


def _record_invalid(w: Any, lang: str) -> object:
    """A completion dated in the future: the field's message is shown (digits only typed)."""
    _ready(w)
    inspector = w.user("inspector")
    return w.signed_in("supervisor", lang).post("/training/", {
        "action": "record", "user": str(inspector.pk), "course": "protocol", "completed_on": "2999-01-01",
    })


PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "training-unit": (200, _page("supervisor", "/training/")),
    "training-unit-admin": (200, _page("admin", "/training/")),
    "training-record-invalid": (422, _record_invalid),
    "training-mine": (200, _page("inspector", "/training/mine/")),
    "training-coverage": (200, _page("admin", "/training/coverage/")),
}
