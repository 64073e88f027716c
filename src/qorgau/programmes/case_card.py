"""The case page's card of the offender's programmes (filled in by the programmes app)."""

from __future__ import annotations

from typing import Any

from qorgau.accounts.masks import Viewer
from qorgau.accounts.models import User
from qorgau.cases.models import Case


def programmes_context(user: User, case: Case, viewer: Viewer) -> dict[str, Any]:
    return {}
