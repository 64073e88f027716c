"""Helpers of part C's monitoring tests: English messages, an episode and its alert on the
``monitored`` fixture, a court clerk with a grant on the case."""

from __future__ import annotations

import datetime as dt

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import User
from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.monitoring.alerts import alert_raise
from qorgau.monitoring.models import Alert, ConditionKind, Episode
from tests.monitoring.conftest import Monitored
from tests.orders.support import court_unit, grant


def raise_alert(m: Monitored, kind: str = ConditionKind.PROXIMITY, *, at: dt.datetime | None = None) -> Alert:
    at = at or clock.now()
    if kind == ConditionKind.PROXIMITY:
        subject, extra = f"proximity:{m.bracelet.pk}:{m.victim_device.pk}", {"counterpart": m.victim_device}
    elif kind == ConditionKind.ZONE:
        subject, extra = f"zone:{m.bracelet.pk}:{m.zone.pk}", {"zone": m.zone}
    else:
        subject, extra = f"{kind}:{m.bracelet.pk}", {}
    episode = Episode.objects.create(kind=kind, subject=subject, offender_set=m.offender_set, device=m.bracelet, started_at=at, **extra)
    return alert_raise(episode=episode, received_at=at)


def court_staff(make_user, m: Monitored, role: Role = Role.JUDGE, scope: Scope = Scope.FULL) -> User:
    from qorgau.accounts.models import Unit

    court = Unit.objects.filter(kind_id="court").first() or court_unit()
    grant(m.case, court, scope)
    return make_user(role, unit=court)
