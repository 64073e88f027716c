"""Fixtures of the intake tests: a crisis centre in Almaly district (Almaty) with its shelter
worker, a second centre, the police unit's inspector, and one anonymous record of the first centre."""

from __future__ import annotations

import functools

import pytest
from django.utils import translation

from qorgau.accounts.roles import Role
from qorgau.intake.services import RecordInput, record_register
from tests.shelters.support import make_centre


@pytest.fixture
def make_user(make_user):
    """Users of these tests read English, so that messages are asserted in one language."""
    return functools.partial(make_user, language="en")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def centre(reference):
    return make_centre("Almaly crisis centre", beds={"women": 1, "with_children": 1, "accessible": 0}, accepts_children=True)


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.SHELTER_WORKER, unit=centre.unit, username="centre_staff")


@pytest.fixture
def other_centre(reference):
    return make_centre("Bostandyk crisis centre", district=None)


@pytest.fixture
def inspector(make_user, police_unit):
    return make_user(Role.POLICE_INSPECTOR, unit=police_unit, username="police_inspector_a")


SECRET = {"alias": "Айгуль-псевдоним", "full_name": "Сапарова Жанна Ерлановна", "iin": "", "phone": "+7 701 555 44 33",
          "narrative": "Муж избивал её в квартире на улице Секретной"}


def record_input(**kw) -> RecordInput:
    base = {"region": "KZ-75", "district": "751110000", "alias": SECRET["alias"], "full_name": SECRET["full_name"],
            "phone": SECRET["phone"], "birth_year": 1991, "children": 0, "forms": frozenset({"physical", "psychological"}),
            "narrative": SECRET["narrative"], "services": frozenset({"psychologist"})}
    return RecordInput(**{**base, **kw})


@pytest.fixture
def record(staff):
    return record_register(actor=staff, data=record_input())
