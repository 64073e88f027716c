"""The conference pages: the coordinator's list, schedule, record, dismiss, propose by hand; the case
page's card; other roles are refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from qorgau.core import clock
from qorgau.protocols.conferences import conference_schedule, conferences_propose
from qorgau.protocols.models import Task, Trigger
from qorgau.protocols.models_conferences import Conference, ConferenceStatus
from tests.conferences.support import breach, soon
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(case, inspector, coordinator):
    breach(case, inspector)
    conferences_propose()
    return Conference.objects.get(case=case)


def _client(user, language: str = "en") -> Client:
    type(user).objects.filter(pk=user.pk).update(language=language)
    user.refresh_from_db()
    return sign_in(Client(), user)


def test_the_list_shows_the_units_conferences_with_reasons_in_words(proposed, coordinator):
    r = _client(coordinator).get("/protocols/conferences/")
    assert r.status_code == 200
    body = r.content.decode()
    assert f'data-conference="{proposed.pk}"' in body
    assert "A protective order was breached" in body


@pytest.mark.parametrize("role", ["police_inspector", "social_worker", "judge", "analyst", "administrator"])
def test_other_roles_are_refused(proposed, make_user, role):
    client = _client(make_user(role))
    assert client.get("/protocols/conferences/").status_code == 403
    assert client.get(f"/protocols/conferences/{proposed.pk}/").status_code == 403
    assert client.post(f"/protocols/conferences/{proposed.pk}/dismiss/", {"version": "1", "reason": "нет"}).status_code == 403


def test_another_units_coordinator_gets_not_found(proposed, make_user, other_unit):
    stranger = make_user("conference_coordinator", unit=other_unit, username="stranger")
    client = _client(stranger)
    assert client.get(f"/protocols/conferences/{proposed.pk}/").status_code == 404
    assert client.get("/protocols/conferences/").content.decode().count("data-conference=") == 0


def test_schedule_through_the_page(proposed, coordinator, crisis_unit):
    client = _client(coordinator)
    page = client.get(f"/protocols/conferences/{proposed.pk}/")
    assert page.status_code == 200 and 'data-testid="schedule-form"' in page.content.decode()
    assert f'value="{crisis_unit.pk}"' in page.content.decode()  # the routed crisis centre may be invited
    when = clock.local(soon(), "Asia/Almaty").strftime("%Y-%m-%dT%H:%M")
    r = client.post(f"/protocols/conferences/{proposed.pk}/schedule/",
                    {"version": "1", "when": when, "place": "Зал 2", "invited": [str(crisis_unit.pk)]})
    assert r.status_code == 302
    proposed.refresh_from_db()
    assert (proposed.status, proposed.place) == (ConferenceStatus.SCHEDULED, "Зал 2")
    assert clock.local(proposed.scheduled_for, "Asia/Almaty").strftime("%Y-%m-%dT%H:%M") == when


def test_schedule_errors_are_shown_with_422(proposed, coordinator, crisis_unit):
    past = clock.local(clock.now() - timedelta(hours=3), "Asia/Almaty").strftime("%Y-%m-%dT%H:%M")
    r = _client(coordinator).post(f"/protocols/conferences/{proposed.pk}/schedule/",
                                  {"version": "1", "when": past, "place": "Зал", "invited": [str(crisis_unit.pk)]})
    assert r.status_code == 422
    assert "The conference must be in the future." in r.content.decode()
    r = _client(coordinator).post(f"/protocols/conferences/{proposed.pk}/schedule/", {"version": "1"})
    assert r.status_code == 422
    for message in ("Give the date and time of the conference.", "Say where the conference meets.", "Invite at least one other agency."):
        assert message in r.content.decode()


def test_record_through_the_page_makes_tasks(proposed, coordinator, crisis_unit, police_unit):
    c = conference_schedule(actor=coordinator, conference=proposed, version=1, when=soon(), place="Зал", invited_ids=[crisis_unit.pk])
    client = _client(coordinator)
    due = (clock.local(clock.now(), "Asia/Almaty").date() + timedelta(days=4)).isoformat()
    data = {
        "version": str(c.version), "attended": [str(c.convening_unit_id), str(crisis_unit.pk)], "minutes": "Решили помочь с жильём",
        "d0_text": "Предложить место в убежище", "d0_owner": str(crisis_unit.pk), "d0_due_on": due,
        "d2_text": "Патрульный визит", "d2_owner": str(police_unit.pk), "d2_due_on": due,
    }
    r = client.post(f"/protocols/conferences/{c.pk}/record/", data)
    assert r.status_code == 302
    tasks = Task.objects.filter(trigger=Trigger.CONFERENCE_DECISION).order_by("key")
    assert [(t.unit_id, t.title) for t in tasks] == [(crisis_unit.pk, "Предложить место в убежище"), (police_unit.pk, "Патрульный визит")]
    page = client.get(f"/protocols/conferences/{c.pk}/").content.decode()
    assert "Решили помочь с жильём" in page and 'data-testid="decisions"' in page


def test_record_errors_point_at_the_form_row(proposed, coordinator, crisis_unit):
    c = conference_schedule(actor=coordinator, conference=proposed, version=1, when=soon(), place="Зал", invited_ids=[crisis_unit.pk])
    r = _client(coordinator).post(f"/protocols/conferences/{c.pk}/record/", {
        "version": str(c.version), "attended": [str(crisis_unit.pk)], "minutes": "Протокол",
        "d1_text": "Позвонить ей", "d1_due_on": (clock.now().date() + timedelta(days=2)).isoformat(),
    })
    assert r.status_code == 422
    body = r.content.decode()
    assert "Choose the unit that owns this action." in body
    # The error sits in the second decision's fieldset (row 1), not the first.
    row1 = body.split('data-testid="decision-1"')[1].split("</fieldset>")[0]
    assert "Choose the unit that owns this action." in row1
    assert not Task.objects.filter(trigger=Trigger.CONFERENCE_DECISION).exists()


def test_a_stale_form_gets_the_conflict_page(proposed, coordinator, crisis_unit):
    conference_schedule(actor=coordinator, conference=proposed, version=1, when=soon(), place="Зал", invited_ids=[crisis_unit.pk])
    r = _client(coordinator).post(f"/protocols/conferences/{proposed.pk}/dismiss/", {"version": "1", "reason": "Не нужна"})
    assert r.status_code == 409
    assert Conference.objects.get(pk=proposed.pk).status == ConferenceStatus.SCHEDULED


def test_dismiss_through_the_page(proposed, coordinator):
    client = _client(coordinator)
    assert client.post(f"/protocols/conferences/{proposed.pk}/dismiss/", {"version": "1", "reason": ""}).status_code == 422
    r = client.post(f"/protocols/conferences/{proposed.pk}/dismiss/", {"version": "1", "reason": "Она в убежище, план есть"})
    assert r.status_code == 302
    assert Conference.objects.get(pk=proposed.pk).status == ConferenceStatus.DISMISSED


def test_propose_by_hand_from_the_case_page(case, coordinator, fsc_unit):
    from qorgau.accounts.masks import Scope
    from qorgau.cases.ledger import grant_add

    client = _client(coordinator)
    assert client.get(f"/protocols/conferences/case/{case.pk}/propose/").status_code == 404  # the unit cannot open the case
    grant_add(case, fsc_unit, "supervisor", Scope.WORKER, by=None)
    card = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="conference-propose"' in card
    assert client.post(f"/protocols/conferences/case/{case.pk}/propose/", {}).status_code == 422
    r = client.post(f"/protocols/conferences/case/{case.pk}/propose/", {"reasons": ["coordinator"]})
    conference = Conference.objects.get(case=case)
    assert r.status_code == 302 and r["Location"] == f"/protocols/conferences/{conference.pk}/"


def test_the_case_card_is_read_only_for_other_units(proposed, coordinator, inspector, crisis_unit):
    conference_schedule(actor=coordinator, conference=proposed, version=1, when=soon(), place="Зал 7", invited_ids=[crisis_unit.pk])
    body = _client(inspector).get(f"/cases/{proposed.case_id}/").content.decode()
    assert 'data-testid="conferences"' in body and "Зал 7" in body
    assert 'data-testid="conference-manage"' not in body and 'data-testid="conference-propose"' not in body
    body = _client(coordinator).get(f"/cases/{proposed.case_id}/").content.decode()
    assert 'data-testid="conference-manage"' in body


def test_a_case_without_conferences_shows_no_card_to_other_roles(case, inspector):
    assert 'data-testid="conferences"' not in _client(inspector).get(f"/cases/{case.pk}/").content.decode()
