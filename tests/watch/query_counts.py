"""Query counts of the watch's list pages (issue 10): imported by tests/core/test_query_counts.py, so
that its completeness test sees these routes as measured; the module itself is not collected twice."""

from __future__ import annotations

import datetime as dt
import itertools

from django.test import Client

from qorgau.accounts.masks import Scope
from qorgau.accounts.roles import Role
from qorgau.cases.ledger import grant_add
from qorgau.cases.models import GrantReason
from qorgau.core import clock
from qorgau.watch.models import AccessAlert, AlertKind
from tests.conftest import sign_in
from tests.core.query_pages import assert_flat, covers
from tests.protocols.support import make_case

_hours = itertools.count(1)


@covers("watch/", "watch/review/", "watch/review/export.csv")
def test_watch_pages(protocols, make_user):
    """The alert list with 2 and 12 alerts (users of the unit, reviewed and open); the access review and
    its CSV with 2 and 12 live grants and break-glass grants."""
    supervisor = make_user(Role.POLICE_SUPERVISOR, username="qc_watch_supervisor")
    inspector = make_user(Role.POLICE_INSPECTOR, username="qc_watch_inspector")
    client = sign_in(Client(), supervisor)
    case = make_case(inspector)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

    def alerts(n: int) -> None:
        for _ in range(n):
            start = base + dt.timedelta(hours=next(_hours))
            user = make_user(Role.POLICE_INSPECTOR)
            reviewed = next(_hours) % 2 == 0
            AccessAlert.objects.create(
                kind=AlertKind.DENIED, user=user, unit=user.unit, window_start=start, window_end=start + dt.timedelta(hours=1),
                count=25, threshold=20, created_at=clock.now(), reviewed_at=clock.now() if reviewed else None,
                reviewed_by=supervisor if reviewed else None,
            )

    def grants(n: int) -> None:
        for k in range(n):
            reason = GrantReason.BREAK_GLASS if k % 2 else GrantReason.SUPERVISOR
            grant_add(case, supervisor.unit, reason, Scope.WORKER, by=inspector, until=clock.now() + dt.timedelta(hours=4))

    assert_flat(client, "/watch/", alerts)
    assert_flat(client, "/watch/review/", grants)
    assert_flat(client, "/watch/review/export.csv", grants)
