"""The sweep proposes conferences as one of its parts, with the orders parts' failure isolation."""

from __future__ import annotations

import pytest

from qorgau.protocols import sweep as sweep_module
from qorgau.protocols.models_conferences import Conference
from tests.conferences.support import breach, sign_dash

pytestmark = pytest.mark.django_db


def test_the_sweep_proposes_and_counts(case, inspector, risk, coordinator):
    sign_dash(case, inspector, score=15)
    counts = sweep_module.sweep()
    assert counts["conferences_proposed"] == 1
    assert "errors" not in counts
    assert Conference.objects.filter(case=case, status="proposed").count() == 1
    assert sweep_module.sweep()["conferences_proposed"] == 0


def test_a_failing_conference_part_leaves_the_rest_of_the_sweep_done(case, inspector, coordinator, monkeypatch):
    breach(case, inspector)

    def broken() -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr("qorgau.protocols.conferences.conferences_propose", broken)
    counts = sweep_module.sweep()
    assert counts["errors"] == 1
    assert "orders_expired" in counts and "order_expiring" in counts
    assert not Conference.objects.exists()
    monkeypatch.undo()
    assert sweep_module.sweep()["conferences_proposed"] == 1  # the next pass retries it
