"""The registration page searches the registry once per person (people.registry.matches_remembered):
its registry check and the registration service ask the same question moments apart."""

from __future__ import annotations

import pytest

from qorgau.cases.models import Case, Report
from qorgau.cases.services import report_register
from qorgau.people import registry
from qorgau.people.matching import Record
from qorgau.people.models import Person
from tests.cases.factories import report_input
from tests.cases.test_views import form_data
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def searches(monkeypatch) -> list[Record]:
    """Every search of the registry that really ran (not answered from what was remembered)."""
    seen: list[Record] = []
    real = registry.probe_ids  # the first step of every real search

    def counted(record: Record, *, exclude: int | None = None) -> list[int]:
        seen.append(record)
        return real(record, exclude=exclude)

    monkeypatch.setattr(registry, "probe_ids", counted)
    return seen


def test_the_page_searches_once_per_person_and_still_links_the_pair(make_user, client, searches):
    inspector = make_user()
    sign_in(client, inspector)
    first = client.post("/cases/register/", form_data())
    assert first.status_code == 302
    assert len(searches) == 2  # the victim and the offender, each once (check and registration share it)
    searches.clear()
    # The same pair again: the check offers the pair's incident of the last 48 hours; a new one is chosen.
    again = client.post("/cases/register/", form_data(attach_incident="new"))
    assert again.status_code == 302, again.content.decode()[:2000]
    assert len(searches) == 2
    # The remembered answer linked the new records to the first ones: one pair, one case, two reports.
    assert Case.objects.count() == 1 and Report.objects.count() == 2
    victims = Person.objects.filter(sex="F")
    assert victims.count() == 2 and len({p.cluster_id or p.pk for p in victims}) == 1


def test_outside_the_block_every_look_searches(make_user, searches):
    record = Record.build("Сапарова Айгерим", "", None, "F", "")
    registry.match(record)
    registry.match(record)
    assert len(searches) == 2


def test_a_remembered_answer_leaves_out_the_excluded_record_and_a_partial_answer_is_not_kept(make_user, searches):
    report_register(actor=make_user(), data=report_input())
    searches.clear()
    stored = Person.objects.filter(sex="F").get()
    record = registry.person_record(stored)
    with registry.matches_remembered():
        # A first look that leaves a record out is not kept: the next look searches again.
        assert registry.match(record, exclude=stored.pk) == []
        everyone = registry.match(record)
        assert [c.person.pk for c in everyone] == [stored.pk]
        # Remembered: answered without a search, the excluded record left out of the answer.
        assert registry.match(record, exclude=stored.pk) == []
        assert [c.person.pk for c in registry.match(record)] == [stored.pk]
    assert len(searches) == 2
