"""Permission-matrix rows of the scenario page (the lead merges ``SCENARIO_ROWS`` into MATRIX).

The page needs VIEW_AGGREGATES (analysts; 403 for every other role, the login page for a visitor). It
is a GET form: a value outside its range is 422 for an analyst; a POST is 405 once past the checks.
"""

from __future__ import annotations

from qorgau.accounts.roles import Capability
from tests.permission_matrix import Check, with_capability

V = Capability.VIEW_AGGREGATES

SCENARIO_ROWS: dict[str, list[Check]] = {
    "analytics/scenarios/": [
        Check("GET", "/analytics/scenarios/", with_capability(V)),
        Check("GET", "/analytics/scenarios/?horizon=5&prevention_strategic=30", with_capability(V)),
        Check("GET", "/analytics/scenarios/?horizon=99", with_capability(V, 422)),
        Check("GET", "/analytics/scenarios/?reporting=abc", with_capability(V, 422)),
        Check("POST", "/analytics/scenarios/", with_capability(V, 405)),
    ],
}
