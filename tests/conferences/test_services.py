"""The coordinator's writes: propose by hand, schedule, record (decisions become tasks), dismiss;
stale versions are conflicts and bad input names the field."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.utils import translation

from qorgau.accounts.models import Notification, NotificationKind
from qorgau.cases.access import grants_in_force
from qorgau.cases.models import CaseEvent, EventKind
from qorgau.core import clock
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.protocols.conferences import (
    DecisionInput,
    conference_dismiss,
    conference_propose_for,
    conference_record,
    conference_schedule,
    conferences_propose,
)
from qorgau.protocols.models import Task, TaskStatus, Trigger
from qorgau.protocols.models_conferences import Conference, ConferenceAttendee, ConferenceStatus
from qorgau.protocols.selectors import queue_for
from tests.conferences.support import breach, decision, soon

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def proposed(case, inspector, coordinator):
    breach(case, inspector)
    conferences_propose()
    return Conference.objects.get(case=case)


@pytest.fixture
def scheduled(proposed, coordinator, police_unit, crisis_unit):
    return conference_schedule(actor=coordinator, conference=proposed, version=proposed.version, when=soon(), place="Зал 2",
                               invited_ids=[police_unit.pk, crisis_unit.pk])


def test_schedule_invites_grants_and_tells_the_units(proposed, coordinator, police_unit, crisis_unit, crisis_worker, inspector):
    assert not grants_in_force().filter(case=proposed.case, unit=crisis_unit).exists()
    when = soon()
    c = conference_schedule(actor=coordinator, conference=proposed, version=proposed.version, when=when, place="Зал 2",
                            invited_ids=[police_unit.pk, crisis_unit.pk])
    assert (c.status, c.scheduled_for, c.place, c.version) == (ConferenceStatus.SCHEDULED, when, "Зал 2", 2)
    assert sorted(ConferenceAttendee.objects.filter(conference=c).values_list("unit_id", flat=True)) == sorted(
        [c.convening_unit_id, police_unit.pk, crisis_unit.pk])
    assert grants_in_force().filter(case=c.case, unit=crisis_unit, scope="worker", reason="task").count() == 1
    assert grants_in_force().filter(case=c.case, unit=police_unit).count() == 1  # it held one already: none added
    told = set(Notification.objects.filter(kind=NotificationKind.CONFERENCE_SCHEDULED).values_list("recipient__username", flat=True))
    assert told == {crisis_worker.username, inspector.username}
    assert CaseEvent.objects.filter(case=c.case, kind=EventKind.CONFERENCE, to_state="scheduled").count() == 1


def test_schedule_with_a_stale_version_is_a_conflict(proposed, coordinator, police_unit):
    with pytest.raises(Conflict):
        conference_schedule(actor=coordinator, conference=proposed, version=proposed.version + 1, when=soon(), place="Зал 2",
                            invited_ids=[police_unit.pk])
    assert Conference.objects.get(pk=proposed.pk).status == ConferenceStatus.PROPOSED


@pytest.mark.parametrize(("when", "place", "invited", "field", "message"), [
    (None, "Зал 2", True, "when", "Give the date and time of the conference."),
    (-1, "Зал 2", True, "when", "The conference must be in the future."),
    (400 * 24, "Зал 2", True, "when", "A conference can be scheduled at most a year ahead."),
    (48, "  ", True, "place", "Say where the conference meets."),
    (48, "x" * 201, True, "place", "At most 200 characters."),
    (48, "Зал 2", False, "invited", "Invite at least one other agency."),
])
def test_schedule_bad_input(proposed, coordinator, police_unit, when, place, invited, field, message):
    at = None if when is None else clock.now() + timedelta(hours=when)
    with pytest.raises(Invalid) as exc:
        conference_schedule(actor=coordinator, conference=proposed, version=proposed.version, when=at, place=place,
                            invited_ids=[police_unit.pk] if invited else [proposed.convening_unit_id])
    assert exc.value.fields[field] == [message]


def test_schedule_refuses_an_unknown_unit(proposed, coordinator):
    with pytest.raises(Invalid) as exc:
        conference_schedule(actor=coordinator, conference=proposed, version=proposed.version, when=soon(), place="Зал 2", invited_ids=[999999])
    assert "invited" in exc.value.fields


def test_only_the_convening_units_coordinator_manages(proposed, make_user, police_unit, fsc_worker, other_unit):
    with pytest.raises(Forbidden):
        conference_schedule(actor=fsc_worker, conference=proposed, version=1, when=soon(), place="Зал", invited_ids=[police_unit.pk])
    stranger = make_user("conference_coordinator", unit=other_unit, username="atyrau_coordinator")
    with pytest.raises(NotFound):
        conference_dismiss(actor=stranger, conference=proposed, version=1, reason="Не наш случай")


def test_record_makes_tasks_with_owners_and_deadlines(scheduled, coordinator, police_unit, crisis_unit, crisis_worker, inspector):
    due = clock.local(clock.now(), "Asia/Almaty").date() + timedelta(days=5)
    held = conference_record(
        actor=coordinator, conference=scheduled, version=scheduled.version, attended_ids=[scheduled.convening_unit_id, crisis_unit.pk],
        minutes="Договорились о плане безопасности.",
        decisions=[DecisionInput(text="Предложить место в убежище", owner_id=crisis_unit.pk, due_on=due, details="С детьми"),
                   decision(police_unit.pk, text="Патрульный визит")],
    )
    assert held.status == ConferenceStatus.HELD and held.held_at is not None and held.minutes == "Договорились о плане безопасности."
    assert set(ConferenceAttendee.objects.filter(conference=held, attended=True).values_list("unit_id", flat=True)) == {
        held.convening_unit_id, crisis_unit.pk}
    tasks = list(Task.objects.filter(trigger=Trigger.CONFERENCE_DECISION).order_by("key"))
    assert [(t.key, t.unit_id, t.status, t.duty_id, t.mode) for t in tasks] == [
        (f"conference:{held.pk}:1", crisis_unit.pk, TaskStatus.OPEN, None, "duty"),
        (f"conference:{held.pk}:2", police_unit.pk, TaskStatus.OPEN, None, "duty"),
    ]
    shelter = tasks[0]
    assert (shelter.heading, shelter.guidance) == ("Предложить место в убежище", "С детьми")
    # The deadline is the end of the due day in the owner unit's zone (Almaty, UTC+5).
    assert shelter.due_at == dt.datetime.combine(due, dt.time(18, 59), tzinfo=dt.UTC)
    assert [d.task_id for d in held.decisions.all()] == [t.pk for t in tasks]
    # The owner sees it in its queue and was told.
    queue = queue_for(crisis_worker)
    assert [t.pk for t in queue.upcoming] == [shelter.pk]
    assert Notification.objects.filter(recipient=crisis_worker, kind=NotificationKind.TASK_ASSIGNED, target_id=str(shelter.pk)).exists()
    assert CaseEvent.objects.filter(case=held.case, kind=EventKind.CONFERENCE, to_state="held").count() == 1


def test_record_twice_is_refused(scheduled, coordinator, crisis_unit):
    kwargs = {"attended_ids": [crisis_unit.pk], "minutes": "Протокол", "decisions": []}
    held = conference_record(actor=coordinator, conference=scheduled, version=scheduled.version, **kwargs)
    with pytest.raises(Invalid) as exc:
        conference_record(actor=coordinator, conference=held, version=held.version, **kwargs)
    assert "status" in exc.value.fields


def test_record_with_a_stale_version_is_a_conflict_and_makes_no_task(scheduled, coordinator, crisis_unit):
    with pytest.raises(Conflict):
        conference_record(actor=coordinator, conference=scheduled, version=scheduled.version - 1, attended_ids=[crisis_unit.pk],
                          minutes="Протокол", decisions=[decision(crisis_unit.pk)])
    assert not Task.objects.filter(trigger=Trigger.CONFERENCE_DECISION).exists()


def test_a_proposed_conference_cannot_be_recorded(proposed, coordinator):
    with pytest.raises(Invalid) as exc:
        conference_record(actor=coordinator, conference=proposed, version=proposed.version, attended_ids=[proposed.convening_unit_id],
                          minutes="Протокол", decisions=[])
    assert exc.value.fields["status"] == ["This conference is Proposed: it cannot be changed that way."]


def test_record_bad_input_names_each_field(scheduled, coordinator, crisis_unit, other_unit):
    past = decision(crisis_unit.pk, days=-1)
    with pytest.raises(Invalid) as exc:
        conference_record(actor=coordinator, conference=scheduled, version=scheduled.version, attended_ids=[other_unit.pk], minutes=" ",
                          decisions=[decision(crisis_unit.pk, text=""), past, decision(999999)])
    assert exc.value.fields == {
        "minutes": ["Write the minutes: what was discussed and agreed."],
        "attended": ["Only invited units can be marked as attending."],
        "decisions.0.text": ["Write what was decided: the action the unit takes."],
        "decisions.1.due_on": ["The deadline cannot be in the past."],
        "decisions.2.owner": ["Choose the unit that owns this action."],
    }
    assert Conference.objects.get(pk=scheduled.pk).status == ConferenceStatus.SCHEDULED


def test_dismiss_and_cancel(proposed, coordinator, police_unit):
    with pytest.raises(Invalid) as exc:
        conference_dismiss(actor=coordinator, conference=proposed, version=proposed.version, reason=" ")
    assert exc.value.fields == {"reason": ["Say why the conference is not needed."]}
    c = conference_schedule(actor=coordinator, conference=proposed, version=proposed.version, when=soon(), place="Зал", invited_ids=[police_unit.pk])
    c = conference_dismiss(actor=coordinator, conference=c, version=c.version, reason="Она переехала в другой город")
    assert (c.status, c.close_reason) == (ConferenceStatus.CANCELLED, "Она переехала в другой город")
    with pytest.raises(Invalid):
        conference_dismiss(actor=coordinator, conference=c, version=c.version, reason="Ещё раз")


def test_propose_by_hand(case, inspector, coordinator, fsc_unit):
    # The coordinator's unit must be able to open the case first.
    with pytest.raises(NotFound):
        conference_propose_for(actor=coordinator, case=case, reasons=["coordinator"])
    from qorgau.accounts.masks import Scope
    from qorgau.cases.ledger import grant_add

    grant_add(case, fsc_unit, "supervisor", Scope.WORKER, by=None)
    with pytest.raises(Invalid) as exc:
        conference_propose_for(actor=coordinator, case=case, reasons=[])
    assert exc.value.fields == {"reasons": ["Choose at least one reason for the conference."]}
    c = conference_propose_for(actor=coordinator, case=case, reasons=["coordinator", "breach"])
    assert (c.status, c.convening_unit, c.proposed_by) == (ConferenceStatus.PROPOSED, fsc_unit, coordinator)
    assert sorted(c.grounds.values_list("reason", flat=True)) == ["breach", "coordinator"]
    assert set(c.grounds.values_list("source_id", flat=True)) == {None}
    with pytest.raises(Invalid) as exc:
        conference_propose_for(actor=coordinator, case=case, reasons=["coordinator"])
    assert exc.value.fields == {"reasons": ["This case already has a conference proposed or scheduled."]}


def test_propose_by_hand_needs_the_capability(case, inspector):
    with pytest.raises(Forbidden):
        conference_propose_for(actor=inspector, case=case, reasons=["coordinator"])


def test_the_database_allows_one_live_conference_per_case(proposed):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Conference.objects.create(case=proposed.case, proposed_at=clock.now(), updated_at=clock.now())
