"""The case page's card of electronic monitoring: the devices on the case, its zones, its alerts."""

from __future__ import annotations

from typing import Any

from qorgau.accounts.masks import Viewer
from qorgau.accounts.models import User
from qorgau.cases.models import Case


def monitoring_context(user: User, case: Case, viewer: Viewer) -> dict[str, Any]:
    return {"monitoring_shown": False}
