from typing import Any

from django.core.management.base import BaseCommand

from qorgau.core.audit import audit_seal


class Command(BaseCommand):
    help = "Seal the committed audit rows now (the scheduler does this every minute)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"sealed {audit_seal()} rows")
