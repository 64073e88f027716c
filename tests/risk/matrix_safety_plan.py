"""Permission-matrix rows of these risk routes; tests/permission_matrix.py merges them into MATRIX."""

from __future__ import annotations

from tests.permission_matrix import Check, staff_page

# Her safety plan: the case's gate comes first, so a case nobody holds is "not found" for every
# signed-in role, whatever it may do; tested with real cases in tests/risk/test_views_safety_plan.py.
ROWS: dict[str, list[Check]] = {
    "risk/case/<int:case_id>/safety-plan/": [
        Check("GET", "/risk/case/999999/safety-plan/", staff_page(404)),
        Check("POST", "/risk/case/999999/safety-plan/", staff_page(404), data={"language": "kk", "steps": "matrix"}),
    ],
    "risk/case/<int:case_id>/safety-plan/print/": [
        Check("GET", "/risk/case/999999/safety-plan/print/?lang=kk", staff_page(404)),
        Check("POST", "/risk/case/999999/safety-plan/print/", staff_page(405)),
    ],
}
