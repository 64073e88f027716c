from typing import Any

from django.core.management.base import BaseCommand

from qorgau.people.registry import person_keys_rebuild


class Command(BaseCommand):
    help = (
        "Re-file the blocking keys of every person record still under an older normaliser version or "
        "blind-index key (after a normaliser change). Records without personal fields keep their keys."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--all", action="store_true", help="Re-file every record, not only the stale ones.")

    def handle(self, *args: Any, **options: Any) -> None:
        done = person_keys_rebuild(only_stale=not options["all"])
        self.stdout.write(f"re-filed the keys of {done} records")
