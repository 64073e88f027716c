"""Permission-matrix rows of the shelters' routes; tests/permission_matrix.py merges them into MATRIX.

The registry is for every signed-in role (addresses masked); a centre id nobody has is 404 for all;
changing beds needs SHELTER_INTAKE (checked after the centre is found); finding a bed needs
PLACE_IN_SHELTER and then the case gate (404 for a case nobody holds); admission and placements are
for SHELTER_INTAKE and 404 outside the centre's own unit.
"""

from __future__ import annotations

from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from tests.permission_matrix import (
    ANON,
    API_UNAUTHENTICATED,
    LOGIN_REDIRECT,
    Check,
    staff_api,
    staff_page,
    with_capability,
)

P = Capability.PLACE_IN_SHELTER
S = Capability.SHELTER_INTAKE
A = Capability.MANAGE_REFERENCE
COVERAGE = (Capability.VIEW_AGGREGATES, Capability.PLACE_IN_SHELTER, Capability.MANAGE_REFERENCE)


def coverage_viewers(status: int = 200, *, anon: int = LOGIN_REDIRECT) -> dict[str, int]:
    """Analysts, placement coordinators and administrators; others 403."""
    return {ANON: anon, **{r.value: (status if any(c in ROLE_CAPABILITIES[r] for c in COVERAGE) else 403) for r in Role}}


def centre_editors(status: int) -> dict[str, int]:
    """A centre nobody has: 404 for every signed-in role (the centre is looked up first)."""
    return staff_page(status)

ROWS: dict[str, list[Check]] = {
    "shelters/": [Check("GET", "/shelters/", staff_page()), Check("POST", "/shelters/", staff_page(405))],
    "shelters/centres/<int:centre_id>/": [
        Check("GET", "/shelters/centres/999999/", staff_page(404)),
        Check("POST", "/shelters/centres/999999/", staff_page(404), data={"pool": "1", "version": "1", "step": "1"}),
    ],
    "shelters/find/<int:case_id>/": [
        Check("GET", "/shelters/find/999999/", with_capability(P, 404)),
        Check("POST", "/shelters/find/999999/", with_capability(P, 404), data={"centre": "1", "children": "0"}),
    ],
    "shelters/holds/<int:hold_id>/admit/": [
        Check("POST", "/shelters/holds/999999/admit/", with_capability(S, 404), data={"children": "0", "expected_days": "10"}),
        Check("GET", "/shelters/holds/999999/admit/", with_capability(S, 405)),
    ],
    "shelters/placements/<int:placement_id>/": [
        Check("GET", "/shelters/placements/999999/", with_capability(S, 404)),
        Check("POST", "/shelters/placements/999999/", with_capability(S, 404), data={"version": "1", "outcome": "other"}),
    ],
    "shelters/coverage/": [
        Check("GET", "/shelters/coverage/", coverage_viewers()),
        Check("GET", "/shelters/coverage/?km=5", coverage_viewers(422)),
        Check("POST", "/shelters/coverage/", staff_page(405)),
    ],
    "shelters/centres/new/": [
        Check("GET", "/shelters/centres/new/", with_capability(A)),
        Check("POST", "/shelters/centres/new/", with_capability(A, 422), data={"unit": "999999"}),
    ],
    "shelters/centres/<int:centre_id>/edit/": [
        Check("GET", "/shelters/centres/999999/edit/", centre_editors(404)),
        Check("POST", "/shelters/centres/999999/edit/", centre_editors(404), data={"version": "1"}),
    ],
    "api/v1/shelters": [Check("GET", "/api/v1/shelters", staff_api())],
    "api/v1/shelters/coverage": [Check("GET", "/api/v1/shelters/coverage", coverage_viewers(anon=API_UNAUTHENTICATED))],
    "api/v1/shelters/centres": [
        Check("POST", "/api/v1/shelters/centres", with_capability(A, 422, anon=API_UNAUTHENTICATED), data={"unit_id": 999999}, json=True),
    ],
    "api/v1/shelters/centres/<centre_id>": [
        Check("PATCH", "/api/v1/shelters/centres/999999", staff_api(404), data={"version": 1}, json=True),
    ],
    "api/v1/shelters/<centre_id>/holds": [
        Check("POST", "/api/v1/shelters/999999/holds", with_capability(P, 404, anon=API_UNAUTHENTICATED), data={"case_id": 1}, json=True),
    ],
    "api/v1/placements/<placement_id>/discharge": [
        Check("POST", "/api/v1/placements/999999/discharge", with_capability(S, 404, anon=API_UNAUTHENTICATED),
              data={"version": 1, "outcome": "other"}, json=True),
    ],
}
