"""The demo's support: programmes in Almaty (the employment office and the crisis centre's legal
aid) and referrals on the Almaty police's cases in different states; a second run adds nothing."""

from __future__ import annotations

import pytest

from qorgau.accounts.models import User
from qorgau.cases.reference import markers_load
from qorgau.demo.seed import seed_demo
from qorgau.demo.support import support_seed
from qorgau.protocols.definitions import protocols_load
from qorgau.support.models import SupportProgramme, SupportReferral
from tests.protocols.support import make_case

pytestmark = pytest.mark.django_db


def test_demo_programmes_and_referrals(reference):
    markers_load()
    protocols_load()
    seed_demo()
    for serial in range(1, 6):
        make_case(User.objects.get(username="inspector"), serial=serial)
    assert support_seed() == {"programmes": 5, "referrals": 5}
    assert SupportProgramme.objects.filter(unit__name_en__startswith="Employment and social programmes office").count() == 4
    assert SupportProgramme.objects.get(kind="legal_aid").unit.kind_id == "crisis_centre"
    statuses = set(SupportReferral.objects.values_list("status", flat=True))
    assert statuses == {"completed", "started", "accepted", "requested", "declined"}
    assert SupportReferral.objects.get(status="completed").outcome == "employed"
    assert support_seed() == {"programmes": 0, "referrals": 0}
