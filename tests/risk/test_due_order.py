"""The unit's reassessments due are sorted and cut by the database, most overdue first: a unit with
more cases due than a page shows sees its most overdue ones, whatever their case ids."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest

from qorgau.accounts.roles import Role
from qorgau.cases.services import VictimInput, report_register
from qorgau.core import clock
from qorgau.risk.selectors import (
    case_risk_panel,
    reassessments_due,
    reassessments_due_page,
)
from tests.cases.factories import person, report_input
from tests.conftest import sign_in
from tests.risk.support import answers_scoring, make_case, signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspector(instruments, make_user):
    return make_user(Role.POLICE_INSPECTOR, language="en")


@pytest.fixture
def due_world(inspector):
    """Five cases whose due dates run against their ids: the last case made is the most overdue.

    Cases 0–2 are signed high (due seven days after signing, a day apart); case 3 is signed low (due
    in 60 days) and then forced at once by a new incident; case 4 is never assessed (due from the day
    it was opened, the latest of all)."""
    start = clock.now() - timedelta(days=30)
    cases = []
    for i in range(3):
        with clock.frozen(start + timedelta(days=3 - i)):
            case = make_case(inspector, serial=1000 * (i + 1))
            signed(inspector, case, "dash", answers_scoring("dash", 14))
            cases.append(case)
    with clock.frozen(start):
        forced = make_case(inspector, serial=4000)
        signed(inspector, forced, "dash", answers_scoring("dash", 0))
    with clock.frozen(start + timedelta(hours=1)):
        victim = VictimInput(relationship="spouse", person=person("Сапарова Айгерим", serial=4000))
        offender = person("Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M", serial=4000)
        report_register(actor=inspector, data=report_input(victims=[victim], offender=offender))
    cases.append(forced)
    with clock.frozen(start + timedelta(days=20)):
        cases.append(make_case(inspector, serial=5000))
    assert len({c.pk for c in cases}) == 5
    return cases


def _oracle(cases):
    """Each case's due date from its own risk panel (the case page's rule), soonest first."""
    return sorted((case_risk_panel(c).due_at, c.pk) for c in cases)


def test_the_most_overdue_come_first_whatever_their_ids(inspector, due_world):
    expected = _oracle(due_world)
    forced = due_world[3]
    assert expected[0][1] == forced.pk and forced.pk > min(c.pk for c in due_world)
    for limit in range(1, 6):
        rows = reassessments_due(inspector, limit=limit)
        assert [(r.due_at, r.case.pk) for r in rows] == expected[:limit]
    rows = reassessments_due(inspector, limit=5)
    assert [r.reason for r in rows] == ["incident", "scheduled", "scheduled", "scheduled", "never"]
    assert all(r.overdue for r in rows)


def test_totals_and_pages(inspector, due_world):
    expected = [pk for _, pk in _oracle(due_world)]
    soon = make_case(inspector, serial=6000)  # signed high now: due within the week, not overdue
    signed(inspector, soon, "dash", answers_scoring("dash", 14))
    first, rows, overdue = reassessments_due_page(inspector, "1", rows=2)
    assert first.paginator.count == 6 and overdue == 5 and first.paginator.num_pages == 3
    assert [r.case.pk for r in rows] == expected[:2]
    last, rows, _ = reassessments_due_page(inspector, "99", rows=2)  # out of range: the last page
    assert last.number == 3 and [r.case.pk for r in rows] == [*expected[4:], soon.pk]
    _, rows, _ = reassessments_due_page(inspector, "not a number", rows=2)
    assert [r.case.pk for r in rows] == expected[:2]


def test_the_due_page_pages(inspector, due_world, client, monkeypatch):
    from qorgau.risk import selectors

    monkeypatch.setattr(selectors, "DUE_PAGE_ROWS", 2)
    expected = [c.number for c in sorted(due_world, key=lambda c: _oracle([c])[0])]
    c = sign_in(client, inspector)
    first = c.get("/risk/due/").content.decode()
    assert expected[0] in first and expected[2] not in first and "5 due in all" in first and "Page 1 of 3" in first
    assert 'href="?page=2"' in first
    third = c.get("/risk/due/?page=3").content.decode()
    assert expected[4] in third and expected[0] not in third and 'rel="next"' not in third
    assert c.get("/risk/due/?page=<script>").status_code == 200


def test_the_queue_links_the_reassessments(inspector, due_world, client):
    """The queue does not work out when every case is due (the reassessments page does): it links it."""
    page = sign_in(client, inspector).get("/protocols/queue/").content.decode()
    assert 'href="/risk/due/"' in page.split('data-testid="reassessments-link"')[1].split("</p>")[0]
    assert not any(f"/cases/{c.pk}/#risk" in page for c in due_world)
