"""The case page's card of her socio-economic support (filled in by the support app)."""

from __future__ import annotations

from typing import Any

from qorgau.accounts.masks import Viewer
from qorgau.accounts.models import User
from qorgau.cases.models import Case


def support_context(user: User, case: Case, viewer: Viewer) -> dict[str, Any]:
    return {}
