"""Batch de-duplication of the whole person registry (DESIGN §6, §9), without decrypting it.

Incremental matching (``people.registry``) checks one new record against the registry. This module
looks for duplicates among the records already there — after an import from a legacy system, after a
normaliser change, or as a periodic sweep:

1. **Candidate pairs from blind indexes, in SQL.** Two records are a candidate pair when they share a
   blocking key (``PersonKey.bidx``) or the IIN's blind index (``Person.iin_bidx``). A key held by
   more than ``block_cap`` records (a very common name) is skipped and counted, so one key cannot
   explode the work quadratically; such pairs usually share a rarer key too.
2. **Ruled out in clear.** The birth date, sex and IIN status are stored in clear. Whatever the names
   say, some pairs cannot reach the review floor of ``people.matching.compare`` — two different birth
   dates with no IIN or phone that could agree, for instance. Those are dropped before anything is
   decrypted (``_may_match``; the bound is checked against the engine by the tests).
3. **Decrypt only the candidates,** in chunks, and only the fields the engine reads (name, IIN,
   phone). Records that are in no surviving pair are never decrypted.
4. **Score every pair** with ``matching.compare``; pairs already in one cluster are skipped.
5. **Apply (optional)**, the way registration would have: records in arrival (id) order, each
   linked into the one earlier cluster it matches automatically (``cases.identity.person_link``); a
   record matching two earlier clusters, and every grey-band pair, goes to the review queue
   (``MatchReview``). A pair a person already judged "different people", or a link a person undid,
   is never linked automatically again.

The summary counts what was done; it holds ids and counts only, never personal data. Runs on SQLite
and PostgreSQL (PostgreSQL streams the pairs through a server-side cursor).
"""

from __future__ import annotations

import datetime as dt
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Q

from qorgau.accounts.models import User
from qorgau.core.audit import audit_record
from qorgau.core.errors import Invalid
from qorgau.core.models import AuditAction
from qorgau.people.matching import REVIEW_FLOOR, Comparison, Decision, Reason, Record, birth_dates_compare, compare
from qorgau.people.models import IinStatus, LinkHow, MatchReview, Person, PersonLink, ReviewStatus
from qorgau.people.names import ParsedName, parse_name
from qorgau.people.services import person_record

DEFAULT_BLOCK_CAP = 200
DECRYPT_CHUNK = 1000
FETCH_ROWS = 20_000
# The most the names can add to a score in ``matching.compare``: surname 4 + given name 4 +
# patronymic 1. ``tests/people/test_batch.py`` checks the bound against the engine.
NAME_CEILING = 9.0
IIN_EQUAL_CEILING = 10.0  # a valid IIN that agrees
IIN_ONE_EDIT_CEILING = 4.0  # an IIN one edit from the other, one of them unverified
IIN_ONE_EDIT_VALID = 1.0  # two valid IINs one edit apart
PHONE_CEILING = 3.0
SEX_AGAINST = -8.0

# Oversized blocks: keys (and IIN indexes) held by more records than the cap.
_OVERSIZED_SQL = """
SELECT COUNT(*), COALESCE(SUM(n), 0) FROM (
    SELECT COUNT(*) AS n FROM people_personkey GROUP BY bidx HAVING COUNT(*) > %s
    UNION ALL
    SELECT COUNT(*) AS n FROM people_person WHERE iin_bidx <> '' GROUP BY iin_bidx HAVING COUNT(*) > %s
) oversized
"""

# Distinct candidate pairs (lower id first) with what is stored in clear about both records.
_PAIRS_SQL = """
WITH key_blocks AS (
    SELECT bidx FROM people_personkey GROUP BY bidx HAVING COUNT(*) BETWEEN 2 AND %s
), iin_blocks AS (
    SELECT iin_bidx FROM people_person WHERE iin_bidx <> '' GROUP BY iin_bidx HAVING COUNT(*) BETWEEN 2 AND %s
), pairs AS (
    SELECT a.person_id AS lo, b.person_id AS hi
    FROM key_blocks k
    JOIN people_personkey a ON a.bidx = k.bidx
    JOIN people_personkey b ON b.bidx = k.bidx AND b.person_id > a.person_id
    UNION
    SELECT a.id AS lo, b.id AS hi
    FROM iin_blocks k
    JOIN people_person a ON a.iin_bidx = k.iin_bidx
    JOIN people_person b ON b.iin_bidx = k.iin_bidx AND b.id > a.id
)
SELECT p.lo, p.hi,
       COALESCE(a.cluster_id, a.id), COALESCE(b.cluster_id, b.id),
       a.birth_date, b.birth_date, a.sex, b.sex, a.iin_status, b.iin_status, a.iin_bidx, b.iin_bidx,
       CASE WHEN a.phone IS NULL THEN 0 ELSE 1 END, CASE WHEN b.phone IS NULL THEN 0 ELSE 1 END
FROM pairs p
JOIN people_person a ON a.id = p.lo
JOIN people_person b ON b.id = p.hi
WHERE a.full_name IS NOT NULL AND b.full_name IS NOT NULL
"""


@dataclass
class Match:
    """A scored pair: ``record`` arrived after ``into`` (higher id)."""

    record: int
    into: int
    score: float
    decision: Decision
    reasons: list[str]


@dataclass
class BatchSummary:
    records: int = 0  # records in the registry
    candidate_pairs: int = 0  # distinct pairs sharing a key or an IIN index (blocks within the cap)
    same_cluster: int = 0  # of those, already linked
    ruled_out: int = 0  # of those, ruled out by birth date, sex and IIN status, stored in clear
    compared: int = 0  # pairs scored by matching.compare
    decrypted: int = 0  # records decrypted (name, IIN, phone)
    auto: int = 0  # pairs the engine would link
    review: int = 0  # pairs for a person to decide
    oversized_blocks: int = 0  # keys held by more records than the cap: skipped
    oversized_rows: int = 0  # key rows in those blocks
    block_cap: int = DEFAULT_BLOCK_CAP
    seconds: float = 0.0
    applied: bool = False
    linked: int = 0  # applied: links made
    reviews_created: int = 0  # applied: review-queue rows created
    vetoed: int = 0  # applied: automatic pairs a person had rejected or unlinked before
    refused: int = 0  # applied: links person_link refused (a victim and her offender, …)
    matches: list[Match] = field(default_factory=list, repr=False)  # AUTO and REVIEW pairs

    def lines(self) -> list[str]:
        rows = [
            ("records scanned", self.records),
            ("candidate pairs", self.candidate_pairs),
            ("already in one cluster", self.same_cluster),
            ("ruled out in clear", self.ruled_out),
            ("pairs compared", self.compared),
            ("records decrypted", self.decrypted),
            ("auto", self.auto),
            ("review", self.review),
            (f"oversized blocks skipped (> {self.block_cap})", self.oversized_blocks),
            ("key rows in oversized blocks", self.oversized_rows),
        ]
        if self.applied:
            rows += [
                ("linked", self.linked),
                ("reviews queued", self.reviews_created),
                ("vetoed (rejected or undone before)", self.vetoed),
                ("refused", self.refused),
            ]
        out = [f"{label:<40} {value:>12,}" for label, value in rows]
        out.append(f"{'seconds':<40} {self.seconds:>12,.1f}")
        if self.seconds > 0:
            out.append(f"{'records per second':<40} {self.records / self.seconds:>12,.0f}")
        return out


class _Clear(NamedTuple):
    """What is stored in clear about a record."""

    birth_date: dt.date | None
    sex: str
    iin_status: str
    iin_bidx: str
    has_phone: bool


def _as_date(value: Any) -> dt.date | None:
    if value is None or type(value) is dt.date:
        return value
    return dt.date.fromisoformat(str(value))


def _may_match(a: _Clear, b: _Clear) -> bool:
    """Whether ``matching.compare`` could decide REVIEW or AUTO for the pair, whatever the names and
    the encrypted fields say: the best the names could do plus what the clear fields allow."""
    dates, date_reason = birth_dates_compare(a.birth_date, b.birth_date)
    sex_against = a.sex in ("F", "M") and b.sex in ("F", "M") and a.sex != b.sex
    iin_may_equal = False
    iin = 0.0
    if a.iin_bidx and b.iin_bidx:
        # Equal under one key, or indexed under different keys (during a key rotation): may agree.
        iin_may_equal = a.iin_bidx == b.iin_bidx or a.iin_bidx.split(".", 1)[0] != b.iin_bidx.split(".", 1)[0]
        both_valid = a.iin_status == IinStatus.VALID and b.iin_status == IinStatus.VALID
        iin = IIN_EQUAL_CEILING if iin_may_equal else (IIN_ONE_EDIT_VALID if both_valid else IIN_ONE_EDIT_CEILING)
    ceiling = NAME_CEILING + dates + iin + (PHONE_CEILING if a.has_phone and b.has_phone else 0.0)
    ceiling += SEX_AGAINST if sex_against else 0.0
    auto_possible = (
        not sex_against
        and date_reason != Reason.BIRTH_DATE_DIFFERENT
        and (iin_may_equal or date_reason == Reason.BIRTH_DATE_EQUAL)
    )
    return ceiling >= REVIEW_FLOOR or auto_possible


@contextmanager
def _reading() -> Iterator[None]:
    """On PostgreSQL, one read transaction with room to group and sort in memory (and so that a
    server-side cursor streams instead of being materialised as a holdable cursor). SQLite reads
    without a transaction, so that writers are not held up for the length of the batch."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET LOCAL work_mem = '256MB'")
        yield


def _oversized(cap: int) -> tuple[int, int]:
    with _reading(), connection.cursor() as cur:
        cur.execute(_OVERSIZED_SQL, [cap, cap])
        blocks, rows = cur.fetchone()
    return int(blocks), int(rows)


def _pair_rows(cap: int) -> Iterator[tuple[Any, ...]]:
    """Stream the candidate pairs (through a server-side cursor on PostgreSQL)."""
    with _reading(), connection.chunked_cursor() as cur:
        cur.execute(_PAIRS_SQL, [cap, cap])
        while rows := cur.fetchmany(FETCH_ROWS):
            yield from rows


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _decrypt(ids: list[int]) -> dict[int, tuple[Record, ParsedName]]:
    """The engine's view of each record, decrypting only its name, IIN and phone, in chunks."""
    out: dict[int, tuple[Record, ParsedName]] = {}
    for chunk in _chunks(ids, DECRYPT_CHUNK):
        for person in Person.objects.filter(pk__in=chunk).only("id", "full_name", "iin", "iin_status", "birth_date", "sex", "phone"):
            if not person.full_name:
                continue  # personal fields removed by retention: nothing to compare
            record = person_record(person)
            out[person.pk] = (record, parse_name(record.full_name))
    return out


def deduplicate(
    *,
    apply: bool = False,
    actor: User | None = None,
    block_cap: int = DEFAULT_BLOCK_CAP,
    progress: Callable[[str], object] | None = None,
) -> BatchSummary:
    """Find duplicate records across the registry; with ``apply``, link and queue them."""
    started = time.perf_counter()

    def say(message: str) -> None:
        if progress is not None:
            progress(f"[{time.perf_counter() - started:6.0f} s] {message}")

    summary = BatchSummary(block_cap=block_cap)
    summary.records = Person.objects.count()
    summary.oversized_blocks, summary.oversized_rows = _oversized(block_cap)
    say(f"{summary.records:,} records; {summary.oversized_blocks:,} oversized blocks skipped")

    lo_ids, hi_ids = array("q"), array("q")
    for row in _pair_rows(block_cap):
        lo, hi, lo_cluster, hi_cluster = row[0], row[1], row[2], row[3]
        summary.candidate_pairs += 1
        if summary.candidate_pairs % 5_000_000 == 0:
            say(f"{summary.candidate_pairs:,} candidate pairs read, {len(lo_ids):,} kept")
        if lo_cluster == hi_cluster:
            summary.same_cluster += 1
            continue
        a = _Clear(_as_date(row[4]), row[6], row[8], row[10], row[12] == 1)
        b = _Clear(_as_date(row[5]), row[7], row[9], row[11], row[13] == 1)
        if not _may_match(a, b):
            summary.ruled_out += 1
            continue
        lo_ids.append(lo)
        hi_ids.append(hi)
    say(f"{summary.candidate_pairs:,} candidate pairs, {summary.ruled_out:,} ruled out in clear, {len(lo_ids):,} to compare")

    needed = sorted(set(lo_ids) | set(hi_ids))
    records = _decrypt(needed)
    summary.decrypted = len(needed)
    say(f"{summary.decrypted:,} records decrypted")

    for i, (lo, hi) in enumerate(zip(lo_ids, hi_ids, strict=True)):
        older, newer = records.get(lo), records.get(hi)
        if older is None or newer is None:
            continue
        result: Comparison = compare(newer[0], older[0], q_name=newer[1], c_name=older[1])
        summary.compared += 1
        if result.decision != Decision.NONE:
            summary.matches.append(Match(hi, lo, result.score, result.decision, [str(r) for r in result.reasons]))
        if i and i % 1_000_000 == 0:
            say(f"{i:,} pairs compared")
    del records, lo_ids, hi_ids
    summary.auto = sum(1 for m in summary.matches if m.decision == Decision.AUTO)
    summary.review = len(summary.matches) - summary.auto

    if apply:
        _apply(summary, actor)
    summary.seconds = time.perf_counter() - started
    audit_record(
        actor=actor, action=AuditAction.READ, target_type="person_batch", count=summary.decrypted,
        outcome="applied" if apply else "dry_run",
    )  # fmt: skip
    return summary


class _Clusters:
    """The clusters as links join them during the run (mirrors ``person_link``: the record's
    cluster joins the cluster of the record it is linked into), with the cluster pairs a person has
    said are different people (rejected reviews, undone links)."""

    def __init__(self, ids: Iterable[int]) -> None:
        self.parent: dict[int, int] = {}
        self.of: dict[int, int] = {}
        for chunk in _chunks(sorted(set(ids)), DECRYPT_CHUNK):
            for pk, cluster in Person.objects.filter(pk__in=chunk).values_list("id", "cluster_id"):
                self.of[pk] = int(cluster or pk)
        pairs = list(MatchReview.objects.filter(status=ReviewStatus.REJECTED).values_list("person_id", "candidate_id"))
        pairs += list(PersonLink.objects.filter(undone_at__isnull=False).values_list("survivor_id", "merged_id"))
        now = dict(Person.objects.filter(pk__in={pk for pair in pairs for pk in pair}).values_list("id", "cluster_id"))
        self.vetoes: dict[int, set[int]] = {}
        for a, b in pairs:
            ca, cb = int(now.get(a) or a), int(now.get(b) or b)
            self.vetoes.setdefault(ca, set()).add(cb)
            self.vetoes.setdefault(cb, set()).add(ca)

    def root(self, cluster: int) -> int:
        while cluster in self.parent:
            cluster = self.parent[cluster]
        return cluster

    def find(self, pk: int) -> int:
        return self.root(self.of.get(pk, pk))

    def vetoed(self, a: int, b: int) -> bool:
        """Whether a person has said that clusters ``a`` and ``b`` (roots) are different people."""
        return any(self.root(other) == b for other in self.vetoes.get(a, ()))

    def join(self, src: int, dst: int) -> None:
        if src != dst:
            self.parent[src] = dst
            self.vetoes.setdefault(dst, set()).update(self.vetoes.pop(src, set()))


def _apply(summary: BatchSummary, actor: User | None) -> None:
    from qorgau.cases.identity import MAX_REVIEWS_PER_PERSON, person_link
    from qorgau.core import clock

    summary.applied = True
    involved = {m.record for m in summary.matches} | {m.into for m in summary.matches}
    clusters = _Clusters(involved)
    reviews: list[Match] = [m for m in summary.matches if m.decision == Decision.REVIEW]
    autos = sorted((m for m in summary.matches if m.decision == Decision.AUTO), key=lambda m: (m.record, -m.score, m.into))
    # In arrival order, like registration: a record joins the one earlier cluster it matches
    # automatically; two earlier clusters matching is itself uncertain and goes to review.
    for record_id, group in groupby(autos, key=lambda m: m.record):
        found = [m for m in group if clusters.find(m.into) != clusters.find(record_id)]
        targets = {clusters.find(m.into) for m in found}
        if len(targets) != 1:
            reviews.extend(found)
            continue
        best = found[0]
        src, dst = clusters.find(record_id), clusters.find(best.into)
        if clusters.vetoed(src, dst):
            summary.vetoed += 1
            continue
        try:
            person_link(
                actor=actor, record=Person(pk=record_id), into=Person(pk=best.into), how=LinkHow.AUTO,
                score=best.score, reasons=best.reasons,
            )  # fmt: skip
        except Invalid:
            summary.refused += 1
            reviews.append(best)
            continue
        clusters.join(src, dst)
        summary.linked += 1
    reviews.sort(key=lambda m: (m.record, -m.score, m.into))
    for record_id, group in groupby(reviews, key=lambda m: m.record):
        queued: set[int] = set()  # clusters queued for this record: the best-scoring record of each
        for m in group:
            if len(queued) >= MAX_REVIEWS_PER_PERSON:
                break
            target = clusters.find(m.into)
            if target == clusters.find(record_id) or target in queued:
                continue
            if MatchReview.objects.filter(
                Q(person_id=record_id, candidate__cluster_id=target) | Q(person__cluster_id=target, candidate_id=record_id)
            ).exists():
                continue  # already queued (or decided) against this cluster, either way round
            _, created = MatchReview.objects.get_or_create(
                person_id=record_id, candidate_id=m.into,
                defaults={"score": m.score, "reasons": m.reasons, "created_at": clock.now()},
            )  # fmt: skip
            queued.add(target)
            summary.reviews_created += int(created)
