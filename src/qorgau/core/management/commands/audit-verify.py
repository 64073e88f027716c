from typing import Any

from django.core.management.base import BaseCommand

from qorgau.core.audit import audit_seal, audit_verify


class Command(BaseCommand):
    help = "Verify the audit chain and its checkpoints; exit 1 at the first broken link."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seal-first", action="store_true", help="Seal pending rows before verifying.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seal_first"]:
            audit_seal()
        result = audit_verify()
        if result.ok:
            self.stdout.write(f"audit chain OK: {result.checked} sealed rows verified, {result.unsealed} awaiting the sealer")
            return
        self.stderr.write(f"audit chain BROKEN after {result.checked} verified rows: {result.problem}")
        raise SystemExit(1)
