"""Orders meet risk and the repeat flags: a breach makes the reassessment due at once (and lists it
in the queue as a breach), the checklist's "breached an order" item is pre-filled from the registry,
and the case page flags a breached order — without naming the other case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation

from qorgau.accounts.roles import Role
from qorgau.cases.selectors import case_flags
from qorgau.core import clock
from qorgau.orders.services import breach_record, order_issue, order_serve
from qorgau.risk.instruments import instruments_load, policy_load
from qorgau.risk.selectors import case_risk_panel, reassessments_due
from qorgau.risk.services import assessment_start
from tests.orders.support import make_cases, police_input
from tests.risk.support import answers_scoring, signed, version

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspector(reference, make_user):
    from qorgau.cases.reference import markers_load

    markers_load()
    instruments_load()
    policy_load()
    return make_user(Role.POLICE_INSPECTOR)


def test_a_breach_forces_the_reassessment_and_shows_everywhere(inspector):
    (case,) = make_cases(inspector)
    start = clock.now()
    with clock.frozen(start):
        order = order_issue(actor=inspector, case=case, data=police_input(case))
        order = order_serve(actor=inspector, order=order, version=order.version)
        signed(inspector, case, "dash", answers_scoring("dash", 0))  # low: due in 60 days
    assert not case_risk_panel(case).forced_by_incident
    with clock.frozen(start + timedelta(days=2)):
        breach = breach_record(actor=inspector, order=order, occurred_at=clock.now() - timedelta(hours=3), what="came to her flat at night")
        panel = case_risk_panel(case)
        assert panel.forced_by_incident and panel.overdue
        assert panel.due_at == breach.recorded_at and panel.due_at.tzinfo is not None  # due from the breach's recording
        rows = {r.case.pk: r for r in reassessments_due(inspector, within_days=0)}
        assert rows[case.pk].reason == "breach" and rows[case.pk].overdue
        with translation.override("en"):
            assert "A protective order against him was breached (1 order)." in case_flags(case, inspector)
        draft = assessment_start(actor=inspector, case=case, version_id=version("dash").pk)
        assert draft.prefill["breach"] == "yes"
        odara = assessment_start(actor=inspector, case=case, version_id=version("odara").pk)
        assert odara.prefill["release_failure"] == "yes"


def test_no_breach_proposes_nothing(inspector):
    (case,) = make_cases(inspector)
    order_issue(actor=inspector, case=case, data=police_input(case))
    draft = assessment_start(actor=inspector, case=case, version_id=version("dash").pk)
    assert "breach" not in draft.prefill
