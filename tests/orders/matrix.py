"""Permission-matrix rows of this app's routes; tests/permission_matrix.py merges them into MATRIX.

Case- and order-bound routes pass the case gate first: an id nobody holds is 404 for every signed-in
role (the same answer as a case one may not see). The docket needs COURT_DECISIONS. Over the API,
analysts never read a case (403).
"""

from __future__ import annotations

from qorgau.accounts.roles import Capability, Role
from tests.permission_matrix import Check, staff_api, staff_page, with_capability

ORDER: dict[str, object] = {
    "kind": "police",
    "protected_ids": [1],
    "starts_at": "2025-01-10T12:00:00+05:00",
    "ban_contact": True,
}
BREACH: dict[str, object] = {"occurred_at": "2025-01-10T12:00:00+05:00", "what": "came to her door"}
CASE_API = {**staff_api(404), Role.ANALYST.value: 403}

ROWS: dict[str, list[Check]] = {
    "orders/docket/": [Check("GET", "/orders/docket/", with_capability(Capability.COURT_DECISIONS))],
    "orders/case/<int:case_id>/new/": [
        Check("GET", "/orders/case/999999/new/", staff_page(404)),
        Check("POST", "/orders/case/999999/new/", staff_page(404), data={"kind": "police"}),
    ],
    "orders/case/<int:case_id>/court/": [
        Check("GET", "/orders/case/999999/court/", staff_page(404)),
        Check("POST", "/orders/case/999999/court/", staff_page(404), data={"kind": "acquittal"}),
    ],
    "orders/<int:order_id>/": [
        Check("GET", "/orders/999999/", staff_page(404)),
        Check("POST", "/orders/999999/", staff_page(404), data={"action": "serve", "version": "1"}),
    ],
    "orders/<int:order_id>/print/": [Check("GET", "/orders/999999/print/?lang=kk", staff_page(404))],
    "api/v1/cases/<case_id>/orders": [
        Check("GET", "/api/v1/cases/999999/orders", CASE_API),
        Check("POST", "/api/v1/cases/999999/orders", CASE_API, data=ORDER, json=True),
    ],
    "api/v1/orders/<order_id>/breaches": [
        Check("POST", "/api/v1/orders/999999/breaches", CASE_API, data=BREACH, json=True),
    ],
}
