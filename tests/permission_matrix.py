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
    data: dict[str, str] = field(default_factory=dict)
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
        Check("POST", "/api/v1/tokens", {ANON: 401, **{r.value: 201 for r in Role}}, data={"name": "matrix"}, json=True),
    ],
    "api/v1/tokens/<token_id>": [Check("DELETE", "/api/v1/tokens/999999", staff_api(404))],
    "api/v1/reference/regions": [Check("GET", "/api/v1/reference/regions", staff_api())],
    "api/v1/reference/regions/<iso>/districts": [Check("GET", "/api/v1/reference/regions/KZ-75/districts", staff_api())],
    # Machine clients only: a staff session is not a machine credential.
    "api/v1/machine/whoami": [Check("GET", "/api/v1/machine/whoami", everyone(401))],
}
