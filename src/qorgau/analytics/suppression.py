"""Small-cell suppression (DESIGN §8; the rules and their limits: docs/analytics.md).

*Primary*: a count of 1 to 4 is hidden. A true zero is shown: it says that nothing was recorded, which
identifies no one. A share is hidden when its numerator or its denominator minus its numerator is
under 5 (both "few had it" and "nearly all had it" single people out). A mean of hours is hidden when
it averages fewer than 5 cases. A rate, share or mean computed from a hidden count is hidden.

*Complementary*: cells that add up to a published total form a *group* (the regions and the national
total; a region's districts, its "district not recorded" row and the region's total; the months of a
series and the period total). In a group, the hidden members — the total counted as a member — must
never be exactly one, or the hidden cell would be the total minus the others. When exactly one is
hidden, the smallest other non-zero member is hidden too. For shares and means the rule runs on the
counts behind them (numerator, denominator minus numerator; cases averaged), until nothing changes.

A total hidden by another table (a region hidden in the national table) is carried into the tables
below it (that region's districts and its monthly series) as hidden, so that its districts or months
cannot add up to it (``forced``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

SMALL_CELL = 5
K = TypeVar("K", bound=Hashable)


def count_hidden(n: int | float) -> bool:
    """A count of people or events about people from 1 to 4."""
    return 0 < n < SMALL_CELL


def share_hidden(numerator: int | float, denominator: int | float) -> bool:
    """A share is hidden when fewer than 5 had it or fewer than 5 did not (denominator 0: no share)."""
    if denominator <= 0:
        return False
    return numerator < SMALL_CELL or denominator - numerator < SMALL_CELL


def mean_hidden(cases: int | float) -> bool:
    return 0 < cases < SMALL_CELL


@dataclass
class Hidden(Generic[K]):
    """The members of a group that are hidden, and whether its total is."""

    members: set[K]
    total: bool


def protect(values: Mapping[K, int | float], hidden: set[K], *, total_hidden: bool = False) -> Hidden[K]:
    """Complementary suppression in one additive group: ``values`` are the members (their sum is the
    total), ``hidden`` the members already hidden. When exactly one of members + total is hidden, the
    smallest other non-zero member is hidden as well (a zero member only when there is no other)."""
    members = set(hidden)
    count = len(members) + (1 if total_hidden else 0)
    if count == 1:
        candidates = sorted((k for k in values if k not in members), key=lambda k: (values[k] == 0, values[k], str(k)))
        if candidates:
            members.add(candidates[0])
    return Hidden(members, total_hidden)


def count_group(values: Mapping[K, int | float], *, forced_total: bool = False) -> Hidden[K]:
    """Primary and complementary suppression of one count column (members and their total)."""
    total = sum(values.values())
    primary = {k for k, v in values.items() if count_hidden(v)}
    return protect(values, primary, total_hidden=forced_total or count_hidden(total))


def share_group(
    numerators: Mapping[K, int | float],
    denominators: Mapping[K, int | float],
    *,
    also: set[K] | None = None,
    forced_total: bool = False,
) -> Hidden[K]:
    """Suppression of a share column: primary on each share, then complementary on the numerators and
    on the rests (denominator − numerator), repeated until nothing changes. ``also``: members whose
    denominator is hidden in its own column."""
    keys = set(numerators) | set(denominators)
    num = {k: numerators.get(k, 0) for k in keys}
    rest = {k: denominators.get(k, 0) - numerators.get(k, 0) for k in keys}
    n_total, d_total = sum(num.values()), sum(denominators.get(k, 0) for k in keys)
    total = forced_total or share_hidden(n_total, d_total)
    hidden = {k for k in keys if share_hidden(num[k], denominators.get(k, 0))} | set(also or ())
    while True:
        grown = protect(num, hidden, total_hidden=total).members | protect(rest, hidden, total_hidden=total).members
        if grown == hidden:
            return Hidden(hidden, total)
        hidden = grown


def mean_group(cases: Mapping[K, int | float], *, forced_total: bool = False) -> Hidden[K]:
    """Suppression of a mean column: by the number of cases averaged, with the complementary rule on them."""
    total = sum(cases.values())
    primary = {k for k, v in cases.items() if mean_hidden(v)}
    return protect(cases, primary, total_hidden=forced_total or mean_hidden(total))
