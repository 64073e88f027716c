"""Low-level writes on a case that several services share: grants, timeline events, handing a case
to internal oversight. Callers audit and hold the transaction."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import Unit, User
from qorgau.cases.models import Case, CaseEvent, Grant, GrantReason
from qorgau.core import clock


def record_number(prefix: str, pk: int, at: dt.datetime) -> str:
    """A report's or case's number: ``R-2026-0000300``, ``C-2026-0000262`` (year of registration, id)."""
    return f"{prefix}-{at.year}-{pk:07d}"


def oversight_units() -> list[Unit]:
    return list(Unit.objects.filter(kind_id="oversight", is_active=True))


def grant_add(case: Case, unit: Unit, reason: str, scope: Scope, *, by: User | None, until: dt.datetime | None = None, why: str = "") -> Grant:
    return Grant.objects.create(
        case=case, unit=unit, reason=reason, scope=scope, granted_by=by, since=clock.now(), until=until, justification=why
    )


def event_add(case: Case, kind: str, actor: User | None, **kw: object) -> CaseEvent:
    return CaseEvent.objects.create(case=case, at=clock.now(), kind=kind, actor=actor, unit=actor.unit if actor else None, **kw)


def case_restrict(case: Case, actor: User | None) -> None:
    """Hand the case to internal oversight: every other grant ends now."""
    at = clock.now()
    case.restricted = True
    case.save(update_fields=["restricted"])
    oversight = oversight_units()
    Grant.objects.filter(case=case).exclude(unit__in=oversight).filter(Q(until__isnull=True) | Q(until__gt=at)).update(until=at)
    for unit in oversight:
        if not Grant.objects.filter(case=case, unit=unit, until__isnull=True).exists():
            grant_add(case, unit, GrantReason.OVERSIGHT, Scope.FULL, by=actor)
