"""The server under load: gunicorn serving ``qorgau.wsgi`` in demo mode (DEBUG off) with the bench endpoints.

Started and stopped by the load runner, by its own process id only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ServerConfig:
    database_url: str
    var_dir: Path
    workers: int = 3
    worker_class: str = "sync"  # or "gthread"
    threads: int = 1
    mode: str = "demo"  # "test" only for the bench's own test (fixed test keys, the test database)
    cache_url: str = ""  # the shared cache (ADR 0017); "" serves without one


def demo_env(database_url: str, var_dir: Path, *, mode: str = "demo", **extra: str) -> dict[str, str]:
    """The environment of the served installation: demo mode, its database and its var dir (the demo keys)."""
    drop = {"QORGAU_MODE", "QORGAU_DEMO", "DJANGO_SETTINGS_MODULE", "QORGAU_DEBUG", "QORGAU_TEST_DATABASE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        QORGAU_MODE=mode,
        QORGAU_DEMO="1" if mode == "demo" else "0",
        DJANGO_SETTINGS_MODULE="qorgau.settings",
        DATABASE_URL=database_url,
        QORGAU_VAR_DIR=str(var_dir),
        QORGAU_PROJECT_DIR=str(PROJECT),
        PYTHONPATH=os.pathsep.join([str(PROJECT), str(PROJECT / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        # The load comes from one address and a few shared staff accounts: production's API limits
        # (3,000 a minute per user, 10,000 per address) would answer most of it 429. The counters are
        # still counted on every request, so their cost stays in the figures.
        QORGAU_API_RATE_PER_MINUTE=env.get("QORGAU_API_RATE_PER_MINUTE", "100000000"),
        QORGAU_API_ADDRESS_RATE_PER_MINUTE=env.get("QORGAU_API_ADDRESS_RATE_PER_MINUTE", "100000000"),
        **extra,
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def drain(base: str, *, limit: float = 0.5, wait: float = 180) -> float:
    """Wait until the server answers its empty endpoint within ``limit`` seconds twice running: requests
    that an overloaded run left queued must not count against the next measurement. Returns the wait."""
    started = time.monotonic()
    quick = 0
    while quick < 2 and time.monotonic() - started < wait:
        asked = time.monotonic()
        ok = _ready(base + "/bench/empty")
        quick = quick + 1 if ok and time.monotonic() - asked < limit else 0
        if quick < 2:
            time.sleep(0.5)
    return time.monotonic() - started


@dataclass(frozen=True)
class Served:
    url: str  # the base URL, no trailing slash
    pid: int  # gunicorn's master: its process tree is the server's CPU (bench.load.cpu)


@contextmanager
def gunicorn(config: ServerConfig, *, log: Path) -> Iterator[Served]:
    """Serve on a free local port; yields where and stops the server (its own pid) afterwards."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "qorgau.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(config.workers),
        "--worker-class", config.worker_class,
        "--threads", str(config.threads),
        "--timeout", "120",
        "--log-level", "warning",
    ]
    env = demo_env(
        config.database_url, config.var_dir, mode=config.mode, QORGAU_BENCH_ENDPOINTS="1", QORGAU_LOG_LEVEL="WARNING",
        QORGAU_CACHE_URL=config.cache_url,
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, cwd=PROJECT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while not _ready(base + "/bench/empty"):
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer within 90 s; see {log}")
            time.sleep(0.5)
        # Each worker loads Django lazily: a few requests warm them all before anything is measured.
        for _ in range(4 * config.workers):
            _ready(base + "/healthz")
        yield Served(base, process.pid)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
