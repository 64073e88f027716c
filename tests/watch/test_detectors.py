"""The detectors of unusual access: each fires on its pattern and not one step below it, once per
user, kind and window, and tells the right people."""

from __future__ import annotations

import datetime as dt

import pytest

from qorgau.accounts.models import Notification, NotificationKind
from qorgau.core.models import AuditAction, AuditEvent
from qorgau.watch.detectors import access_watch_run, alert_recipients, unit_baseline
from qorgau.watch.models import AccessAlert, AlertKind
from tests.watch.conftest import NOW

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def _kinds(alerts) -> list[tuple[str, str, int]]:
    return sorted((a.kind, a.user.username, a.count) for a in alerts)


# --- (a) many distinct cases in a day ------------------------------------------------------------------


def _history(audit, colleague, per_day: int, days: int = 10) -> None:
    """The colleague's usual days: ``per_day`` distinct cases on each of ``days`` past days."""
    for k in range(1, days + 1):
        audit(colleague, AuditAction.READ, NOW - k * D, ids=list(range(100, 100 + per_day)))


def test_many_cases_fires_above_factor_times_the_units_median(watch_settings, now, audit, inspector, colleague, supervisor):
    _history(audit, colleague, per_day=4)  # median 4: the threshold is max(5, 3 × 4) = 12
    audit(inspector, AuditAction.READ, NOW - H, ids=list(range(1, 14)))  # 13 distinct cases today
    audit(inspector, AuditAction.READ, NOW - H, ids=[1, 2, 3])  # the same cases again do not count twice
    alerts = access_watch_run()
    assert _kinds(alerts) == [("many_cases", "w_inspector", 13)]
    alert = alerts[0]
    assert (alert.threshold, alert.baseline, alert.unit_id) == (12, 4.0, inspector.unit_id)
    # The local day in Almaty (UTC+5): 9 March 19:00 UTC to 10 March 19:00 UTC.
    assert (alert.window_start, alert.window_end) == (dt.datetime(2026, 3, 9, 19, tzinfo=dt.UTC), dt.datetime(2026, 3, 10, 19, tzinfo=dt.UTC))


def test_many_cases_does_not_fire_at_the_threshold(watch_settings, now, audit, inspector, colleague, supervisor):
    _history(audit, colleague, per_day=4)
    audit(inspector, AuditAction.READ, NOW - H, ids=list(range(1, 13)))  # exactly 12: not above
    assert access_watch_run() == []


def test_many_cases_uses_the_floor_when_the_unit_reads_little(watch_settings, now, audit, inspector, supervisor):
    audit(inspector, AuditAction.READ, NOW - H, ids=list(range(1, 6)))  # 5 = the floor: nothing
    assert access_watch_run() == []
    audit(inspector, AuditAction.READ, NOW - H, ids=[6])  # 6 > max(5, 3 × 0)
    assert _kinds(access_watch_run()) == [("many_cases", "w_inspector", 6)]


def test_unit_baseline_is_the_median_of_user_days(now, audit, inspector, colleague):
    audit(colleague, AuditAction.READ, NOW - 2 * D, ids=[1, 2])
    audit(colleague, AuditAction.READ, NOW - 3 * D, ids=[1, 2, 3, 4, 5, 6])
    audit(inspector, AuditAction.READ, NOW - 2 * D, ids=[1, 2, 3, 3, 3])  # 3 distinct
    audit(inspector, AuditAction.READ, NOW - 40 * D, ids=list(range(50)))  # outside the 30 days
    assert unit_baseline(inspector.unit_id, NOW - 0 * D, 30) == 3.0


def test_reads_of_other_records_are_not_case_reads(watch_settings, now, audit, inspector, supervisor):
    audit(inspector, AuditAction.READ, NOW - H, n=40, target_type="staff_directory")
    assert access_watch_run() == []


# --- (b) break-glass used often ---------------------------------------------------------------------------


def test_break_glass_fires_at_three_in_seven_days(watch_settings, now, audit, inspector, supervisor):
    audit(inspector, AuditAction.BREAK_GLASS, NOW - 6 * D, ids=[1])
    audit(inspector, AuditAction.BREAK_GLASS, NOW - 2 * D, ids=[2])
    assert access_watch_run() == []  # two uses: below
    audit(inspector, AuditAction.BREAK_GLASS, NOW - H, ids=[3])
    alerts = access_watch_run()
    assert _kinds(alerts) == [("break_glass", "w_inspector", 3)]
    assert alerts[0].window_end - alerts[0].window_start == 7 * D


def test_break_glass_older_than_seven_days_does_not_count(watch_settings, now, audit, inspector, supervisor):
    audit(inspector, AuditAction.BREAK_GLASS, NOW - 8 * D, ids=[1])
    audit(inspector, AuditAction.BREAK_GLASS, NOW - 2 * D, ids=[2, 3])
    assert access_watch_run() == []


def test_break_glass_alerted_once_while_the_windows_overlap(watch_settings, now, audit, inspector, supervisor):
    audit(inspector, AuditAction.BREAK_GLASS, NOW - H, ids=[1, 2, 3])
    assert len(access_watch_run()) == 1
    now.advance(D)  # tomorrow's rolling window still holds the same uses
    audit(inspector, AuditAction.BREAK_GLASS, NOW + D - H, ids=[4])
    assert access_watch_run() == []
    assert AccessAlert.objects.filter(kind=AlertKind.BREAK_GLASS).count() == 1


# --- (c) bulk exports ---------------------------------------------------------------------------------------


def test_bulk_exports_fire_at_five_in_a_day(watch_settings, now, audit, inspector, supervisor):
    audit(inspector, AuditAction.EXPORT, NOW - H, n=4, target_type="order", count=1)
    assert access_watch_run() == []
    audit(inspector, AuditAction.EXPORT, NOW - H, n=1, target_type="order", count=1)
    alerts = access_watch_run()
    assert _kinds(alerts) == [("bulk_export", "w_inspector", 5)]
    assert (alerts[0].threshold, alerts[0].largest) == (5, 1)


def test_one_large_export_fires(watch_settings, now, audit, inspector, supervisor):
    audit(inspector, AuditAction.EXPORT, NOW - H, target_type="staff_directory", count=499)
    assert access_watch_run() == []
    audit(inspector, AuditAction.EXPORT, NOW - 2 * H, target_type="staff_directory", count=500)
    alerts = access_watch_run()
    assert _kinds(alerts) == [("bulk_export", "w_inspector", 2)]
    assert alerts[0].largest == 500


# --- (d) many refusals in an hour ------------------------------------------------------------------------


def test_denied_fires_at_twenty_in_one_hour(watch_settings, now, audit, inspector, supervisor):
    hour = NOW.replace(minute=0) - 2 * H
    audit(inspector, AuditAction.DENIED, hour + dt.timedelta(minutes=5), n=19, target_type="route")
    audit(inspector, AuditAction.DENIED, hour + dt.timedelta(minutes=65), n=19, target_type="route")  # the next hour
    assert access_watch_run() == []
    audit(inspector, AuditAction.DENIED, hour + dt.timedelta(minutes=59), n=1, target_type="route")
    alerts = access_watch_run()
    assert _kinds(alerts) == [("denied", "w_inspector", 20)]
    assert (alerts[0].window_start, alerts[0].window_end) == (hour, hour + H)


def test_anonymous_refusals_name_nobody(watch_settings, now, supervisor):
    AuditEvent.objects.bulk_create([AuditEvent(at=NOW - H, action=AuditAction.DENIED, target_type="route") for _ in range(30)])
    assert access_watch_run() == []


# --- idempotence and recipients --------------------------------------------------------------------------


def test_running_twice_creates_nothing_new(watch_settings, now, audit, inspector, supervisor):
    audit(inspector, AuditAction.READ, NOW - H, ids=list(range(1, 10)))
    audit(inspector, AuditAction.EXPORT, NOW - H, n=5, target_type="order")
    audit(inspector, AuditAction.DENIED, NOW - H, n=25, target_type="route")
    audit(inspector, AuditAction.BREAK_GLASS, NOW - H, n=3)
    first = access_watch_run()
    assert sorted(a.kind for a in first) == ["break_glass", "bulk_export", "denied", "many_cases"]
    notes = Notification.objects.filter(kind=NotificationKind.ACCESS_ALERT).count()
    assert notes == 4
    assert access_watch_run() == []
    now.advance(dt.timedelta(minutes=15))
    assert access_watch_run() == []
    assert AccessAlert.objects.count() == 4
    assert Notification.objects.filter(kind=NotificationKind.ACCESS_ALERT).count() == 4
    assert AuditEvent.objects.filter(action=AuditAction.WRITE, target_type="access_alert").count() == 4


def test_the_units_supervisor_is_told_not_the_user_nor_other_units(watch_settings, now, audit, inspector, supervisor,
                                                                   other_supervisor, overseer):
    audit(inspector, AuditAction.EXPORT, NOW - H, n=5, target_type="order")
    (alert,) = access_watch_run()
    told = Notification.objects.filter(kind=NotificationKind.ACCESS_ALERT)
    assert [(n.recipient.username, n.target_type, n.target_id) for n in told] == [("w_supervisor", "access_alert", str(alert.pk))]


def test_a_supervisors_alert_goes_to_oversight(watch_settings, now, audit, supervisor, other_supervisor, overseer):
    audit(supervisor, AuditAction.EXPORT, NOW - H, n=5, target_type="order")
    (alert,) = access_watch_run()
    assert [u.username for u in alert_recipients(alert)] == ["w_overseer"]
    told = Notification.objects.filter(kind=NotificationKind.ACCESS_ALERT)
    assert list(told.values_list("recipient__username", flat=True)) == ["w_overseer"]


def test_a_unit_without_a_supervisor_goes_to_oversight(watch_settings, now, audit, make_user, other_unit, supervisor, overseer):
    lone = make_user("police_inspector", unit=other_unit, username="w_lone")
    audit(lone, AuditAction.EXPORT, NOW - H, n=5, target_type="order")
    (alert,) = access_watch_run()
    assert (alert.unit_id, [u.username for u in alert_recipients(alert)]) == (other_unit.pk, ["w_overseer"])


def test_the_periodic_task_runs_the_detectors(watch_settings, now, audit, inspector, supervisor):
    from qorgau.watch.tasks import watch_access

    audit(inspector, AuditAction.EXPORT, NOW - H, n=5, target_type="order")
    result = watch_access.enqueue()
    assert result.return_value == 1
    assert watch_access.enqueue().return_value == 0


def test_the_scheduler_runs_the_watch_every_quarter_hour():
    from qorgau.core.scheduler import _jobs

    jobs = {j.name: j.every for j in _jobs()}
    assert jobs["access-watch"] == dt.timedelta(minutes=15)
