"""``qorgau monitor``: run a monitor process (shard leases, per-shard persistent sessions, ingestion)."""

from __future__ import annotations

import gc
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from qorgau.monitoring.monitor import Monitor
from qorgau.monitoring.mqtt import Endpoint


class Command(BaseCommand):
    help = "Run a monitor: take a fair share of the virtual shards and process their pings."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        # What is loaded by now (Django, the app registry, settings) lives as long as the process: keep
        # it out of the cyclic collector's full passes, which every few thousand pings' worth of dicts
        # would otherwise walk whole (about a tenth of a monitor's time per ping, measured).
        gc.freeze()
        monitor = Monitor(Endpoint.from_settings(port=options["port"]))
        self.stderr.write(f"monitor {monitor.owner} started")
        monitor.run(stop)
        self.stderr.write(f"monitor {monitor.owner} stopped; its leases are released")
