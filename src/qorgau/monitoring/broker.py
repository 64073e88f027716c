"""The project's own Mosquitto configuration (DESIGN §7) and a helper that runs a broker with it.

Every client authenticates: the service account (routers, monitors, the simulator acting as a
gateway), each device gateway by its machine token's name, and each device by its serial. The ACL
gives a device its own ping topic to write and its own alert topic to read, a gateway its own batch
topic, and the service account everything under ``qorgau/``. Sessions and queued messages are kept
on disk, so a restarted broker still holds the pings a dead monitor has not acknowledged.
"""

from __future__ import annotations

import base64
import hashlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# mosquitto 2.x's own PBKDF2-SHA512 format: `$7$<iterations>$<12-byte salt, b64>$<64-byte hash, b64>`.
PBKDF2_ITERATIONS = 101
SERVICE_SECRET_FILE = "service.secret"
GATEWAYS_FILE = "gateways.passwd"


def password_digest(password: str, *, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """``password`` hashed the way ``mosquitto_passwd`` does, for the broker's password file."""
    salt = salt if salt is not None else os.urandom(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def password_check(password: str, digest: str) -> bool:
    """Whether ``password`` matches a digest in mosquitto's ``$7$`` format."""
    try:
        _, kind, iterations, salt, _hashed = digest.split("$")
    except ValueError:
        return False
    if kind != "7":
        return False
    expected = password_digest(password, salt=base64.b64decode(salt), iterations=int(iterations))
    return secrets.compare_digest(expected, digest)


@dataclass(frozen=True)
class BrokerLimits:
    # A shard whose monitor is down queues its batches until another takes it: room for a few minutes
    # of national load (about 1,000 pings/s in batches) before the broker starts dropping.
    max_queued_messages: int = 200_000
    max_inflight_messages: int = 1000
    persistent_client_expiration: str = "14d"
    autosave_interval: int = 30


def service_password(var_dir: Path | None = None) -> str:
    """The service account's broker password: ``QORGAU_MQTT_PASSWORD``, or else a random one kept
    (mode 0600) beside the broker's configuration, so the demo needs no secret in its environment."""
    from django.conf import settings

    configured = str(settings.QORGAU_MONITORING["MQTT_PASSWORD"])
    if configured:
        return configured
    path = mqtt_dir(var_dir) / SERVICE_SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def mqtt_dir(var_dir: Path | None = None) -> Path:
    from django.conf import settings

    return Path(var_dir if var_dir is not None else settings.VAR_DIR) / "mqtt"


def gateway_password_set(directory: Path, name: str) -> str:
    """Give gateway ``name`` a fresh broker password (returned once, stored only as a digest)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / GATEWAYS_FILE
    entries = _read_passwd(path)
    password = secrets.token_urlsafe(24)
    entries[name] = password_digest(password)
    _write_private(path, "".join(f"{n}:{d}\n" for n, d in sorted(entries.items())))
    return password


def _read_passwd(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if ":" in line:
            name, digest = line.split(":", 1)
            out[name] = digest
    return out


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _credentials_from_db() -> tuple[list[str], list[tuple[str, str]]]:
    """Active gateway names, and (serial, digest) of every device with a broker secret."""
    from qorgau.accounts.models import MachineToken
    from qorgau.monitoring.models import Device, DeviceStatus

    gateways = list(
        MachineToken.objects.filter(purpose=MachineToken.Purpose.DEVICE_GATEWAY, revoked_at__isnull=True).values_list("name", flat=True)
    )
    devices = list(
        Device.objects.exclude(secret_digest="").exclude(status=DeviceStatus.RETIRED).values_list("serial", "secret_digest")
    )
    return gateways, devices


def _safe_name(name: str) -> bool:
    # A name goes into a topic and a config line: no wildcards, separators, spaces or newlines.
    return bool(name) and not any(c in name for c in "#+/:$ \t\r\n") and name != "qorgau-service"


def broker_write(
    directory: Path,
    *,
    port: int | None = None,
    service_secret: str | None = None,
    gateways: Iterable[str] | None = None,
    devices: Iterable[tuple[str, str]] | None = None,
    limits: BrokerLimits | None = None,
) -> Path:
    """Write ``mosquitto.conf``, the password file and the ACL into ``directory``; return the config path.

    Gateways and devices come from the database unless given. A gateway is listed once it has a
    broker password (``gateway_password_set``) and an active device-gateway machine token."""
    from django.conf import settings

    conf: dict[str, Any] = settings.QORGAU_MONITORING
    limits = limits or BrokerLimits()
    directory = Path(directory).resolve()
    (directory / "data").mkdir(parents=True, exist_ok=True)
    if gateways is None or devices is None:
        db_gateways, db_devices = _credentials_from_db()
        gateways = db_gateways if gateways is None else gateways
        devices = db_devices if devices is None else devices
    gateway_digests = _read_passwd(directory / GATEWAYS_FILE)
    secret = service_secret if service_secret is not None else service_password()

    users = {conf["MQTT_USERNAME"]: password_digest(secret)}
    gateway_names = sorted(g for g in gateways if _safe_name(g) and g in gateway_digests)
    for name in gateway_names:
        users[name] = gateway_digests[name]
    for serial, digest in devices:
        if _safe_name(serial) and digest.startswith("$7$") and serial not in users:
            users[serial] = digest
    _write_private(directory / "passwd", "".join(f"{u}:{d}\n" for u, d in users.items()))

    acl = [
        "# Written by `qorgau broker`; regenerated from the database, do not edit.",
        f"user {conf['MQTT_USERNAME']}",
        "topic readwrite qorgau/#",
        "",
    ]
    for name in gateway_names:
        acl += [f"user {name}", f"topic write qorgau/gw/{name}/pings", ""]
    # Patterns apply to every user: a device (username = serial) writes only its own ping topic and
    # reads only its own alerts.
    acl += ["pattern write qorgau/dev/%u/pings", "pattern read qorgau/dev/%u/alerts", ""]
    _write_private(directory / "acl", "\n".join(acl))

    lines = [
        "# Written by `qorgau broker`; regenerated on every start, do not edit.",
        "per_listener_settings false",
        # Started as root, mosquitto would switch to its own user, who cannot read our 0600 files:
        # it runs as whoever wrote them (it ignores this line when not started as root).
        f"user {pwd.getpwuid(os.geteuid()).pw_name}",
        "allow_anonymous false",
        f"password_file {directory / 'passwd'}",
        f"acl_file {directory / 'acl'}",
        f"listener {port if port is not None else conf['MQTT_PORT']} 127.0.0.1",
        "persistence true",
        f"persistence_location {directory / 'data'}/",
        f"autosave_interval {limits.autosave_interval}",
        f"persistent_client_expiration {limits.persistent_client_expiration}",
        f"max_queued_messages {limits.max_queued_messages}",
        f"max_inflight_messages {limits.max_inflight_messages}",
        "set_tcp_nodelay true",
        f"log_dest file {directory / 'mosquitto.log'}",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_type information",
        "connection_messages true",
        "log_timestamp_format %Y-%m-%dT%H:%M:%S",
        "",
    ]
    path = directory / "mosquitto.conf"
    _write_private(path, "\n".join(lines))
    return path


def mosquitto_binary() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    return "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Broker:
    """A mosquitto subprocess with the project's configuration, for the tests, the demo and the bench."""

    directory: Path
    port: int
    service_secret: str
    gateways: list[str] = field(default_factory=list)
    devices: list[tuple[str, str]] = field(default_factory=list)
    limits: BrokerLimits = field(default_factory=BrokerLimits)
    process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> Path:
        return self.directory / "mosquitto.conf"

    def write(self) -> Path:
        return broker_write(
            self.directory, port=self.port, service_secret=self.service_secret,
            gateways=self.gateways, devices=self.devices, limits=self.limits,
        )

    def start(self, timeout: float = 10.0) -> None:
        binary = mosquitto_binary()
        if binary is None:
            raise FileNotFoundError("mosquitto is not installed")
        self.write()
        self.process = subprocess.Popen(  # noqa: S603 -- our own binary and config path
            [binary, "-c", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                err = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""
                raise RuntimeError(f"mosquitto exited with {self.process.returncode}: {err.strip()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise TimeoutError(f"mosquitto did not listen on port {self.port} within {timeout} s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop gracefully: mosquitto writes its sessions and queued messages to disk on SIGTERM."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def reload(self) -> None:
        """Rewrite the password file and ACL and make the running broker read them (SIGHUP)."""
        self.write()
        if self.process is not None:
            self.process.send_signal(signal.SIGHUP)
