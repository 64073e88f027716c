"""Permission-matrix rows of these risk routes; tests/permission_matrix.py merges them into MATRIX."""

from __future__ import annotations

from qorgau.accounts.roles import Capability
from tests.permission_matrix import Check, with_capability

# The validation report: administrators only. An empty POST is a form with field errors (422); the
# draft page takes only POSTs (405 for whoever may post to it).
ROWS: dict[str, list[Check]] = {
    "risk/validation/": [Check("GET", "/risk/validation/", with_capability(Capability.MANAGE_REFERENCE))],
    "risk/validation/draft/": [
        Check("POST", "/risk/validation/draft/", with_capability(Capability.MANAGE_REFERENCE, 422)),
        Check("GET", "/risk/validation/draft/", with_capability(Capability.MANAGE_REFERENCE, 405)),
    ],
}
