"""Language-walker pages for victim socio-economic support (merged into ``test_languages.PAGES``).

An employment office in Almaty with one programme (named in the three languages) and its social
worker; the walker's inspector refers the walker's case to it. Typed values are digits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

STAFF = "walker_support_staff"
ANALYST = "walker_support_analyst"


def _programme(w: Any) -> Any:
    from qorgau.accounts.models import AgencyKind, Unit
    from qorgau.accounts.services import unit_create
    from qorgau.core.models import Region
    from qorgau.support.models import SupportProgramme
    from qorgau.support.services import programme_save

    found = SupportProgramme.objects.filter(name_en="Walker jobs for women").first()
    if found is not None:
        return found
    unit: Unit = unit_create(
        actor=None, kind=AgencyKind.objects.get(code="social_protection"), region=Region.objects.get(iso="KZ-75"),
        name_ru="Центр занятости «Жанұя»", name_kk="«Жанұя» жұмыспен қамту орталығы", name_en="Walker employment centre",
    )
    return programme_save(actor=None, unit=unit, kind="employment", name_ru="Работа для женщин", name_kk="Әйелдерге арналған жұмыс",
                          name_en="Walker jobs for women", serves_migrants=True)


def _client(w: Any, username: str, role: str, lang: str, unit: Any) -> Any:
    from django.test import Client

    from qorgau.accounts.models import User
    from tests.conftest import sign_in

    user = User.objects.filter(username=username).first() or w._make_user(role, unit=unit, username=username)
    User.objects.filter(pk=user.pk).update(language=lang)
    user.refresh_from_db()
    return sign_in(Client(), user)


def _referral(w: Any) -> int:
    from qorgau.cases.access import case_get_for
    from qorgau.support.models import SupportReferral
    from qorgau.support.services import referral_create
    from tests.i18n.test_languages import _case_id

    programme = _programme(w)
    found = SupportReferral.objects.filter(programme=programme).first()
    if found is not None:
        return found.pk
    inspector = w.user("inspector")
    case, viewer = case_get_for(inspector, _case_id(w))
    return referral_create(actor=inspector, case=case, viewer=viewer, programme=programme, consent_how="in_person", contact=True).pk


def _staff(w: Any, lang: str) -> Any:
    return _client(w, STAFF, "social_worker", lang, _programme(w).unit)


def _case_url(w: Any) -> str:
    from tests.i18n.test_languages import _case_id

    return f"/support/case/{_case_id(w)}/"


def _referral_url(w: Any) -> str:
    return f"/support/referrals/{_referral(w)}/"


PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "support-queue": (200, lambda w, lang: (_referral(w), _staff(w, lang).get("/support/"))[1]),
    "support-case": (200, lambda w, lang: (_referral(w), w.signed_in("inspector", lang).get(_case_url(w)))[1]),
    "support-case-no-consent": (422, lambda w, lang: w.signed_in("inspector", lang).post(
        _case_url(w), {"programme": str(_programme(w).pk), "identity": "on"})),
    "support-referral": (200, lambda w, lang: _staff(w, lang).get(_referral_url(w))),
    "support-referral-bad-step": (422, lambda w, lang: _staff(w, lang).post(_referral_url(w), {"version": "1", "to": "started"})),
    "support-referral-conflict": (409, lambda w, lang: _staff(w, lang).post(_referral_url(w), {"version": "99", "to": "accepted"})),
    "support-programmes": (200, lambda w, lang: (_programme(w), w.signed_in("inspector", lang).get("/support/programmes/"))[1]),
    "support-programme-new": (200, lambda w, lang: w.signed_in("admin", lang).get("/support/programmes/new/")),
    "support-programme-edit-bad": (422, lambda w, lang: w.signed_in("admin", lang).post(
        f"/support/programmes/{_programme(w).pk}/", {"version": "1", "kind": "employment", "name_kk": "", "name_ru": "", "name_en": ""})),
    "support-figures": (200, lambda w, lang: (_referral(w), _client(w, ANALYST, "analyst", lang, None).get("/support/figures/"))[1]),
    "support-figures-bad": (422, lambda w, lang: _client(w, ANALYST, "analyst", lang, None).get(
        "/support/figures/", {"since": "2025-02-01", "until": "2025-01-01"})),
}
