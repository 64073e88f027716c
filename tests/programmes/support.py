"""Builders of the programme tests: a programme, an enrolment, sessions on consecutive days."""

from __future__ import annotations

import datetime as dt

from qorgau.accounts.models import Unit, User
from qorgau.cases.models import Case
from qorgau.core import clock
from qorgau.orders.models import CourtDecision
from qorgau.programmes.models import Enrolment, Programme
from qorgau.programmes.services import ProgrammeInput, enrolment_create, programme_create, session_record


def local_today() -> dt.date:
    """Today where the programmes' units are (Asia/Almaty): the services date sessions and deadlines
    in the unit's zone, so a test that took the UTC date failed between 19:00 and 24:00 UTC."""
    return clock.local(clock.now(), "Asia/Almaty").date()


def make_programme(unit: Unit, *, sessions_required: int = 12, kind: str = "anger", region: str = "", **flags: bool) -> Programme:
    return programme_create(actor=None, unit=unit, data=ProgrammeInput(
        kind=kind, name_kk="Ашуды басқару", name_ru="Управление гневом", name_en="Anger management", sessions_required=sessions_required,
        region=region, flags={"lang_kk": True, "lang_ru": True, "active": True, **flags}))


def enrol(actor: User, case: Case, decision: CourtDecision, programme: Programme, *, days_ago: int = 20, **kw) -> Enrolment:
    """Enrolled ``days_ago`` days ago (so that sessions can be recorded on the days since)."""
    kw.setdefault("deadline", local_today() + dt.timedelta(days=90))
    with clock.frozen(clock.now() - dt.timedelta(days=days_ago)):
        return enrolment_create(actor=actor, case=case, decision_id=decision.pk, programme_id=programme.pk, **kw)


def sessions(actor: User, enrolment: Enrolment, marks: str, *, start: dt.date | None = None) -> Enrolment:
    """Record a session per letter of ``marks`` (a attended, x excused, n absent) on consecutive days
    ending today at the latest."""
    day = start or local_today() - dt.timedelta(days=len(marks) - 1)
    codes = {"a": "attended", "x": "excused", "n": "absent"}
    for i, m in enumerate(marks):
        enrolment.refresh_from_db()
        session_record(actor=actor, enrolment_id=enrolment.pk, version=enrolment.version, held_on=day + dt.timedelta(days=i),
                       attendance=codes[m])
    enrolment.refresh_from_db()
    return enrolment
