from typing import Any

from django.core.management.base import BaseCommand, CommandError

from qorgau.accounts.models import User
from qorgau.people.batch import DEFAULT_BLOCK_CAP, deduplicate


class Command(BaseCommand):
    help = (
        "Find duplicate person records across the whole registry through blind indexes (dry run by "
        "default). With --apply, link the automatic pairs and queue the uncertain ones for review."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--apply", action="store_true", help="Link AUTO pairs and queue REVIEW pairs.")
        parser.add_argument("--user", default="", help="Username recorded as the actor of the links (default: the system).")
        parser.add_argument(
            "--block-cap", type=int, default=DEFAULT_BLOCK_CAP,
            help=f"Skip (and count) keys held by more records than this (default {DEFAULT_BLOCK_CAP}).",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"no user {options['user']!r}")
        if options["block_cap"] < 2:
            raise CommandError("--block-cap must be at least 2")
        progress = (lambda message: self.stderr.write(message)) if options["verbosity"] > 1 else None
        summary = deduplicate(apply=options["apply"], actor=actor, block_cap=options["block_cap"], progress=progress)
        self.stdout.write("applied" if summary.applied else "dry run (nothing changed; --apply to link and queue)")
        for line in summary.lines():
            self.stdout.write(line)
