"""The real services the fault tests start, stop and kill: a PostgreSQL cluster of their own, a
Mosquitto of their own, and Qorgau's processes (web, router, monitor, task worker, scheduler) served
from a migrated database on that cluster.

Nothing here skips: a missing binary fails the test with what to install. Every process is started
here and stopped by its own process id.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from qorgau.monitoring import mqtt
from qorgau.monitoring.broker import Broker, free_port, mosquitto_binary
from tests.monitoring.mqtt_fixtures import wait_until

PROJECT = Path(__file__).resolve().parents[2]


def _pg_bin() -> Path:
    """Debian's server binaries of the newest installed PostgreSQL (QORGAU_FAULT_PG_BIN overrides)."""
    if os.environ.get("QORGAU_FAULT_PG_BIN"):
        return Path(os.environ["QORGAU_FAULT_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
PG_USER = "postgres"  # initdb and postgres refuse to run as root


def require(path: Path | str | None, what: str, install: str) -> str:
    if path is None or not Path(path).exists():
        pytest.fail(f"{what} not found at {path}: the fault tests cannot run ({install})")
    return str(path)


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str, show: Callable[[], Any] | None = None) -> Any:
    """``wait_until`` at a slower poll: a condition here asks the probe process, not this one."""
    return wait_until(condition, timeout=timeout, what=what, show=show, poll=0.1)


def _as_postgres(*args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    runuser = require(shutil.which("runuser"), "runuser", "util-linux")
    command = [*args] if os.geteuid() != 0 else [runuser, "-u", PG_USER, "--", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited with {done.returncode}: {done.stdout}{done.stderr}")
    return done


@dataclass
class Postgres:
    """A throw-away cluster in a temporary directory owned by the ``postgres`` user, on a free port."""

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="qorgau-fault-pg-")))
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def url(self, dbname: str) -> str:
        return f"postgres://{PG_USER}@127.0.0.1:{self.port}/{dbname}"

    def init(self) -> None:
        require(PG_BIN / "initdb", "PostgreSQL's initdb", "apt-get install postgresql-15")
        require(PG_BIN / "pg_ctl", "PostgreSQL's pg_ctl", "apt-get install postgresql-15")
        if os.geteuid() == 0:
            shutil.chown(self.root, user=PG_USER, group=PG_USER)
        _as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", PG_USER, "-A", "trust", "-E", "UTF8", "--no-sync")

    def _ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", *args)

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        """Fast shutdown: every open connection is cut, as when the database server restarts."""
        self._ctl("-m", "fast", "stop")

    def restart(self) -> None:
        self._ctl("-m", "fast", "restart")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def sql(self, statement: str, dbname: str = "postgres") -> str:
        done = _as_postgres(str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, "-d", dbname,
                            "-Atc", statement)
        return done.stdout.strip()

    def destroy(self) -> None:
        if self.running():
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def start_broker(directory: Path) -> Broker:
    require(mosquitto_binary(), "mosquitto", "apt-get install mosquitto")
    directory.mkdir(parents=True, exist_ok=True)
    b = Broker(directory=directory, port=free_port(), service_secret=secrets.token_urlsafe(16))
    b.start()
    return b


@dataclass
class Installation:
    """One Qorgau installation: a database on the fault cluster, a var directory, a broker port.

    Qorgau runs in demo mode here (real task queue in the database, DEBUG off, demo keys in the var
    directory): the test settings run tasks immediately, which would leave the worker nothing to do.
    """

    database_url: str
    var_dir: Path
    mqtt_port: int = 0
    mqtt_password: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _probe: subprocess.Popen[str] | None = None

    def env(self, **extra: str) -> dict[str, str]:
        drop = {"QORGAU_MODE", "QORGAU_DEMO", "DJANGO_SETTINGS_MODULE", "QORGAU_DEBUG", "QORGAU_TEST_DATABASE_URL"}
        env = {k: v for k, v in os.environ.items() if k not in drop}
        env.update(
            QORGAU_MODE="demo", QORGAU_DEMO="1", DJANGO_SETTINGS_MODULE="qorgau.settings", DATABASE_URL=self.database_url,
            QORGAU_VAR_DIR=str(self.var_dir), QORGAU_PROJECT_DIR=str(PROJECT), QORGAU_LOG_LEVEL="WARNING",
            PYTHONPATH=os.pathsep.join([str(PROJECT), str(PROJECT / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            # Few shards and short leases: a monitor that lost its database regains its leases within seconds.
            QORGAU_MONITORING_SHARDS="4", QORGAU_MONITORING_LEASE_SECONDS="3", QORGAU_MONITORING_INLINE="0",
            QORGAU_MQTT_HOST="127.0.0.1", QORGAU_MQTT_PORT=str(self.mqtt_port), QORGAU_MQTT_USERNAME="qorgau-service",
            QORGAU_MQTT_PASSWORD=self.mqtt_password,
        )
        env.update(extra)
        return env

    def log(self, name: str) -> Path:
        return self.var_dir / f"{name}.log"

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run([sys.executable, "-m", "qorgau.cli", *args], env=self.env(), cwd=PROJECT,
                              capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            pytest.fail(f"qorgau {' '.join(args)} exited with {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
        return done.stdout

    def probe(self, action: str, **kw: Any) -> Any:
        """Run one action of ``tests.faults.probe`` against this installation and return its JSON
        answer (through one long-lived probe process per installation)."""
        server = self._probe
        if server is None or server.poll() is not None:
            with self.log("probe").open("ab") as err:
                server = self._probe = subprocess.Popen(
                    [sys.executable, "-m", "tests.faults.probe", "serve"], env=self.env(), cwd=PROJECT,
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True,
                )
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(json.dumps({"action": action, "args": kw}) + "\n")
        server.stdin.flush()
        line = server.stdout.readline()
        if not line:
            pytest.fail(f"the probe process exited during {action}:\n{self.tail('probe')}")
        answer = json.loads(line)
        if "error" in answer:
            pytest.fail(f"probe {action} failed:\n{answer['error']}")
        return answer["ok"]

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        with self.log(name).open("ab") as out:
            process = subprocess.Popen(args, env=self.env(), cwd=PROJECT, stdout=out, stderr=subprocess.STDOUT,
                                       start_new_session=True)
        self.processes[name] = process
        return process

    def spawn_qorgau(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        return self.spawn(name, [sys.executable, "-m", "qorgau.cli", *args])

    def serve_web(self, *, workers: int = 2) -> str:
        port = free_port()
        self.spawn("web", [str(Path(sys.executable).parent / "gunicorn"), "qorgau.wsgi:application", "--bind", f"127.0.0.1:{port}",
                           "--workers", str(workers), "--worker-class", "gthread", "--threads", "4", "--timeout", "60",
                           "--log-level", "warning"])
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_status(base + "/healthz") == 200, timeout=60, what="the web server answering /healthz",
                 show=lambda: self.tail("web"))
        return base

    def alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def kill(self, name: str) -> None:
        """SIGKILL: no clean-up runs, as when the machine or the OOM killer takes the process."""
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        if self._probe is not None and self._probe.poll() is None:
            assert self._probe.stdin is not None
            self._probe.stdin.close()
            try:
                self._probe.wait(15)
            except subprocess.TimeoutExpired:
                self._probe.kill()
                self._probe.wait()
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5  # a clean stop is not what these tests prove: then SIGKILL
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def tail(self, name: str, chars: int = 3000) -> str:
        path = self.log(name)
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def http_post_json(url: str, body: Any, *, token: str, timeout: float = 30) -> tuple[int, str]:
    """POST JSON; (status, body). Status 0: no HTTP answer at all (connection refused or reset)."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}", "Accept-Language": "en"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode(errors="replace")
    except OSError as exc:
        return 0, repr(exc)


def service_endpoint(installation: Installation) -> mqtt.Endpoint:
    return mqtt.Endpoint(host="127.0.0.1", port=installation.mqtt_port, username="qorgau-service",
                         password=installation.mqtt_password)


# --- device traffic -------------------------------------------------------------------------------

# Her home in central Almaty; she is 3 km north of it, so his approach raises a proximity alert only.
HOME = (43.2389, 76.8897)
APPROACH_M = [3000, 2500, 2000, 1500, 1000, 700, 400, 150, 100, 120]


def scripted_approach(bracelet: str, victim_device: str, *, start: float, quiet: int = 10) -> list[dict[str, Any]]:
    """Her device and his bracelet ping together every 10 s: ``quiet`` pairs 3 km apart, then his
    approach to 100 m — exactly one proximity alert for the pair."""
    from qorgau.monitoring.geometry import offset

    her = offset(HOME, north_m=3000)
    pings: list[dict[str, Any]] = []
    for i, dist in enumerate([3000.0] * quiet + [float(d) for d in APPROACH_M]):
        at = start + 10 * i
        for serial, where, t in ((victim_device, her, at), (bracelet, offset(her, north_m=dist), at + 1)):
            pings.append({"device": serial, "seq": i, "ts": t, "lat": where[0], "lon": where[1], "accuracy": 10.0})
    return pings


class DeviceStream:
    """Devices publishing on their own topics at a steady rate (QoS 1, a persistent session, as the
    gateway and the devices do), from a thread; paho keeps what the broker has not acknowledged and
    resends it after a reconnection."""

    def __init__(self, installation: Installation, pings: list[dict[str, Any]], *, rate: float, client_id: str) -> None:
        from qorgau.monitoring.messages import device_topic

        self.endpoint = service_endpoint(installation)
        self.messages = [(device_topic(p["device"]), json.dumps(p).encode()) for p in pings]
        self.rate = rate
        self.sent = 0
        self.infos: list[Any] = []
        self.client = mqtt.client_create(self.endpoint, client_id=client_id, persistent=True)
        mqtt.connect_wait(self.client, self.endpoint)
        import threading

        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> DeviceStream:
        self.thread.start()
        return self

    def _run(self) -> None:
        started = time.monotonic()
        for i, (topic, payload) in enumerate(self.messages):
            delay = started + i / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.infos.append(self.client.publish(topic, payload, qos=1))
            self.sent = i + 1

    def finish(self, timeout: float = 60) -> int:
        """Wait until every message was published and acknowledged by the broker; returns how many."""
        self.thread.join(timeout)
        # paho's is_published() raises for a message first queued while disconnected, even once acknowledged.
        wait_for(lambda: all(info._published for info in self.infos), timeout=timeout,
                 what="every device message acknowledged by the broker",
                 show=lambda: sum(1 for info in self.infos if not info._published))
        return len(self.infos)

    def close(self) -> None:
        mqtt.disconnect(self.client)


def pipeline_start(installation: Installation, *, shards: int = 4) -> None:
    """The router and one monitor as the operators run them (``qorgau route``, ``qorgau monitor``);
    returns once the router holds its lease and the monitor every shard (so their persistent
    sessions exist on the broker and nothing published from now on can be dropped)."""
    installation.spawn_qorgau("router", "route", "--name", "router-fault")
    installation.spawn_qorgau("monitor", "monitor")
    wanted = {str(n) for n in range(shards)} | {"29999"}
    wait_for(lambda: wanted <= set(installation.probe("leases")), timeout=60, what="the router's and the monitor's leases",
             show=lambda: (installation.tail("router", 800), installation.tail("monitor", 800)))
    time.sleep(1.5)  # a lease is taken before its shard's client has subscribed
