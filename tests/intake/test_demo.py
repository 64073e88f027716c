"""The demo seeding is idempotent and gives the police exactly the consented parts."""

from __future__ import annotations

import pytest

from qorgau.demo.intake import intake_seed
from qorgau.demo.seed import seed_demo
from qorgau.intake.models import AnonymousRecord, RecordShare

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent(reference):
    seed_demo()
    assert intake_seed() == {"records": 2, "shares": 1}
    assert intake_seed() == {"records": 0, "shares": 0}
    assert AnonymousRecord.objects.count() == 2
    share = RecordShare.objects.get()
    assert share.shares_identity and share.shares_narrative and not share.shares_contact and not share.shares_whereabouts
    assert share.to_unit.name_en.startswith("Police department of Almaly")
