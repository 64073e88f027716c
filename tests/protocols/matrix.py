"""Permission-matrix rows of this app's routes; tests/permission_matrix.py merges them into MATRIX.

Tasks belong to a unit: an id nobody's unit holds is 404 for everyone who works cases (the same
answer as another unit's task); the queue needs WORK_CASES; the unrouted list MANAGE_REFERENCE.
"""

from __future__ import annotations

from qorgau.accounts.roles import Capability
from tests.permission_matrix import API_UNAUTHENTICATED, Check, with_capability

W = Capability.WORK_CASES

ROWS: dict[str, list[Check]] = {
    "protocols/queue/": [Check("GET", "/protocols/queue/", with_capability(W)), Check("POST", "/protocols/queue/", with_capability(W, 405))],
    "protocols/tasks/<int:task_id>/": [
        Check("GET", "/protocols/tasks/999999/", with_capability(W, 404)),
        Check("POST", "/protocols/tasks/999999/", with_capability(W, 404), data={"action": "accept", "version": "1"}),
    ],
    "protocols/case/<int:case_id>/": [Check("GET", "/protocols/case/999999/", with_capability(W, 404))],
    "protocols/referrals/<int:task_id>/": [
        Check("GET", "/protocols/referrals/999999/", with_capability(W, 404)),
        Check("POST", "/protocols/referrals/999999/", with_capability(W, 404), data={"action": "consent", "version": "1"}),
    ],
    "protocols/consents/<int:consent_id>/withdraw/": [
        Check("GET", "/protocols/consents/999999/withdraw/", with_capability(W, 404)),
        Check("POST", "/protocols/consents/999999/withdraw/", with_capability(W, 404), data={"reason": "matrix"}),
    ],
    "protocols/unrouted/": [Check("GET", "/protocols/unrouted/", with_capability(Capability.MANAGE_REFERENCE))],
    "api/v1/tasks": [Check("GET", "/api/v1/tasks", with_capability(W, anon=API_UNAUTHENTICATED))],
    "api/v1/tasks/<task_id>/accept": [
        Check("POST", "/api/v1/tasks/999999/accept", with_capability(W, 404, anon=API_UNAUTHENTICATED), data={"version": 1}, json=True),
    ],
    "api/v1/tasks/<task_id>/done": [
        Check("POST", "/api/v1/tasks/999999/done", with_capability(W, 404, anon=API_UNAUTHENTICATED),
              data={"version": 1, "outcome": "matrix"}, json=True),
    ],
    "api/v1/tasks/<task_id>/decline": [
        Check("POST", "/api/v1/tasks/999999/decline", with_capability(W, 404, anon=API_UNAUTHENTICATED),
              data={"version": 1, "reason": "matrix"}, json=True),
    ],
}
