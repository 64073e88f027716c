"""Permission-matrix rows of the protocol administration routes (versions, manual routing);
tests/permission_matrix.py merges them into MATRIX after the app's own rows (this entry for the
unrouted page replaces the GET-only one there, adding the routing POST).

Administrators (MANAGE_REFERENCE) only: an upload without a file is a form error (422), a version or
task id that does not exist is 404; everyone else gets 403.
"""

from __future__ import annotations

from qorgau.accounts.roles import Capability
from tests.permission_matrix import Check, with_capability

M = Capability.MANAGE_REFERENCE

ROWS: dict[str, list[Check]] = {
    "protocols/admin/": [
        Check("GET", "/protocols/admin/", with_capability(M)),
        Check("POST", "/protocols/admin/", with_capability(M, 422)),
    ],
    "protocols/admin/versions/<int:version_id>/": [
        Check("GET", "/protocols/admin/versions/999999/", with_capability(M, 404)),
        Check("POST", "/protocols/admin/versions/999999/", with_capability(M, 404), data={"action": "publish"}),
    ],
    "protocols/unrouted/": [
        Check("GET", "/protocols/unrouted/", with_capability(M)),
        Check("POST", "/protocols/unrouted/", with_capability(M, 404), data={"action": "route", "task": "999999", "version": "1", "unit": "1"}),
    ],
}
