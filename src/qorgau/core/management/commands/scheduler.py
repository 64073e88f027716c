from typing import Any

from django.core.management.base import BaseCommand

from qorgau.core.scheduler import run_forever


class Command(BaseCommand):
    help = "Run the scheduler that enqueues periodic jobs (audit sealer, later the deadline sweep)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--poll", type=float, default=5.0)
        parser.add_argument("--iterations", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        run_forever(poll_seconds=options["poll"], iterations=options["iterations"])
