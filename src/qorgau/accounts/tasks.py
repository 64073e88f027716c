"""Background tasks of accounts: sending e-mail and SMS. They take ids only (never an address or a
text) and are safe to run twice (each attempt is claimed by a conditional update)."""

from __future__ import annotations

from django_tasks import task

from qorgau.accounts.delivery import deliveries_retry_due, delivery_send


@task()
def deliver(delivery_id: int) -> str:
    return delivery_send(delivery_id)


@task()
def retry_deliveries() -> int:
    """Periodic: failed sends whose next attempt is due, and queued ones whose task was lost."""
    return len(deliveries_retry_due())
