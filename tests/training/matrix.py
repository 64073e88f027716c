"""Permission-matrix rows of the training routes; tests/permission_matrix.py merges them into MATRIX.

The unit page and recording: unit supervisors (SUPERVISE_UNIT) and administrators (MANAGE_USERS);
coverage: those who see aggregates (VIEW_AGGREGATES) and administrators; one's own certificates and
the course list: all staff. Recording for a person who is not in the caller's unit is 404.
"""

from __future__ import annotations

from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from tests.permission_matrix import ANON, API_UNAUTHENTICATED, LOGIN_REDIRECT, Check, staff_api, staff_page


def either(a: Capability, b: Capability, status: int = 200, *, anon: int = LOGIN_REDIRECT) -> dict[str, int]:
    return {ANON: anon, **{r.value: (status if {a, b} & ROLE_CAPABILITIES[r] else 403) for r in Role}}


RECORDERS = (Capability.SUPERVISE_UNIT, Capability.MANAGE_USERS)
COVERAGE = (Capability.VIEW_AGGREGATES, Capability.MANAGE_USERS)

ROWS: dict[str, list[Check]] = {
    "training/": [
        Check("GET", "/training/", either(*RECORDERS)),
        Check("POST", "/training/", either(*RECORDERS, 422), data={"action": "record"}),
    ],
    "training/mine/": [Check("GET", "/training/mine/", staff_page()), Check("POST", "/training/mine/", staff_page(405))],
    "training/coverage/": [Check("GET", "/training/coverage/", either(*COVERAGE))],
    "api/v1/training/courses": [Check("GET", "/api/v1/training/courses", staff_api())],
    "api/v1/training/me": [Check("GET", "/api/v1/training/me", staff_api())],
    "api/v1/training/completions": [
        Check("POST", "/api/v1/training/completions", either(*RECORDERS, 404, anon=API_UNAUTHENTICATED),
              data={"user_id": 999999, "course": "protocol", "completed_on": "2026-01-01"}, json=True),
    ],
    "api/v1/training/coverage": [Check("GET", "/api/v1/training/coverage", either(*COVERAGE, anon=API_UNAUTHENTICATED))],
}
