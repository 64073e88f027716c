"""Encrypted backups of the database, the attachments and the audit checkpoint (docs/backup.md)."""

from qorgau.core.backup.archive import RestoreRefused, RestoreResult, backup_create, backup_restore
from qorgau.core.backup.sealed import ArchiveError, Damaged, WrongKey

__all__ = ["ArchiveError", "Damaged", "RestoreRefused", "RestoreResult", "WrongKey", "backup_create", "backup_restore"]
