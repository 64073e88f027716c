"""``qorgau broker``: write the project's Mosquitto configuration and run the broker in the foreground."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qorgau.monitoring.broker import broker_write, gateway_password_set, mosquitto_binary, mqtt_dir


class Command(BaseCommand):
    help = "Write mosquitto.conf, the password file and the ACL (from the database), then run mosquitto."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dir", type=Path, default=None, help="configuration directory (default: var/mqtt)")
        parser.add_argument("--port", type=int, default=None, help="listener port (default: QORGAU_MQTT_PORT)")
        parser.add_argument("--write-only", action="store_true", help="write the files and exit")
        parser.add_argument(
            "--gateway-password", metavar="NAME",
            help="give the device gateway NAME a new broker password, print it once, and rewrite the files",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = options["dir"] or mqtt_dir()
        if options["gateway_password"]:
            password = gateway_password_set(directory, options["gateway_password"])
            self.stdout.write(password)
        path = broker_write(directory, port=options["port"])
        self.stderr.write(f"broker configuration written to {path} (port {options['port'] or settings.QORGAU_MONITORING['MQTT_PORT']})")
        if options["write_only"] or options["gateway_password"]:
            return
        binary = mosquitto_binary()
        if binary is None:
            raise CommandError("mosquitto is not installed (apt-get install mosquitto)")
        os.execv(binary, [binary, "-c", str(path)])  # noqa: S606 -- the broker replaces this process
