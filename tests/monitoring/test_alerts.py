"""The alert workflow: raise (event, notices, the police task, her device), acknowledge → dispatch →
resolve with stale versions refused, a breach recorded on resolve, escalation with a frozen clock,
and the silent-device sweep."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qorgau.accounts.models import Notification, NotificationKind
from qorgau.accounts.roles import Role
from qorgau.cases.models import CaseEvent, EventKind
from qorgau.core import clock
from qorgau.core.errors import Conflict, Invalid, NotFound
from qorgau.core.models import AuditEvent
from qorgau.monitoring import alerts
from qorgau.monitoring.models import Alert, AlertStatus, ConditionKind, Episode, Ping, Severity
from qorgau.orders.models import Breach, BreachSource
from qorgau.protocols.definitions import protocols_load
from qorgau.protocols.models import Task
from tests.monitoring.support_c import raise_alert

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_raise_is_idempotent_and_tells_everyone(monitored, make_user, monkeypatch, django_capture_on_commit_callbacks):
    m = monitored
    protocols_load()
    told: list[list[tuple[str, bytes]]] = []
    monkeypatch.setattr(alerts, "victim_devices_tell", told.append)
    second_operator = make_user(Role.MONITORING_OPERATOR, unit=m.unit)
    with django_capture_on_commit_callbacks(execute=True):
        alert = raise_alert(m)
    assert (alert.kind, alert.severity, alert.case_id, alert.unit_id, alert.status) == (
        ConditionKind.PROXIMITY, Severity.CRITICAL, m.case.pk, m.unit.pk, AlertStatus.OPEN)
    assert alerts.alert_raise(episode=alert.episode, received_at=clock.now()).pk == alert.pk
    notified = set(Notification.objects.filter(kind=NotificationKind.MONITORING_ALERT).values_list("recipient_id", flat=True))
    assert notified == {m.operator.pk, second_operator.pk}
    assert CaseEvent.objects.filter(case=m.case, kind=EventKind.MONITORING).count() == 1
    tasks = Task.objects.filter(case=m.case, duty__code="police_monitoring_response")
    assert tasks.count() == 1 and tasks.get().unit.kind_id == "police"
    assert told == [[(f"qorgau/dev/{m.victim_device.serial}/alerts",
                      b'{"alert": %d, "kind": "proximity", "severity": "critical", "action": "keep_distance"}' % alert.pk)]]
    assert b"lat" not in told[0][0][1]


def test_technical_alert_goes_to_the_operator_only(monitored, monkeypatch, django_capture_on_commit_callbacks):
    told: list = []
    monkeypatch.setattr(alerts, "victim_devices_tell", told.append)
    protocols_load()
    with django_capture_on_commit_callbacks(execute=True):
        alert = raise_alert(monitored, ConditionKind.TAMPER)
    assert alert.severity == Severity.TECHNICAL and told == []
    assert not Task.objects.filter(case=monitored.case, duty__code="police_monitoring_response").exists()


def test_steps_are_timed_versioned_and_audited(monitored, make_user, other_unit):
    m = monitored
    with clock.frozen(T0) as c:
        alert = raise_alert(m)
        c.advance(dt.timedelta(seconds=40))
        with pytest.raises(Conflict):
            alerts.alert_acknowledge(actor=m.operator, alert=alert, version=2)
        alert = alerts.alert_acknowledge(actor=m.operator, alert=alert, version=1)
        assert (alert.status, alert.acknowledged_at, alert.acknowledged_by_id, alert.version) == (
            AlertStatus.ACKNOWLEDGED, T0 + dt.timedelta(seconds=40), m.operator.pk, 2)
        with pytest.raises(Invalid) as e:
            alerts.alert_acknowledge(actor=m.operator, alert=alert, version=2)
        assert e.value.fields == {"__all__": ["This alert has already been acknowledged."]}
        c.advance(dt.timedelta(seconds=60))
        alert = alerts.alert_dispatch(actor=m.operator, alert=alert, version=2, note="patrol 12")
        assert (alert.status, alert.dispatched_at, alert.dispatch_note) == (AlertStatus.DISPATCHED, T0 + dt.timedelta(seconds=100), "patrol 12")
        with pytest.raises(Invalid) as e:
            alerts.alert_resolve(actor=m.operator, alert=alert, version=3, outcome="maybe")
        assert e.value.fields == {"outcome": ["Choose one of the offered values."]}
        alert = alerts.alert_resolve(actor=m.operator, alert=alert, version=3, outcome="false_alarm", note="GPS drift")
        assert (alert.status, alert.outcome, alert.breach_id, alert.version) == (AlertStatus.RESOLVED, "false_alarm", None, 4)
    assert AuditEvent.objects.filter(target_type="monitoring_alert", target_id=str(alert.pk)).count() == 4
    stranger = make_user(Role.MONITORING_OPERATOR, unit=other_unit)
    with pytest.raises(NotFound):
        alerts.alert_acknowledge(actor=stranger, alert=alert, version=4)
    with pytest.raises(NotFound):
        alerts.alert_resolve(actor=m.inspector, alert=alert, version=4, outcome="breach")


def test_resolve_as_breach_records_it_on_the_order(monitored):
    m = monitored
    alert = raise_alert(m, ConditionKind.ZONE)
    alert = alerts.alert_resolve(actor=m.operator, alert=alert, version=1, outcome="breach", note="confirmed by patrol")
    breach = Breach.objects.get()
    assert alert.breach_id == breach.pk and breach.order_id == m.order.pk and breach.source == BreachSource.MONITORING
    assert breach.occurred_at == alert.occurred_at
    assert breach.what.startswith("Electronic monitoring: Entered an exclusion zone at ")
    assert "43.2" not in breach.what and "76.8" not in breach.what
    assert CaseEvent.objects.filter(case=m.case, kind=EventKind.BREACH).count() == 1


def test_resolve_as_breach_without_an_order_says_so(monitored, make_user):
    from qorgau.monitoring.models import Assignment
    from qorgau.orders.court import court_decision_record
    from tests.monitoring.support_c import court_staff

    m = monitored
    judge = court_staff(make_user, m)
    decision = court_decision_record(actor=judge, case=m.case, kind="other", decided_on=clock.now().date(), reference="2-5/2026")
    Assignment.objects.filter(case=m.case).update(decision=decision, order=None)
    alert = raise_alert(m)
    alert = alerts.alert_resolve(actor=m.operator, alert=alert, version=1, outcome="breach", note="seen by patrol")
    assert (alert.status, alert.outcome, alert.breach_id) == (AlertStatus.RESOLVED, "breach", None)
    assert alert.resolution_note == (
        "seen by patrol\nNo protective order stands behind this assignment: the breach could not be recorded on an order.")
    assert not Breach.objects.exists()


def test_escalation_once_per_level_with_a_frozen_clock(monitored, make_user, settings):
    m = monitored
    settings.QORGAU_MONITORING = {**settings.QORGAU_MONITORING, "ACK_MINUTES": 3}
    police_officer = make_user(Role.POLICE_INSPECTOR)  # the registering police unit holds a grant on the case
    t0 = clock.now().replace(microsecond=0) + dt.timedelta(hours=1)  # after the grants began
    with clock.frozen(t0) as c:
        alert = raise_alert(m)
        c.advance(dt.timedelta(minutes=2, seconds=59))
        assert alerts.alerts_escalate_due() == 0
        c.advance(dt.timedelta(seconds=1))
        assert alerts.alerts_escalate_due() == 1
        assert alerts.alerts_escalate_due() == 0  # same clock: nothing twice
        alert.refresh_from_db()
        assert (alert.escalation_level, alert.escalated_at) == (1, t0 + dt.timedelta(minutes=3))
        escalated = Notification.objects.filter(kind=NotificationKind.MONITORING_ESCALATED)
        assert {m.operator.pk, police_officer.pk, m.inspector.pk} <= set(escalated.values_list("recipient_id", flat=True))
        n = escalated.count()
        c.advance(dt.timedelta(minutes=3))
        assert alerts.alerts_escalate_due() == 1
        alert.refresh_from_db()
        assert alert.escalation_level == 2 and escalated.count() == 2 * n
        alerts.alert_acknowledge(actor=m.operator, alert=alert, version=alert.version)
        c.advance(dt.timedelta(minutes=30))
        assert alerts.alerts_escalate_due() == 0


def test_silent_devices_raise_once(monitored, settings):
    m = monitored
    settings.QORGAU_MONITORING = {**settings.QORGAU_MONITORING, "NO_SIGNAL_MINUTES": 15}
    start = m.assignments[0].started_at
    with clock.frozen(start + dt.timedelta(minutes=14)):
        assert alerts.episodes_silent_raise() == 0
    with clock.frozen(start + dt.timedelta(minutes=16)) as c:
        Ping.objects.create(device=m.victim_device, seq=1, ts=c.at, received_at=c.at - dt.timedelta(minutes=1), position="43.2,76.9")
        assert alerts.episodes_silent_raise() == 1  # her device was heard a minute ago; his bracelet never
        assert alerts.episodes_silent_raise() == 0
    episode = Episode.objects.get(kind=ConditionKind.NO_SIGNAL)
    assert episode.subject == f"no_signal:{m.bracelet.pk}" and episode.alert.severity == Severity.TECHNICAL
    assert episode.alert.case_id == m.case.pk


def test_demo_seed_makes_alerts_in_each_state(operator, mon_inspector):
    from qorgau.monitoring.demo_seed import monitoring_demo
    from qorgau.monitoring.models import Alert, Device
    from qorgau.orders.services import order_issue, order_serve
    from tests.orders.support import make_cases, police_input

    with clock.frozen(clock.now() - dt.timedelta(hours=5)):
        (case,) = make_cases(mon_inspector, serial=4000)
        order = order_issue(actor=mon_inspector, case=case, data=police_input(case))
        order_serve(actor=mon_inspector, order=order, version=order.version)
    summary = monitoring_demo(operator_username="mon_operator", police_username="mon_inspector")
    assert summary == "Electronic monitoring: 3 devices, 5 alerts on 1 cases."
    assert sorted(Alert.objects.values_list("status", flat=True)) == ["acknowledged", "dispatched", "open", "resolved", "resolved"]
    assert Alert.objects.filter(outcome="breach", breach__isnull=False).count() == 1
    assert Device.objects.count() == 3
    assert monitoring_demo(operator_username="mon_operator", police_username="mon_inspector").endswith("nothing made")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(gaps=st.lists(st.integers(0, 600), min_size=1, max_size=8))
def test_escalation_matches_its_rule_for_any_run_times(monitored, settings, gaps):
    """The sweep may run at any moments (a late minute, two runs at once): the level moves once per
    run at most, only when ACK_MINUTES have passed since the raise or the last escalation."""
    settings.QORGAU_MONITORING = {**settings.QORGAU_MONITORING, "ACK_MINUTES": 3}
    Episode.objects.filter(ended_at__isnull=True).update(ended_at=clock.now())
    t0 = clock.now().replace(microsecond=0) + dt.timedelta(hours=1)
    with clock.frozen(t0) as c:
        alert = raise_alert(monitored, ConditionKind.LOW_BATTERY)
        level, last = 0, t0
        for gap in gaps:
            c.advance(dt.timedelta(seconds=gap))
            due = c.at - last >= dt.timedelta(minutes=3)
            moved = alerts.alerts_escalate_due()
            assert alerts.alerts_escalate_due() == 0
            alert.refresh_from_db()
            if due:
                level, last = level + 1, c.at
            assert moved == int(due)
            assert (alert.escalation_level, alert.escalated_at) == (level, last if level else None)
    Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.RESOLVED)  # out of the next example's sweep
