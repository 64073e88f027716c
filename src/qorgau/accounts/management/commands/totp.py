from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from qorgau.core import clock


class Command(BaseCommand):
    help = "Print the current TOTP code of a user (demo and test installations only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        if settings.PRODUCTION:
            raise CommandError("refused: printing second-factor codes is for demo and test installations only")
        device = TOTPDevice.objects.filter(user__username=options["username"], confirmed=True).first()
        if device is None:
            raise CommandError(f"no confirmed authenticator for {options['username']!r}")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = clock.now().timestamp()
        self.stdout.write(f"{totp.token():0{device.digits}d}")
