"""The demo's programmes: a catalogue in Almaty and three enrolments (completed, attending,
non-compliant with court and police tasks); a second run adds nothing."""

from __future__ import annotations

import pytest

from qorgau.accounts.models import User
from qorgau.cases.reference import markers_load
from qorgau.demo.programmes import programmes_seed
from qorgau.demo.seed import seed_demo
from qorgau.programmes.models import Enrolment, Programme
from qorgau.protocols.definitions import protocols_load
from qorgau.protocols.models import Task
from tests.protocols.support import make_case

pytestmark = pytest.mark.django_db


def test_demo_programmes(reference):
    markers_load()
    protocols_load()
    seed_demo()
    for serial in (1, 2, 3):
        make_case(User.objects.get(username="inspector"), serial=serial)
    counts = programmes_seed()
    assert counts == {"programmes": 4, "enrolments": 3}
    assert Programme.objects.filter(region_id="KZ-75").count() == 4
    assert sorted(Enrolment.objects.values_list("status", flat=True)) == ["attending", "completed", "noncompliant"]
    bad = Enrolment.objects.get(status="noncompliant")
    kinds = sorted(Task.objects.filter(case=bad.case, duty__trigger="programme_noncompliance").values_list("duty__agency_kind_id", flat=True))
    assert kinds == ["court", "police"]
    assert programmes_seed() == {"programmes": 0, "enrolments": 0}
