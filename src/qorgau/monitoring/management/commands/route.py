"""``qorgau route``: run one stateless router (device and gateway topics → shard topics)."""

from __future__ import annotations

import gc
import signal
import socket
import threading
from typing import Any

from django.core.management.base import BaseCommand

from qorgau.monitoring.mqtt import Endpoint
from qorgau.monitoring.router import run_router


class Command(BaseCommand):
    help = "Run a router: device and gateway pings in, one batch per virtual shard out (MQTT)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--name", default=f"router-{socket.gethostname()}",
            help="a stable name: the router's persistent session keeps the messages it has not acknowledged",
        )
        parser.add_argument("--port", type=int, default=None)
        parser.add_argument(
            "--shared", dest="shared_subscription", action="store_true",
            help="share the device topics with other routers (scale-out); pings sent while no router is connected are lost",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        # What is loaded by now (Django, the app registry, settings) lives as long as the process: keep
        # it out of the cyclic collector's full passes, which every few thousand pings' worth of dicts
        # would otherwise walk whole (about a tenth of a monitor's time per ping, measured).
        gc.freeze()
        router = run_router(Endpoint.from_settings(port=options["port"]), stop, name=options["name"], shared=options["shared_subscription"])
        self.stderr.write(f"router {router.name} stopped: {router.stats.messages} messages, {router.stats.pings} pings")
