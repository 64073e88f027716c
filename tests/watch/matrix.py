"""Permission-matrix rows of the watch (access alerts and access review); tests/permission_matrix.py merges them.

Supervisors (``supervise_unit``) and internal oversight (``oversee_restricted``) may open the pages;
every other role is refused (403). An alert or a unit outside one's view is "not found" (404): the
matrix's ids exist nowhere, and tests/watch/test_pages.py tries real alerts of another unit.
"""

from __future__ import annotations

from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from tests.permission_matrix import ANON, LOGIN_REDIRECT, Check


def watchers(status: int = 200, *, denied: int = 403) -> dict[str, int]:
    caps = {Capability.SUPERVISE_UNIT, Capability.OVERSEE_RESTRICTED}
    return {ANON: LOGIN_REDIRECT, **{r.value: status if caps & ROLE_CAPABILITIES[r] else denied for r in Role}}


ROWS: dict[str, list[Check]] = {
    "watch/": [Check("GET", "/watch/", watchers()), Check("POST", "/watch/", watchers(405, denied=405))],
    "watch/alerts/<int:alert_id>/": [
        Check("GET", "/watch/alerts/999999/", watchers(404)),
        Check("POST", "/watch/alerts/999999/", watchers(404), data={"note": "checked", "version": "1"}),
    ],
    # The supervisor's own unit (200), oversight's overview of every unit (200); another unit's id: 404.
    "watch/review/": [
        Check("GET", "/watch/review/", watchers()),
        Check("GET", "/watch/review/?unit=999999", watchers(404)),
        Check("POST", "/watch/review/", watchers(404), data={"unit": "999999", "note": "matrix"}),
    ],
    # A supervisor downloads the own unit's review; oversight without a chosen unit goes back to the overview.
    "watch/review/export.csv": [
        Check("GET", "/watch/review/export.csv", {**watchers(), Role.OVERSIGHT.value: 302}),
        Check("GET", "/watch/review/export.csv?unit=999999", watchers(404)),
    ],
}
