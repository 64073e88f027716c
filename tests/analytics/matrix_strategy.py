"""Permission-matrix rows of the national strategy's pages and API (helper C); tests/permission_matrix.py
merges ``STRATEGY_ROWS`` (route pattern -> checks) into MATRIX.

Reading needs VIEW_AGGREGATES, entering MANAGE_STRATEGY (both the analyst's): 403 for every other
role, the login page for a visitor (401 on the API). The capability is checked first, so an id that
names nothing is 404 for the analyst and still 403 for the others. Bad input is 422; a page that
only reads refuses POST with 405.
"""

from __future__ import annotations

from qorgau.accounts.roles import Capability
from tests.permission_matrix import API_UNAUTHENTICATED, Check, staff_api, with_capability

V = Capability.VIEW_AGGREGATES
W = Capability.MANAGE_STRATEGY
NONE = "/analytics/strategy"
MEASURE = {
    "code": "matrix-measure",
    "area": "prevention",
    "indicator": "reports",
    "name_kk": "Өлшем",
    "name_ru": "Мера",
    "name_en": "Measure",
    "starts_on": "2026-01-01",
}
FINANCING = {"year": 2026, "budget": "1000"}
CAMPAIGN = {"title": "Кампания", "channel": "online", "started_on": "2026-01-01", "reach": 10}
GRANT = {"grantee": "ОФ", "purpose": "Приют", "amount": "1000", "awarded_on": "2026-01-01"}


def _api(cap: Capability, status: int = 200) -> dict[str, int]:
    return with_capability(cap, status, anon=API_UNAUTHENTICATED)


STRATEGY_ROWS: dict[str, list[Check]] = {
    "analytics/strategy/": [
        Check("GET", f"{NONE}/", with_capability(V)),
        Check("GET", f"{NONE}/?year=1999&indicator=nonsense", with_capability(V, 422)),
        Check("POST", f"{NONE}/", with_capability(V, 405)),
    ],
    "analytics/strategy/measures/new/": [
        Check("GET", f"{NONE}/measures/new/", with_capability(W)),
        Check("POST", f"{NONE}/measures/new/", with_capability(W, 422), data={"code": ""}),
    ],
    "analytics/strategy/measures/<int:pk>/": [
        Check("GET", f"{NONE}/measures/999999/", with_capability(V, 404)),
        Check("POST", f"{NONE}/measures/999999/", with_capability(V, 405)),
    ],
    "analytics/strategy/measures/<int:pk>/edit/": [
        Check("GET", f"{NONE}/measures/999999/edit/", with_capability(W, 404)),
        Check("POST", f"{NONE}/measures/999999/edit/", with_capability(W, 404), data={"version": "1"}),
    ],
    "analytics/strategy/measures/<int:pk>/financing/new/": [
        Check("GET", f"{NONE}/measures/999999/financing/new/", with_capability(W, 404)),
        Check(
            "POST",
            f"{NONE}/measures/999999/financing/new/",
            with_capability(W, 404),
            data={"year": "2026", "budget": "1"},
        ),
    ],
    "analytics/strategy/financing/<int:pk>/edit/": [
        Check("GET", f"{NONE}/financing/999999/edit/", with_capability(W, 404)),
        Check("POST", f"{NONE}/financing/999999/edit/", with_capability(W, 404), data={"version": "1"}),
    ],
    "analytics/strategy/campaigns/new/": [
        Check("GET", f"{NONE}/campaigns/new/", with_capability(W)),
        Check("POST", f"{NONE}/campaigns/new/", with_capability(W, 422), data={"title": ""}),
    ],
    "analytics/strategy/campaigns/<int:pk>/edit/": [
        Check("GET", f"{NONE}/campaigns/999999/edit/", with_capability(W, 404)),
    ],
    "analytics/strategy/grants/new/": [
        Check("GET", f"{NONE}/grants/new/", with_capability(W)),
        Check("POST", f"{NONE}/grants/new/", with_capability(W, 422), data={"amount": "0"}),
    ],
    "analytics/strategy/grants/<int:pk>/edit/": [
        Check("GET", f"{NONE}/grants/999999/edit/", with_capability(W, 404)),
    ],
    # The API.
    "api/v1/analytics/strategy/measures": [
        Check("GET", "/api/v1/analytics/strategy/measures", _api(V)),
        Check("POST", "/api/v1/analytics/strategy/measures", _api(W, 201), data=MEASURE, json=True),
    ],
    "api/v1/analytics/strategy/measures/<measure_id>": [
        Check("GET", "/api/v1/analytics/strategy/measures/999999", _api(V, 404)),
        Check(
            "PUT", "/api/v1/analytics/strategy/measures/999999", _api(W, 404), data={**MEASURE, "version": 1}, json=True
        ),
    ],
    "api/v1/analytics/strategy/measures/<measure_id>/financing": [
        Check("POST", "/api/v1/analytics/strategy/measures/999999/financing", _api(W, 404), data=FINANCING, json=True),
    ],
    "api/v1/analytics/strategy/financing": [
        Check("GET", "/api/v1/analytics/strategy/financing", _api(V)),
        Check("GET", "/api/v1/analytics/strategy/financing?year=1999", staff_api(422)),  # the query is checked first
    ],
    "api/v1/analytics/strategy/financing/<financing_id>": [
        Check(
            "PUT",
            "/api/v1/analytics/strategy/financing/999999",
            _api(W, 404),
            data={**FINANCING, "version": 1},
            json=True,
        ),
    ],
    "api/v1/analytics/strategy/campaigns": [
        Check("GET", "/api/v1/analytics/strategy/campaigns", _api(V)),
        Check("POST", "/api/v1/analytics/strategy/campaigns", _api(W, 201), data=CAMPAIGN, json=True),
    ],
    "api/v1/analytics/strategy/grants": [
        Check("GET", "/api/v1/analytics/strategy/grants", _api(V)),
        Check("POST", "/api/v1/analytics/strategy/grants", _api(W, 201), data=GRANT, json=True),
    ],
}
ROWS = STRATEGY_ROWS
