"""The machine time a load run costs: CPU seconds of the server, of PostgreSQL and of the load generator.

Requests a second move with whatever else the shared machine does (the empty endpoint, unchanged,
served anywhere from 1,250 to 2,200 a second between runs of one session). CPU seconds per request
move much less: they count the work a request makes, not how much of the machine the run got. So
each locust run also records the CPU its window cost, read from Linux's ``/proc``:

* the server: the gunicorn master and every worker, alive or already reaped (a reaped child's time
  is in its parent's ``cutime``/``cstime``);
* the database: the PostgreSQL postmaster and all its processes (backends, WAL writer, autovacuum),
  when PostgreSQL runs on this machine and ``/proc`` shows it; otherwise ``None``;
* the generator: locust's own process.

``requests per CPU-second`` (1 / CPU per request) is what one core would serve if nothing else ran
on it, so the capacity of ``n`` cores is about ``n`` times that (less the generator's share, which a
real deployment does not pay).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, own + reaped children's CPU seconds) of a live process, or None when it is gone."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after its last ")".
    fields = text.rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return int(fields[1]), ticks / os.sysconf("SC_CLK_TCK")


def tree_seconds(root: int) -> float | None:
    """CPU seconds of ``root`` and all its descendants (live ones read, reaped ones through their parent)."""
    if _stat(root) is None:
        return None
    parent_of: dict[int, int] = {}
    seconds_of: dict[int, float] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            read = _stat(int(entry.name))
            if read is not None:
                parent_of[int(entry.name)], seconds_of[int(entry.name)] = read
    children: dict[int, list[int]] = {}
    for pid, parent in parent_of.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += seconds_of.get(pid, 0.0)
        todo.extend(children.get(pid, []))
    return total


def postmaster_of(database_url: str) -> int | None:
    """The pid of the PostgreSQL server behind ``database_url`` when it runs on this machine, else None."""
    if not database_url.startswith(("postgres://", "postgresql://")):
        return None
    import psycopg

    try:
        with psycopg.connect(database_url, connect_timeout=5) as conn:
            row = conn.execute("SELECT pg_backend_pid()").fetchone()
            # Read while the connection is open: its backend process ends when the connection closes.
            backend = _stat(int(row[0])) if row else None  # None when the server is elsewhere (or hidden)
    except psycopg.Error:
        return None
    return backend[0] if backend is not None else None


@dataclass(frozen=True)
class CpuSample:
    server: float | None
    database: float | None
    generator: float

    @classmethod
    def now(cls, server_pid: int | None, database_pid: int | None) -> CpuSample:
        return cls(
            server=tree_seconds(server_pid) if server_pid else None,
            database=tree_seconds(database_pid) if database_pid else None,
            generator=time.process_time(),
        )

    def since(self, start: CpuSample) -> dict[str, float | None]:
        """CPU seconds spent between ``start`` and this sample, per part (None where a part was not read)."""

        def delta(end: float | None, begin: float | None) -> float | None:
            return end - begin if end is not None and begin is not None else None

        return {
            "server": delta(self.server, start.server),
            "database": delta(self.database, start.database),
            "generator": self.generator - start.generator,
        }
