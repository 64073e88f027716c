"""The stand-in for a personal field the retention policy removed (cases.retention, DESIGN §10).

Pages render it as a translated note; the API shows ``null`` and names the field in ``removed``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _


class Removed:
    """Truthy, so templates that print a value when there is one print the note instead of a dash."""

    _instance: Removed | None = None

    def __new__(cls) -> Removed:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __str__(self) -> str:
        return _("removed under the retention policy")

    def __repr__(self) -> str:
        return "REMOVED"


REMOVED = Removed()


def kept_or_removed(value: Any, removed_at: dt.datetime | None) -> Any:
    """``REMOVED`` for a field the policy emptied; the value itself otherwise (written since, or never removed)."""
    return REMOVED if removed_at is not None and not value else value
