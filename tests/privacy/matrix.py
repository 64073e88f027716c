"""Permission-matrix rows of the privacy pages; tests/permission_matrix.py merges them into MATRIX.

Only the data-protection officer passes (HANDLE_PRIVACY_REQUESTS); every other role is refused
before anything is read (403). A request or export id nobody recorded is 404 for the officer.
"""

from __future__ import annotations

from qorgau.accounts.roles import Capability
from tests.permission_matrix import Check, with_capability

P = Capability.HANDLE_PRIVACY_REQUESTS

ROWS: dict[str, list[Check]] = {
    "privacy/": [
        Check("GET", "/privacy/", with_capability(P)),
        Check("POST", "/privacy/", with_capability(P, 422), data={"reference": ""}),
    ],
    "privacy/<int:request_id>/": [Check("GET", "/privacy/999999/", with_capability(P, 404))],
    "privacy/<int:request_id>/find/": [
        Check("POST", "/privacy/999999/find/", with_capability(P, 404), data={"iin": "900517400012"}),
        Check("GET", "/privacy/999999/find/", with_capability(P, 405)),
    ],
    "privacy/<int:request_id>/subject/": [
        Check("POST", "/privacy/999999/subject/", with_capability(P, 404), data={"person": "1", "version": "1"}),
    ],
    "privacy/<int:request_id>/export/": [Check("POST", "/privacy/999999/export/", with_capability(P, 404))],
    "privacy/<int:request_id>/correct/<int:person_id>/": [
        Check("GET", "/privacy/999999/correct/1/", with_capability(P, 404)),
        Check("POST", "/privacy/999999/correct/1/", with_capability(P, 404), data={"full_name": "x"}),
    ],
    "privacy/exports/<int:export_id>/<str:fmt>/": [Check("GET", "/privacy/exports/999999/json/", with_capability(P, 404))],
}
