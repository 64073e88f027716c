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


@dataclass
class Run:
    entries: list[dict]
    errors: list[dict]

    @classmethod
    def load(cls, path: Path) -> Run:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(entries=data["entries"], errors=data["errors"])

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
