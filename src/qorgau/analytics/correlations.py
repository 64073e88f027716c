"""Rank correlations between a regional rate and a regional factor, with an honest verdict.

With Kazakhstan's 20 regions (fewer when a factor is published for only some of them) a correlation
is estimated from a handful of points. We report Spearman's rho (ranks: robust to the skew of rates
and incomes), a 95% interval by the Fisher z-transform with the Fieller–Hartley–Pearson standard
error for Spearman's rho, sqrt(1.06 / (n − 3)), and a verdict in plain words:

* fewer than ``MIN_N`` regions: too few to say anything; the same value everywhere: nothing to rank;
* the interval contains 0: no association can be concluded — which is NOT evidence of no
  association, only of too little information;
* otherwise: an association in that direction, which is still not a cause (the regions differ in
  many ways at once: reporting habits, police practice, urbanisation).

The interval is deterministic (no bootstrap seed to pin), so the note is the same every time it is
regenerated from the same data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy import stats

MIN_N = 6  # below this the interval is wider than the whole range of rho
Z95 = 1.959963984540054


class Verdict(StrEnum):
    TOO_FEW = "too_few"
    NO_VARIATION = "no_variation"  # one of the two is the same in every region: nothing to rank
    INCONCLUSIVE = "inconclusive"
    POSITIVE = "positive"
    NEGATIVE = "negative"


@dataclass(frozen=True)
class Correlation:
    n: int
    rho: float | None
    low: float | None
    high: float | None
    p_value: float | None
    verdict: Verdict


def fisher_interval(rho: float, n: int) -> tuple[float, float]:
    """The 95% interval of Spearman's rho (Fisher z, Fieller–Hartley–Pearson standard error)."""
    if n <= 3:
        return -1.0, 1.0
    r = min(max(rho, -0.999999), 0.999999)
    z = math.atanh(r)
    se = math.sqrt(1.06 / (n - 3))
    return math.tanh(z - Z95 * se), math.tanh(z + Z95 * se)


def verdict_for(n: int, low: float | None, high: float | None) -> Verdict:
    if n < MIN_N or low is None or high is None:
        return Verdict.TOO_FEW
    if low <= 0.0 <= high:
        return Verdict.INCONCLUSIVE
    return Verdict.POSITIVE if low > 0 else Verdict.NEGATIVE


def spearman(xs: Mapping[str, float | None], ys: Mapping[str, float | None]) -> Correlation:
    """Rho between two regional series, over the regions where both are known."""
    keys = sorted(k for k in xs.keys() & ys.keys() if xs[k] is not None and ys[k] is not None)
    n = len(keys)
    if n < MIN_N:
        return Correlation(n, None, None, None, None, Verdict.TOO_FEW)
    x = np.array([xs[k] for k in keys], dtype=float)
    y = np.array([ys[k] for k in keys], dtype=float)
    if np.all(x == x[0]) or np.all(y == y[0]):  # a constant series has no ranks to correlate
        return Correlation(n, None, None, None, None, Verdict.NO_VARIATION)
    result = stats.spearmanr(x, y)
    rho, p = float(result.statistic), float(result.pvalue)
    low, high = fisher_interval(rho, n)
    return Correlation(n, rho, low, high, p, verdict_for(n, low, high))
