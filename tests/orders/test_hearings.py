"""Court hearings: scheduling (who, bad input, the timeline, the audit, the holding unit told), moving
and adjourning (stale versions), held with the decision, cancelled; the docket's sections and dates;
the pages."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import Scope
from qorgau.accounts.models import Notification, NotificationKind
from qorgau.accounts.roles import Role
from qorgau.cases.models import CaseEvent, EventKind
from qorgau.core import clock
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditEvent
from qorgau.orders import court, hearings, selectors, services
from qorgau.orders.models import CourtHearing, HearingStatus, SpecialisedCourt
from qorgau.orders.views import orders_context
from tests.conftest import sign_in
from tests.orders.support import court_unit, grant, make_cases, police_input

pytestmark = pytest.mark.django_db

ZONE = ZoneInfo("Asia/Almaty")
LOCAL = "%Y-%m-%dT%H:%M"


def at_local(days: int, hour: int = 10) -> datetime:
    """A time ``days`` from today at ``hour`` o'clock in Almaty."""
    today = clock.local(clock.now(), "Asia/Almaty").date()
    return datetime.combine(today + timedelta(days=days), time(hour), tzinfo=ZONE)


def _invalid(fn, **kw) -> dict[str, list[str]]:
    with pytest.raises(Invalid) as exc, translation.override("en"):
        fn(**kw)
    return exc.value.fields


@pytest.fixture
def case(inspector):
    return make_cases(inspector)[0]


@pytest.fixture
def bench(case):
    unit = court_unit()
    grant(case, unit)
    return unit


@pytest.fixture
def clerk(bench, make_user):
    return make_user(Role.COURT_CLERK, unit=bench)


def test_a_clerk_schedules_and_the_holding_unit_is_told(inspector, case, clerk, make_user):
    colleague = make_user(Role.POLICE_SUPERVISOR)  # same unit as the inspector: the unit holding the case
    order = services.order_issue(actor=inspector, case=case, data=police_input(case))
    when = at_local(3)
    hearing = hearings.hearing_schedule(actor=clerk, case=case, kind="special_requirements", scheduled_for=when, order_id=order.pk)
    assert (hearing.status, hearing.court_unit_id, hearing.order_id, hearing.version) == ("scheduled", clerk.unit_id, order.pk, 1)
    event = CaseEvent.objects.get(case=case, kind=EventKind.HEARING)
    assert (event.unit_id, event.reason) == (clerk.unit_id, when.strftime("%d.%m.%Y 10:00"))
    assert AuditEvent.objects.filter(target_type="hearing", target_id=str(hearing.pk), action="write").count() == 1
    told = set(Notification.objects.filter(kind=NotificationKind.HEARING_SCHEDULED).values_list("recipient_id", flat=True))
    assert told == {inspector.pk, colleague.pk}
    assert Notification.objects.get(recipient=inspector, kind=NotificationKind.HEARING_SCHEDULED).target_id == str(hearing.pk)
    assert selectors.next_hearing(case) == hearing


def test_bad_input_and_who_may_schedule(inspector, case, clerk, make_user, other_unit):
    fields = _invalid(hearings.hearing_schedule, actor=clerk, case=case, kind="party", scheduled_for=clock.now() - timedelta(hours=1), order_id=999999)
    assert fields == {
        "kind": ["Choose one of the offered values."],
        "scheduled_for": ["This time has already passed: a hearing is scheduled ahead."],
        "order": ["Choose one of the offered values."],
    }
    assert _invalid(hearings.hearing_schedule, actor=clerk, case=case, kind="other", scheduled_for=None) == {
        "scheduled_for": ["Enter the date and time of the hearing."]}
    assert _invalid(hearings.hearing_schedule, actor=clerk, case=case, kind="other", scheduled_for=at_local(800)) == {
        "scheduled_for": ["Check the year: a hearing more than two years ahead is not accepted."]}
    # A judge whose unit is the police department (a wrong account) cannot set a hearing there.
    judge_in_police = make_user(Role.JUDGE)
    assert _invalid(hearings.hearing_schedule, actor=judge_in_police, case=case, kind="other", scheduled_for=at_local(2)) == {
        "__all__": ["Only a court schedules hearings, and your unit is not a court."]}
    with pytest.raises(Forbidden):
        hearings.hearing_schedule(actor=inspector, case=case, kind="other", scheduled_for=at_local(2))
    with pytest.raises(NotFound):
        hearings.hearing_schedule(actor=make_user(Role.JUDGE, unit=court_unit("Другой суд")), case=case, kind="other", scheduled_for=at_local(2))
    assert CourtHearing.objects.count() == 0 and not CaseEvent.objects.filter(kind=EventKind.HEARING).exists()


def test_move_adjourn_hold_and_cancel(inspector, case, clerk, make_user, bench):
    hearing = hearings.hearing_schedule(actor=clerk, case=case, kind="administrative", scheduled_for=at_local(1))
    with pytest.raises(Conflict):
        hearings.hearing_reschedule(actor=clerk, hearing=hearing, version=hearing.version + 1, scheduled_for=at_local(2))
    assert _invalid(hearings.hearing_reschedule, actor=clerk, hearing=hearing, version=1, scheduled_for=at_local(2), adjourn=True) == {
        "reason": ["This field is required."]}
    assert _invalid(hearings.hearing_reschedule, actor=clerk, hearing=hearing, version=1, scheduled_for=hearing.scheduled_for) == {
        "scheduled_for": ["Choose a date and time other than the current one."]}
    moved = hearings.hearing_reschedule(actor=clerk, hearing=hearing, version=1, scheduled_for=at_local(2))
    assert (moved.status, moved.version, moved.scheduled_for) == (HearingStatus.SCHEDULED, 2, at_local(2))
    adjourned = hearings.hearing_reschedule(actor=clerk, hearing=moved, version=2, scheduled_for=at_local(9), adjourn=True, reason="свидетель не явился")
    assert (adjourned.status, adjourned.version) == (HearingStatus.ADJOURNED, 3)
    assert Notification.objects.filter(recipient=inspector, kind=NotificationKind.HEARING_SCHEDULED).count() == 3
    assert CaseEvent.objects.filter(case=case, kind=EventKind.HEARING).last().reason.endswith("свидетель не явился")
    # Another court's clerk with a grant on the case may not touch this court's hearing.
    other_court = court_unit("Суд другого района")
    grant(case, other_court)
    with pytest.raises(Forbidden):
        hearings.hearing_cancel(actor=make_user(Role.COURT_CLERK, unit=other_court), hearing=adjourned, version=3, reason="x")
    # Not held before its day.
    assert _invalid(hearings.hearing_hold, actor=clerk, hearing=adjourned, version=3) == {
        "__all__": ["The hearing is set for a later day: it cannot have been held yet."]}
    today = clock.local(clock.now(), bench.timezone).date()
    decision = court_record(clerk, case, today)
    with clock.frozen(at_local(9, 16)):
        held = hearings.hearing_hold(actor=clerk, hearing=adjourned, version=3, outcome="постановление вынесено", decision_id=decision.pk)
    assert (held.status, held.decision_id, held.outcome, held.version) == (HearingStatus.HELD, decision.pk, "постановление вынесено", 4)
    assert _invalid(hearings.hearing_cancel, actor=clerk, hearing=held, version=4, reason="x") == {
        "__all__": ["This hearing was already held or cancelled."]}
    second = hearings.hearing_schedule(actor=clerk, case=case, kind="other", scheduled_for=at_local(4))
    assert _invalid(hearings.hearing_cancel, actor=clerk, hearing=second, version=1, reason=" ") == {"reason": ["This field is required."]}
    cancelled = hearings.hearing_cancel(actor=clerk, hearing=second, version=1, reason="производство прекращено")
    assert cancelled.status == HearingStatus.CANCELLED
    assert selectors.next_hearing(case) is None


def court_record(clerk, case, day):
    return court.court_decision_record(actor=clerk, case=case, kind="special_requirements", decided_on=day, reference="2-55/2025")


def test_the_docket_sections_and_dates(inspector, case, clerk, bench, make_user):
    SpecialisedCourt.objects.create(unit=bench)
    # "Today" is tomorrow at 8: after the fixtures' grants began, whatever the hour the suite runs at.
    with clock.frozen(at_local(1, 8)):
        today = hearings.hearing_schedule(actor=clerk, case=case, kind="other", scheduled_for=at_local(0, 12))
        tomorrow = hearings.hearing_schedule(actor=clerk, case=case, kind="extension", scheduled_for=at_local(1))
        week = hearings.hearing_schedule(actor=clerk, case=case, kind="special_requirements", scheduled_for=at_local(7, 9))
        later = hearings.hearing_schedule(actor=clerk, case=case, kind="criminal_trial", scheduled_for=at_local(8, 9))
        # Another court's hearing is not on this docket.
        other = court_unit("Суд другого района")
        grant(case, other)
        hearings.hearing_schedule(actor=make_user(Role.COURT_CLERK, unit=other), case=case, kind="other", scheduled_for=at_local(2))
        docket = selectors.court_docket(clerk)
        assert docket.specialised
        assert [h.pk for h in docket.hearings_today] == [today.pk]
        assert [h.pk for h in docket.hearings_week] == [tomorrow.pk, week.pk]
        assert [h.pk for h in docket.hearings_later] == [later.pk]
        assert docket.hearings_unsettled == []
        narrowed = selectors.court_docket(clerk, since=docket.today + timedelta(days=7), until=docket.today + timedelta(days=7))
        assert [h.pk for h in narrowed.hearings_today + narrowed.hearings_week + narrowed.hearings_later] == [week.pk]
        page = sign_in(Client(), clerk)
        html = page.get("/orders/docket/").content.decode()
        assert f'data-hearing="{later.pk}"' in html and 'data-testid="specialised"' in html
        bad = page.get("/orders/docket/", {"since": "2026-02-10", "until": "2026-02-01"})
        assert bad.status_code == 422 and "until" in bad.context["form"].errors
        assert page.get("/orders/docket/", {"since": "not a date"}).status_code == 422
    with clock.frozen(at_local(3, 8)):
        docket = selectors.court_docket(clerk)
        # Past with no outcome: the office still owes it; the rest moves up.
        assert [h.pk for h in docket.hearings_unsettled] == [today.pk, tomorrow.pk]
        assert ([h.pk for h in docket.hearings_week], [h.pk for h in docket.hearings_later]) == ([week.pk, later.pk], [])


def test_the_pages_schedule_move_and_hold(inspector, case, clerk, bench):
    c = sign_in(Client(), clerk)
    url = f"/orders/case/{case.pk}/court/"
    bad = c.post(url, {"action": "hearing", "kind": "other", "scheduled_for": (clock.now() - timedelta(days=1)).astimezone(ZONE).strftime(LOCAL)})
    assert bad.status_code == 422 and "scheduled_for" in bad.context["hearing_form"].errors
    ok = c.post(url, {"action": "hearing", "kind": "special_requirements", "scheduled_for": at_local(5).strftime(LOCAL)})
    assert ok.status_code == 302
    hearing = CourtHearing.objects.get()
    assert hearing.scheduled_for == at_local(5)
    assert f'data-hearing="{hearing.pk}"' in c.get(url).content.decode()
    page = f"/orders/hearings/{hearing.pk}/"
    assert 'data-testid="reschedule-form"' in c.get(page).content.decode()
    stale = c.post(page, {"action": "reschedule", "version": "7", "scheduled_for": at_local(6).strftime(LOCAL)})
    assert stale.status_code == 409 and 'data-testid="conflict"' in stale.content.decode()
    moved = c.post(page, {"action": "reschedule", "version": "1", "scheduled_for": at_local(6).strftime(LOCAL), "adjourn": "on", "reason": "просьба сторон"})
    assert moved.status_code == 302
    hearing.refresh_from_db()
    assert (hearing.status, hearing.scheduled_for) == (HearingStatus.ADJOURNED, at_local(6))
    early = c.post(page, {"action": "held", "version": "2", "outcome": "итог"})
    assert early.status_code == 422 and early.context["held_form"].non_field_errors()
    assert c.post(page, {"action": "nonsense"}).status_code == 422
    # The police see the hearing, without the buttons, and may not change it.
    police = sign_in(Client(), inspector)
    seen = police.get(page)
    assert seen.status_code == 200 and 'data-testid="reschedule-form"' not in seen.content.decode()
    assert police.post(page, {"action": "cancel", "version": "2", "reason": "x"}).status_code == 403
    ctx = orders_context(inspector, case, viewer_for(inspector, scope=Scope.FULL))
    card = render_to_string("orders/_case_orders.html", {"case": case, **ctx})
    assert 'data-testid="next-hearing"' in card and 'data-testid="court-page"' in card


def test_another_units_user_gets_404(case, clerk, make_user, other_unit):
    hearing = hearings.hearing_schedule(actor=clerk, case=case, kind="other", scheduled_for=at_local(2))
    stranger = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, unit=other_unit))
    assert stranger.get(f"/orders/hearings/{hearing.pk}/").status_code == 404
    assert stranger.post(f"/orders/hearings/{hearing.pk}/", {"action": "cancel", "version": "1", "reason": "x"}).status_code == 404
