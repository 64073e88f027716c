"""Permission-matrix rows of the notification settings page; tests/permission_matrix.py merges them.

Every staff member has their own settings: any role opens the page; a POST with a stale (too high)
version is a conflict for each of them, which proves the write path runs for every role.
"""

from __future__ import annotations

from tests.permission_matrix import Check, staff_page

ROWS: dict[str, list[Check]] = {
    "notifications/settings/": [
        Check("GET", "/notifications/settings/", staff_page()),
        Check("POST", "/notifications/settings/", staff_page(409), data={"version": "999999", "email": "", "phone": ""}),
        Check("PUT", "/notifications/settings/", staff_page(405)),
    ],
}
