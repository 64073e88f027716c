"""Language-walker pages for case conferences (merged into ``test_languages.PAGES``).

The walker's case gets a conference that its family support centre's coordinator proposed by hand,
then (as a page needs) scheduled with the inspector's police unit and recorded as held. What users
type in (place, minutes, decisions) is digits, which every language shares.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {}

COORDINATOR = "walker_coordinator"


def _coordinator(w: Any) -> Any:
    from qorgau.accounts.models import AgencyKind, Unit, User
    from qorgau.accounts.services import unit_create
    from qorgau.core.models import District, Region

    user = User.objects.filter(username=COORDINATOR).first()
    if user is not None:
        return user
    unit = Unit.objects.filter(kind_id="family_support", name_ru="Центр поддержки семьи (обход)").first() or unit_create(
        actor=None, kind=AgencyKind.objects.get(code="family_support"), region=Region.objects.get(iso="KZ-75"),
        district=District.objects.get(kato="751110000"), name_ru="Центр поддержки семьи (обход)",
        name_kk="Отбасын қолдау орталығы (айналым)", name_en="Family support centre (walk)",
    )
    return w._make_user("conference_coordinator", unit=unit, username=COORDINATOR)


def _signed_in(w: Any, lang: str) -> Any:
    from django.test import Client

    from qorgau.accounts.models import User
    from tests.conftest import sign_in

    user = _coordinator(w)
    User.objects.filter(pk=user.pk).update(language=lang)
    user.refresh_from_db()
    return sign_in(Client(), user)


def _conference(w: Any, stage: str = "proposed") -> int:
    """The walker case's conference, brought to ``stage`` (proposed, scheduled or held)."""
    from qorgau.accounts.masks import Scope
    from qorgau.cases.ledger import grant_add
    from qorgau.cases.models import Case
    from qorgau.core import clock
    from qorgau.protocols.conferences import (
        DecisionInput,
        conference_propose_for,
        conference_record,
        conference_schedule,
    )
    from qorgau.protocols.models_conferences import Conference
    from tests.i18n.test_languages import _case_id

    case = Case.objects.get(pk=_case_id(w))
    coordinator = _coordinator(w)
    police = w.user("inspector").unit
    conference = Conference.objects.filter(case=case).first()
    if conference is None:
        grant_add(case, coordinator.unit, "supervisor", Scope.WORKER, by=None)
        conference = conference_propose_for(actor=coordinator, case=case, reasons=["coordinator", "critical"])
    if stage in ("scheduled", "held") and conference.status == "proposed":
        conference = conference_schedule(actor=coordinator, conference=conference, version=conference.version,
                                         when=clock.now() + timedelta(days=2), place="101", invited_ids=[police.pk])
    if stage == "held" and conference.status == "scheduled":
        due = clock.now().date() + timedelta(days=5)
        conference = conference_record(actor=coordinator, conference=conference, version=conference.version,
                                       attended_ids=[coordinator.unit_id, police.pk], minutes="2026",
                                       decisions=[DecisionInput(text="102", owner_id=police.pk, due_on=due)])
    return conference.pk


def _case_with_conference(w: Any, lang: str) -> Any:
    from tests.i18n.test_languages import _case_page

    _conference(w, "held")
    return _case_page(w, lang)


def _propose_page(w: Any, lang: str) -> Any:
    """The form to propose by hand (the coordinator's unit works on the case; nothing proposed yet)."""
    from qorgau.accounts.masks import Scope
    from qorgau.cases.access import grants_in_force
    from qorgau.cases.ledger import grant_add
    from qorgau.cases.models import Case
    from tests.i18n.test_languages import _case_id

    case = Case.objects.get(pk=_case_id(w))
    unit = _coordinator(w).unit
    if not grants_in_force().filter(case=case, unit=unit).exists():
        grant_add(case, unit, "supervisor", Scope.WORKER, by=None)
    return _signed_in(w, lang).get(f"/protocols/conferences/case/{case.pk}/propose/")


PAGES.update({
    "conferences": (200, lambda w, lang: (_conference(w), _signed_in(w, lang).get("/protocols/conferences/"))[1]),
    "conference-proposed": (200, lambda w, lang: _signed_in(w, lang).get(f"/protocols/conferences/{_conference(w)}/")),
    "conference-schedule-empty-form": (422, lambda w, lang: _signed_in(w, lang).post(
        f"/protocols/conferences/{_conference(w)}/schedule/", {"version": "1"})),
    "conference-scheduled": (200, lambda w, lang: _signed_in(w, lang).get(f"/protocols/conferences/{_conference(w, 'scheduled')}/")),
    "conference-record-empty-form": (422, lambda w, lang: _signed_in(w, lang).post(
        f"/protocols/conferences/{_conference(w, 'scheduled')}/record/", {"version": "2"})),
    "conference-held": (200, lambda w, lang: _signed_in(w, lang).get(f"/protocols/conferences/{_conference(w, 'held')}/")),
    "conference-propose": (200, _propose_page),
    "case-with-conference": (200, _case_with_conference),
})
