"""Timing helpers: every figure is reported as a ratio against a baseline measured in the same run.

The machines are shared and noisy, so each case alternates candidate and baseline in rounds and the
median of the per-round ratios is reported.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path


def per_s(value: float) -> str:
    """A rate for the report: whole numbers, with decimals below 10 (a latency figure's 1/p95 is small)."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.3g}"


@dataclass
class Figure:
    name: str
    baseline: str
    candidate_per_s: float
    baseline_per_s: float
    ratio: float  # candidate time / baseline time (1.0 = as fast as the baseline)
    note: str = ""
    section: str = ""  # stamped by Report.add from Report.section


@dataclass
class Accuracy:
    """One system's pairwise accuracy on a labelled set (bench/linkage_accuracy.py)."""

    system: str
    threshold: str
    precision: float
    recall: float
    f1: float
    seconds: float
    note: str = ""


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    accuracy: list[Accuracy] = field(default_factory=list)
    section: str = ""  # the heading the next figures are written under

    def add(self, fig: Figure) -> None:
        if not fig.section:
            fig.section = self.section
        self.figures.append(fig)
        print(
            f"{fig.name:<52} {fig.ratio:>8.2f}× {fig.baseline}  ({per_s(fig.candidate_per_s)}/s vs {per_s(fig.baseline_per_s)}/s)"
        )

    def add_accuracy(self, row: Accuracy) -> None:
        self.accuracy.append(row)
        print(
            f"{row.system:<34} {row.threshold:<24} P {row.precision:.4f}  R {row.recall:.4f}  F1 {row.f1:.4f}  {row.seconds:8.1f} s"
        )

    def write(self, directory: Path, name: str = "report") -> None:
        machine = machine_describe()
        data: dict[str, object] = {"machine": machine, "figures": [asdict(f) for f in self.figures]}
        if self.accuracy:
            data["accuracy"] = [asdict(a) for a in self.accuracy]
        (directory / f"{name}.json").write_text(json.dumps(data, indent=2))
        lines = [
            "# Qorgau benchmarks",
            "",
            f"Machine: {machine['processor']}, {machine['cpus']} CPUs, {machine['memory_gib']} GiB memory; "
            f"{machine['system']}; Python {machine['python']}; SQLite {machine['sqlite']}; "
            f"PostgreSQL {machine['postgresql']}. Run at {machine['when']}.",
            "Each figure is the median over rounds of (candidate time / baseline time), both measured in the same run.",
            "",
            "| figure | ratio | baseline | candidate/s | baseline/s | note |",
            "|---|---:|---|---:|---:|---|",
        ]
        section = ""
        for f in self.figures:
            if f.section and f.section != section:
                section = f.section
                lines.append(f"| **{section}** | | | | | |")
            lines.append(
                f"| {f.name} | {f.ratio:.2f}× | {f.baseline} | {per_s(f.candidate_per_s)} | {per_s(f.baseline_per_s)} | {f.note} |"
            )
        if self.accuracy:
            lines += [
                "",
                "## Accuracy",
                "",
                "Pairwise precision, recall and F1 against the ground truth of a labelled set; seconds of wall time.",
                "",
                "| system | threshold | precision | recall | F1 | seconds | note |",
                "|---|---|---:|---:|---:|---:|---|",
            ]
            for a in self.accuracy:
                lines.append(
                    f"| {a.system} | {a.threshold} | {a.precision:.4f} | {a.recall:.4f} | {a.f1:.4f} | {a.seconds:.1f} | {a.note} |"
                )
        (directory / f"{name}.md").write_text("\n".join(lines) + "\n")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f}"
    except OSError:
        pass
    return "?"


def _postgresql_version() -> str:
    """The server version of the PostgreSQL the benchmarks use, or "not reachable"."""
    try:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "?"
    except Exception:  # a description, not a check: any failure means "not reachable"
        return "not reachable"


def machine_describe() -> dict[str, object]:
    """What the figures were measured on: they are ratios, but the reader should know the machine."""
    import datetime as dt
    import os
    import sqlite3

    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "system": f"{platform.system()} {platform.release()}",
        "cpus": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgresql_version(),
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def _rate(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def compare(
    name: str,
    candidate: Callable[[], object],
    baseline_name: str,
    baseline: Callable[[], object],
    *,
    n: int,
    rounds: int = 5,
    note: str = "",
) -> Figure:
    candidate(), baseline()  # warm up
    ratios, cand_rates, base_rates = [], [], []
    for _ in range(rounds):
        b = _rate(baseline, n)
        c = _rate(candidate, n)
        base_rates.append(b)
        cand_rates.append(c)
        ratios.append(b / c)
    return Figure(
        name=name,
        baseline=baseline_name,
        candidate_per_s=statistics.median(cand_rates),
        baseline_per_s=statistics.median(base_rates),
        ratio=statistics.median(ratios),
        note=note,
    )
