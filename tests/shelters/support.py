"""Builders of the shelter tests: centres with staff, a placement coordinator with a grant on a case."""

from __future__ import annotations

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import User
from qorgau.cases.ledger import grant_add
from qorgau.cases.models import Case, GrantReason
from qorgau.shelters.models import Centre
from qorgau.shelters.services import centre_register
from tests.protocols.support import agency_unit


def make_centre(name: str, region: str = "KZ-75", district: str | None = "751110000", *, beds: dict[str, int] | None = None,
                kind: str = "crisis_centre", **flags: object) -> Centre:
    unit = agency_unit(kind, region, district, name)
    return centre_register(actor=None, unit=unit, address=f"{name}: улица Секретная, 7", locality=f"{name} locality",
                           beds=beds if beds is not None else {"women": 2, "with_children": 2, "accessible": 1}, **flags)


def with_grant(user: User, case: Case) -> User:
    assert user.unit is not None
    grant_add(case, user.unit, GrantReason.SUPERVISOR, Scope.WORKER, by=None)
    return user
