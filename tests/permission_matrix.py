"""The role × route permission matrix (DESIGN §5, issue: every route joins it).

Each route pattern of the URL configuration has an entry here with the requests to make and the
status each role (and an anonymous visitor) must get. ``test_permission_matrix`` fails when a route
exists without an entry, when an entry names a route that no longer exists, and when any role gets
another status than the one written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role

ANON = "anonymous"
LOGIN_REDIRECT = 302  # pages send a visitor without a session to the login page
API_UNAUTHENTICATED = 401


@dataclass(frozen=True)
class Check:
    method: str
    path: str
    expect: dict[str, int]
    data: dict[str, object] = field(default_factory=dict)
    json: bool = False


def everyone(status: int) -> dict[str, int]:
    return {ANON: status, **{r.value: status for r in Role}}


def staff_page(status: int = 200, *, anon: int = LOGIN_REDIRECT) -> dict[str, int]:
    return {ANON: anon, **{r.value: status for r in Role}}


def staff_api(status: int = 200) -> dict[str, int]:
    return {ANON: API_UNAUTHENTICATED, **{r.value: status for r in Role}}


def with_capability(cap: Capability, status: int = 200, *, denied: int = 403, anon: int = LOGIN_REDIRECT) -> dict[str, int]:
    return {ANON: anon, **{r.value: (status if cap in ROLE_CAPABILITIES[r] else denied) for r in Role}}


def public_then_home(status: int = 200) -> dict[str, int]:
    """Sign-in pages: open to visitors; a signed-in user is sent home."""
    return {ANON: status, **{r.value: 302 for r in Role}}


# A complete report for POST /api/v1/reports (no IIN: each request opens its own case).
MATRIX_REPORT: dict[str, object] = {
    "channel": "police_102",
    "received_at": "2025-01-10T12:00:00+05:00",
    "occurred_at": "2025-01-10T09:00:00+05:00",
    "region_iso": "KZ-75",
    "forms": ["physical"],
    "victims": [{"relationship": "spouse", "person": {"full_name": "Матрица Айгуль"}}],
    "offender": {"full_name": "Матрица Ерлан"},
}

# route pattern (as Django prints it) -> checks
MATRIX: dict[str, list[Check]] = {
    "": [Check("GET", "/", staff_page())],
    "login/": [Check("GET", "/login/", public_then_home())],
    "login/verify/": [Check("GET", "/login/verify/", everyone(302))],  # no pending sign-in: back to login
    "login/enrol/": [Check("GET", "/login/enrol/", everyone(302))],
    "logout/": [Check("POST", "/logout/", everyone(302)), Check("GET", "/logout/", everyone(405))],
    "logout/everywhere/": [Check("POST", "/logout/everywhere/", staff_page(302)), Check("GET", "/logout/everywhere/", staff_page(405))],
    "notifications/": [Check("GET", "/notifications/", staff_page()), Check("POST", "/notifications/", staff_page(302))],
    "security/": [
        Check("GET", "/security/", staff_page()),
        Check("POST", "/security/", with_capability(Capability.USE_API), data={"action": "issue", "name": "matrix"}),
    ],
    "staff/": [Check("GET", "/staff/", with_capability(Capability.MANAGE_USERS))],
    "staff/export.csv": [Check("GET", "/staff/export.csv", with_capability(Capability.MANAGE_USERS))],
    "api/v1/staff": [Check("GET", "/api/v1/staff", with_capability(Capability.MANAGE_USERS, anon=API_UNAUTHENTICATED))],
    "language/": [Check("POST", "/language/", everyone(302), data={"language": "en", "next": "/"})],
    "healthz": [Check("GET", "/healthz", everyone(200))],
    "api/v1/": [Check("GET", "/api/v1/", everyone(404))],  # ninja's root: nothing to see
    "api/v1/openapi.json": [Check("GET", "/api/v1/openapi.json", staff_page())],
    "api/v1/docs": [Check("GET", "/api/v1/docs", staff_page())],
    "api/v1/me": [Check("GET", "/api/v1/me", staff_api())],
    "api/v1/notifications": [Check("GET", "/api/v1/notifications", staff_api())],
    "api/v1/notifications/<notification_id>/read": [
        Check("POST", "/api/v1/notifications/999999/read", staff_api(404)),  # not theirs = not found
    ],
    "api/v1/tokens": [
        Check("GET", "/api/v1/tokens", staff_api()),
        Check("POST", "/api/v1/tokens", with_capability(Capability.USE_API, 201, anon=401), data={"name": "matrix"}, json=True),
    ],
    "api/v1/tokens/<token_id>": [Check("DELETE", "/api/v1/tokens/999999", staff_api(404))],
    "api/v1/reference/regions": [Check("GET", "/api/v1/reference/regions", staff_api())],
    "api/v1/reference/regions/<iso>/districts": [Check("GET", "/api/v1/reference/regions/KZ-75/districts", staff_api())],
    # The case registry's API: a valid report (201) from whoever may register; a case id nobody holds is
    # "not found" for every role that may ask; analysts never get a case (DESIGN §5).
    "api/v1/reports": [
        Check("POST", "/api/v1/reports", with_capability(Capability.REGISTER_REPORT, 201, anon=API_UNAUTHENTICATED), data=MATRIX_REPORT, json=True),
        Check("GET", "/api/v1/reports", everyone(405)),
    ],
    "api/v1/cases": [Check("GET", "/api/v1/cases", with_capability(Capability.WORK_CASES, anon=API_UNAUTHENTICATED))],
    "api/v1/cases/<case_id>": [Check("GET", "/api/v1/cases/999999", {**staff_api(404), Role.ANALYST.value: 403})],
    "api/v1/cases/<case_id>/state": [
        Check("POST", "/api/v1/cases/999999/state", with_capability(Capability.WORK_CASES, 404, anon=API_UNAUTHENTICATED),
              data={"to_state": "closed", "reason": "matrix", "version": 1}, json=True),
    ],
    "api/v1/cases/<case_id>/break-glass": [
        Check("POST", "/api/v1/cases/999999/break-glass", with_capability(Capability.BREAK_GLASS, 404, anon=API_UNAUTHENTICATED),
              data={"justification": "an emergency call from her"}, json=True),
    ],
    "api/v1/cases/<case_id>/safe-contact": [
        Check("GET", "/api/v1/cases/999999/safe-contact", {**staff_api(404), Role.ANALYST.value: 403}),
        Check("PUT", "/api/v1/cases/999999/safe-contact", with_capability(Capability.WORK_CASES, 404, anon=API_UNAUTHENTICATED),
              data={"may_call": True}, json=True),
    ],
    "api/v1/search": [
        Check("GET", "/api/v1/search?number=C-2000-0000000", with_capability(Capability.WORK_CASES, anon=API_UNAUTHENTICATED)),
    ],
    # The case registry's pages. A case id nobody holds is "not found" for every role that may ask.
    "cases/": [Check("GET", "/cases/", with_capability(Capability.WORK_CASES))],
    "cases/register/": [
        Check("GET", "/cases/register/", with_capability(Capability.REGISTER_REPORT)),
        Check("POST", "/cases/register/", with_capability(Capability.REGISTER_REPORT)),  # empty: field errors, 200
    ],
    "cases/districts/": [Check("GET", "/cases/districts/?region=KZ-75", with_capability(Capability.REGISTER_REPORT))],
    "cases/search/": [
        Check("GET", "/cases/search/", with_capability(Capability.WORK_CASES)),
        Check("GET", "/cases/search/?number=C-2000-0000000", with_capability(Capability.WORK_CASES)),
    ],
    "cases/<int:case_id>/": [Check("GET", "/cases/999999/", staff_page(404))],
    "cases/<int:case_id>/state/": [
        Check("POST", "/cases/999999/state/", with_capability(Capability.WORK_CASES, 404), data={"version": "1", "to_state": "closed", "reason": "x"}),
        Check("GET", "/cases/999999/state/", with_capability(Capability.WORK_CASES, 405)),
    ],
    "cases/<int:case_id>/correct/": [
        Check("POST", "/cases/999999/correct/", with_capability(Capability.WORK_CASES, 404), data={"version": "1", "relationship": "spouse", "reason": "x"}),
    ],
    "cases/<int:case_id>/safe-contact/": [
        Check("POST", "/cases/999999/safe-contact/", with_capability(Capability.WORK_CASES, 404), data={"may_call": "on"}),
    ],
    "cases/<int:case_id>/break-glass/": [
        Check("GET", "/cases/999999/break-glass/", with_capability(Capability.BREAK_GLASS, 404)),
        Check("POST", "/cases/999999/break-glass/", with_capability(Capability.BREAK_GLASS, 404), data={"justification": "an emergency call"}),
    ],
    # Sharing a case with a unit: the gate first (404 for a case one may not see), then the
    # supervisor's or oversight's right (403); tested with real cases in tests/cases/test_add_unit.py.
    "cases/<int:case_id>/units/": [
        Check("POST", "/cases/999999/units/", staff_page(404), data={"unit": "1", "scope": "worker", "justification": "x"}),
        Check("GET", "/cases/999999/units/", staff_page(405)),
    ],
    # Machine clients only: a staff session is not a machine credential.
    "api/v1/machine/whoami": [Check("GET", "/api/v1/machine/whoami", everyone(401))],
    # Attachments: the case's access gate comes first, so a case or file one may not see is 404 for all.
    "cases/<int:case_id>/attachments/": [
        Check("POST", "/cases/999999/attachments/", staff_page(404)),
        Check("GET", "/cases/999999/attachments/", staff_page(405)),
    ],
    "cases/attachments/<int:attachment_id>/": [Check("GET", "/cases/attachments/999999/", staff_page(404))],
    # Bulk import: a supervisor who registers reports (both capabilities). A POST without a file: 422.
    "cases/import/": [
        Check("GET", "/cases/import/", {ANON: LOGIN_REDIRECT, **{
            r.value: 200 if {Capability.REGISTER_REPORT, Capability.SUPERVISE_UNIT} <= ROLE_CAPABILITIES[r] else 403 for r in Role
        }}),
        Check("POST", "/cases/import/", {ANON: LOGIN_REDIRECT, **{
            r.value: 422 if {Capability.REGISTER_REPORT, Capability.SUPERVISE_UNIT} <= ROLE_CAPABILITIES[r] else 403 for r in Role
        }}),
    ],
    # The review queue and the link history: the data-quality role only; a missing item is 404.
    "cases/review/": [Check("GET", "/cases/review/", with_capability(Capability.REVIEW_MATCHES))],
    "cases/review/<int:review_id>/": [
        Check("GET", "/cases/review/999999/", with_capability(Capability.REVIEW_MATCHES, 404)),
        Check("POST", "/cases/review/999999/", with_capability(Capability.REVIEW_MATCHES, 404), data={"decision": "same"}),
    ],
    "cases/links/": [Check("GET", "/cases/links/", with_capability(Capability.REVIEW_MATCHES))],
    "cases/links/<int:link_id>/undo/": [
        Check("GET", "/cases/links/999999/undo/", with_capability(Capability.REVIEW_MATCHES, 404)),
        Check("POST", "/cases/links/999999/undo/", with_capability(Capability.REVIEW_MATCHES, 404), data={"reason": "a wrong link, checked"}),
    ],
}

# Each area of the risk app keeps its rows beside its tests; they join the one matrix here.
from tests.accounts import matrix_notifications  # noqa: E402
from tests.analytics import matrix_dashboard, matrix_note, matrix_scenarios, matrix_strategy  # noqa: E402
from tests.conferences import matrix as matrix_conferences  # noqa: E402
from tests.intake import matrix as matrix_intake  # noqa: E402
from tests.monitoring import matrix as matrix_monitoring  # noqa: E402
from tests.orders import matrix as matrix_orders  # noqa: E402
from tests.orders import matrix_court  # noqa: E402
from tests.privacy import matrix as matrix_privacy  # noqa: E402
from tests.programmes import matrix as matrix_programmes  # noqa: E402
from tests.protocols import matrix as matrix_protocols  # noqa: E402
from tests.protocols import matrix_admin as matrix_protocol_admin  # noqa: E402
from tests.public import matrix as matrix_public  # noqa: E402
from tests.risk import matrix_assess, matrix_safety_plan, matrix_validation  # noqa: E402
from tests.shelters import matrix as matrix_shelters  # noqa: E402
from tests.support import matrix as matrix_support  # noqa: E402
from tests.training import matrix as matrix_training  # noqa: E402
from tests.watch import matrix as matrix_watch  # noqa: E402

for _area in (matrix_assess, matrix_safety_plan, matrix_validation, matrix_orders, matrix_protocols, matrix_notifications, matrix_court,
              matrix_conferences, matrix_protocol_admin, matrix_training, matrix_shelters, matrix_public,
              matrix_support, matrix_programmes, matrix_intake, matrix_monitoring, matrix_watch, matrix_privacy):
    MATRIX.update(_area.ROWS)
for _rows in (matrix_dashboard.DASHBOARD_ROWS, matrix_strategy.STRATEGY_ROWS, matrix_scenarios.SCENARIO_ROWS, matrix_note.NOTE_ROWS):
    MATRIX.update(_rows)
