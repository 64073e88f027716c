"""Language-walker pages of the scenario model (merged into ``test_languages.PAGES``).

An analyst (the one role with VIEW_AGGREGATES) sees the page with the default assumptions, with changed
ones (a shorter horizon, no strategy: other numbers, the "changed" sentence, no early rise of reports,
the calibration warning), and with values refused (the error summary and the field messages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ANALYST = "walker_analyst"


def _analyst(w: Any, lang: str) -> Any:
    from django.test import Client

    from qorgau.accounts.models import User
    from qorgau.accounts.roles import Role
    from tests.conftest import sign_in

    user = User.objects.filter(username=ANALYST).first() or w._make_user(Role.ANALYST, username=ANALYST)
    User.objects.filter(pk=user.pk).update(language=lang)
    user.refresh_from_db()
    return sign_in(Client(), user)


CHANGED = {"horizon": "5", "reporting": "20", "prevention_strategic": "0", "reporting_change_strategic": "0"}
BAD = {"horizon": "99", "reporting": "abc", "build_years": "2.5", "prevention_strategic": "-5"}

PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "analytics-scenarios": (200, lambda w, lang: _analyst(w, lang).get("/analytics/scenarios/")),
    "analytics-scenarios-changed": (200, lambda w, lang: _analyst(w, lang).get("/analytics/scenarios/", CHANGED)),
    "analytics-scenarios-bad": (422, lambda w, lang: _analyst(w, lang).get("/analytics/scenarios/", BAD)),
}
