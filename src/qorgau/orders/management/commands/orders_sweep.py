"""Run the orders' part of the periodic sweep once: activate, expire, warn, mark missed check-ins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from qorgau.orders.services import orders_sweep


class Command(BaseCommand):
    help = "Activate served orders, expire ended ones, warn of orders ending soon, mark missed check-ins (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = orders_sweep()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in result.items()))
