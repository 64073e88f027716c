"""The matching engine against the stored registry (DESIGN §6).

Blocking keys are filed as blind indexes (``PersonKey``); a probe computes the new record's keys,
finds the few records that share one (plus the IIN and its one-edit neighbours), decrypts only those,
and scores them with ``people.matching``. Nothing else in the registry is decrypted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from qorgau.core import crypto
from qorgau.core.sql_reads import fetch, placeholders
from qorgau.people.matching import (
    MAX_CANDIDATES,
    Comparison,
    Decision,
    Record,
    blocking_keys,
    compare,
    iin_neighbours,
)
from qorgau.people.models import Person, PersonKey
from qorgau.people.names import NORMALISER_VERSION, parse_name
from qorgau.people.retained import removed_record_comparison
from qorgau.people.services import iin_candidates, person_keys_file, person_record


def _probe_bidxs(record: Record) -> list[str]:
    return [
        bidx
        for kind, value in blocking_keys(record)
        for bidx in crypto.blind_index_candidates(f"person_key:{kind}", value, normalisers=(NORMALISER_VERSION,))
    ]


def person_keys_rebuild(*, only_stale: bool = False) -> int:
    """Re-file every record's keys (after a normaliser change or a blind-index key rotation).

    Records whose personal fields were removed by retention keep the keys they have (DESIGN §10)."""
    prefix = f"{crypto.active_blind_key_id()}.{NORMALISER_VERSION}."
    done = 0
    for person in Person.objects.only("id", "full_name", "iin", "iin_status", "birth_date", "sex", "phone").iterator(chunk_size=500):
        if not person.full_name:
            continue
        if only_stale and PersonKey.objects.filter(person=person, bidx__startswith=prefix).exists():
            continue
        person_keys_file(person)
        done += 1
    return done


@dataclass
class Candidate:
    person: Person
    comparison: Comparison

    @property
    def cluster_id(self) -> int:
        return int(self.person.cluster_id or self.person.pk)


def probe_ids(record: Record, *, exclude: int | None = None) -> list[int]:
    """Ids of the records that share a blocking key, the IIN or a one-edit neighbour of it, most
    shared keys first, then oldest first (at most ``MAX_CANDIDATES``): each shared key counts 1 and an
    IIN hit 3, so an IIN hit outranks a shared name key.

    One statement counts every record of the blocks in the database and returns only the best ones
    (ADR 0018, a hand-written read): on the national registry a common name's blocks hold thousands of
    keys, which the ORM would bring into Python to count (about 10 ms a person), and a cut before
    counting would leave out records at random. The ranking is the one ``demo.linkage_eval`` measures."""
    parts, params = [], []
    bidxs = _probe_bidxs(record)
    if bidxs:
        parts.append(f"SELECT k.person_id AS pid, 1 AS w FROM people_personkey k WHERE k.bidx IN ({placeholders(bidxs)})")  # noqa: S608 - placeholders only
        params += bidxs
    if len(record.iin) == 12:
        iins = [record.iin, *iin_neighbours(record.iin)]
        iin_bidxs = [b for value in iins for b in iin_candidates(value)]
        parts.append(f"SELECT p.id AS pid, 3 AS w FROM people_person p WHERE p.iin_bidx IN ({placeholders(iin_bidxs)})")  # noqa: S608 - placeholders only
        params += iin_bidxs
    if not parts:
        return []
    rows = fetch(
        f"""
        SELECT h.pid FROM ({" UNION ALL ".join(parts)}) h
        WHERE h.pid <> %s
        GROUP BY h.pid
        ORDER BY SUM(h.w) DESC, h.pid
        LIMIT %s
        """,  # noqa: S608 - placeholders only
        [*params, -1 if exclude is None else exclude, MAX_CANDIDATES],
    )
    return [int(pid) for (pid,) in rows]


_remembered: ContextVar[dict[Record, list[Candidate]] | None] = ContextVar("qorgau_matches_remembered", default=None)


@contextmanager
def matches_remembered() -> Iterator[None]:
    """Within the block, ``match`` answers a record it has already matched with its first answer.

    The registration page checks the registry for the people typed in (to offer the pair's recent
    incidents) and then registers the report, whose service matches the same people again: on the
    national registry each match is tens of milliseconds, four per report. The second look is the
    first one's answer, taken moments earlier in the same request; a record saved in between by
    another request is missed by both looks alike, as it would be by one look before its commit."""
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def match(record: Record, *, exclude: int | None = None) -> list[Candidate]:
    """Candidates above ``Decision.NONE``, the best record per cluster, best first."""
    memo = _remembered.get()
    if memo is None:
        return _match(record, exclude=exclude)
    if record in memo:
        return [c for c in memo[record] if c.person.pk != exclude]
    found = _match(record, exclude=exclude)
    if exclude is None:  # an answer with a record left out is not the whole answer for the next look
        memo[record] = found
    return found


def _match(record: Record, *, exclude: int | None = None) -> list[Candidate]:
    ids = probe_ids(record, exclude=exclude)
    if not ids:
        return []
    parsed = parse_name(record.full_name)
    best: dict[int, Candidate] = {}
    for person in Person.objects.filter(pk__in=ids):
        if not person.full_name:
            # Personal fields removed by retention: the kept IIN index still links (people.retained).
            kept = removed_record_comparison(record, person)
            if kept is None:
                continue
            result = kept
        else:
            result = compare(record, person_record(person), q_name=parsed)
        if result.decision == Decision.NONE:
            continue
        cand = Candidate(person, result)
        held = best.get(cand.cluster_id)
        if held is None or result.score > held.comparison.score:
            best[cand.cluster_id] = cand
    return sorted(best.values(), key=lambda c: (-c.comparison.score, c.person.pk))
