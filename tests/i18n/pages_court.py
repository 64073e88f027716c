"""Language-walker pages for court hearings and criminal cases (merged into ``test_languages.PAGES``).

A court clerk of a court unit with a working grant on the walker's case schedules a hearing; the
walker's inspector records a criminal case. Typed values are digits (language-neutral)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

CLERK = "walker_clerk"


def _clerk_user(w: Any) -> Any:
    """The court clerk (unit, specialised court and grant made on first use)."""
    from qorgau.accounts.masks import Scope
    from qorgau.accounts.models import AgencyKind, Unit, User
    from qorgau.accounts.roles import Role
    from qorgau.accounts.services import unit_create
    from qorgau.cases.ledger import grant_add
    from qorgau.cases.models import Case, GrantReason
    from qorgau.core.models import Region
    from qorgau.orders.models import SpecialisedCourt
    from tests.i18n.test_languages import _case_id

    case = Case.objects.get(pk=_case_id(w))
    user = User.objects.filter(username=CLERK).first()
    if user is None:
        unit = unit_create(
            actor=None, kind=AgencyKind.objects.get(code="court"), region=Region.objects.get(iso="KZ-75"),
            name_ru="Специализированный межрайонный суд", name_kk="Мамандандырылған ауданаралық сот", name_en="Specialised inter-district court",
        )
        SpecialisedCourt.objects.create(unit=unit)
        user = w._make_user(Role.COURT_CLERK, unit=unit, username=CLERK)
    assert isinstance(user.unit, Unit)
    if not case.grants.filter(unit=user.unit).exists():
        grant_add(case, user.unit, GrantReason.SUPERVISOR, Scope.WORKER, by=None)
    return user


def _clerk(w: Any, lang: str) -> Any:
    """The court clerk's signed-in client, in ``lang``."""
    from django.test import Client

    from qorgau.accounts.models import User
    from tests.conftest import sign_in

    user = _clerk_user(w)
    User.objects.filter(pk=user.pk).update(language=lang)
    user.refresh_from_db()
    return sign_in(Client(), user)


def _hearing(w: Any) -> int:
    from qorgau.cases.models import Case
    from qorgau.core import clock
    from qorgau.orders.hearings import hearing_schedule
    from qorgau.orders.models import CourtHearing
    from tests.i18n.test_languages import _case_id

    clerk = _clerk_user(w)
    found = CourtHearing.objects.first()
    if found is not None:
        return found.pk
    case = Case.objects.get(pk=_case_id(w))
    return hearing_schedule(actor=clerk, case=case, kind="special_requirements",
                            scheduled_for=clock.now() + timedelta(days=3)).pk


def _criminal_case(w: Any) -> int:
    from qorgau.cases.models import Case
    from qorgau.core import clock
    from qorgau.orders.court import criminal_case_record
    from qorgau.orders.models import CriminalCase
    from tests.i18n.test_languages import _case_id

    found = CriminalCase.objects.first()
    if found is not None:
        return found.pk
    case = Case.objects.get(pk=_case_id(w))
    return criminal_case_record(actor=w.user("inspector"), case=case, number="251750031000123",
                                registered_on=clock.now().date() - timedelta(days=3), article="108-1").pk


def _court_url(w: Any) -> str:
    from tests.i18n.test_languages import _case_id

    return f"/orders/case/{_case_id(w)}/court/"


def _court_page(w: Any, lang: str) -> object:
    _hearing(w)
    _criminal_case(w)
    return _clerk(w, lang).get(_court_url(w))


PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "court-page-clerk": (200, _court_page),
    "court-page-police": (200, lambda w, lang: (_criminal_case(w), w.signed_in("inspector", lang).get(_court_url(w)))[1]),
    "court-page-hearing-invalid": (422, lambda w, lang: _clerk(w, lang).post(
        _court_url(w), {"action": "hearing", "kind": "other", "scheduled_for": "2001-01-01T10:00"})),
    "hearing-clerk": (200, lambda w, lang: _clerk(w, lang).get(f"/orders/hearings/{_hearing(w)}/")),
    "hearing-police": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/orders/hearings/{_hearing(w)}/")),
    "hearing-hold-too-early": (422, lambda w, lang: _clerk(w, lang).post(f"/orders/hearings/{_hearing(w)}/", {"action": "held", "version": "1"})),
    "hearing-conflict": (409, lambda w, lang: _clerk(w, lang).post(f"/orders/hearings/{_hearing(w)}/", {"action": "cancel", "version": "9", "reason": "12"})),
    "criminal-case": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/orders/criminal-cases/{_criminal_case(w)}/")),
    "criminal-case-invalid": (422, lambda w, lang: w.signed_in("inspector", lang).post(
        f"/orders/criminal-cases/{_criminal_case(w)}/", {"version": "1", "status": "in_court", "status_on": "2001-01-01"})),
    "docket-hearings": (200, lambda w, lang: (_hearing(w), _clerk(w, lang).get("/orders/docket/"))[1]),
    "docket-bad-dates": (422, lambda w, lang: _clerk(w, lang).get("/orders/docket/", {"since": "2026-02-10", "until": "2026-02-01"})),
}
