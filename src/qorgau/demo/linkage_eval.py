"""In-memory evaluation of the person-matching engine on a labelled set (``demo.linkage_set``).

Records arrive one by one, as reports do. Each is probed against the records before it the way
``people.registry.probe_ids`` does against the registry — the records sharing a blocking key, its
IIN or a one-edit neighbour of it (an IIN hit outranks a name key), at most ``MAX_CANDIDATES`` —
then compared with each candidate and filed under its own keys. A pair is *predicted* with the
decision of ``matching.compare``; pairwise precision, recall and F1 are measured for automatic links
alone and for automatic links plus the review queue (a reviewer who confirms every true pair).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from qorgau.demo.linkage_set import LabelledRecord, Relation, true_pairs
from qorgau.people.matching import MAX_CANDIDATES, Comparison, Decision, Record, blocking_keys, compare, iin_neighbours
from qorgau.people.names import ParsedName, exact_key, parse_name

IIN_KIND = "iin"


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int

    @classmethod
    def of(cls, predicted: set[frozenset[int]], truth: set[frozenset[int]]) -> Scores:
        tp = len(predicted & truth)
        fp = len(predicted) - tp
        fn = len(truth) - tp
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(precision, recall, f1, tp, fp, fn)


@dataclass
class Evaluation:
    records: int
    true_pairs: int
    comparisons: int  # pairs scored by the engine
    blocking_recall: float  # share of true pairs sharing a key, the IIN or a one-edit IIN neighbour
    candidate_recall: float  # share of true pairs actually compared (after the MAX_CANDIDATES cut)
    rule_ceiling: float  # share of true pairs the automatic rules could link (see ``eligible``)
    auto: Scores
    auto_review: Scores
    seconds: float  # keys, probes and comparisons (not the scoring against the truth)
    decisions: dict[frozenset[int], Comparison] = field(default_factory=dict, repr=False)  # pairs above NONE


def engine_records(records: Sequence[LabelledRecord]) -> list[Record]:
    return [Record.build(r.full_name, r.iin, r.birth_date, r.sex, r.phone) for r in records]


def record_keys(record: Record, parsed: ParsedName) -> set[tuple[str, str]]:
    """The blocking keys plus the IIN as a key of its own."""
    keys = set(blocking_keys(record, parsed))
    if len(record.iin) == 12:
        keys.add((IIN_KIND, record.iin))
    return keys


def ranked_candidates(
    engine: Sequence[Record], parsed: Sequence[ParsedName], *, max_candidates: int | None = MAX_CANDIDATES
) -> Iterator[list[int]]:
    """For each record in arrival order, the indexes of the earlier records it is compared with, best
    first: those sharing most keys (an IIN or one-edit neighbour hit counts 3), then the earlier one,
    at most ``max_candidates``. This is what ``people.registry.probe_ids`` returns against a registry
    holding the earlier records (tests/people/test_registry_probe.py checks that they agree)."""
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, rec in enumerate(engine):
        keys = record_keys(rec, parsed[i])
        hits: Counter[int] = Counter()
        for key in keys:
            if key[0] != IIN_KIND:
                hits.update(index.get(key, ()))
        if len(rec.iin) == 12:
            for value in (rec.iin, *iin_neighbours(rec.iin)):
                for j in index.get((IIN_KIND, value), ()):
                    hits[j] += 3
        ranked = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))
        if max_candidates is not None:
            ranked = ranked[:max_candidates]
        yield [j for j, _ in ranked]
        for key in keys:
            index[key].append(i)


def run_engine(
    records: Sequence[LabelledRecord], *, max_candidates: int | None = MAX_CANDIDATES
) -> tuple[dict[frozenset[int], Comparison], int, set[frozenset[int]]]:
    """Probe, compare and file every record in arrival order: (decisions above NONE, comparisons,
    compared pairs)."""
    engine = engine_records(records)
    parsed = [parse_name(r.full_name) for r in engine]
    decisions: dict[frozenset[int], Comparison] = {}
    compared: set[frozenset[int]] = set()
    for i, candidates in enumerate(ranked_candidates(engine, parsed, max_candidates=max_candidates)):
        for j in candidates:
            pair = frozenset((records[i].record_id, records[j].record_id))
            compared.add(pair)
            result = compare(engine[i], engine[j], q_name=parsed[i], c_name=parsed[j])
            if result.decision != Decision.NONE:
                decisions[pair] = result
    return decisions, len(compared), compared


def shares_key(records: Sequence[LabelledRecord], pairs: set[frozenset[int]]) -> int:
    """How many of ``pairs`` share at least one key, the IIN or a one-edit IIN neighbour."""
    engine = engine_records(records)
    by_id = {r.record_id: i for i, r in enumerate(records)}
    keys = [record_keys(rec, parse_name(rec.full_name)) for rec in engine]
    found = 0
    for pair in pairs:
        a, b = (by_id[x] for x in pair)
        if keys[a] & keys[b] or (len(engine[a].iin) == 12 and engine[b].iin in iin_neighbours(engine[a].iin)):
            found += 1
    return found


def eligible(records: Sequence[LabelledRecord], pairs: set[frozenset[int]]) -> int:
    """How many of ``pairs`` DESIGN §10 even allows to link automatically: both records carry the
    same valid IIN, or the same exact normalised name (``names.exact_key``) and the same birth date.
    Pairs with a typo in a name, only an initial, or no birth date on one side are left to review
    however good the engine, so automatic recall cannot exceed this share."""
    engine = engine_records(records)
    by_id = {r.record_id: i for i, r in enumerate(records)}
    keys = [exact_key(parse_name(rec.full_name)) for rec in engine]
    found = 0
    for pair in pairs:
        a, b = (by_id[x] for x in pair)
        ra, rb = engine[a], engine[b]
        same_iin = ra.iin_valid and ra.iin == rb.iin
        same_name_date = bool(keys[a]) and keys[a] == keys[b] and ra.birth_date is not None and ra.birth_date == rb.birth_date
        found += same_iin or same_name_date
    return found


def evaluate(records: Sequence[LabelledRecord], *, max_candidates: int | None = MAX_CANDIDATES) -> Evaluation:
    start = time.perf_counter()
    decisions, comparisons, compared = run_engine(records, max_candidates=max_candidates)
    seconds = time.perf_counter() - start
    truth = true_pairs(records)
    auto = {p for p, c in decisions.items() if c.decision == Decision.AUTO}
    return Evaluation(
        records=len(records),
        true_pairs=len(truth),
        comparisons=comparisons,
        blocking_recall=shares_key(records, truth) / len(truth) if truth else 1.0,
        candidate_recall=len(truth & compared) / len(truth) if truth else 1.0,
        rule_ceiling=eligible(records, truth) / len(truth) if truth else 1.0,
        auto=Scores.of(auto, truth),
        auto_review=Scores.of(set(decisions), truth),
        seconds=seconds,
        decisions=decisions,
    )


def hard_negative_links(
    records: Sequence[LabelledRecord], relations: Sequence[Relation], evaluation: Evaluation
) -> dict[str, Counter[str]]:
    """For each hard-negative kind, how many record pairs of related people got each decision."""
    by_entity: dict[int, list[int]] = defaultdict(list)
    for r in records:
        by_entity[r.entity_id].append(r.record_id)
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for rel in relations:
        for a in by_entity.get(rel.a, ()):
            for b in by_entity.get(rel.b, ()):
                result = evaluation.decisions.get(frozenset((a, b)))
                out[rel.kind][result.decision.value if result else Decision.NONE.value] += 1
    return dict(out)
