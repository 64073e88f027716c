from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from qorgau.demo.seed import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Set up the demo: migrate, load reference data, create demo agencies and one user per role."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("refused: the demo creates users with known passwords (set QORGAU_DEMO=1)")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load-reference", stdout=self.stdout)
        translation.activate("en")
        users = seed_demo()
        self.stdout.write("")
        self.stdout.write(f"Demo users (password for all: {DEMO_PASSWORD}; second factor: TOTP)")
        self.stdout.write(f"{'user':<12} {'role':<36} {'TOTP secret (base32)':<34} unit")
        for u in users:
            self.stdout.write(f"{u.username:<12} {u.role:<36} {u.totp_secret:<34} {u.unit}")
        self.stdout.write("The current six-digit code of a user: QORGAU_DEMO=1 .venv/bin/qorgau totp USER   (or: make totp USER=inspector)")
