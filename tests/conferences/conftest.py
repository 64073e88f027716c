"""Fixtures of the conference tests: the national protocol, a case registered by the Almaly police,
the Almaty family support centre with a conference coordinator (it convenes), risk instruments."""

from __future__ import annotations

import pytest

from qorgau.risk.instruments import instruments_load, policy_load
from tests.conferences.support import agency_unit
from tests.protocols.conftest import case, fsc_unit, fsc_worker, inspector, protocols  # noqa: F401


@pytest.fixture
def risk(reference) -> None:
    instruments_load()
    policy_load()


@pytest.fixture
def coordinator(make_user, fsc_unit):  # noqa: F811
    return make_user("conference_coordinator", unit=fsc_unit, username="coordinator")


@pytest.fixture
def crisis_unit(reference):
    return agency_unit("crisis_centre", "KZ-75", None, "Crisis centre Almaty")


@pytest.fixture
def crisis_worker(make_user, crisis_unit):
    return make_user("shelter_worker", unit=crisis_unit, username="crisis_worker")
