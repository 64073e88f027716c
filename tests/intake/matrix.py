"""Permission-matrix rows of the intake routes; tests/permission_matrix.py merges them into MATRIX.

A centre's records are for roles that take women in (SHELTER_INTAKE or SUPPORT_VICTIMS; 403 for the
rest) and then the record gate (404 for a record of another unit — here, an id nobody has). What is
shared with a unit is listed for every staff role; a share id nobody has is 404 for all. Registering
through the API needs the matrix user's unit to be a centre (it is a police unit here: 403).
"""

from __future__ import annotations

from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from tests.permission_matrix import ANON, API_UNAUTHENTICATED, LOGIN_REDIRECT, Check, staff_api, staff_page

TAKES_IN = {Capability.SHELTER_INTAKE, Capability.SUPPORT_VICTIMS}


def takes_in(status: int = 200, *, denied: int = 403, anon: int = LOGIN_REDIRECT) -> dict[str, int]:
    return {ANON: anon, **{r.value: (status if TAKES_IN & ROLE_CAPABILITIES[r] else denied) for r in Role}}


API = API_UNAUTHENTICATED
RECORD = {"region": "KZ-75", "district": "", "children": "0"}

ROWS: dict[str, list[Check]] = {
    "intake/": [Check("GET", "/intake/", takes_in())],
    "intake/new/": [Check("GET", "/intake/new/", takes_in()), Check("POST", "/intake/new/", takes_in(422), data={"region": ""})],
    "intake/<int:record_id>/": [
        Check("GET", "/intake/999999/", takes_in(404)),
        Check("POST", "/intake/999999/", takes_in(404), data={**RECORD, "version": "1"}),
    ],
    "intake/<int:record_id>/share/": [
        Check("POST", "/intake/999999/share/", takes_in(404), data={"to_unit": "1", "purpose": "x", "how": "written", "shares": "identity"}),
    ],
    "intake/<int:record_id>/withdraw/": [Check("POST", "/intake/999999/withdraw/", takes_in(404), data={"share": "1"})],
    "intake/<int:record_id>/admit/": [Check("POST", "/intake/999999/admit/", takes_in(404), data={"kind": "women", "expected_days": "10"})],
    "intake/shared/": [Check("GET", "/intake/shared/", staff_page())],
    "intake/shared/<int:share_id>/": [Check("GET", "/intake/shared/999999/", staff_page(404))],
    "api/v1/intake/records": [
        Check("GET", "/api/v1/intake/records", takes_in(anon=API)),
        Check("POST", "/api/v1/intake/records", takes_in(403, anon=API), data={"region": "KZ-75"}, json=True),
    ],
    "api/v1/intake/records/<record_id>": [
        Check("GET", "/api/v1/intake/records/999999", takes_in(404, anon=API)),
        Check("PATCH", "/api/v1/intake/records/999999", takes_in(404, anon=API), data={"version": 1}, json=True),
    ],
    "api/v1/intake/records/<record_id>/shares": [
        Check("POST", "/api/v1/intake/records/999999/shares", takes_in(404, anon=API),
              data={"to_unit_id": 1, "purpose": "x", "how": "written", "shares": ["identity"]}, json=True),
    ],
    "api/v1/intake/shares/<share_id>/withdraw": [Check("POST", "/api/v1/intake/shares/999999/withdraw", takes_in(404, anon=API))],
    "api/v1/intake/shared/<share_id>": [Check("GET", "/api/v1/intake/shared/999999", staff_api(404))],
}
