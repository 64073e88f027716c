"""The selectors: who may read, the audit row, values and rates, the region and district views, the
coarsening of small breakdowns, empty periods, and that a page view reads tallies, not reports."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qorgau.accounts.roles import Role
from qorgau.analytics.filters import Filters
from qorgau.analytics.indicators import INDICATORS
from qorgau.analytics.refresh import tallies_refresh
from qorgau.analytics.selectors import by_region, dashboard_view, key_figures
from qorgau.cases.models import Case
from qorgau.core.errors import Forbidden
from qorgau.core.models import AuditAction, AuditEvent, Region
from qorgau.protocols.models import TaskStatus
from tests.analytics.conftest import ALMATY, ALMATY_DISTRICT, at

pytestmark = pytest.mark.django_db
PERIOD = Filters(dt.date(2026, 1, 1), dt.date(2026, 5, 1))


@pytest.fixture
def data(world):
    world.reports(30, at(2026, 2), region=ALMATY)
    world.reports(10, at(2026, 3), region=ALMATY, urban=False)
    world.reports(6, at(2026, 3), region=ALMATY, district=None)  # district not recorded
    world.reports(8, at(2026, 4), region="KZ-23")
    tallies_refresh(full=True)
    return world


@pytest.mark.parametrize("role", [Role.POLICE_INSPECTOR, Role.ADMINISTRATOR])
def test_only_those_who_see_aggregates_may_read(data, make_user, role):
    user = make_user(role)
    for read in (
        lambda: dashboard_view(user, PERIOD),
        lambda: key_figures(user, PERIOD),
        lambda: by_region(user, PERIOD, "reports"),
    ):
        with pytest.raises(Forbidden):
            read()


def test_each_read_writes_one_audit_row_without_personal_data(data, analyst):
    before = AuditEvent.objects.count()
    dashboard_view(analyst, PERIOD)
    dashboard_view(analyst, PERIOD, audit_action=AuditAction.EXPORT)
    rows = list(AuditEvent.objects.order_by("id")[before:])
    assert [(r.action, r.target_type, r.target_id) for r in rows] == [
        ("read", "analytics", "dashboard"),
        ("export", "analytics", "dashboard"),
    ]
    assert all(r.actor_id == analyst.pk for r in rows)


def test_values_and_rates_per_100k_from_the_reference_population(data, analyst):
    view = dashboard_view(analyst, PERIOD, ["reports", "cases"])
    almaty = next(r for r in view.rows if r.key == ALMATY)
    population = Region.objects.get(pk=ALMATY).population
    assert almaty.population == population
    cell = almaty.cells["reports"]
    assert cell.value == 46 and cell.rate == pytest.approx(round(46 * 100_000 / population, 2))
    assert view.total.cells["reports"].value == 54
    assert len(view.rows) == 20 and view.as_of is not None
    assert [i.code for i in view.indicators] == ["reports", "cases"]
    assert almaty.cells["cases"] == almaty.cells["cases"].__class__(0.0, False, 0.0)  # no cases: a true zero


def test_the_urban_filter_uses_the_urban_population(data, analyst):
    rural = dataclasses.replace(PERIOD, urban=False)
    almaty = next(r for r in dashboard_view(analyst, rural, ["reports"]).rows if r.key == ALMATY)
    assert almaty.population == Region.objects.get(pk=ALMATY).population_rural
    assert almaty.cells["reports"].value == 10


def test_a_region_shows_its_districts_and_the_district_not_recorded(data, analyst):
    view = dashboard_view(analyst, dataclasses.replace(PERIOD, region=ALMATY), ["reports"])
    rows = {r.key: r for r in view.rows}
    assert rows[ALMATY_DISTRICT].cells["reports"].value == 40
    assert rows[""].cells["reports"].value == 6
    assert rows[ALMATY_DISTRICT].population is None and rows[ALMATY_DISTRICT].cells["reports"].rate is None
    assert view.total.key == ALMATY and view.total.cells["reports"].value == 46
    assert view.total.cells["reports"].rate is not None
    assert any("100,000" in n or "100 000" in n for n in view.notices)
    series = dict(view.series["reports"])
    assert series[dt.date(2026, 2, 1)].value == 30 and series[dt.date(2026, 3, 1)].value == 16
    district = dashboard_view(
        analyst, dataclasses.replace(PERIOD, region=ALMATY, district=ALMATY_DISTRICT), ["reports"]
    )
    assert [r.key for r in district.rows] == [ALMATY_DISTRICT] and district.total.cells["reports"].value == 40


def test_a_small_region_is_not_broken_down(data, analyst):
    small = dashboard_view(analyst, dataclasses.replace(PERIOD, region="KZ-23", breakdown="form:physical"), ["reports"])
    assert small.filters.breakdown == ""  # widened to the whole, with a notice
    assert any("20" in n for n in small.notices)
    large = dashboard_view(analyst, dataclasses.replace(PERIOD, region=ALMATY, breakdown="form:physical"), ["reports"])
    assert large.filters.breakdown == "form:physical"
    assert large.total.cells["reports"].value == 46


def test_an_empty_period_says_so(data, analyst):
    from django.utils import translation

    with translation.override("en"):
        view = dashboard_view(analyst, Filters(dt.date(2020, 1, 1), dt.date(2020, 12, 1)), ["reports"])
    assert view.empty and any("No data" in n for n in view.notices)
    assert all(c.value == 0 for _m, c in view.series["reports"])


def test_shares_and_means_are_numbers_0_to_100_and_hours(world, analyst):
    for _ in range(12):
        first = world.report(at(2026, 3, 1, 4))
        case = world.case(first)
        world.task(case, due=at(2026, 3, 2), status=TaskStatus.DONE, updated=at(2026, 3, 1, 10))  # 6 h
    world.reports(6, at(2026, 3, 5))  # reports on no case yet
    for case in Case.objects.order_by("id")[:6]:  # six of the pairs report again
        again = world.report(at(2026, 3, 20), incident=world.incident(occurred=at(2026, 3, 19)))
        case.incidents.add(again.incident)
    tallies_refresh(full=True)
    total = key_figures(analyst, PERIOD)
    assert total["reports"].value == 24
    assert total["repeat_rate"].value == 25.0  # 6 of 24
    assert total["first_contact_hours"].value == 6.0
    assert INDICATORS["repeat_rate"].kind == "share"


def test_a_page_view_reads_tallies_not_reports(data, analyst):
    with CaptureQueriesContext(connection) as queries:
        dashboard_view(analyst, PERIOD)
        dashboard_view(analyst, dataclasses.replace(PERIOD, region=ALMATY))
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "analytics_tally" in sql
    assert "cases_report" not in sql and "cases_incident" not in sql


def test_live_indicators_with_no_shelters_are_empty_not_broken(data, analyst):
    view = dashboard_view(analyst, PERIOD, ["shelter_beds", "shelter_occupancy", "beds_per_100k"])
    total = view.total.cells
    assert total["shelter_beds"].value == 0 and total["shelter_occupancy"].value is None
    assert view.series["shelter_beds"] == []
