"""Fixtures of the support tests: a case registered by the Almaty police inspector (full grant), an
employment office of social protection in Almaty with a programme and its staff, all reading English."""

from __future__ import annotations

import functools

import pytest
from django.utils import translation

from qorgau.accounts.roles import Role
from tests.protocols.conftest import case, inspector, protocols  # noqa: F401  (fixtures)
from tests.support.builders import make_programme, provider_unit


@pytest.fixture
def office(reference):
    return provider_unit("Employment office Almaty")


@pytest.fixture
def programme(office):
    return make_programme(office, "Jobs for women", kind="employment", lang_en=True, serves_migrants=True)


@pytest.fixture
def provider(make_user, office):
    return make_user(Role.SOCIAL_WORKER, unit=office, username="provider_staff")


@pytest.fixture
def make_user(make_user):
    """Users of these tests read English, so that messages are asserted in one language."""
    return functools.partial(make_user, language="en")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield
