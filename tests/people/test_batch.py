"""Batch de-duplication of the registry (people.batch, `qorgau match-registry`, `qorgau reindex-people`)
and the registry-at-scale benchmark on a tiny registry."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from qorgau.core import crypto
from qorgau.people import batch
from qorgau.people.batch import _Clear, _may_match, deduplicate
from qorgau.people.matching import Decision, Record, blocking_keys, compare
from qorgau.people.models import IinStatus, LinkHow, MatchReview, Person, PersonKey, PersonLink, ReviewStatus
from qorgau.people.names import parse_name
from qorgau.people.services import PersonInput, person_create
from tests.cases.factories import synthetic_iin

BIRTH = dt.date(1990, 5, 17)


@pytest.fixture
def inspector(make_user):
    return make_user("police_inspector")


@pytest.fixture
def add(inspector):
    def make(name: str, birth: dt.date | None = BIRTH, *, iin: str = "", sex: str = "F", phone: str = "") -> Person:
        return person_create(actor=inspector, data=PersonInput(full_name=name, iin=iin, birth_date=birth, sex=sex, phone=phone))

    return make


def _pairs(summary, decision=None) -> set[tuple[int, int]]:
    return {(m.record, m.into) for m in summary.matches if decision is None or m.decision == decision}


@pytest.mark.django_db
def test_spelling_variants_are_found_and_a_dry_run_changes_nothing(add):
    a = add("Сапарова Айгерім Нұрланқызы")
    b = add("SAPAROVA AIGERIM")  # another script, no patronymic: the exact name with the exact date
    c = add("Сапарова Айгерм")  # a typo in the given name: a person decides
    lone = add("Ким Ольга", dt.date(1970, 1, 2))
    summary = deduplicate()
    assert (b.pk, a.pk) in _pairs(summary, Decision.AUTO)
    assert (c.pk, a.pk) in _pairs(summary, Decision.REVIEW)
    assert not any(lone.pk in pair for pair in _pairs(summary))
    assert summary.records == 4 and summary.auto >= 1 and summary.review >= 1
    assert summary.compared >= 3 and summary.oversized_blocks == 0
    assert not summary.applied
    assert not PersonLink.objects.exists() and not MatchReview.objects.exists()
    assert set(Person.objects.values_list("id", "cluster_id")) == {(p.pk, p.pk) for p in (a, b, c, lone)}


@pytest.mark.django_db
def test_an_iin_alone_makes_a_candidate_pair(add):
    iin = synthetic_iin(BIRTH, "F")
    a = add("Сапарова Айгерим", iin=iin)
    b = add("Нурланова А.", None, iin=iin)  # married name, an initial: only the IIN is shared
    assert not set(PersonKey.objects.filter(person=a).values_list("bidx", flat=True)) & set(
        PersonKey.objects.filter(person=b).values_list("bidx", flat=True)
    )
    summary = deduplicate()
    assert summary.candidate_pairs == 1
    assert (b.pk, a.pk) in _pairs(summary)


@pytest.mark.django_db
def test_pairs_already_in_one_cluster_are_skipped(add):
    from qorgau.cases.identity import person_link

    a = add("Сапарова Айгерім")
    b = add("Saparova Aigerim")
    person_link(actor=None, record=b, into=a, how=LinkHow.AUTO, score=14.0, reasons=["name_exact"])
    summary = deduplicate()
    assert summary.candidate_pairs >= 1
    assert summary.same_cluster == summary.candidate_pairs
    assert summary.compared == 0 and summary.decrypted == 0 and not summary.matches


@pytest.mark.django_db
def test_oversized_blocks_are_skipped_and_counted(add):
    people = [add("Ахметов Серік", dt.date(1960 + i, 3, 1), sex="M") for i in range(5)]
    capped = deduplicate(block_cap=3)
    # The name-only keys (given name + surname prefix / suffix, both orders) are held by all five.
    assert capped.oversized_blocks >= 2
    assert capped.oversized_rows >= 2 * len(people)
    assert capped.candidate_pairs == 0
    uncapped = deduplicate(block_cap=200)
    assert uncapped.oversized_blocks == 0 and uncapped.candidate_pairs == 10


@pytest.mark.django_db
def test_match_registry_dry_run_prints_the_summary(add):
    add("Сапарова Айгерім")
    add("Saparova Aigerim")
    out = StringIO()
    call_command("match-registry", stdout=out)
    text = out.getvalue()
    assert text.startswith("dry run")
    for label in ("records scanned", "candidate pairs", "pairs compared", "auto", "review", "oversized blocks skipped", "seconds"):
        assert label in text
    assert "linked" not in text
    assert not PersonLink.objects.exists()


@pytest.mark.django_db
def test_apply_links_auto_pairs_and_queues_review_pairs(add):
    a = add("Сапарова Айгерім Нұрланқызы")
    b = add("SAPAROVA AIGERIM")
    c = add("Сапарова Айгерм")
    out = StringIO()
    call_command("match-registry", "--apply", stdout=out)
    assert out.getvalue().startswith("applied")
    link = PersonLink.objects.get()
    assert (link.survivor_id, link.merged_id, link.how, link.by) == (a.pk, b.pk, LinkHow.AUTO, None)
    assert Person.objects.get(pk=b.pk).cluster_id == a.pk
    review = MatchReview.objects.get()
    assert review.person_id == c.pk and review.candidate_id in (a.pk, b.pk) and review.status == ReviewStatus.OPEN
    assert "linked" in out.getvalue() and "reviews queued" in out.getvalue()
    # A second run finds nothing new to do.
    again = deduplicate(apply=True)
    assert again.linked == 0 and again.reviews_created == 0
    assert PersonLink.objects.count() == 1 and MatchReview.objects.count() == 1


@pytest.mark.django_db
def test_apply_records_the_given_user_as_the_actor(add, make_user):
    a = add("Сапарова Айгерім")
    b = add("Saparova Aigerim")
    reviewer = make_user("dq_reviewer")
    call_command("match-registry", "--apply", "--user", reviewer.username, stdout=StringIO())
    assert PersonLink.objects.get(merged=b, survivor=a).by == reviewer


@pytest.mark.django_db
def test_a_record_matching_two_earlier_clusters_goes_to_review(add):
    a = add("Сапарова Айгерім", iin=synthetic_iin(BIRTH, "F", 1000))
    b = add("Сапарова Айгерім", iin=synthetic_iin(BIRTH, "F", 2000))  # another IIN: another woman
    c = add("Сапарова Айгерім")  # no IIN: the exact name and date match both
    summary = deduplicate(apply=True)
    assert {(c.pk, a.pk), (c.pk, b.pk)} <= _pairs(summary, Decision.AUTO)
    assert summary.linked == 0 and not PersonLink.objects.exists()
    assert set(MatchReview.objects.values_list("person_id", "candidate_id")) == {(c.pk, a.pk), (c.pk, b.pk)}


@pytest.mark.django_db
def test_pairs_a_person_rejected_or_unlinked_are_not_linked_again(add, make_user):
    from qorgau.cases.identity import person_link, person_link_undo

    a = add("Сапарова Айгерім")
    b = add("Saparova Aigerim")
    MatchReview.objects.create(person=b, candidate=a, score=14.0, status=ReviewStatus.REJECTED, created_at=a.created_at)
    summary = deduplicate(apply=True)
    assert summary.auto == 1 and summary.vetoed == 1 and summary.linked == 0
    assert not PersonLink.objects.exists()

    MatchReview.objects.all().delete()
    reviewer = make_user("dq_reviewer")
    link = person_link(actor=reviewer, record=b, into=a, how=LinkHow.AUTO, score=14.0, reasons=[])
    person_link_undo(actor=reviewer, link_id=link.pk, reason="Different women, checked the documents.")
    summary = deduplicate(apply=True)
    assert summary.vetoed == 1 and summary.linked == 0
    assert PersonLink.objects.filter(undone_at=None).count() == 0


@pytest.mark.django_db
def test_only_candidate_records_are_decrypted(add, monkeypatch):
    a = add("Сапарова Айгерім", phone="+7 701 111 22 33")
    b = add("Saparova Aigerim")
    lone = add("Ким Ольга", dt.date(1970, 1, 2))
    # Same name, birth dates ten years apart, no IIN or phone: ruled out without decrypting.
    far1 = add("Ахметов Серік", dt.date(1970, 3, 1), sex="M")
    far2 = add("Ахметов Серік", dt.date(1980, 7, 9), sex="M")
    with connection.cursor() as cur:
        cur.execute("SELECT id, full_name, iin, phone FROM people_person")
        stored = {row[0]: {v for v in row[1:] if v} for row in cur.fetchall()}
    seen: list[str] = []
    real = crypto.decrypt

    def counting(token: str, *, context: str) -> str:
        seen.append(token)
        return real(token, context=context)

    monkeypatch.setattr(crypto, "decrypt", counting)
    summary = deduplicate()
    monkeypatch.setattr(crypto, "decrypt", real)
    decrypted = {pk for pk, tokens in stored.items() if tokens & set(seen)}
    assert decrypted == {a.pk, b.pk}
    assert summary.decrypted == 2
    assert summary.ruled_out >= 1
    assert len(seen) == len(stored[a.pk]) + len(stored[b.pk])  # name and phone of a, name of b; nothing twice
    assert not (stored[lone.pk] | stored[far1.pk] | stored[far2.pk]) & set(seen)


def _clear(record: Record, key_id: str = "k1") -> _Clear:
    status = IinStatus.VALID if record.iin_valid else (IinStatus.UNVERIFIED if record.iin else IinStatus.NONE)
    return _Clear(record.birth_date, record.sex, status, f"{key_id}.1.{record.iin}" if record.iin else "", bool(record.phone))


def test_the_clear_field_bound_never_rules_out_a_pair_the_engine_would_match():
    """``_may_match`` is an upper bound of ``matching.compare``: checked on realistic records
    (every pair sharing a blocking key or an IIN, both ways round)."""
    from bench.registry_scale import Population

    _, entries = Population(seed=11).registry(3000)
    records = [Record.build(e.full_name, e.iin, e.birth_date, e.sex, e.phone) for e in entries]
    parsed = [parse_name(r.full_name) for r in records]
    blocks: dict[object, list[int]] = {}
    for i, r in enumerate(records):
        for key in blocking_keys(r, parsed[i]):
            blocks.setdefault(key, []).append(i)
        if r.iin:
            blocks.setdefault(("iin", r.iin), []).append(i)
    pairs = {(x, y) for members in blocks.values() for x in members for y in members if x < y}
    assert len(pairs) > 2000
    matched = ruled_out = 0
    for x, y in pairs:
        may = _may_match(_clear(records[x]), _clear(records[y]))
        ruled_out += not may
        for q, c in ((x, y), (y, x)):
            result = compare(records[q], records[c], q_name=parsed[q], c_name=parsed[c])
            if result.decision != Decision.NONE:
                matched += 1
                assert may, (records[q], records[c], result)
    assert matched > 100 and ruled_out > len(pairs) // 10


def test_the_bound_allows_an_iin_indexed_under_another_key():
    born, other = Record.build("Сапарова Айгерим", birth_date=BIRTH, sex="F"), dt.date(1975, 1, 1)
    a = _Clear(born.birth_date, "F", IinStatus.VALID, "k1.1.aaa", False)
    b = _Clear(other, "F", IinStatus.VALID, "k2.1.bbb", False)  # during a key rotation: may be the same IIN
    assert _may_match(a, b)
    assert not _may_match(a, _Clear(other, "F", IinStatus.VALID, "k1.1.bbb", False))


@pytest.mark.django_db
def test_reindex_people_refiles_stale_keys(add):
    a = add("Сапарова Айгерім")
    add("Ким Ольга", dt.date(1970, 1, 2))
    PersonKey.objects.filter(person=a).delete()
    out = StringIO()
    call_command("reindex-people", stdout=out)
    assert out.getvalue().strip() == "re-filed the keys of 1 records"
    assert PersonKey.objects.filter(person=a).exists()
    out = StringIO()
    call_command("reindex-people", stdout=out)
    assert out.getvalue().strip() == "re-filed the keys of 0 records"


@pytest.mark.django_db
def test_the_scale_benchmark_builds_and_probes_a_tiny_registry(police_unit):
    from bench.registry_scale import build, probe, probes

    registry = build(300, workers=1, unit_id=police_unit.pk, say=lambda message: None)
    assert Person.objects.count() == 300
    assert PersonKey.objects.count() > 300
    # Stored exactly as person_create stores a record: decryptable, indexed, its own cluster.
    person = Person.objects.get(pk=registry.first_id)
    assert person.full_name == " ".join(registry.entries[0].full_name.split())
    assert person.cluster_id == person.pk
    assert PersonKey.objects.filter(person=person).exists()
    items = probes(registry, 40)
    assert {p.kind for p in items} >= {"repeat", "new"}
    result = probe(registry, items, warmup=5)
    assert len(result.match.samples_ms) == len(result.baseline.samples_ms) == 40
    assert result.match.pct(0.99) >= result.match.pct(0.5) > 0
    assert sum(found for found, _ in result.found.values()) > 0
    summary = deduplicate()
    assert summary.records == 300 and summary.auto > 0
    assert summary.block_cap == batch.DEFAULT_BLOCK_CAP
