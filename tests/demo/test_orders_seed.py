"""The demo's orders and court work: written through the services on the demo inspector's cases, in
the past (only hearings lie ahead), so that the orders cards, the sweep and the court docket have
something to show; the judge sees the breached cases through the court's duty; a second run adds nothing."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest

from qorgau.accounts.models import User
from qorgau.cases.access import cases_visible_to
from qorgau.cases.models import CaseEvent, Grant
from qorgau.cases.reference import markers_load
from qorgau.core import clock
from qorgau.core.models import AuditEvent
from qorgau.demo.orders import orders_seed
from qorgau.demo.risk_history import risk_history
from qorgau.demo.seed import seed_demo
from qorgau.demo.synthetic import generate
from qorgau.orders.models import (
    Breach,
    CheckIn,
    CourtDecision,
    CourtHearing,
    CriminalCase,
    CriminalCaseStatus,
    DecisionKind,
    HearingStatus,
    Order,
    OrderKind,
    OrderStatus,
)
from qorgau.orders.selectors import court_docket
from qorgau.orders.services import orders_sweep
from qorgau.protocols.definitions import protocols_load
from qorgau.protocols.models import Task
from qorgau.risk.instruments import instruments_load, policy_load

pytestmark = pytest.mark.django_db

ANCHOR = dt.datetime(2026, 3, 1, 12, 0, tzinfo=clock.UTC)
SEED = 2026
REPORTS = 132  # enough for six of the demo inspector's stories


@pytest.fixture
def demo(reference) -> None:
    markers_load()
    instruments_load()
    policy_load()
    protocols_load()
    seed_demo()


def _nothing_after(now: dt.datetime) -> None:
    today = now.date()
    assert not Order.objects.filter(issued_at__gt=now).exists()
    assert not Order.objects.filter(served_at__gt=now).exists() and not Order.objects.filter(revoked_at__gt=now).exists()
    assert not Order.objects.filter(expired_at__gt=now).exists()
    assert not Breach.objects.filter(occurred_at__gt=now).exists() and not Breach.objects.filter(recorded_at__gt=now).exists()
    assert not CheckIn.objects.filter(attended_at__gt=now).exists() and not CheckIn.objects.filter(missed_at__gt=now).exists()
    assert not CourtDecision.objects.filter(decided_on__gt=today).exists() and not CourtDecision.objects.filter(recorded_at__gt=now).exists()
    assert not CriminalCase.objects.filter(registered_on__gt=today).exists() and not CriminalCase.objects.filter(changed_at__gt=now).exists()
    assert not CourtHearing.objects.filter(scheduled_at__gt=now).exists()
    assert not CaseEvent.objects.filter(at__gt=now).exists() and not Task.objects.filter(created_at__gt=now).exists()
    assert not Grant.objects.filter(since__gt=now).exists()
    mine = AuditEvent.objects.filter(target_type__in=["order", "breach", "checkin", "court_decision", "criminal_case", "hearing"])
    assert mine.exists() and not mine.filter(at__gt=now).exists()


def test_orders_courts_and_criminal_cases_are_made_once(demo):
    with clock.frozen(ANCHOR):
        generate(reports=REPORTS, seed=SEED, anchor=ANCHOR)
        risk_history(seed=SEED)
        counts = orders_seed()
        inspector, judge = User.objects.get(username="inspector"), User.objects.get(username="judge")

        # Orders on the inspector's unit's cases, issued by her in the past; most served, with every status.
        orders = Order.objects.all()
        assert counts["orders"] == orders.count() >= 6
        police = orders.filter(kind=OrderKind.POLICE)
        assert not police.exclude(issued_by=inspector).exists()
        assert not orders.exclude(case_links__case__holding_unit=inspector.unit).exists()
        statuses = set(police.values_list("status", flat=True))
        assert {OrderStatus.ACTIVE, OrderStatus.ISSUED, OrderStatus.EXPIRED, OrderStatus.REVOKED} <= statuses
        assert police.filter(served_at__isnull=False).count() > police.count() / 2
        # one in force ends within three days: the sweep warns (once)
        ending = police.filter(status=OrderStatus.ACTIVE, ends_at__lte=ANCHOR + timedelta(days=3))
        assert ending.count() == 1
        assert orders_sweep() == {"expired": 0, "warned": 1, "checkins_missed": 0}

        # Breaches on served orders gave the court its duty and its grant: the judge sees those cases.
        breaches = Breach.objects.select_related("order")
        assert counts["breaches"] == breaches.count() >= 1
        breached = {link.case_id for b in breaches for link in b.order.case_links.all()}
        assert breached <= set(cases_visible_to(judge).values_list("pk", flat=True))
        assert Task.objects.filter(case_id__in=breached, duty__code="court_breach_case", unit=judge.unit).count() == len(breached)

        # A criminal case on a breached case, registered by the police and sent to court.
        record = CriminalCase.objects.get()
        assert counts["criminal_cases"] == 1 and record.case_id in breached
        assert record.recorded_by == inspector and record.status == CriminalCaseStatus.IN_COURT

        # Special requirements with reporting twice a month; one check-in attended, one missed.
        decision = CourtDecision.objects.get()
        assert counts["decisions"] == 1 and decision.kind == DecisionKind.SPECIAL_REQUIREMENTS and decision.recorded_by == judge
        assert decision.order is not None and decision.order.kind == OrderKind.SPECIAL_REQUIREMENTS
        assert decision.order.reporting_per_month == 2 and decision.order.served_at is not None
        assert CheckIn.objects.filter(attended_at__isnull=False).count() == 1
        assert CheckIn.objects.filter(missed_at__isnull=False).count() == 1

        # The judge's docket: a hearing in the next seven days, one later, one held with the decision.
        docket = court_docket(judge)
        assert counts["hearings"] == CourtHearing.objects.count() == 3
        assert [h.case_id for h in docket.hearings_week] == [record.case_id]
        assert [h.criminal_case_id for h in docket.hearings_later] == [record.pk]
        assert [h.decision_id for h in docket.hearings_past] == [decision.pk]
        assert not docket.hearings_today and not docket.hearings_unsettled
        assert docket.hearings_past[0].status == HearingStatus.HELD and docket.decisions == [decision]

        _nothing_after(ANCHOR)
        # only hearings lie ahead
        assert not CourtHearing.objects.filter(status=HearingStatus.SCHEDULED, scheduled_for__lte=ANCHOR).exists()

        again = orders_seed()
    assert set(again.values()) == {0}
    assert Order.objects.count() == counts["orders"] and CourtHearing.objects.count() == 3 and Breach.objects.count() == counts["breaches"]
