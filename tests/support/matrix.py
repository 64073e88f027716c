"""Permission-matrix rows of the support routes; tests/permission_matrix.py merges them into MATRIX.

The provider's queue and the catalogue are for every signed-in role (the queue lists only referrals
to the user's own unit); a referral or programme id nobody has is 404 for all; a case's support page
needs SUPPORT_VICTIMS or WORK_CASES (403 otherwise) and then the case gate (404 for a case nobody
holds); a new programme needs MANAGE_REFERENCE (or the supervisor of a provider unit, which the
matrix's police users are not); the figures need VIEW_AGGREGATES.
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

_CASE_WORK = {Capability.SUPPORT_VICTIMS, Capability.WORK_CASES}


def case_workers(status: int, *, anon: int = LOGIN_REDIRECT) -> dict[str, int]:
    return {ANON: anon, **{r.value: (status if _CASE_WORK & ROLE_CAPABILITIES[r] else 403) for r in Role}}


REFER = {"programme": "1", "consent_how": "phone", "identity": "on"}
MOVE = {"version": "1", "to": "accepted"}
PROGRAMME = {"kind": "employment", "name_kk": "a", "name_ru": "b", "name_en": "c", "lang_ru": "on", "unit": "999999"}

ROWS: dict[str, list[Check]] = {
    "support/": [Check("GET", "/support/", staff_page()), Check("POST", "/support/", staff_page(405))],
    "support/case/<int:case_id>/": [
        Check("GET", "/support/case/999999/", case_workers(404)),
        Check("POST", "/support/case/999999/", case_workers(404), data=REFER),
    ],
    "support/referrals/<int:referral_id>/": [
        Check("GET", "/support/referrals/999999/", staff_page(404)),
        Check("POST", "/support/referrals/999999/", staff_page(404), data=MOVE),
    ],
    "support/programmes/": [Check("GET", "/support/programmes/", staff_page()), Check("POST", "/support/programmes/", staff_page(405))],
    "support/programmes/new/": [
        Check("GET", "/support/programmes/new/", with_capability(Capability.MANAGE_REFERENCE)),
        # No unit has id 999999: 422 for the administrator.
        Check("POST", "/support/programmes/new/", with_capability(Capability.MANAGE_REFERENCE, 422), data=PROGRAMME),
    ],
    "support/programmes/<int:programme_id>/": [
        Check("GET", "/support/programmes/999999/", staff_page(404)),
        Check("POST", "/support/programmes/999999/", staff_page(404), data=PROGRAMME),
    ],
    "support/figures/": [Check("GET", "/support/figures/", with_capability(Capability.VIEW_AGGREGATES))],
    "api/v1/support/programmes": [Check("GET", "/api/v1/support/programmes", staff_api())],
    "api/v1/cases/<case_id>/support": [
        Check("GET", "/api/v1/cases/999999/support", case_workers(404, anon=API_UNAUTHENTICATED)),
        Check("POST", "/api/v1/cases/999999/support", case_workers(404, anon=API_UNAUTHENTICATED),
              data={"programme_id": 1, "consent_how": "phone"}, json=True),
    ],
    "api/v1/support/referrals/<referral_id>": [
        Check("GET", "/api/v1/support/referrals/999999", staff_api(404)),
        Check("PATCH", "/api/v1/support/referrals/999999", staff_api(404), data={"version": 1, "status": "accepted"}, json=True),
    ],
}
