"""Spearman's rho with its 95% interval and the plain-language verdict (few regions: say so)."""

from __future__ import annotations

import math

import pytest

from qorgau.analytics.correlations import MIN_N, Verdict, fisher_interval, spearman, verdict_for

ISOS = [f"KZ-{n}" for n in (10, 11, 15, 19, 23, 27, 31, 33, 35, 39, 43, 47, 55, 59, 61, 62, 63, 71, 75, 79)]


def test_a_perfect_rank_order_over_20_regions_is_a_positive_association() -> None:
    xs = {iso: float(i) for i, iso in enumerate(ISOS)}
    ys = {iso: float(i) ** 2 for i, iso in enumerate(ISOS)}  # monotone, not linear: ranks agree exactly
    c = spearman(xs, ys)
    assert c.n == 20 and c.rho == pytest.approx(1.0)
    assert c.verdict == Verdict.POSITIVE
    assert c.low is not None and c.low > 0.9


def test_a_reversed_order_is_negative() -> None:
    xs = {iso: float(i) for i, iso in enumerate(ISOS)}
    ys = {iso: -float(i) for i, iso in enumerate(ISOS)}
    assert spearman(xs, ys).verdict == Verdict.NEGATIVE


def test_a_weak_correlation_with_20_regions_cannot_be_concluded() -> None:
    # rho = 0.3 over 20 regions: the interval is about -0.17 … 0.66, so nothing can be concluded.
    low, high = fisher_interval(0.3, 20)
    assert low < 0 < high
    assert verdict_for(20, low, high) == Verdict.INCONCLUSIVE
    xs = {iso: float(i) for i, iso in enumerate(ISOS)}
    order = [3, 0, 7, 1, 5, 12, 2, 9, 4, 15, 6, 18, 11, 8, 19, 10, 14, 13, 17, 16]
    shuffled = {iso: float(order[(i * 7) % 20]) for i, iso in enumerate(ISOS)}
    c = spearman(xs, shuffled)
    assert c.rho is not None and abs(c.rho) < 0.45
    assert c.verdict == Verdict.INCONCLUSIVE


def test_the_interval_widens_as_regions_fall_away() -> None:
    wide = fisher_interval(0.5, 8)
    narrow = fisher_interval(0.5, 20)
    assert wide[1] - wide[0] > narrow[1] - narrow[0]
    # The Fieller–Hartley–Pearson standard error: z ± 1.96·sqrt(1.06/(n−3)).
    z = math.atanh(0.5)
    assert narrow[0] == pytest.approx(math.tanh(z - 1.959964 * math.sqrt(1.06 / 17)), abs=1e-6)


def test_too_few_regions_or_gaps_give_no_estimate() -> None:
    xs = {iso: float(i) for i, iso in enumerate(ISOS[: MIN_N - 1])}
    c = spearman(xs, dict(xs))
    assert c.verdict == Verdict.TOO_FEW and c.rho is None and c.n == MIN_N - 1
    # Unknown values (None) and regions missing on one side are left out of n.
    ys: dict[str, float | None] = {iso: (None if i % 2 else float(i)) for i, iso in enumerate(ISOS)}
    assert spearman({iso: float(i) for i, iso in enumerate(ISOS)}, ys).n == 10


def test_a_constant_factor_has_no_ranks() -> None:
    xs = {iso: 5.0 for iso in ISOS}
    ys = {iso: float(i) for i, iso in enumerate(ISOS)}
    assert spearman(xs, ys).verdict == Verdict.NO_VARIATION
