"""Background tasks of protocols. They take no arguments (no personal data) and are safe to run twice."""

from __future__ import annotations

from django_tasks import task

from qorgau.protocols.sweep import sweep


@task()
def sweep_deadlines() -> dict[str, int]:
    return sweep()
