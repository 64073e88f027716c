"""The monthly tallies: what each source counts, where and in which month, the breakdowns, and the
partial refresh of only the months that changed."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum

from qorgau.analytics.articles import article_number, article_outcome
from qorgau.analytics.models import RefreshMark, Tally
from qorgau.analytics.refresh import FULL_MARK, MARK, REFRESH_EVERY, tallies_refresh
from qorgau.core import clock
from qorgau.orders.models import CriminalCase
from qorgau.protocols.models import TaskStatus
from qorgau.protocols.sweep import sweep
from tests.analytics.conftest import ALMATY, ALMATY_DISTRICT, NOW, at

pytestmark = pytest.mark.django_db


def total(indicator: str, dimension: str = "", **kw) -> int:
    return Tally.objects.filter(indicator=indicator, dimension=dimension, **kw).aggregate(n=Sum("value"))["n"] or 0


def test_reports_count_by_month_region_district_and_urban(world):
    world.reports(3, at(2026, 3))
    world.reports(2, at(2026, 4), region="KZ-23", urban=False)
    result = tallies_refresh(full=True)
    assert result.full and int(result) == result.rows > 0
    assert total("reports", month=dt.date(2026, 3, 1), region_id=ALMATY, district_id=ALMATY_DISTRICT, urban=True) == 3
    assert total("reports", month=dt.date(2026, 4, 1), region_id="KZ-23", urban=False) == 2
    assert total("reports") == 5


def test_a_report_counts_in_the_month_of_kazakhstan_time(world):
    # 31 January 20:00 UTC is 1 February 01:00 in Almaty (UTC+5).
    world.report(dt.datetime(2026, 1, 31, 20, 0, tzinfo=dt.UTC))
    tallies_refresh(full=True)
    assert total("reports", month=dt.date(2026, 2, 1)) == 1
    assert total("reports", month=dt.date(2026, 1, 1)) == 0


def test_breakdowns_by_form_and_victim_group_are_kept_at_region_level(world):
    r1 = world.report(at(2026, 3), forms=("physical", "economic"))
    world.case(r1, victim=world.person(sex="F", birth=dt.date(1990, 1, 1)), markers=("pregnant",))
    r2 = world.report(at(2026, 3), forms=("psychological",))
    # 17 years old at the incident: a child by age, without the marker.
    world.case(r2, victim=world.person(sex="M", birth=dt.date(2008, 12, 1)))
    r3 = world.report(at(2026, 3))
    world.case(r3, victim=world.person(sex="F", birth=dt.date(1950, 1, 1)))  # 76: elderly by age
    r4 = world.report(at(2026, 3))
    # 18 on 1 March, before the incident on 10 March: not a child any more.
    world.case(r4, victim=world.person(sex="M", birth=dt.date(2008, 3, 1)))
    tallies_refresh(full=True)
    assert total("reports", "form:physical") == 3
    assert total("reports", "form:economic") == 1
    assert total("reports", "form:psychological") == 1
    assert total("reports", "group:women") == 2
    assert total("reports", "group:pregnant") == 1
    assert total("reports", "group:children") == 1
    assert total("reports", "group:elderly") == 1
    assert not Tally.objects.exclude(dimension="").filter(district__isnull=False).exists()
    # Cases are counted where their first incident happened, with the same groups.
    assert total("cases") == 4
    assert total("cases", "group:women") == 2


def test_repeat_reports_first_contact_and_overdue_tasks(world):
    first = world.report(at(2026, 3, 1, 4))
    case = world.case(first)
    again = world.report(at(2026, 3, 20), incident=world.incident(occurred=at(2026, 3, 19)))
    case.incidents.add(again.incident)
    world.report(at(2026, 3, 21))  # a different pair: not a repeat
    world.task(case, due=at(2026, 3, 2), status=TaskStatus.DONE, updated=at(2026, 3, 1, 9))  # done 5 h after the report
    world.task(case, due=at(2026, 4, 2), status=TaskStatus.DONE, updated=at(2026, 4, 3))  # done a day late
    world.task(case, due=at(2026, 5, 2), status=TaskStatus.OPEN)  # still open past due
    world.task(case, due=NOW + timedelta(days=2), status=TaskStatus.OPEN)  # not due yet
    tallies_refresh(full=True)
    assert total("reports") == 3
    assert total("repeat_rate") == 1
    fc = Tally.objects.get(indicator="first_contact_hours", dimension="")
    assert (fc.month, fc.value, fc.amount) == (dt.date(2026, 3, 1), 1, pytest.approx(5.0))
    assert total("tasks_overdue") == 2
    assert total("tasks_overdue", month=dt.date(2026, 4, 1)) == 1


@pytest.mark.parametrize(
    ("text", "number", "outcome"),
    [
        ("ст. 99 ч. 1 УК РК", 99, "deaths"),
        ("ч. 2 ст. 106 УК", 106, "grave_harm"),
        ("art. 105", 105, "deaths"),
        ("ҚР ҚК 104-бабы", 104, "deaths"),
        ("ст. 108-1 ч. 1 УК РК", 108, ""),
        ("ч. 1 ст. 107", 107, ""),
        ("", None, ""),
    ],
)
def test_articles_of_the_criminal_code(text, number, outcome):
    assert article_number(text) == number
    assert article_outcome(text) == outcome


def test_deaths_and_grave_harm_come_from_criminal_cases_by_article(world):
    case = world.case(world.report(at(2026, 2)))
    world.criminal(case, "ст. 99 ч. 1 УК РК", dt.date(2026, 2, 20))
    world.criminal(case, "ч. 1 ст. 106 УК РК", dt.date(2026, 3, 2))
    world.criminal(case, "ст. 108-1 УК РК", dt.date(2026, 3, 3))
    tallies_refresh(full=True)
    assert total("criminal_cases") == 3
    assert total("deaths", month=dt.date(2026, 2, 1)) == 1
    assert total("grave_harm", month=dt.date(2026, 3, 1)) == 1


def test_a_partial_refresh_recomputes_only_the_touched_months(world):
    world.reports(4, at(2026, 1))
    world.reports(2, at(2026, 3))
    tallies_refresh(full=True)
    january = set(Tally.objects.filter(month=dt.date(2026, 1, 1)).values_list("pk", flat=True))
    # Nothing recorded since: nothing is rewritten.
    quiet = tallies_refresh()
    assert (quiet.rows, quiet.months, quiet.full) == (0, 0, False)
    assert set(Tally.objects.filter(month=dt.date(2026, 1, 1)).values_list("pk", flat=True)) == january
    # A late report on March, recorded now: only March is recomputed.
    with clock.frozen(NOW + timedelta(minutes=5)):
        world.report(at(2026, 3, 25), recorded=NOW + timedelta(minutes=5))
    with clock.frozen(NOW + timedelta(minutes=6)):
        result = tallies_refresh()
    assert (result.months, result.full) == (1, False)
    assert total("reports", month=dt.date(2026, 3, 1)) == 3
    assert set(Tally.objects.filter(month=dt.date(2026, 1, 1)).values_list("pk", flat=True)) == january
    assert RefreshMark.objects.get(name=MARK).at == NOW + timedelta(minutes=6)


def test_a_task_falling_overdue_touches_its_month_without_any_write(world):
    case = world.case(world.report(at(2026, 6, 1)))
    world.task(case, due=NOW + timedelta(hours=1))
    tallies_refresh(full=True)
    assert total("tasks_overdue") == 0
    with clock.frozen(NOW + timedelta(hours=2)):
        tallies_refresh()
    assert total("tasks_overdue", month=dt.date(2026, 6, 1)) == 1


def test_the_sweep_refreshes_every_few_minutes_and_rebuilds_in_full_once_a_day(world):
    world.reports(2, at(2026, 5))
    assert sweep()["tallies_written"] > 0  # the first pass rebuilds in full
    full_at = RefreshMark.objects.get(name=FULL_MARK).at
    late = NOW + timedelta(minutes=1)
    with clock.frozen(late):
        world.report(at(2026, 5, 20), recorded=late)
        assert sweep()["tallies_written"] == 0  # within REFRESH_EVERY: not yet
    assert total("reports") == 2
    with clock.frozen(NOW + REFRESH_EVERY + timedelta(minutes=1)):
        assert sweep()["tallies_written"] > 0
    assert total("reports") == 3
    assert RefreshMark.objects.get(name=FULL_MARK).at == full_at  # a partial refresh
    with clock.frozen(NOW + timedelta(hours=25)):
        assert sweep()["tallies_written"] > 0
    assert RefreshMark.objects.get(name=FULL_MARK).at == NOW + timedelta(hours=25)


def test_repeats_deaths_and_grave_harm_follow_their_parent_source_in_a_partial_refresh(world):
    case = world.case(world.report(at(2026, 2)))
    tallies_refresh(full=True)
    later = NOW + timedelta(minutes=10)
    with clock.frozen(later):
        again = world.report(at(2026, 2, 20), incident=world.incident(occurred=at(2026, 2, 19)), recorded=later)
        case.incidents.add(again.incident)
        crime = world.criminal(case, "ст. 99 ч. 1 УК РК", dt.date(2026, 3, 1))
        CriminalCase.objects.filter(pk=crime.pk).update(recorded_at=later)
    with clock.frozen(later + timedelta(minutes=1)):
        result = tallies_refresh()
    assert result.months == 2
    assert total("repeat_rate", month=dt.date(2026, 2, 1)) == 1
    assert total("deaths", month=dt.date(2026, 3, 1)) == 1


def test_the_command_rebuilds(world, capsys):
    world.reports(5, at(2026, 2))
    call_command("analytics-refresh", "--full")
    assert "full rebuild" in capsys.readouterr().out
    assert total("reports") == 5


def test_orders_breaches_and_decisions_count_where_their_case_began(world):
    from qorgau.orders.models import Breach, CourtDecision, Order, OrderCase

    first = world.report(at(2026, 2), region="KZ-23")
    case = world.case(first, markers=("disabled",))
    later = world.report(at(2026, 3), incident=world.incident(region=ALMATY, occurred=at(2026, 3)))
    case.incidents.add(later.incident)
    issued = at(2026, 3, 12)
    order = Order.objects.create(
        number="PO-1",
        kind="police",
        offender=case.offender,
        issuing_unit=world.unit,
        issued_by=world.user,
        issued_at=issued,
        starts_at=issued,
        ends_at=issued + timedelta(days=30),
    )
    OrderCase.objects.create(order=order, case=case)
    Breach.objects.create(
        order=order,
        occurred_at=at(2026, 4, 2),
        what="x",
        reported_by=world.user,
        unit=world.unit,
        recorded_at=at(2026, 4, 2),
    )
    CourtDecision.objects.create(
        case=case,
        court_unit=world.unit,
        kind="administrative_penalty",
        decided_on=dt.date(2026, 4, 20),
        reference="5-1/2026",
        recorded_by=world.user,
        recorded_at=at(2026, 4, 20),
    )
    tallies_refresh(full=True)
    assert total("orders", region_id="KZ-23", month=dt.date(2026, 3, 1)) == 1
    assert total("orders", region_id=ALMATY) == 0
    assert total("orders", "group:disabled") == 1 and total("orders", "form:physical") == 1
    assert total("breaches", region_id="KZ-23", month=dt.date(2026, 4, 1)) == 1
    assert total("court_decisions", region_id="KZ-23", month=dt.date(2026, 4, 1)) == 1


def test_the_demo_draws_a_few_murders_and_grave_harms_reproducibly():
    from qorgau.demo.orders import CRIMINAL_ARTICLE, criminal_article

    drawn = [criminal_article(f"2026-75-{n:05d}") for n in range(3000)]
    assert drawn == [criminal_article(f"2026-75-{n:05d}") for n in range(3000)]
    deaths = sum(article_outcome(a) == "deaths" for a in drawn) / len(drawn)
    harm = sum(article_outcome(a) == "grave_harm" for a in drawn) / len(drawn)
    assert 0.003 < deaths < 0.02 and 0.015 < harm < 0.05
    assert article_outcome(CRIMINAL_ARTICLE) == ""
