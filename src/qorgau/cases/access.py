"""The one access gate of the case aggregate (DESIGN §3, §5).

A user sees a case through a live grant held by their unit. ``case_get_for`` raises ``NotFound``
alike for a missing case and one the user may not see, and records the read in the audit log.
Restricted cases (the offender is staff) are granted only to oversight units and the unit they name
to investigate; they appear in no search, flag or break-glass elsewhere.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import Scope, Sensitivity, Viewer
from qorgau.accounts.models import Unit, User
from qorgau.accounts.roles import NO_GRANT_ROLES, Role
from qorgau.cases.models import Case, Grant
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import NotFound
from qorgau.core.models import AuditAction
from qorgau.core.sql_reads import attach, fetch, shape, starts, when
from qorgau.people.models import Person

SCOPE_ORDER = {Scope.CONSENT: 0, Scope.WORKER: 1, Scope.FULL: 2}


def in_force(at: dt.datetime, prefix: str = "") -> Q:
    """A grant that has started and not yet ended at ``at`` (break-glass grants end by themselves);
    ``prefix`` reaches the grant from another model (``"grants__"`` from a case)."""
    return Q(**{f"{prefix}since__lte": at}) & (Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gt": at}))


def in_force_sql(alias: str) -> str:
    """``in_force`` for a hand-written statement (ADR 0018): the grant ``alias`` is in force at the
    time given twice as parameters."""
    return f"{alias}.since <= %s AND ({alias}.until IS NULL OR {alias}.until > %s)"


def grants_in_force() -> QuerySet[Grant]:
    return Grant.objects.filter(in_force(clock.now()))


def granting_unit(actor: User) -> int | None:
    """The unit through whose grants the actor reaches cases; None for a user who reaches none that
    way (analysts, the data-protection officer, a user without a unit)."""
    return None if Role(actor.role) in NO_GRANT_ROLES else actor.unit_id


def working_grants() -> QuerySet[Grant]:
    """Grants in force with their units, oldest first: the units working on a case."""
    return grants_in_force().select_related("unit").order_by("since", "pk")


def live_grants(actor: User) -> QuerySet[Grant]:
    unit = granting_unit(actor)
    if unit is None:
        return Grant.objects.none()
    return grants_in_force().filter(unit_id=unit)


def held_by_unit(actor: User, scopes: list[Scope]) -> Q | None:
    """The cases the actor's unit holds a live grant of one of ``scopes`` on, as a join from the case
    (``cases_visible_to`` is a subquery instead). Give it to one ``filter()`` call: each call joins the
    grants anew. A case with two such grants comes twice; None for a user who holds no grants."""
    unit = granting_unit(actor)
    if unit is None:
        return None
    return Q(grants__unit_id=unit, grants__scope__in=scopes) & in_force(clock.now(), "grants__")


def cases_visible_to(actor: User) -> QuerySet[Case]:
    return Case.objects.filter(pk__in=live_grants(actor).values("case_id"))


def _widest(scopes: list[Scope]) -> Scope | None:
    return max(scopes, key=SCOPE_ORDER.__getitem__) if scopes else None


def scope_for(actor: User, case: Case) -> Scope | None:
    return _widest([Scope(s) for s in live_grants(actor).filter(case=case).values_list("scope", flat=True)])


def _scope_among(actor: User, grants: list[Grant]) -> Scope | None:
    """``scope_for`` from the case's grants in force, already read (``Case.grants_read``)."""
    unit = granting_unit(actor)
    return None if unit is None else _widest([Scope(g.scope) for g in grants if g.unit_id == unit])


def _case_with_grants(case_id: int) -> tuple[Case, list[Grant]] | None:
    """The case with its victim, offender and holding unit, and its grants in force with their units
    (oldest first) as ``case.grants_read``: one hand-written statement, since every case view asks it
    (core.sql_reads, ADR 0018); the ORM would take two and compile both."""
    c, v, o, u, g, gu = (
        shape(Case, "c"), shape(Person, "v"), shape(Person, "o"), shape(Unit, "u"), shape(Grant, "g"), shape(Unit, "gu")
    )
    now = when(clock.now())
    found = fetch(
        f"""
        SELECT {c.sql}, {v.sql}, {o.sql}, {u.sql}, {g.sql}, {gu.sql}
        FROM cases_case c
          JOIN people_person v ON v.id = c.victim_id
          JOIN people_person o ON o.id = c.offender_id
          JOIN accounts_unit u ON u.id = c.holding_unit_id
          LEFT JOIN cases_grant g ON g.case_id = c.id AND {in_force_sql("g")}
          LEFT JOIN accounts_unit gu ON gu.id = g.unit_id
        WHERE c.id = %s
        ORDER BY g.since, g.id
        """,  # noqa: S608 - column lists of the models only
        [now, now, case_id],
    )
    if not found:
        return None
    at = starts(c, v, o, u, g, gu)
    first = found[0]
    case = c.build(first, at[0])
    attach(case, victim=v.build(first, at[1]), offender=o.build(first, at[2]), holding_unit=u.build(first, at[3]))
    grants = []
    for row in found:
        grant = g.build(row, at[4])
        if grant is not None:
            attach(grant, unit=gu.build(row, at[5]))
            grants.append(grant)
    case.grants_read = grants  # read by selectors.case_workers
    return case, grants


def case_get_for(actor: User, case_id: int, *, request: HttpRequest | None = None) -> tuple[Case, Viewer]:
    """The case and the viewer the mask layer needs; NotFound for missing and forbidden alike.

    The case's grants in force (with their units, oldest first) come with it as ``case.grants_read``:
    the gate's scope is taken from them and the page's list of working units reuses them
    (``selectors.case_workers``), one statement for both."""
    read = _case_with_grants(case_id)
    case, scope = (read[0], _scope_among(actor, read[1])) if read is not None else (None, None)
    if case is None or scope is None:
        audit_record(actor=actor, action=AuditAction.DENIED, target_type="case", target_id=case_id, request=request, outcome="refused")
        raise NotFound()
    audit_record(actor=actor, action=AuditAction.READ, target_type="case", target_id=case.pk, request=request)
    consented: frozenset[Sensitivity] = frozenset()
    if scope is Scope.CONSENT:
        # A referral's unit sees what her recorded consent covers (DESIGN §5, §10).
        from qorgau.protocols.consent import consented_for

        consented = consented_for(actor.unit_id, case.pk)
    return case, viewer_for(actor, scope=scope, consented=consented)


def case_get_by_number_for(actor: User, number: str, *, request: HttpRequest | None = None) -> tuple[Case, Viewer]:
    case_id = Case.objects.filter(number=number.strip().upper()).values_list("pk", flat=True).first()
    if case_id is None:
        audit_record(actor=actor, action=AuditAction.DENIED, target_type="case", term=number, request=request, outcome="refused")
        raise NotFound()
    return case_get_for(actor, case_id, request=request)
