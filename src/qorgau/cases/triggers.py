"""Where the registry's events meet the protocol engine (DESIGN §3: explicit calls, no signals).

Each function runs inside its caller's transaction and names the event by a key, so firing again
(an import re-run, a retried request) creates no task twice (``protocols.engine.fire``).
"""

from __future__ import annotations

from qorgau.accounts.models import User
from qorgau.cases.models import Case, Incident, PartyRole, Relationship


def _fire(*, trigger: str, case: Case, actor: User | None, key: str, level: str | None = None) -> None:
    # Imported here: the protocols app reads cases' models, and cases must not import it at load.
    from qorgau.protocols.engine import fire

    fire(trigger=trigger, case=case, actor=actor, key=key, level=level)


def child_involved(case: Case, incident: Incident) -> bool:
    """Children saw or suffered it, or the victim is a child (her parent is the offender, or marked minor)."""
    return (
        incident.children_present
        or incident.children_harmed
        or incident.parties.filter(role=PartyRole.CHILD_WITNESS).exists()
        or case.relationship == Relationship.PARENT
        or case.markers.filter(code="minor").exists()
    )


def report_registered(*, actor: User, case: Case, incident: Incident, report_id: int) -> None:
    key = f"report:{report_id}"
    _fire(trigger="report_registered", case=case, actor=actor, key=key)
    if child_involved(case, incident):
        _fire(trigger="child_involved", case=case, actor=actor, key=key)


def case_closing(*, actor: User, case: Case) -> None:
    _fire(trigger="case_closing", case=case, actor=actor, key=f"closing:{case.pk}:{case.version}")


def level_changed(*, actor: User, case: Case, before: str | None, after: str, key: str) -> None:
    """Every signed level is ``level_set``; a higher one than before (or a first) is ``level_raised``."""
    from qorgau.risk.models import LEVEL_RANK, Level

    _fire(trigger="level_set", case=case, actor=actor, key=key, level=after)
    if before is None or LEVEL_RANK[Level(after)] > LEVEL_RANK[Level(before)]:
        _fire(trigger="level_raised", case=case, actor=actor, key=key, level=after)
