"""Fixtures of the training tests: the shipped courses (requirements off, as shipped) and the risk
instruments for the signing gate."""

from __future__ import annotations

import pytest

from qorgau.cases.reference import markers_load
from qorgau.risk.instruments import instruments_load, policy_load
from qorgau.training.reference import courses_load


@pytest.fixture
def courses(reference) -> None:
    courses_load()


@pytest.fixture
def instruments(courses) -> None:
    markers_load()
    instruments_load()
    policy_load()
