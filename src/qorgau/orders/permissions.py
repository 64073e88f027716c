"""Who may do what with orders (DESIGN §1): police issue protective orders, courts set special
requirements and restraining measures and record decisions, any unit working on a case records a
breach. Each rule needs a working grant (full or worker) on the case besides the role's capability."""

from __future__ import annotations

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability, Role
from qorgau.orders.models import COURT_KINDS, Order, OrderKind

POLICE_ROLES = frozenset({Role.POLICE_INSPECTOR, Role.POLICE_SUPERVISOR})
WORKING = (Scope.FULL, Scope.WORKER)


def is_police(actor: User) -> bool:
    return actor.role in POLICE_ROLES and actor.can(Capability.WORK_CASES)


def may_issue(actor: User, scope: Scope | str | None, kind: str) -> bool:
    if scope not in WORKING:
        return False
    if kind == OrderKind.POLICE:
        return is_police(actor)
    return kind in COURT_KINDS and actor.can(Capability.COURT_DECISIONS)


def may_issue_any(actor: User, scope: Scope | str | None) -> list[OrderKind]:
    return [k for k in OrderKind if may_issue(actor, scope, k)]


def may_manage(actor: User, scope: Scope | str | None, order: Order) -> bool:
    """Extend or revoke: whoever may issue an order of its kind."""
    return may_issue(actor, scope, order.kind)


def may_serve(actor: User, scope: Scope | str | None, order: Order) -> bool:
    """The police serve every kind of order; a court may record that its own order was served."""
    return may_manage(actor, scope, order) or (scope in WORKING and is_police(actor))


def may_record_breach(actor: User, scope: Scope | str | None) -> bool:
    return actor.can(Capability.WORK_CASES) and scope in WORKING


def may_record_checkin(actor: User, scope: Scope | str | None) -> bool:
    return scope in WORKING and is_police(actor)


def may_record_court(actor: User, scope: Scope | str | None) -> bool:
    return actor.can(Capability.COURT_DECISIONS) and scope in WORKING


def is_investigator(actor: User) -> bool:
    """Police who may register a criminal case: a police role working cases in a police unit."""
    return is_police(actor) and actor.unit is not None and actor.unit.kind_id == "police"


def may_record_criminal(actor: User, scope: Scope | str | None) -> bool:
    """Record a criminal case or move it to court or discontinue it: the investigators and the courts."""
    return may_record_court(actor, scope) or (scope in WORKING and is_investigator(actor))


def may_see_court(actor: User, scope: Scope | str | None) -> bool:
    """The case's court page (hearings, criminal cases, decisions): whoever may record on it."""
    return may_record_criminal(actor, scope)
