"""Language-walker pages for offender programmes (merged into ``test_languages.PAGES``).

A correction-programme unit in Almaty with its provider, a programme named in the three languages,
a court decision on the walker's case (recorded by the walker's judge, whose unit holds the case)
and one enrolment with one attended session. Typed values are digits (language-neutral)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PROVIDER = "walker_programme_provider"


def _unit(w: Any) -> Any:
    from qorgau.accounts.models import AgencyKind, Unit
    from qorgau.accounts.services import unit_create
    from qorgau.core.models import District, Region

    found = Unit.objects.filter(name_en="Walker correction centre").first()
    if found is not None:
        return found
    return unit_create(
        actor=None, kind=AgencyKind.objects.get(code="correction_programme"), region=Region.objects.get(iso="KZ-75"),
        district=District.objects.get(kato="751110000"),
        name_ru="Центр коррекции «Жол»", name_kk="«Жол» түзету орталығы", name_en="Walker correction centre",
    )


def _programme(w: Any) -> Any:
    from qorgau.programmes.models import Programme
    from qorgau.programmes.services import ProgrammeInput, programme_create

    unit = _unit(w)
    found = Programme.objects.filter(unit=unit).first()
    if found is not None:
        return found
    return programme_create(actor=None, unit=unit, data=ProgrammeInput(
        kind="anger", name_kk="Ашуды басқару бағдарламасы", name_ru="Программа управления гневом", name_en="Anger management programme",
        sessions_required=12, flags={"lang_kk": True, "lang_ru": True, "serves_migrants": True, "active": True}))


def _provider_user(w: Any) -> Any:
    from qorgau.accounts.models import User

    return User.objects.filter(username=PROVIDER).first() or w._make_user("programme_provider", unit=_unit(w), username=PROVIDER)


def _provider(w: Any, lang: str) -> Any:
    from django.test import Client

    from qorgau.accounts.models import User
    from tests.conftest import sign_in

    user = _provider_user(w)
    User.objects.filter(pk=user.pk).update(language=lang)
    user.refresh_from_db()
    return sign_in(Client(), user)


def _decision(w: Any) -> Any:
    from qorgau.cases.models import Case
    from qorgau.core import clock
    from qorgau.orders.court import court_decision_record
    from qorgau.orders.models import CourtDecision
    from tests.i18n.test_languages import _case_id

    case = Case.objects.get(pk=_case_id(w))
    found = CourtDecision.objects.filter(case=case, reference="7-700/2026").first()
    if found is not None:
        return found
    return court_decision_record(actor=w.user("judge"), case=case, kind="special_requirements", decided_on=clock.now().date(),
                                 reference="7-700/2026")


def _enrolment(w: Any) -> int:
    import datetime as dt

    from qorgau.core import clock
    from qorgau.programmes.models import Enrolment
    from qorgau.programmes.services import enrolment_create, session_record

    found = Enrolment.objects.filter(programme=_programme(w)).first()
    if found is not None:
        return found.pk
    decision = _decision(w)
    with clock.frozen(clock.now() - dt.timedelta(days=10)):
        e = enrolment_create(actor=w.user("judge"), case=decision.case, decision_id=decision.pk, programme_id=_programme(w).pk,
                             deadline=clock.now().date() + dt.timedelta(days=120))
    session_record(actor=_provider_user(w), enrolment_id=e.pk, version=e.version,
                   held_on=clock.now().date() - dt.timedelta(days=2), attendance="attended")
    return e.pk


def _enrol_url(w: Any) -> str:
    from tests.i18n.test_languages import _case_id

    _programme(w)
    _decision(w)
    return f"/programmes/enrol/{_case_id(w)}/"


PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "programmes-index": (200, lambda w, lang: (_enrolment(w), _provider(w, lang).get("/programmes/"))[1]),
    "programmes-enrolment-provider": (200, lambda w, lang: _provider(w, lang).get(f"/programmes/enrolments/{_enrolment(w)}/")),
    "programmes-enrolment-court": (200, lambda w, lang: w.signed_in("judge", lang).get(f"/programmes/enrolments/{_enrolment(w)}/")),
    "programmes-session-future": (422, lambda w, lang: _provider(w, lang).post(
        f"/programmes/enrolments/{_enrolment(w)}/sessions/", {"version": "2", "held_on": "2999-01-01", "attendance": "absent"})),
    "programmes-session-conflict": (409, lambda w, lang: _provider(w, lang).post(
        f"/programmes/enrolments/{_enrolment(w)}/sessions/", {"version": "99", "held_on": "2020-01-01", "attendance": "absent"})),
    "programmes-outcome-no-reason": (422, lambda w, lang: _provider(w, lang).post(
        f"/programmes/enrolments/{_enrolment(w)}/outcome/", {"version": "2", "outcome": "noncompliant"})),
    "programmes-enrol": (200, lambda w, lang: w.signed_in("judge", lang).get(_enrol_url(w))),
    "programmes-enrol-bad": (422, lambda w, lang: w.signed_in("judge", lang).post(
        _enrol_url(w), {"decision": str(_decision(w).pk), "programme": str(_programme(w).pk), "deadline": "2001-01-01", "allowed_absences": "2"})),
    "programmes-catalogue": (200, lambda w, lang: (_programme(w), _provider(w, lang).get("/programmes/catalogue/"))[1]),
    "programmes-catalogue-bad": (422, lambda w, lang: _provider(w, lang).post("/programmes/catalogue/", {"kind": "anger", "sessions_required": "0"})),
    "programmes-programme": (200, lambda w, lang: _provider(w, lang).get(f"/programmes/catalogue/{_programme(w).pk}/")),
}
