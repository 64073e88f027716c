"""Builders for the conference tests: signed DASH assessments of a chosen score, incidents, breaches."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from qorgau.accounts.models import User
from qorgau.cases.models import Case, Incident
from qorgau.core import clock
from qorgau.orders.models import Breach
from qorgau.orders.services import OrderInput, breach_record, order_issue, order_serve
from qorgau.protocols.conferences import DecisionInput
from qorgau.protocols.models_conferences import Conference
from qorgau.risk.models import Assessment, InstrumentVersion
from qorgau.risk.services import assessment_save, assessment_sign, assessment_start
from tests.protocols.support import agency_unit, make_case  # noqa: F401  (re-exported)

# Items whose "yes" raises the homicide-risk flag (high becomes critical): left "no" for a plain score.
FLAG_ITEMS = {"strangulation", "threats_to_kill", "separation", "control_jealousy", "current_injury", "getting_worse", "weapons"}


def sign_dash(case: Case, actor: User, *, score: int, flag: bool = False) -> Assessment:
    """A signed DASH assessment with ``score`` "yes" answers (the flag items only when ``flag``)."""
    version = InstrumentVersion.objects.get(instrument__code="dash", status="published")
    codes = list(version.items.order_by("position").values_list("code", flat=True))
    plain = [c for c in codes if c not in FLAG_ITEMS]
    yes = set(plain[:score]) if not flag else {"strangulation", "threats_to_kill", *plain[: max(score - 2, 0)]}
    assert len(yes) == score
    a = assessment_start(actor=actor, case=case, version_id=version.pk)
    a = assessment_save(actor=actor, assessment=a, row_version=a.row_version, answers={c: "yes" if c in yes else "no" for c in codes})
    return assessment_sign(actor=actor, assessment=a, row_version=a.row_version)


def add_incident(case: Case, *, days_ago: int) -> Incident:
    at = clock.now()
    incident = Incident.objects.create(occurred_at=at - timedelta(days=days_ago), region_id="KZ-75", district_id="751110000",
                                       urban=True, physical=True, created_at=at)
    case.incidents.add(incident)
    return incident


def breach(case: Case, inspector: User) -> Breach:
    order = order_issue(actor=inspector, case=case, data=OrderInput(kind="police", protected_ids=[case.victim_id], starts_at=clock.now(),
                                                                    ban_contact=True))
    order = order_serve(actor=inspector, order=order, version=order.version)
    return breach_record(actor=inspector, order=order, occurred_at=clock.now(), what="Пришёл к её дому")


def reasons(conference: Conference) -> list[str]:
    return sorted(conference.grounds.values_list("reason", flat=True))


def decision(owner_id: int, *, text: str = "Посетить её дома", days: int = 3, details: str = "") -> DecisionInput:
    return DecisionInput(text=text, owner_id=owner_id, due_on=clock.now().date() + timedelta(days=days), details=details)


def soon(hours: int = 48) -> dt.datetime:
    return clock.now() + timedelta(hours=hours)
