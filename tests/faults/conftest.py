"""Fixtures of the fault tier: one PostgreSQL cluster of our own per session (migrated once into a
template database), and per test a fresh database copied from it, its own var directory and its
own Mosquitto. Every process a test starts is stopped by its own id when the test ends."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from qorgau.monitoring.broker import Broker
from tests.faults.services import Installation, Postgres, start_broker

TEMPLATE = "qorgau_fault_template"


@pytest.fixture(scope="session")
def fault_cluster() -> Iterator[tuple[Postgres, Path]]:
    pg = Postgres()
    var_dir = Path(tempfile.mkdtemp(prefix="qorgau-fault-var-"))
    try:
        pg.init()
        pg.start()
        pg.sql(f"create database {TEMPLATE}")
        template = Installation(database_url=pg.url(TEMPLATE), var_dir=var_dir)
        template.manage("migrate", "--no-input", "-v", "0")  # also writes the demo keys every copy shares
        answer = template.probe("reference")
        assert answer == {"protocol_errors": []}
        yield pg, var_dir
    finally:
        pg.destroy()
        shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture
def installation(fault_cluster: tuple[Postgres, Path], request: pytest.FixtureRequest) -> Iterator[Installation]:
    pg, template_var = fault_cluster
    name = "fault_" + request.node.name.removeprefix("test_")[:40].lower()
    pg.sql(f"drop database if exists {name}")
    pg.sql(f"create database {name} template {TEMPLATE}")
    var_dir = Path(tempfile.mkdtemp(prefix=f"qorgau-{name}-"))
    shutil.copytree(template_var, var_dir, dirs_exist_ok=True)
    inst = Installation(database_url=pg.url(name), var_dir=var_dir)
    try:
        yield inst
    finally:
        inst.stop_all()
        shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture
def fault_broker(installation: Installation) -> Iterator[Broker]:
    b = start_broker(installation.var_dir / "mqtt")
    installation.mqtt_port, installation.mqtt_password = b.port, b.service_secret
    try:
        yield b
    finally:
        b.stop()
