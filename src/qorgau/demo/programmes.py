"""Demo offender programmes: a catalogue in Almaty (the demo correction-programme unit and the
probation service) and three enrolments from court decisions on demo cases of the Almaly police —
one completed, one attending, one non-compliant (which fires ``programme_noncompliance``: court
and police tasks).

Court decisions already on a case (the orders demo) are reused; where a case has none, the demo
``clerk`` records one through ``orders.court.court_decision_record`` (a case the court holds no
grant on gets a supervisor's grant for the court first). The history is written with the project
clock held at each step, never ahead of now.

Call after ``seed_demo``, the cases and ``orders`` demo (before the analytics):
``programmes_seed()``; safe to run again (nothing is made when an enrolment exists).
"""

from __future__ import annotations

import datetime as dt

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import Unit, User
from qorgau.cases.access import scope_for
from qorgau.cases.ledger import grant_add
from qorgau.cases.models import Case, GrantReason
from qorgau.core import clock
from qorgau.orders.court import court_decision_record
from qorgau.orders.models import CourtDecision, DecisionKind
from qorgau.programmes.models import Enrolment, Programme
from qorgau.programmes.services import ProgrammeInput, enrolment_create, programme_create, session_record

_CATALOGUE = [
    # (unit, kind, kk, ru, en, sessions, flags)
    ("programme", "psychological", "Психологиялық түзету бағдарламасы", "Программа психологической коррекции",
     "Psychological correction programme", 12, {"lang_en": True, "serves_migrants": True}),
    ("programme", "anger", "Ашуды басқару", "Управление гневом", "Anger management", 8, {"serves_ethnic": True}),
    ("programme", "substance", "Алкогольге тәуелділікті емдеу", "Лечение алкогольной зависимости", "Alcohol treatment", 10,
     {"serves_disabilities": True}),
    ("probation", "parenting", "Жауапты әке болу", "Ответственное отцовство", "Responsible fatherhood", 6, {}),
]


def _catalogue(units: dict[str, Unit]) -> list[Programme]:
    made = []
    for who, kind, kk, ru, en, sessions, flags in _CATALOGUE:
        unit = units.get(who)
        if unit is None or Programme.objects.filter(unit=unit, name_en=en).exists():
            continue
        made.append(programme_create(actor=None, unit=unit, data=ProgrammeInput(
            kind=kind, name_kk=kk, name_ru=ru, name_en=en, sessions_required=sessions,
            flags={"lang_kk": True, "lang_ru": True, "active": True, **flags})))
    return made


def _decision(clerk: User, case: Case, n: int) -> CourtDecision:
    found = CourtDecision.objects.filter(case=case).order_by("-decided_on", "-id").first()
    if found is not None:
        return found
    assert clerk.unit is not None
    if scope_for(clerk, case) is None:
        grant_add(case, clerk.unit, GrantReason.SUPERVISOR, Scope.WORKER, by=None, why="demo")
    day = clock.local(clock.now(), clerk.unit.timezone).date()
    return court_decision_record(actor=clerk, case=case, kind=DecisionKind.ADMINISTRATIVE_PENALTY, decided_on=day,
                                 reference=f"7511-{day:%y}-00-4/{500 + n}")


def programmes_seed(*, clerk_username: str = "clerk", provider_username: str = "programme",
                    probation_username: str = "probation", police_username: str = "inspector", enrolments: bool = True) -> dict[str, int]:
    users = {u.username: u for u in User.objects.filter(username__in=[clerk_username, provider_username, probation_username,
                                                                        police_username]).select_related("unit")}
    units = {key: users[name].unit for key, name in (("programme", provider_username), ("probation", probation_username))
             if name in users and users[name].unit is not None}
    made = _catalogue(units)
    counts = {"programmes": len(made), "enrolments": 0}
    clerk, provider, police = users.get(clerk_username), users.get(provider_username), users.get(police_username)
    if not enrolments or clerk is None or provider is None or police is None or Enrolment.objects.exists():
        return counts
    programme = Programme.objects.filter(unit=provider.unit, kind="anger").first()
    if programme is None:
        return counts
    cases = list(Case.objects.filter(holding_unit=police.unit, merged_into__isnull=True, restricted=False).order_by("id")[:3])
    now = clock.now()
    zone = provider.unit.timezone if provider.unit is not None else "Asia/Almaty"
    # (weeks ago enrolled, marks a/x/n weekly): completed, attending, non-compliant
    plans = [(10, "a" * programme.sessions_required), (5, "aaxa"), (6, "annn")]
    for n, (case, (weeks, marks)) in enumerate(zip(cases, plans, strict=False)):
        decision = _decision(clerk, case, n)
        start = now - dt.timedelta(weeks=weeks)
        with clock.frozen(start):
            e = enrolment_create(actor=clerk, case=case, decision_id=decision.pk, programme_id=programme.pk,
                                 deadline=start.date() + dt.timedelta(weeks=16))
        for i, mark in enumerate(marks):
            at = start + dt.timedelta(days=1 + 7 * i, hours=2)
            if at > now:
                break
            with clock.frozen(at):
                e.refresh_from_db()
                session_record(actor=provider, enrolment_id=e.pk, version=e.version, held_on=clock.local(at, zone).date(),
                               attendance={"a": "attended", "x": "excused", "n": "absent"}[mark])
        counts["enrolments"] += 1
    return counts
