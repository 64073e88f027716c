from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qorgau.core.backup import ArchiveError, backup_create
from qorgau.core.backup.database import DatabaseToolFailed


class Command(BaseCommand):
    help = "Write an encrypted backup: database, attachment files and audit checkpoint log (docs/backup.md)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", required=True, help="The archive to write (replaced if it exists).")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        try:
            manifest = backup_create(out)
        except (ArchiveError, DatabaseToolFailed, OSError) as exc:
            raise CommandError(f"backup failed: {exc}") from exc
        audit = manifest["audit"]
        self.stdout.write(
            f"backup written to {out}: {manifest['database']['vendor']} database "
            f"({sum(manifest['counts'].values())} rows), {manifest['attachments']} attachment files, "
            f"audit chain at position {audit['last_pos']}, {audit['checkpoint_lines']} checkpoints"
        )
