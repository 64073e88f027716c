"""``qorgau analytics-refresh [--full]``: bring the analytics tallies up to date (the sweep does it every
minute; ``--full`` rebuilds every month, e.g. after a bulk import or a correction of old records)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from qorgau.analytics.refresh import tallies_refresh


class Command(BaseCommand):
    help = "Recompute the analytics tallies of the months changed since the last refresh (--full: all months)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--full", action="store_true", help="rebuild the tallies of every month")

    def handle(self, *args: Any, **options: Any) -> None:
        result = tallies_refresh(full=options["full"])
        kind = "full rebuild" if result.full else "refresh"
        self.stdout.write(f"analytics {kind}: {result.rows} tally rows written for {result.months} months")
