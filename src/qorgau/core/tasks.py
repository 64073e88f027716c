"""Background tasks of core. Tasks take ids, never personal data, and are safe to run twice."""

from __future__ import annotations

from django_tasks import task

from qorgau.core.audit import audit_seal


@task()
def seal_audit_log() -> int:
    return audit_seal()
