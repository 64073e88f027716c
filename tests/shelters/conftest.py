"""Fixtures of the shelter tests: the national protocol, a case in Almaly district (Almaty), a crisis
centre there with its staff, and a placement coordinator who holds a grant on the case."""

from __future__ import annotations

import functools

import pytest
from django.utils import translation

from qorgau.accounts.roles import Role
from tests.protocols.conftest import case, inspector, protocols  # noqa: F401  (fixtures)
from tests.shelters.support import make_centre, with_grant


@pytest.fixture
def centre(reference):
    return make_centre("Almaly shelter", accepts_children=True, disability_access=True, lang_en=True)


@pytest.fixture
def staff(make_user, centre):
    return make_user(Role.SHELTER_WORKER, unit=centre.unit, username="shelter_staff")


@pytest.fixture
def coordinator(make_user, reference, case):  # noqa: F811  (the imported fixture)
    from tests.protocols.support import agency_unit

    unit = agency_unit("family_support", "KZ-75", "751110000", "FSC Almaly")
    return with_grant(make_user(Role.PLACEMENT_COORDINATOR, unit=unit, username="coordinator"), case)


@pytest.fixture
def make_user(make_user):
    """Users of these tests read English, so that messages are asserted in one language."""
    return functools.partial(make_user, language="en")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield
