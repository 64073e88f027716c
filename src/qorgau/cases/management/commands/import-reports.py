from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from qorgau.accounts.models import User
from qorgau.cases import imports
from qorgau.core.errors import QorgauError


class Command(BaseCommand):
    help = (
        "Check (--dry-run) or import a register of reports from CSV or XLSX, as a user of the importing unit. "
        "All rows or none; rows imported before are skipped. The format is in docs/import-format.md."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="a .csv (UTF-8) or .xlsx file")
        parser.add_argument("--as", dest="username", required=True, help="user name of the supervisor importing it")
        parser.add_argument("--dry-run", action="store_true", help="check every row and save nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.select_related("unit").filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {options['username']!r}")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no file {str(path)!r}")
        with translation.override(user.language or "ru"):
            if path.stat().st_size > imports.MAX_BYTES:
                content = b"\0" * (imports.MAX_BYTES + 1)  # refused by size, without reading the file
            else:
                content = path.read_bytes()
            try:
                result = imports.report_import(actor=user, filename=path.name, content=content, dry_run=options["dry_run"])
            except QorgauError as exc:
                messages = [str(m) for m in exc.fields.get("file", [])] or [str(exc.message)]
                raise CommandError("\n".join(messages)) from exc
            for problem in result.problems:
                for e in problem.errors:
                    self.stdout.write(_("Line %(line)d, %(column)s: %(message)s") % {"line": problem.line, "column": e.column, "message": e.text})
            lines = list(imports.summary_lines(result))
            for line in lines:
                self.stdout.write(line)
            if result.problems:
                raise CommandError(lines[-1])
