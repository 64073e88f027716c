from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from qorgau.core.audit import audit_record
from qorgau.core.keyrotation import rotate_field_keys, stale_key_count
from qorgau.core.models import AuditAction


class Command(BaseCommand):
    help = "Re-encrypt every personal field under the active field key (idempotent, resumable)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--check", action="store_true", help="Only count values under old keys; exit 1 if any.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            stale = stale_key_count()
            self.stdout.write(f"values under old keys: {stale}")
            if stale:
                raise SystemExit(1)
            return
        report = rotate_field_keys()
        files = sum(import_string(path)() for path in settings.QORGAU_FILE_REENCRYPTORS)
        rebuilt = sum(import_string(path)() for path in settings.QORGAU_BLIND_INDEX_REBUILDERS)
        with transaction.atomic():
            audit_record(actor=None, action=AuditAction.KEYS_ROTATED, target_type="field_keys", count=report.rewritten)
            audit_record(actor=None, action=AuditAction.KEYS_ROTATED, target_type="blind_indexes", count=rebuilt)
            audit_record(actor=None, action=AuditAction.KEYS_ROTATED, target_type="files", count=files)
        self.stdout.write(
            f"examined {report.examined}, re-encrypted {report.rewritten}, blind indexes recomputed {rebuilt}, "
            f"files re-encrypted {files}"
        )
