"""Language-walker pages of the shelters (merged into ``test_languages.PAGES``).

A crisis centre in Almaty with its shelter worker, a placement coordinator with a grant on the
walker's case, one hold and one placement. Typed values are digits (language-neutral)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

STAFF = "walker_shelter_staff"
COORDINATOR = "walker_coordinator"


def _centre(w: Any) -> Any:
    from qorgau.accounts.models import AgencyKind, Unit
    from qorgau.accounts.services import unit_create
    from qorgau.core.models import District, Region
    from qorgau.shelters.models import Centre
    from qorgau.shelters.services import centre_register

    found = Centre.objects.filter(unit__name_en="Walker crisis centre").first()
    if found is not None:
        return found
    unit: Unit = unit_create(
        actor=None, kind=AgencyKind.objects.get(code="crisis_centre"), region=Region.objects.get(iso="KZ-75"),
        district=District.objects.get(kato="751110000"),
        name_ru="Кризисный центр «Жанұя»", name_kk="«Жанұя» дағдарыс орталығы", name_en="Walker crisis centre",
    )
    return centre_register(actor=None, unit=unit, address="12/3", phone="+7 727 000 00 00", opening_hours="24/7",
                           accepts_children=True, psychologist=True, beds={"women": 3, "with_children": 2, "accessible": 1})


def _client(w: Any, username: str, role: str, lang: str, unit: Any) -> Any:
    from django.test import Client

    from qorgau.accounts.models import User
    from tests.conftest import sign_in

    user = User.objects.filter(username=username).first() or w._make_user(role, unit=unit, username=username)
    User.objects.filter(pk=user.pk).update(language=lang)
    user.refresh_from_db()
    return sign_in(Client(), user)


def _staff(w: Any, lang: str) -> Any:
    return _client(w, STAFF, "shelter_worker", lang, _centre(w).unit)


def _staff_user(w: Any) -> Any:
    from qorgau.accounts.models import User

    return User.objects.filter(username=STAFF).first() or w._make_user("shelter_worker", unit=_centre(w).unit, username=STAFF)


def _coordinator_user(w: Any) -> Any:
    from qorgau.accounts.masks import Scope
    from qorgau.accounts.models import User
    from qorgau.cases.ledger import grant_add
    from qorgau.cases.models import Case, GrantReason
    from tests.i18n.test_languages import _case_id

    user = User.objects.filter(username=COORDINATOR).first()
    if user is None:
        user = w._make_user("placement_coordinator", unit=_centre(w).unit, username=COORDINATOR)
    case = Case.objects.get(pk=_case_id(w))
    if not case.grants.filter(unit=user.unit).exists():
        grant_add(case, user.unit, GrantReason.SUPERVISOR, Scope.WORKER, by=None)
    return user


def _coordinator(w: Any, lang: str) -> Any:
    from qorgau.protocols.definitions import protocols_load

    protocols_load()
    user = _coordinator_user(w)
    return _client(w, COORDINATOR, "placement_coordinator", lang, user.unit)


def _placement(w: Any) -> int:
    from qorgau.cases.models import Case
    from qorgau.shelters.models import Placement
    from qorgau.shelters.services import bed_hold, placement_admit
    from tests.i18n.test_languages import _case_id

    centre = _centre(w)
    found = Placement.objects.filter(centre=centre).first()
    if found is not None:
        return found.pk
    staff = _staff_user(w)
    case = Case.objects.get(pk=_case_id(w))
    bed_hold(actor=_coordinator_user(w), case=case, pool_id=centre.pools.get(kind="with_children").pk, children=1)
    return placement_admit(actor=staff, case=case, pool_id=centre.pools.get(kind="women").pk).pk


def _centre_url(w: Any) -> str:
    return f"/shelters/centres/{_centre(w).pk}/"


def _find_url(w: Any) -> str:
    from tests.i18n.test_languages import _case_id

    return f"/shelters/find/{_case_id(w)}/"


def _unregistered_unit(w: Any) -> int:
    from qorgau.accounts.models import AgencyKind, Unit
    from qorgau.accounts.services import unit_create
    from qorgau.core.models import Region

    found = Unit.objects.filter(name_en="Walker support centre").first()
    if found is None:
        found = unit_create(actor=None, kind=AgencyKind.objects.get(code="family_support"), region=Region.objects.get(iso="KZ-71"),
                            name_ru="Центр поддержки «Отбасы»", name_kk="«Отбасы» қолдау орталығы", name_en="Walker support centre")
    return int(found.pk)


def _coverage(w: Any, lang: str, query: dict[str, str]) -> object:
    _centre(w)
    return _coordinator(w, lang).get("/shelters/coverage/", query)


PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "shelters-coverage": (200, lambda w, lang: _coverage(w, lang, {"km": "100"})),
    "shelters-coverage-bad": (422, lambda w, lang: _coverage(w, lang, {"km": "5"})),
    "shelters-centre-new": (200, lambda w, lang: (_unregistered_unit(w), w.signed_in("admin", lang).get("/shelters/centres/new/"))[1]),
    "shelters-centre-new-bad": (422, lambda w, lang: w.signed_in("admin", lang).post(
        "/shelters/centres/new/", {"unit": str(_unregistered_unit(w)), "ownership": "state", "beds_women": "-1",
                                   "beds_with_children": "0", "beds_accessible": "0"})),
    "shelters-centre-edit-staff": (200, lambda w, lang: _staff(w, lang).get(f"{_centre_url(w)}edit/")),
    "shelters-centre-edit-admin": (200, lambda w, lang: w.signed_in("admin", lang).get(f"{_centre_url(w)}edit/")),
    "shelters-centre-edit-conflict": (409, lambda w, lang: _staff(w, lang).post(
        f"{_centre_url(w)}edit/", {"version": "99", "ownership": "state"})),
    "shelters-registry": (200, lambda w, lang: (_centre(w), w.signed_in("inspector", lang).get("/shelters/"))[1]),
    "shelters-registry-bad-filter": (422, lambda w, lang: w.signed_in("inspector", lang).get("/shelters/", {"kind": "12"})),
    "shelters-centre-public": (200, lambda w, lang: w.signed_in("inspector", lang).get(_centre_url(w))),
    "shelters-centre-staff": (200, lambda w, lang: (_placement(w), _staff(w, lang).get(_centre_url(w)))[1]),
    "shelters-capacity-negative": (422, lambda w, lang: _shrink_then_refuse(w, lang)),
    "shelters-capacity-conflict": (409, lambda w, lang: _staff(w, lang).post(
        _centre_url(w), {"pool": str(_centre(w).pools.get(kind="women").pk), "version": "99", "step": "1"})),
    "shelters-find": (200, lambda w, lang: _coordinator(w, lang).get(_find_url(w), {"children": "1"})),
    "shelters-find-bad": (422, lambda w, lang: _coordinator(w, lang).get(_find_url(w), {"children": "99"})),
    "shelters-placement": (200, lambda w, lang: _staff(w, lang).get(f"/shelters/placements/{_placement(w)}/")),
    "shelters-discharge-before-admission": (422, lambda w, lang: _staff(w, lang).post(
        f"/shelters/placements/{_placement(w)}/", {"version": "1", "outcome": "other", "discharged_at": "2001-01-01T10:00"})),
}


def _shrink_then_refuse(w: Any, lang: str) -> object:
    from qorgau.shelters.services import pool_capacity_set

    pool = _centre(w).pools.get(kind="accessible")
    pool_capacity_set(actor=_staff_user(w), pool_id=pool.pk, capacity=0, version=pool.version)
    pool.refresh_from_db()
    return _staff(w, lang).post(_centre_url(w), {"pool": str(pool.pk), "version": str(pool.version), "step": "-1"})
