"""Fault: the task worker is killed (SIGKILL) in the middle of the protocols sweep. Started again,
with the scheduler enqueueing the next sweep as it does every minute, everything due is done and
nothing twice: each overdue task climbs exactly one step, with one ledger event, one audit row and
one notice to its unit; each unattended check-in is marked missed once, with one event, one audit
row and one firing of its protocol trigger."""

from __future__ import annotations

import time

import pytest

from tests.faults.services import wait_for

pytestmark = pytest.mark.fault

CASES, PER_CASE = 8, 40  # 320 overdue tasks: a sweep pass of several seconds to kill it in
CHECKINS = 4  # per case: 32 check-ins nobody attended, 3 days ago and before


def test_worker_killed_in_the_middle_of_a_sweep(installation) -> None:
    seeded = installation.probe("overdue_tasks", cases=CASES, per_case=PER_CASE, checkins_per_case=CHECKINS)
    tasks, teacher, checkins = seeded["tasks"], seeded["teacher"], seeded["checkins"]
    assert (len(tasks), len(checkins)) == (CASES * PER_CASE, CASES * CHECKINS)
    assert installation.probe("checkins_state", checkin_ids=checkins)["missed"] == 0
    before = installation.probe("sweep_state", task_ids=tasks, teacher=teacher)
    assert (before["levels"], before["notices"], before["audit_rows"]) == ({"0": len(tasks)}, 0, 0)

    def escalated() -> int:
        return int(installation.probe("escalated_count", task_ids=tasks)["escalated"])

    installation.spawn_qorgau("worker", "worker", "--interval", "0.2", "--no-startup-delay")
    installation.spawn_qorgau("scheduler", "scheduler")  # its first tick enqueues the sweep
    wait_for(lambda: escalated() >= 20, timeout=90, what="the sweep under way",
             show=lambda: (installation.tail("worker"), installation.tail("scheduler")))
    installation.kill("worker")
    time.sleep(0.5)  # a COMMIT the worker sent just before it died still completes on the server
    at_kill = escalated()
    assert 0 < at_kill < len(tasks), "the worker was killed before or after the sweep, not in the middle"
    time.sleep(1)
    assert escalated() == at_kill  # nothing runs the sweep now: the kill stopped it half-way

    installation.spawn_qorgau("worker-2", "worker", "--interval", "0.2", "--no-startup-delay")
    installation.probe("scheduler_minute_passes", job="protocols-sweep")
    wait_for(lambda: escalated() == len(tasks), timeout=120, what="every overdue task escalated",
             show=lambda: (escalated(), installation.tail("worker-2")))
    # One more minute, one more sweep: nothing is due any more, so nothing may change.
    installation.probe("scheduler_minute_passes", job="protocols-sweep")
    wait_for(lambda: installation.probe("sweep_state", task_ids=tasks, teacher=teacher)["task_results"].get("SUCCESSFUL", 0) >= 2,
             timeout=60, what="the next sweep done", show=lambda: installation.tail("worker-2"))
    state = installation.probe("sweep_state", task_ids=tasks, teacher=teacher)
    assert state["levels"] == {"1": len(tasks)}
    assert state["escalated_events"] == len(tasks)
    assert (state["audit_rows"], state["audit_doubled"]) == (len(tasks), 0)
    assert (state["notified_tasks"], state["notices"], state["notices_doubled"]) == (len(tasks), len(tasks), 0)
    # The killed run is left as it was claimed (RUNNING, never retried: the sweep is re-enqueued
    # every minute instead); every later run succeeded and none failed.
    assert state["task_results"].get("RUNNING", 0) == 1
    assert state["task_results"].get("FAILED", 0) == 0
    # The orders part of the same sweep: each missed check-in marked once, with one ledger event,
    # one audit row and one firing of its protocol trigger.
    missed = installation.probe("checkins_state", checkin_ids=checkins)
    n = len(checkins)
    assert (missed["missed"], missed["events"], missed["audited"], missed["audit_doubled"]) == (n, n, n, 0)
    assert (missed["keys_fired"], missed["tasks_doubled"]) == (n, 0)
    assert len(missed["tasks_per_key"]) == 1  # every check-in fired the same duties, once
