"""Fixtures of the programme tests: the national protocol, a case in Almaly (registered by the
fixtures' police unit), a court with a clerk holding the case and one decision on it, a
correction-programme unit with its provider and a programme."""

from __future__ import annotations

import datetime as dt
import functools

import pytest
from django.utils import translation

from qorgau.accounts.roles import Role
from qorgau.orders.court import court_decision_record
from tests.orders.support import court_unit, grant
from tests.programmes.support import local_today, make_programme
from tests.protocols.conftest import case, inspector, protocols  # noqa: F401  (fixtures)
from tests.protocols.support import agency_unit


@pytest.fixture
def make_user(make_user):
    """Users of these tests read English, so that messages are asserted in one language."""
    return functools.partial(make_user, language="en")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def court(reference):
    return court_unit()


@pytest.fixture
def clerk(make_user, court, case):  # noqa: F811
    grant(case, court)
    return make_user(Role.COURT_CLERK, unit=court, username="court_clerk")


@pytest.fixture
def decision(clerk, case):  # noqa: F811
    return court_decision_record(actor=clerk, case=case, kind="special_requirements", decided_on=local_today() - dt.timedelta(days=1),
                                 reference="2-100/2026")


@pytest.fixture
def provider_unit(reference):
    return agency_unit("correction_programme", "KZ-75", "751110000", "Correction centre Almaly")


@pytest.fixture
def provider(make_user, provider_unit):
    return make_user(Role.PROGRAMME_PROVIDER, unit=provider_unit, username="provider")


@pytest.fixture
def programme(provider_unit):
    return make_programme(provider_unit, sessions_required=3, lang_en=True, serves_migrants=True)
