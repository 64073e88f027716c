"""Permission-matrix rows of the case conference routes; tests/permission_matrix.py merges them.

Only RUN_CONFERENCES (the conference coordinator) reaches the pages and the API; a conference id
nobody convenes (or a case nobody holds) is 404 for the coordinator, as another unit's would be.
"""

from __future__ import annotations

from qorgau.accounts.roles import Capability
from tests.permission_matrix import API_UNAUTHENTICATED, Check, with_capability

R = Capability.RUN_CONFERENCES
P = "/protocols/conferences"
A = "/api/v1/conferences"
WHEN = "2030-01-01T10:00:00+05:00"

ROWS: dict[str, list[Check]] = {
    "protocols/conferences/": [Check("GET", f"{P}/", with_capability(R)), Check("POST", f"{P}/", with_capability(R, 405))],
    "protocols/conferences/<int:conference_id>/": [
        Check("GET", f"{P}/999999/", with_capability(R, 404)),
        Check("POST", f"{P}/999999/", with_capability(R, 405), data={"version": "1"}),
    ],
    "protocols/conferences/<int:conference_id>/schedule/": [
        Check("GET", f"{P}/999999/schedule/", with_capability(R, 405)),
        Check("POST", f"{P}/999999/schedule/", with_capability(R, 404), data={"version": "1", "place": "matrix"}),
    ],
    "protocols/conferences/<int:conference_id>/record/": [
        Check("POST", f"{P}/999999/record/", with_capability(R, 404), data={"version": "1", "minutes": "matrix"}),
    ],
    "protocols/conferences/<int:conference_id>/dismiss/": [
        Check("POST", f"{P}/999999/dismiss/", with_capability(R, 404), data={"version": "1", "reason": "matrix"}),
    ],
    "protocols/conferences/case/<int:case_id>/propose/": [
        Check("GET", f"{P}/case/999999/propose/", with_capability(R, 404)),
        Check("POST", f"{P}/case/999999/propose/", with_capability(R, 404), data={"reasons": ["coordinator"]}),
    ],
    "api/v1/conferences": [Check("GET", A, with_capability(R, anon=API_UNAUTHENTICATED))],
    "api/v1/conferences/<conference_id>": [Check("GET", f"{A}/999999", with_capability(R, 404, anon=API_UNAUTHENTICATED))],
    "api/v1/conferences/<conference_id>/schedule": [
        Check("POST", f"{A}/999999/schedule", with_capability(R, 404, anon=API_UNAUTHENTICATED),
              data={"version": 1, "scheduled_for": WHEN, "place": "matrix", "invited": [1]}, json=True),
    ],
    "api/v1/conferences/<conference_id>/record": [
        Check("POST", f"{A}/999999/record", with_capability(R, 404, anon=API_UNAUTHENTICATED),
              data={"version": 1, "attended": [1], "minutes": "matrix", "decisions": []}, json=True),
    ],
    "api/v1/conferences/<conference_id>/dismiss": [
        Check("POST", f"{A}/999999/dismiss", with_capability(R, 404, anon=API_UNAUTHENTICATED),
              data={"version": 1, "reason": "matrix"}, json=True),
    ],
}
