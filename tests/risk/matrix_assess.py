"""Permission-matrix rows of the assessment routes; tests/permission_matrix.py merges them into MATRIX.

Case-bound routes pass the case gate first: an id nobody holds is 404 for every signed-in role (the
same answer as a case one may not see). The queue needs ASSESS_RISK; instruments MANAGE_REFERENCE.
"""

from __future__ import annotations

from qorgau.accounts.roles import Capability, Role
from tests.permission_matrix import API_UNAUTHENTICATED, Check, staff_api, staff_page, with_capability

ROWS: dict[str, list[Check]] = {
    "risk/due/": [Check("GET", "/risk/due/", with_capability(Capability.ASSESS_RISK))],
    "risk/case/<int:case_id>/assess/": [
        Check("GET", "/risk/case/999999/assess/", staff_page(404)),
        Check("POST", "/risk/case/999999/assess/", staff_page(404), data={"version": "1"}),
    ],
    "risk/case/<int:case_id>/measures/": [
        Check("POST", "/risk/case/999999/measures/", staff_page(404), data={"measure": "safety_plan", "status": "applied"}),
        Check("GET", "/risk/case/999999/measures/", staff_page(405)),
    ],
    "risk/assessments/<int:assessment_id>/": [
        Check("GET", "/risk/assessments/999999/", staff_page(404)),
        Check("POST", "/risk/assessments/999999/", staff_page(404), data={"row_version": "1", "action": "save"}),
    ],
    "risk/assessments/<int:assessment_id>/level/": [
        Check("POST", "/risk/assessments/999999/level/", staff_page(404), data={"to_level": "high", "reason": "matrix check"}),
        Check("GET", "/risk/assessments/999999/level/", staff_page(405)),
    ],
    "risk/instruments/": [Check("GET", "/risk/instruments/", with_capability(Capability.MANAGE_REFERENCE))],
    "risk/instruments/<int:version_id>/": [
        Check("GET", "/risk/instruments/999999/", with_capability(Capability.MANAGE_REFERENCE, 404)),
        Check("POST", "/risk/instruments/999999/", with_capability(Capability.MANAGE_REFERENCE, 404)),
    ],
    # The API: analysts never read a case (403); assessing needs ASSESS_RISK before the gate's 404.
    "api/v1/cases/<case_id>/risk": [Check("GET", "/api/v1/cases/999999/risk", {**staff_api(404), Role.ANALYST.value: 403})],
    "api/v1/cases/<case_id>/risk/assessments": [
        Check("POST", "/api/v1/cases/999999/risk/assessments", with_capability(Capability.ASSESS_RISK, 404, anon=API_UNAUTHENTICATED),
              data={"version_id": 1, "answers": {}}, json=True),
    ],
    "api/v1/risk/due": [Check("GET", "/api/v1/risk/due", with_capability(Capability.ASSESS_RISK, anon=API_UNAUTHENTICATED))],
    "api/v1/risk/instruments": [Check("GET", "/api/v1/risk/instruments", with_capability(Capability.ASSESS_RISK, anon=API_UNAUTHENTICATED))],
}
