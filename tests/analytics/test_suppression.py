"""Small-cell suppression: the rules on their own, then a crafted small region that must not show, nor
be recoverable as a total minus the other cells, in the table, the map, the series or a region view."""

from __future__ import annotations

import datetime as dt

import pytest

from qorgau.analytics.filters import Filters
from qorgau.analytics.refresh import tallies_refresh
from qorgau.analytics.selectors import by_region, dashboard_view, key_figures
from qorgau.analytics.suppression import count_group, count_hidden, protect, share_group, share_hidden
from tests.analytics.conftest import ALMATY, at

PERIOD = Filters(dt.date(2026, 1, 1), dt.date(2026, 5, 1))
SMALL = "KZ-23"  # Atyrau: the crafted small region, 3 reports
NEXT = "KZ-11"  # Akmola: 6 reports, the next-smallest


def test_primary_rule_hides_one_to_four_and_shows_zero():
    assert [count_hidden(n) for n in (0, 1, 4, 5, 100)] == [False, True, True, False, False]
    assert share_hidden(3, 100) and share_hidden(97, 100) and not share_hidden(50, 100)
    assert not share_hidden(0, 0)  # nothing to share: no figure, nothing hidden


def test_one_hidden_cell_in_a_group_takes_the_smallest_other_with_it():
    hidden = count_group({"a": 3, "b": 40, "c": 7, "d": 0})
    assert hidden.members == {"a", "c"} and not hidden.total
    assert count_group({"a": 3, "b": 2, "c": 50}).members == {"a", "b"}  # two already: enough
    assert count_group({"a": 10, "b": 20}).members == set()


def test_a_total_hidden_elsewhere_hides_one_member():
    hidden = protect({"x": 12, "y": 30}, set(), total_hidden=True)
    assert hidden.members == {"x"}


def test_a_share_protects_its_numerators_and_rests():
    # Region a: 2 of 50 (hidden); b must go too or the national share would give a's numerator away.
    hidden = share_group({"a": 2, "b": 10, "c": 30}, {"a": 50, "b": 60, "c": 100})
    assert hidden.members >= {"a", "b"}


@pytest.fixture
def crafted(world):
    world.reports(3, at(2026, 3), region=SMALL)
    world.reports(6, at(2026, 2), region=NEXT)
    world.reports(40, at(2026, 4), region=ALMATY)
    world.reports(12, at(2026, 4), region="KZ-47")
    tallies_refresh(full=True)
    return world


def _hidden_rows(view, code="reports"):
    return {r.key for r in view.rows if r.cells[code].suppressed}


@pytest.mark.django_db
def test_the_small_region_is_hidden_in_the_table_and_not_recoverable(crafted, analyst):
    view = dashboard_view(analyst, PERIOD, ["reports"])
    cells = {r.key: r.cells["reports"] for r in view.rows}
    assert cells[SMALL] == cells[SMALL].__class__(None, True, None)
    assert cells[NEXT].suppressed  # the complementary cell
    assert _hidden_rows(view) == {SMALL, NEXT}
    assert cells[ALMATY].value == 40 and cells["KZ-11"].rate is None
    assert cells["KZ-33"].value == 0 and not cells["KZ-33"].suppressed  # a true zero is shown
    total = view.total.cells["reports"].value
    shown = sum(c.value for c in cells.values() if not c.suppressed)
    assert total == 61 and total - shown == 9  # the two hidden cells together, not the small one alone
    assert any("5" in n for n in view.notices)


@pytest.mark.django_db
def test_the_map_and_key_figures_agree_with_the_table(crafted, analyst):
    column = by_region(analyst, PERIOD, "reports")
    assert {k for k, c in column.items() if c.suppressed} == {SMALL, NEXT}
    assert column[SMALL].value is None and column[SMALL].rate is None
    assert key_figures(analyst, PERIOD)["reports"].value == 61


@pytest.mark.django_db
def test_the_small_regions_series_and_total_are_hidden(crafted, analyst):
    view = dashboard_view(analyst, Filters(PERIOD.start, PERIOD.end, region=SMALL), ["reports"])
    assert view.total.cells["reports"].suppressed
    assert all(c.suppressed or c.value == 0 for _m, c in view.series["reports"])
    assert not any(c.value for _m, c in view.series["reports"])
    assert all(r.cells["reports"].suppressed or r.cells["reports"].value == 0 for r in view.rows)


@pytest.mark.django_db
def test_the_complementary_region_stays_hidden_in_its_own_view(crafted, analyst):
    # Akmola (6) is shown nowhere: its view hides its total, and a district with it, and its months.
    view = dashboard_view(analyst, Filters(PERIOD.start, PERIOD.end, region=NEXT), ["reports"])
    assert view.total.cells["reports"].suppressed
    assert _hidden_rows(view)  # the district holding the 6 reports
    months = [c for _m, c in view.series["reports"]]
    assert sum(c.value or 0 for c in months if not c.suppressed) == 0


@pytest.mark.django_db
def test_a_national_series_never_shows_a_single_small_month(crafted, analyst):
    view = dashboard_view(analyst, PERIOD, ["reports"])
    series = dict(view.series["reports"])
    assert series[dt.date(2026, 3, 1)].suppressed  # 3 reports in March
    hidden = [m for m, c in series.items() if c.suppressed]
    assert len(hidden) >= 2  # and one more, so the period total cannot give March away


def test_no_group_ever_has_exactly_one_hidden_cell():
    import random

    rng = random.Random(4)
    for _ in range(2000):
        n = rng.randint(1, 8)
        values = {f"k{i}": rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 20, 100]) for i in range(n)}
        forced = rng.random() < 0.2
        hidden = count_group(values, forced_total=forced)
        assert len(hidden.members) + hidden.total != 1
        assert all(k in hidden.members for k, v in values.items() if 0 < v < 5)
        dens = {k: v + rng.choice([0, 2, 5, 30]) for k, v in values.items()}
        shares = share_group(values, dens, forced_total=forced)
        rests = {k: dens[k] - values[k] for k in values}
        for column in (values, rests):  # numerators and rests: neither can be recovered from a total
            hidden_nonzero = [k for k in shares.members if column[k]]
            assert not (len(shares.members) + shares.total == 1 and hidden_nonzero)
