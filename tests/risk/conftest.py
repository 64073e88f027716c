"""Shared fixtures of the risk tests: the shipped instruments and level policy, the case markers."""

from __future__ import annotations

import pytest

from qorgau.cases.reference import markers_load
from qorgau.risk.instruments import instruments_load, policy_load


@pytest.fixture
def instruments(reference) -> None:
    """The shipped instrument files (odara-1, dash-1, family-1), the per-level policy and the case
    markers, as rows."""
    markers_load()
    instruments_load()
    policy_load()


# --- the safety plan's tests ------------------------------------------------------------------------------


@pytest.fixture
def safety_case(make_user):
    """A case registered by an inspector of the fixtures' Almaty police unit (a full grant)."""
    from qorgau.cases.services import report_register
    from tests.cases.factories import report_input

    return report_register(actor=make_user("police_inspector", username="plan_inspector"), data=report_input()).cases[0]


@pytest.fixture
def safety_grantee(make_user, reference):
    """A user of a new unit of the given agency kind whose unit holds a grant of ``scope`` on the case."""
    from qorgau.accounts.models import AgencyKind
    from qorgau.accounts.services import unit_create
    from qorgau.cases.models import Grant, GrantReason
    from qorgau.core import clock
    from qorgau.core.models import Region

    counter = {"n": 0}

    def make(case, role: str, kind: str, scope: str = "full", language: str = "ru"):
        counter["n"] += 1
        name = f"Safety plan unit {counter['n']}"
        unit = unit_create(actor=None, kind=AgencyKind.objects.get(code=kind), region=Region.objects.get(iso="KZ-75"),
                           name_ru=name + " ru", name_kk=name + " kk", name_en=name)
        Grant.objects.create(case=case, unit=unit, reason=GrantReason.TASK, scope=scope, since=clock.now())
        return make_user(role, unit=unit, language=language)

    return make
