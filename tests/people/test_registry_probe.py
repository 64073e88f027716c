"""The registry's probe (``people.registry.probe_ids``): which stored records a new record is compared
with. Every key a record shares counts, however large the blocks, and the ranking is the one the
linkage evaluation measures (``demo.linkage_eval``): most shared keys first (an IIN hit counts 3),
then the older record."""

from __future__ import annotations

import datetime as dt

import pytest

from qorgau.core import clock
from qorgau.demo import linkage_eval, linkage_set
from qorgau.people import registry
from qorgau.people.matching import MAX_CANDIDATES, Record, blocking_keys
from qorgau.people.models import Person
from qorgau.people.names import parse_name
from qorgau.people.services import PersonInput, iin_index, person_create, person_keys_file
from tests.cases.factories import synthetic_iin

pytestmark = pytest.mark.django_db

BIRTH = dt.date(1990, 5, 17)
PHONE = "+7 701 555 12 34"


def _create(actor, name: str, birth: dt.date = BIRTH, **kw):
    return person_create(actor=actor, data=PersonInput(full_name=name, birth_date=birth, sex="F", **kw))


def _probe(name: str, birth: dt.date = BIRTH, iin: str = "", exclude: int | None = None) -> list[int]:
    return registry.probe_ids(Record.build(name, iin, birth, "F", ""), exclude=exclude)


def test_the_record_sharing_most_keys_is_found_first_behind_a_block_larger_than_any_cut(make_user, monkeypatch):
    """Forty-five namesakes born the same day were filed before her; she alone also shares the phone
    number. With room for two candidates she comes first: every shared key of the whole block is
    counted, whatever order the database keeps the keys in."""
    monkeypatch.setattr(registry, "MAX_CANDIDATES", 2)
    actor = make_user("police_inspector")
    namesakes = [_create(actor, "Сапарова Айгерим") for _ in range(45)]
    her = _create(actor, "Сапарова Айгерим", phone=PHONE)
    found = registry.probe_ids(Record.build("Сапарова Айгерим", "", BIRTH, "F", PHONE))
    assert found == [her.pk, namesakes[0].pk]


def test_an_iin_hit_outranks_shared_name_keys_and_exclude_leaves_a_record_out(make_user):
    actor = make_user("police_inspector")
    iin = synthetic_iin(BIRTH, "F")
    namesake = _create(actor, "Сапарова Динара")  # her surname and birth date, another given name
    by_iin = _create(actor, "Жумабаева Гульнар", None, iin=iin)  # nothing but the IIN (and its birth date)
    probe = Record.build("Сапарова Айгерим", iin, BIRTH, "F", "")
    shared = blocking_keys(probe) & blocking_keys(Record.build("Сапарова Динара", "", BIRTH, "F", ""))
    assert 1 <= len(shared) < 3 and not blocking_keys(probe) & blocking_keys(Record.build("Жумабаева Гульнар", "", BIRTH, "F", ""))
    found = _probe("Сапарова Айгерим", BIRTH, iin=iin)
    assert found == [by_iin.pk, namesake.pk]
    assert _probe("Сапарова Айгерим", BIRTH, iin=iin, exclude=by_iin.pk) == [namesake.pk]


def test_records_sharing_as_many_keys_come_oldest_first(make_user):
    actor = make_user("police_inspector")
    first = _create(actor, "Сапарова Айгерим")
    second = _create(actor, "Сапарова Айгерим")
    assert _probe("Сапарова Айгерим") == [first.pk, second.pk]


def test_a_record_without_keys_probes_nothing(make_user):
    _create(make_user("police_inspector"), "Сапарова Айгерим")
    assert _probe("", None) == []


def test_the_probe_ranks_as_the_linkage_benchmark_does(make_user):
    """A labelled set with its spelling variants, typos, swapped names and mistyped IINs, filed into
    the registry in arrival order: for every record, the probe against the records filed before it
    returns exactly the candidates the linkage benchmark compares it with, in the same order
    (``demo.linkage_eval.ranked_candidates``). The benchmark's accuracy is the registry's."""
    unit = make_user("police_inspector").unit
    records = linkage_set.generate(80, seed=3)
    engine = linkage_eval.engine_records(records)
    parsed = [parse_name(r.full_name) for r in engine]
    expected = linkage_eval.ranked_candidates(engine, parsed, max_candidates=MAX_CANDIDATES)
    filed: list[int] = []
    compared = 0
    for rec, candidates in zip(engine, expected, strict=True):
        assert registry.probe_ids(rec) == [filed[j] for j in candidates]
        compared += len(candidates)
        person = Person.objects.create(
            full_name=rec.full_name, iin=rec.iin or None, iin_bidx=iin_index(rec.iin) if rec.iin else "",
            birth_date=rec.birth_date, sex=rec.sex, phone=rec.phone or None, created_at=clock.now(), created_by_unit=unit,
        )
        person_keys_file(person, rec, fresh=True)
        filed.append(person.pk)
    assert len(filed) > 100 and compared > len(filed)  # the set has repeats, and the probe found them
