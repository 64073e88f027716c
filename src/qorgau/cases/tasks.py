"""Background tasks of cases. They take no arguments (no personal data) and are safe to run twice."""

from __future__ import annotations

from django_tasks import task

from qorgau.cases.retention import retention_apply


@task()
def apply_retention() -> dict[str, int]:
    counts = retention_apply()
    return {"cases": counts.cases, "persons": counts.persons, "reports": counts.reports, "batches": counts.batches}
