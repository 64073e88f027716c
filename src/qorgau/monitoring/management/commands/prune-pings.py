from typing import Any

from django.core.management.base import BaseCommand

from qorgau.monitoring.retention import pings_prune


class Command(BaseCommand):
    help = "Delete raw device pings older than the retention period (episodes and alerts are kept)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"pruned {pings_prune()} pings")
