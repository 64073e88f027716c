"""The case page's card of the offender's programmes: the case's enrolments with progress and
status, and "Enrol in a programme" for court staff or probation when the case has a court decision."""

from __future__ import annotations

from typing import Any

from qorgau.accounts.masks import Viewer
from qorgau.accounts.models import User
from qorgau.cases.models import Case
from qorgau.programmes.selectors import case_decisions, case_enrolments, may_enrol, progress_of


def programmes_context(user: User, case: Case, viewer: Viewer) -> dict[str, Any]:
    enrolments = case_enrolments(case)
    progress = progress_of(enrolments)
    for e in enrolments:
        e.progress = progress.get(e.pk)  # type: ignore[attr-defined]
    can_enrol = may_enrol(user) and case.merged_into_id is None
    decisions = case_decisions(case) if can_enrol else []
    return {
        "programmes_shown": bool(enrolments) or bool(decisions),
        "programme_enrolments": enrolments,
        "programmes_can_enrol": can_enrol and bool(decisions),
    }
