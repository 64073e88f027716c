"""Permission-matrix rows of the analytics dashboard, map, exports and their API (helper B);
tests/permission_matrix.py merges them into MATRIX (``DASHBOARD_ROWS``, also exported as ``ROWS``).

Analytics is for VIEW_AGGREGATES (the analyst) only: 403 for every other role, the login page for a
visitor (401 on the API). Bad filters give the page back with the form's errors (200); on the API
they are 422. An unknown export format is 404 for the analyst (and still 403 for the others: the
capability is checked first).
"""

from __future__ import annotations

from qorgau.accounts.roles import Capability
from tests.permission_matrix import API_UNAUTHENTICATED, Check, staff_page, with_capability

V = Capability.VIEW_AGGREGATES


def _api(status: int = 200) -> dict[str, int]:
    return with_capability(V, status, anon=API_UNAUTHENTICATED)


DASHBOARD_ROWS: dict[str, list[Check]] = {
    "analytics/": [
        Check("GET", "/analytics/", with_capability(V)),
        Check("GET", "/analytics/?start=2025-13&region=XX", with_capability(V)),  # the form with its errors
        Check("POST", "/analytics/", staff_page(405)),
    ],
    "analytics/map/": [
        Check("GET", "/analytics/map/?indicator=reports", with_capability(V)),
        Check("GET", "/analytics/map/?indicator=nonsense", with_capability(V)),
    ],
    "analytics/export/<str:fmt>/": [
        Check("GET", "/analytics/export/csv/", with_capability(V)),
        Check("GET", "/analytics/export/doc/", with_capability(V, 404)),
        Check("GET", "/analytics/export/csv/?end=1999-13", with_capability(V, 422)),
        Check("POST", "/analytics/export/csv/", staff_page(405)),
    ],
    "api/v1/analytics/indicators": [Check("GET", "/api/v1/analytics/indicators", _api())],
    "api/v1/analytics/view": [
        Check("GET", "/api/v1/analytics/view", _api()),
        Check("GET", "/api/v1/analytics/view?start=bad", _api(422)),
    ],
}
ROWS = DASHBOARD_ROWS
