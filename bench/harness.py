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


@dataclass
class Figure:
    name: str
    baseline: str
    candidate_per_s: float
    baseline_per_s: float
    ratio: float  # candidate time / baseline time (1.0 = as fast as the baseline)
    note: str = ""


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

    def add(self, fig: Figure) -> None:
        self.figures.append(fig)
        print(
            f"{fig.name:<52} {fig.ratio:>8.2f}× {fig.baseline}  ({fig.candidate_per_s:,.0f}/s vs {fig.baseline_per_s:,.0f}/s)"
        )

    def add_accuracy(self, row: Accuracy) -> None:
        self.accuracy.append(row)
        print(
            f"{row.system:<34} {row.threshold:<24} P {row.precision:.4f}  R {row.recall:.4f}  F1 {row.f1:.4f}  {row.seconds:8.1f} s"
        )

    def write(self, directory: Path, name: str = "report") -> None:
        machine = {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "processor": platform.processor() or platform.machine(),
            "system": f"{platform.system()} {platform.release()}",
            "cpus": __import__("os").cpu_count(),
        }
        data: dict[str, object] = {"machine": machine, "figures": [asdict(f) for f in self.figures]}
        if self.accuracy:
            data["accuracy"] = [asdict(a) for a in self.accuracy]
        (directory / f"{name}.json").write_text(json.dumps(data, indent=2))
        lines = [
            "# Qorgau benchmarks",
            "",
            f"Machine: {machine['system']}, {machine['cpus']} CPUs, Python {machine['python']}.",
            "Each figure is the median over rounds of (candidate time / baseline time), both measured in the same run.",
            "",
            "| figure | ratio | baseline | candidate/s | baseline/s | note |",
            "|---|---:|---|---:|---:|---|",
        ]
        for f in self.figures:
            lines.append(
                f"| {f.name} | {f.ratio:.2f}× | {f.baseline} | {f.candidate_per_s:,.0f} | {f.baseline_per_s:,.0f} | {f.note} |"
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
