"""Permission-matrix rows of the court routes (hearings, criminal cases); tests/permission_matrix.py
merges them into MATRIX.

Every route passes the case gate first: an id nobody holds is 404 for every signed-in role (the same
answer as a case one may not see). Over the API, analysts never read a case (403).
"""

from __future__ import annotations

from qorgau.accounts.roles import Role
from tests.permission_matrix import Check, staff_api, staff_page

CRIMINAL: dict[str, object] = {"number": "251750031000123", "registered_on": "2025-01-10", "article": "108-1"}
CHANGE: dict[str, object] = {"status": "in_court", "version": 1}
HEARING: dict[str, object] = {"kind": "other", "scheduled_for": "2030-01-10T10:00:00+05:00"}
CASE_API = {**staff_api(404), Role.ANALYST.value: 403}

ROWS: dict[str, list[Check]] = {
    "orders/hearings/<int:hearing_id>/": [
        Check("GET", "/orders/hearings/999999/", staff_page(404)),
        Check("POST", "/orders/hearings/999999/", staff_page(404), data={"action": "cancel", "version": "1", "reason": "x"}),
    ],
    "orders/criminal-cases/<int:record_id>/": [
        Check("GET", "/orders/criminal-cases/999999/", staff_page(404)),
        Check("POST", "/orders/criminal-cases/999999/", staff_page(404), data={"status": "in_court", "version": "1"}),
    ],
    "api/v1/cases/<case_id>/criminal-cases": [
        Check("GET", "/api/v1/cases/999999/criminal-cases", CASE_API),
        Check("POST", "/api/v1/cases/999999/criminal-cases", CASE_API, data=CRIMINAL, json=True),
    ],
    "api/v1/criminal-cases/<record_id>": [
        Check("PATCH", "/api/v1/criminal-cases/999999", CASE_API, data=CHANGE, json=True),
    ],
    "api/v1/cases/<case_id>/hearings": [
        Check("GET", "/api/v1/cases/999999/hearings", CASE_API),
        Check("POST", "/api/v1/cases/999999/hearings", CASE_API, data=HEARING, json=True),
    ],
}
