"""Shared fixtures of the protocol tests: the shipped national protocol, agency units in Almaty and
Atyrau, and a case registered by the fixtures' Almaty police inspector."""

from __future__ import annotations

import pytest

from qorgau.cases.reference import markers_load
from qorgau.protocols.definitions import protocols_load
from tests.protocols.support import agency_unit, make_case


@pytest.fixture
def protocols(reference) -> None:
    markers_load()
    report = protocols_load()
    assert report.errors == [] and report.new >= 1


@pytest.fixture
def inspector(make_user):
    return make_user("police_inspector", username="registering_inspector")


@pytest.fixture
def case(protocols, inspector):
    """Registered in Almaly district, Almaty, by the fixtures' police unit."""
    return make_case(inspector)


@pytest.fixture
def fsc_unit(reference):
    return agency_unit("family_support", "KZ-75", "751110000", "FSC Almaly")


@pytest.fixture
def fsc_worker(make_user, fsc_unit):
    return make_user("social_worker", unit=fsc_unit, username="fsc_worker")
