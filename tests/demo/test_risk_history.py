"""The demo's synthetic risk-assessment history: signed through the services, plausibly predictive
(the validation report finds an AUC well above chance, not a perfect one), with raised levels,
drafts and a reassessment queue for the demo inspector; a second run adds nothing."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest

from qorgau.accounts.models import User
from qorgau.cases.models import Incident
from qorgau.cases.reference import markers_load
from qorgau.core import clock
from qorgau.demo.risk_history import risk_history
from qorgau.demo.seed import seed_demo
from qorgau.demo.synthetic import generate
from qorgau.risk.instruments import instruments_load, policy_load
from qorgau.risk.models import Assessment, AssessmentStatus, CaseRisk, InstrumentVersion, LevelChange, VersionStatus
from qorgau.risk.selectors import reassessments_due
from qorgau.risk.validation import validation_report

pytestmark = pytest.mark.django_db

ANCHOR = dt.datetime(2026, 3, 1, 12, 0, tzinfo=clock.UTC)
SEED = 2026
REPORTS = 220


@pytest.fixture
def demo(reference) -> None:
    markers_load()
    instruments_load()
    policy_load()
    seed_demo()


def test_the_history_is_plausible_and_made_once(demo):
    with clock.frozen(ANCHOR):
        generate(reports=REPORTS, seed=SEED, anchor=ANCHOR)
        history = risk_history(seed=SEED)
        signed = Assessment.objects.filter(status=AssessmentStatus.SIGNED)
        assert history.signed == signed.count() > 150
        assert history.tail(1.0).startswith(f"; risk assessments: {history.signed} signed (")
        assert history.drafts == Assessment.objects.filter(status=AssessmentStatus.DRAFT).count() >= 1
        assert history.raised > 0 and history.lowered == LevelChange.objects.count()
        # every signed one was signed in the past, within days of an incident of its case, by a unit that holds it
        assert not signed.filter(signed_at__gt=ANCHOR).exists()
        for a in signed.select_related("case")[:50]:
            registered = Incident.objects.filter(cases=a.case, created_at__lte=a.signed_at).order_by("-created_at").first()
            assert registered is not None and a.signed_at - registered.created_at < timedelta(days=2 * (60 + 12) + 3)
            assert a.case.grants.filter(unit=a.unit).exists()
        # the report finds the instrument useful, not perfect
        dash = InstrumentVersion.objects.get(instrument__code="dash", status=VersionStatus.PUBLISHED)
        report = validation_report(version=dash, date_from=(ANCHOR - timedelta(days=4 * 365)).date(), date_to=ANCHOR.date())
        w180 = report.window(180)
        assert w180 is not None and w180.enough and w180.auc_score is not None
        assert 0.6 < w180.auc_score.value < 0.9
        assert report.overrides.raised > 0
        assert report.proposal is not None
        # the demo inspector's queue has cases never assessed or due
        inspector = User.objects.get(username="inspector")
        assert reassessments_due(inspector)
        assert CaseRisk.objects.exists()
        again = risk_history(seed=SEED)
    assert again.tail(0.1) == "; risk assessments already present"
    assert again.skipped and Assessment.objects.filter(status=AssessmentStatus.SIGNED).count() == history.signed
