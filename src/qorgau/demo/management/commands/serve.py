"""Run the web server, the task worker and the scheduler together (the demo's one process tree)."""

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Qorgau on 127.0.0.1:8000 with the task worker and the scheduler."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        qorgau = [sys.executable, "-m", "qorgau.cli"]
        commands = {
            "web": [
                sys.executable,
                "-m",
                "gunicorn",
                "qorgau.wsgi:application",
                "--bind",
                options["bind"],
                "--workers",
                str(options["workers"]),
                "--timeout",
                "60",
            ],
            "worker": [*qorgau, "worker"],
            "scheduler": [*qorgau, "scheduler"],
        }
        procs = {name: subprocess.Popen(cmd, env=os.environ.copy()) for name, cmd in commands.items()}  # noqa: S603
        self.stdout.write(f"Qorgau is serving on http://{options['bind']}/  (Ctrl+C stops web, worker and scheduler)")

        def stop(*_: Any) -> None:
            for p in procs.values():
                if p.poll() is None:
                    p.terminate()
            for p in procs.values():
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            for name, p in procs.items():
                if p.poll() is not None:
                    self.stderr.write(f"{name} exited with {p.returncode}; stopping the others")
                    stop()
            time.sleep(1)
