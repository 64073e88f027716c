"""The labelled evaluation set (demo.linkage_set) and the in-memory evaluation (demo.linkage_eval)."""

from __future__ import annotations

from collections import Counter, defaultdict
from math import comb

import pytest

from qorgau.core import iin as iin_rules
from qorgau.demo.linkage_eval import Scores, evaluate, hard_negative_links, shares_key
from qorgau.demo.linkage_set import (
    HARD_NEGATIVES,
    VARIATIONS,
    LabelledSet,
    generate,
    generate_set,
    transliterate,
    true_pairs,
)


@pytest.fixture(scope="module")
def labelled() -> LabelledSet:
    return generate_set(2000, seed=11)


def test_the_same_seed_gives_the_same_records() -> None:
    assert generate(300, seed=5) == generate(300, seed=5)
    assert [r.variations for r in generate(300, seed=5)] == [r.variations for r in generate(300, seed=5)]
    assert generate(300, seed=5) != generate(300, seed=6)


def test_ground_truth_is_consistent(labelled: LabelledSet) -> None:
    records = labelled.records
    assert [r.record_id for r in records] == list(range(len(records)))
    per_person = Counter(r.entity_id for r in records)
    assert set(per_person) == set(range(2000))
    assert set(per_person.values()) == {1, 2, 3, 4}
    assert len(true_pairs(records)) == sum(comb(k, 2) for k in per_person.values())
    for pair in true_pairs(records):
        a, b = sorted(pair)
        assert records[a].entity_id == records[b].entity_id
    assert [p.entity_id for p in labelled.people] == list(range(2000))


def test_every_person_has_a_valid_unique_iin(labelled: LabelledSet) -> None:
    iins = [p.iin for p in labelled.people]
    assert len(set(iins)) == len(iins)
    assert all(iin_rules.is_valid(i) for i in iins)
    assert all(iin_rules.parse(p.iin) == iin_rules.IinInfo(p.birth_date, p.sex) for p in labelled.people)


def test_every_variation_kind_occurs(labelled: LabelledSet) -> None:
    seen = Counter(v for r in labelled.records for v in r.variations)
    assert set(seen) == set(VARIATIONS)


def test_record_fields_follow_their_variations(labelled: LabelledSet) -> None:
    people = labelled.people
    for r in labelled.records:
        person = people[r.entity_id]
        compact = r.iin.replace(" ", "")
        assert (r.iin == "") == ("iin_missing" in r.variations)
        if r.iin:
            assert (compact != person.iin) == ("iin_mistyped" in r.variations)
        assert (r.birth_date is None) == ("birth_date_missing" in r.variations)
        if r.birth_date is not None:
            assert (r.birth_date != person.birth_date) == ("birth_date_typo" in r.variations)
        assert (r.sex == "U") == ("sex_unknown" in r.variations)
        assert (r.phone != "") == ("phone" in r.variations)


def test_every_hard_negative_kind_occurs_and_holds(labelled: LabelledSet) -> None:
    people = labelled.people
    by_kind = defaultdict(list)
    for rel in labelled.relations:
        assert rel.a != rel.b
        by_kind[rel.kind].append((people[rel.a], people[rel.b]))
    assert set(by_kind) == set(HARD_NEGATIVES)
    for a, b in by_kind["spouse"]:
        assert {a.sex, b.sex} == {"M", "F"}
    for a, b in by_kind["sibling"]:
        assert a.father == b.father and a.surname[2] == b.surname[2]
        assert a.given != b.given and a.birth_date != b.birth_date
    for a, b in by_kind["twin"]:
        assert a.birth_date == b.birth_date and a.given != b.given and a.father == b.father
    for a, b in by_kind["father_son_same_name"]:
        assert a.given == b.given and a.sex == b.sex == "M" and a.birth_date < b.birth_date
        assert b.father == a.given
    for a, b in by_kind["namesake"]:
        assert (a.surname, a.given) == (b.surname, b.given) and a.birth_date != b.birth_date
    for a, b in by_kind["shared_phone"]:
        assert a.home_phone == b.home_phone != ""


def test_twins_can_have_iins_one_edit_apart() -> None:
    # Consecutive serials: a wrong 11th digit keeps the check digit (weight 11), so both are valid.
    labelled = generate_set(6000, seed=3)
    people = labelled.people
    twins = [r for r in labelled.relations if r.kind == "twin"]
    close = [
        (people[r.a].iin, people[r.b].iin)
        for r in twins
        if sum(x != y for x, y in zip(people[r.a].iin, people[r.b].iin, strict=True)) == 1
    ]
    assert close


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        ("ics", "Zhanbulat Oralbekqyzy Alikhan Aygerim Uali"),
        ("bgn", "Zhanbulat Oralbekqyzy Älīkhan Aygerim Ūälī"),
        ("2017", "Janbulat Oralbekqyzy A'li'han Ai'gerim Y'a'li'"),
        ("2018", "Janbulat Oralbekqyzy Álıhan Aıgerim Ýálı"),
        ("2021", "Janbūlat Oralbekqyzy Älihan Aigerım Uäli"),
    ],
)
def test_transliteration_schemes(scheme: str, expected: str) -> None:
    # names.md §4: ICS-630-01, BGN/PCGN 1979, and the 2017, 2018 and 2021 Kazakh Latin alphabets.
    words = ["Жанбұлат", "Оралбекқызы", "Әлихан", "Айгерім", "Уәли"]
    assert " ".join(transliterate(w, scheme) for w in words) == expected


def test_passport_spellings_vary_with_the_draw() -> None:
    import random

    spellings = {transliterate("Жақыпов", "passport", random.Random(seed)) for seed in range(40)}
    assert spellings == {"ZHAKYPOV", "ZHAQYPOV", "JAKYPOV", "JAQYPOV", "ZHAKIPOV", "ZHAQIPOV", "JAKIPOV", "JAQIPOV"}


# Evaluation ----------------------------------------------------------------------------------------


def test_scores() -> None:
    truth = {frozenset((1, 2)), frozenset((3, 4))}
    assert Scores.of({frozenset((1, 2)), frozenset((5, 6))}, truth) == Scores(0.5, 0.5, 0.5, 1, 1, 1)
    assert Scores.of(set(), truth) == Scores(1.0, 0.0, 0.0, 0, 0, 2)


def test_engine_accuracy_floor_on_a_small_set() -> None:
    # An accuracy floor, not a timing: automatic links must stay precise.
    records = generate(400, seed=1)
    ev = evaluate(records)
    assert ev.records == len(records)
    assert ev.true_pairs == len(true_pairs(records))
    assert ev.auto.precision >= 0.99
    assert ev.auto_review.recall >= ev.auto.recall
    assert ev.auto_review.recall >= 0.85
    assert ev.blocking_recall >= ev.candidate_recall
    assert ev.blocking_recall >= 0.95
    assert shares_key(records, true_pairs(records)) == round(ev.blocking_recall * ev.true_pairs)


def test_hard_negatives_are_never_linked_automatically() -> None:
    labelled = generate_set(1500, seed=2)
    ev = evaluate(labelled.records)
    links = hard_negative_links(labelled.records, labelled.relations, ev)
    assert set(links) == set(HARD_NEGATIVES)
    assert all(counts["auto"] == 0 for counts in links.values())
