from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qorgau.core.backup import ArchiveError, Damaged, RestoreRefused, WrongKey, backup_restore
from qorgau.core.backup.database import DatabaseToolFailed


class Command(BaseCommand):
    help = "Restore an encrypted backup onto an empty machine, then verify the audit chain (docs/backup.md)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("archive", help="The archive written by `qorgau backup`.")
        parser.add_argument("--force", action="store_true", help="Replace a database, attachments or checkpoint already in use.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["archive"])
        try:
            result = backup_restore(path, force=options["force"])
        except RestoreRefused as exc:
            raise CommandError(f"restore refused: {exc}") from exc
        except (WrongKey, Damaged) as exc:
            raise CommandError(f"restore refused, nothing was changed: {exc}") from exc
        except (ArchiveError, DatabaseToolFailed, OSError) as exc:
            raise CommandError(f"restore failed: {exc}") from exc
        m = result.manifest
        self.stdout.write(
            f"restored {path} (made {m['created_at']}): {m['database']['vendor']} database "
            f"({sum(m['counts'].values())} rows), {result.attachments} attachment files"
        )
        for aside in result.set_aside:
            self.stdout.write(f"the previous checkpoint log was kept as {aside}")
        if result.mismatch:
            raise CommandError(f"the restored database differs from the archive's manifest: {', '.join(result.mismatch)}")
        v = result.verify
        if not v.ok:
            raise CommandError(f"audit chain BROKEN after {v.checked} verified rows: {v.problem}")
        self.stdout.write(f"audit chain OK: {v.checked} sealed rows verified, {v.unsealed} awaiting the sealer")
