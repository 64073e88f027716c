"""Fixtures of the orders tests: an inspector of the fixtures' Almaty police unit and the case markers."""

from __future__ import annotations

import pytest

from qorgau.accounts.roles import Role
from qorgau.cases.reference import markers_load


@pytest.fixture
def inspector(reference, make_user):
    markers_load()
    return make_user(Role.POLICE_INSPECTOR, username="orders_inspector")
