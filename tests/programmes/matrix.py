"""Permission-matrix rows of the programmes routes; tests/permission_matrix.py merges them into MATRIX.

The provider's list and recording sessions need RUN_PROGRAMMES; an enrolment id nobody has is 404
for every staff role (the gate: the provider unit, or a unit holding the case); enrolling needs court
staff or probation (COURT_DECISIONS, or RUN_PROGRAMMES with WORK_CASES), then the case gate (404);
the catalogue is managed by administrators (MANAGE_REFERENCE) and the providers (RUN_PROGRAMMES).
"""

from __future__ import annotations

from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from tests.permission_matrix import (
    ANON,
    API_UNAUTHENTICATED,
    LOGIN_REDIRECT,
    Check,
    staff_api,
    staff_page,
    with_capability,
)

R = Capability.RUN_PROGRAMMES


def _enrollers(status: int, *, anon: int = LOGIN_REDIRECT) -> dict[str, int]:
    def may(role: Role) -> bool:
        caps = ROLE_CAPABILITIES[role]
        return Capability.COURT_DECISIONS in caps or (R in caps and Capability.WORK_CASES in caps)

    return {ANON: anon, **{r.value: (status if may(r) else 403) for r in Role}}


def _catalogue(status: int) -> dict[str, int]:
    def may(role: Role) -> bool:
        return bool({Capability.MANAGE_REFERENCE, R} & ROLE_CAPABILITIES[role])

    return {ANON: LOGIN_REDIRECT, **{r.value: (status if may(r) else 403) for r in Role}}


ENROL = {"decision_id": 1, "programme_id": 1, "deadline": "2099-01-01"}

ROWS: dict[str, list[Check]] = {
    "programmes/": [Check("GET", "/programmes/", with_capability(R)), Check("POST", "/programmes/", with_capability(R, 405))],
    "programmes/enrolments/<int:enrolment_id>/": [
        Check("GET", "/programmes/enrolments/999999/", staff_page(404)),
        Check("POST", "/programmes/enrolments/999999/", staff_page(405)),
    ],
    "programmes/enrolments/<int:enrolment_id>/sessions/": [
        Check("POST", "/programmes/enrolments/999999/sessions/", with_capability(R, 404),
              data={"version": "1", "held_on": "2026-01-01", "attendance": "attended"}),
        Check("GET", "/programmes/enrolments/999999/sessions/", with_capability(R, 405)),
    ],
    "programmes/enrolments/<int:enrolment_id>/outcome/": [
        Check("POST", "/programmes/enrolments/999999/outcome/", staff_page(404), data={"version": "1", "outcome": "completed"}),
        Check("GET", "/programmes/enrolments/999999/outcome/", staff_page(405)),
    ],
    "programmes/enrol/<int:case_id>/": [
        Check("GET", "/programmes/enrol/999999/", _enrollers(404)),
        Check("POST", "/programmes/enrol/999999/", _enrollers(404), data={"decision": "1", "programme": "1", "deadline": "2099-01-01"}),
    ],
    "programmes/catalogue/": [
        Check("GET", "/programmes/catalogue/", _catalogue(200)),
        Check("POST", "/programmes/catalogue/", _catalogue(422), data={"kind": "nonsense"}),
    ],
    "programmes/catalogue/<int:programme_id>/": [
        Check("GET", "/programmes/catalogue/999999/", _catalogue(404)),
        Check("POST", "/programmes/catalogue/999999/", _catalogue(404), data={"kind": "anger"}),
    ],
    "api/v1/programmes": [Check("GET", "/api/v1/programmes", staff_api())],
    "api/v1/cases/<case_id>/enrolments": [
        Check("POST", "/api/v1/cases/999999/enrolments", _enrollers(404, anon=API_UNAUTHENTICATED), data=ENROL, json=True),
    ],
    "api/v1/enrolments/<enrolment_id>": [Check("GET", "/api/v1/enrolments/999999", staff_api(404))],
    "api/v1/enrolments/<enrolment_id>/sessions": [
        Check("POST", "/api/v1/enrolments/999999/sessions", with_capability(R, 404, anon=API_UNAUTHENTICATED),
              data={"version": 1, "held_on": "2026-01-01", "attendance": "attended"}, json=True),
    ],
    "api/v1/enrolments/<enrolment_id>/outcome": [
        Check("POST", "/api/v1/enrolments/999999/outcome", staff_api(404), data={"version": 1, "outcome": "completed"}, json=True),
    ],
}
