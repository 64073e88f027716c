"""The watch's periodic task: the detectors and the monthly review reminder. Safe to run twice."""

from __future__ import annotations

from django_tasks import task

from qorgau.watch.detectors import access_watch_run
from qorgau.watch.services import access_review_reminders


@task()
def watch_access() -> int:
    raised = access_watch_run()
    access_review_reminders()
    return len(raised)
