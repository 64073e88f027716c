from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qorgau.cases.retention import retention_apply, retention_years


class Command(BaseCommand):
    help = (
        "Remove the decryptable personal fields of cases closed longer than QORGAU_RETENTION_YEARS "
        "(statistics and repeat-link keys are kept; docs/retention.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count what would be removed; change nothing.")
        parser.add_argument("--batch", type=int, default=None, help="Cases per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = retention_apply(dry_run=options["dry_run"], batch=options["batch"])
        verb = "would remove" if counts.dry_run else "removed"
        self.stdout.write(
            f"retention period {retention_years()} years: {verb} the personal fields of {counts.cases} cases, "
            f"{counts.persons} person records, {counts.reports} report narratives, {counts.orders} orders' texts "
            f"and {counts.attachments} attachments, in {counts.batches} batches; "
            f"{counts.persons_kept} person records kept (also in an open or recent case)"
        )
