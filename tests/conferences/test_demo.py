"""The demo's conferences: proposals by the rules and one conference held with decisions as tasks."""

from __future__ import annotations

import pytest

from qorgau.demo.conferences import conferences_seed
from qorgau.protocols.models import Task, Trigger
from qorgau.protocols.models_conferences import Conference, ConferenceStatus
from tests.conferences.support import breach, make_case

pytestmark = pytest.mark.django_db


def test_seed_proposes_and_holds_one(case, inspector, coordinator, crisis_unit):
    breach(case, inspector)
    second = make_case(inspector, serial=3000)
    breach(second, inspector)
    assert conferences_seed(coordinator_username="coordinator") == {"proposed": 2, "held": 1}
    held = Conference.objects.get(status=ConferenceStatus.HELD)
    assert held.minutes and held.decisions.count() == 2
    assert Task.objects.filter(trigger=Trigger.CONFERENCE_DECISION, case=held.case).count() == 2
    assert Conference.objects.filter(status=ConferenceStatus.PROPOSED).count() == 1
    assert conferences_seed(coordinator_username="coordinator") == {"proposed": 0, "held": 0}  # again: nothing more
