"""Permission-matrix rows of the analytical note (tests/permission_matrix.py merges ``NOTE_ROWS`` into MATRIX).

Only VIEW_AGGREGATES (the analyst) may open the note's form or generate its PDF; every other role gets
403 and a visitor the login page. With no tallies in the matrix's database every period holds no
reports, so the analyst's PDF request comes back as the form with that message (422); a bad month is
422 as well. Both routes are GET only.
"""

from __future__ import annotations

from qorgau.accounts.roles import Capability
from tests.permission_matrix import Check, staff_page, with_capability

A = Capability.VIEW_AGGREGATES

NOTE_ROWS: dict[str, list[Check]] = {
    "analytics/note/": [
        Check("GET", "/analytics/note/", with_capability(A)),
        Check("POST", "/analytics/note/", staff_page(405)),
    ],
    "analytics/note/pdf/": [
        Check("GET", "/analytics/note/pdf/?start=2001-01&end=2001-12&lang=ru", with_capability(A, 422)),
        Check("GET", "/analytics/note/pdf/?start=2001-13&end=2001-12&lang=ru", with_capability(A, 422)),
        Check("POST", "/analytics/note/pdf/", staff_page(405)),
    ],
}
