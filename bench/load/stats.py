"""Locust's per-endpoint response-time histograms (dumped by the locustfile) as the figures of a run."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Summary:
    """Requests of one or more endpoints in one locust run."""

    requests: int
    failures: int
    per_s: float
    p50: float
    p95: float
    p99: float
    failures_by_endpoint: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        return (
            f"{self.requests:>7} req {self.per_s:>8.1f}/s  p50 {self.p50:>6.0f} ms  p95 {self.p95:>6.0f} ms  "
            f"p99 {self.p99:>6.0f} ms  errors {self.failures}"
        )


def percentile(times: Counter[float], q: float) -> float:
    """Locust's own percentile over its rounded histogram (ms)."""
    total = sum(times.values())
    if not total:
        return 0.0
    rank = total * q
    seen = 0
    for ms in sorted(times):
        seen += times[ms]
        if seen >= rank:
            return ms
    return max(times)


@dataclass(frozen=True)
class CpuCost:
    """The machine time of one request, averaged over every request of a run's measured window (ms)."""

    requests: int
    server_ms: float | None  # gunicorn: master and workers
    database_ms: float | None  # PostgreSQL, when it runs on this machine
    generator_ms: float  # locust itself, which shares the cores

    @property
    def total_ms(self) -> float | None:
        """Server and database: what a request costs the installation (the generator is not part of it)."""
        if self.server_ms is None:
            return None
        return self.server_ms + (self.database_ms or 0.0)

    def per_core_per_s(self) -> float:
        """Requests one core serves a second at this cost, if nothing else ran on it."""
        return 1000 / self.total_ms if self.total_ms else 0.0

    def line(self) -> str:
        def ms(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.1f}"

        return (
            f"CPU per request {ms(self.total_ms)} ms (server {ms(self.server_ms)} + PostgreSQL {ms(self.database_ms)}; "
            f"locust {self.generator_ms:.1f}) over {self.requests} requests"
        )


@dataclass
class Run:
    entries: list[dict]
    errors: list[dict]
    cpu: dict[str, float | None] | None = None  # CPU seconds of the measured window (bench.load.cpu)

    @classmethod
    def load(cls, path: Path) -> Run:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(entries=data["entries"], errors=data["errors"], cpu=data.get("cpu"))

    def cpu_cost(self) -> CpuCost | None:
        """CPU per request over every request of the window (all endpoints: the CPU is not split by endpoint)."""
        requests = sum(e["count"] for e in self.entries)
        if self.cpu is None or not requests:
            return None

        def per_request(part: str) -> float | None:
            seconds = self.cpu.get(part) if self.cpu else None
            return None if seconds is None else 1000 * seconds / requests

        return CpuCost(requests, per_request("server"), per_request("database"), per_request("generator") or 0.0)

    def seconds(self) -> float:
        """The measured window: from the statistics' (re)start to the last request of any endpoint."""
        starts = [e["start"] for e in self.entries if e["count"]]
        lasts = [e["last"] for e in self.entries if e["count"] and e["last"]]
        return (max(lasts) - min(starts)) if starts and lasts else 0.0

    def names(self) -> list[str]:
        return sorted(e["name"] for e in self.entries)

    def summary(self, names: list[str] | None = None, *, exclude: tuple[str, ...] = ()) -> Summary:
        chosen = [e for e in self.entries if (names is None or e["name"] in names) and not e["name"].startswith(exclude)]
        times: Counter[float] = Counter()
        for e in chosen:
            times.update({float(ms): n for ms, n in e["times"].items()})
        requests = sum(e["count"] for e in chosen)
        seconds = self.seconds()
        by_endpoint = {e["name"]: e["failures"] for e in chosen if e["failures"]}
        return Summary(
            requests=requests,
            failures=sum(by_endpoint.values()),
            per_s=requests / seconds if seconds > 0 else 0.0,
            p50=percentile(times, 0.50),
            p95=percentile(times, 0.95),
            p99=percentile(times, 0.99),
            failures_by_endpoint=by_endpoint,
        )

    def table(self) -> list[str]:
        """One line per endpoint, then the distinct errors."""
        lines = [f"  {name:<40} {self.summary([name]).line()}" for name in self.names()]
        lines += [f"  error: {e['method']} {e['name']}: {e['error']} ×{e['count']}" for e in self.errors]
        return lines
