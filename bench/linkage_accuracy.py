"""Linkage accuracy: Qorgau's matching engine against Splink and recordlinkage on one labelled set.

The set is ``qorgau.demo.linkage_set.generate(N_PEOPLE, SEED)``: synthetic Kazakh, Russian and
Korean people with 1–4 records each, spelled in Kazakh and Russian Cyrillic and in five Latin
schemes, with typos, dropped suffixes, swapped order, missing and mistyped IINs, and hard negatives
(spouses, siblings, twins, fathers and sons of one name, namesakes). Measured: pairwise precision,
recall and F1 against the ground truth, and wall time.

Fairness. Splink and recordlinkage measure their *decision model*, not transliteration: both get
the columns Qorgau's engine works on, made by Qorgau's normaliser (``people.names``) — the surname
stem and the given name as written (ASCII skeletons; an initial when only an initial is written),
the patronymic stem, the birth date (from the IIN when not entered, as ``Record.build`` does), the
IIN, the phone's last ten digits and the sex. They block on the same keys as the engine: each
record's ``matching.blocking_keys``, its IIN, and IIN keys that meet every one-edit neighbour (one
digit masked, or one adjacent pair sorted), so the candidate pairs are those the engine probes
(the engine also keeps at most ``MAX_CANDIDATES`` per probe, as the registry does).

* **Qorgau** — ``demo.linkage_eval.evaluate``: records arrive one by one, each probes the earlier
  ones and is compared with its candidates; automatic links alone, and automatic links plus the
  review queue.
* **Splink 5** (DuckDB backend; API as documented in the installed package's docstrings:
  ``Linker``, ``SettingsCreator``, ``block_on(..., arrays_to_explode=...)``,
  ``comparison_library``, ``linker.training.*``, ``linker.inference.predict``):
  ``ForenameSurnameComparison`` (Jaro–Winkler 0.92/0.88, swapped columns, term frequencies),
  ``NameComparison`` on the patronymic, ``DateOfBirthComparison``, Damerau–Levenshtein ≤ 1 on the
  IIN, exact phone and sex. ``probability_two_random_records_match`` from deterministic rules (IIN;
  name and birth date) at recall 0.7, u by random sampling (seeded), m by EM blocked on the IIN and
  on surname + birth date. Links at match probability ≥ 0.5 and ≥ 0.99.
* **recordlinkage 0.16**: candidate pairs from the same keys, binary features (Jaro–Winkler ≥ 0.88
  on surname, given name and patronymic; exact birth date, IIN, phone, sex; the IIN one edit away
  but not equal — Damerau–Levenshtein similarity ≥ 0.9 on twelve digits), the unsupervised ECM
  classifier; links at its probability ≥ 0.5 and ≥ 0.99. recordlinkage has no comparison for a
  swapped name order; crossed surname/given features made ECM worse (they break its independence
  assumption), so they are left out.

Times: each system's wall time from the labelled records to its predicted pairs (normalised
columns, blocking, training where there is one, scoring), reported as a ratio against Qorgau's.

Run standalone: ``.venv/bin/python -m bench.linkage_accuracy`` (``QORGAU_BENCH_LINKAGE_PEOPLE``
makes the set smaller); it writes ``bench/linkage-report.md``.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.harness import Accuracy, Figure, Report
from qorgau.demo.linkage_eval import Scores, engine_records, evaluate, record_keys
from qorgau.demo.linkage_set import LabelledRecord, generate, true_pairs
from qorgau.people.names import parse_name, patronymic_stem, surname_stem

HERE = Path(__file__).resolve().parent
N_PEOPLE = int(os.environ.get("QORGAU_BENCH_LINKAGE_PEOPLE", "20000"))
SEED = 2026
THRESHOLDS = (0.5, 0.99)


@dataclass
class Outcome:
    system: str
    threshold: str
    scores: Scores
    seconds: float
    note: str = ""


def iin_edit_keys(iin: str) -> list[str]:
    """Keys two IINs share exactly when they are equal or one substitution / adjacent transposition
    apart (the engine's ``iin_neighbours`` probe, made symmetric for a join)."""
    if len(iin) != 12:
        return []
    keys = [f"i{i}:{iin[:i]}_{iin[i + 1 :]}" for i in range(12)]
    keys += [f"t{i}:{iin[:i]}{''.join(sorted(iin[i : i + 2]))}{iin[i + 2 :]}" for i in range(11)]
    return keys


def normalised_frame(records: Sequence[LabelledRecord]) -> Any:
    """The columns Qorgau's engine compares, one row per record, for the other systems."""
    import pandas as pd

    rows = []
    for lr, rec in zip(records, engine_records(records), strict=True):
        parsed = parse_name(rec.full_name)
        surname = surname_stem(parsed.names[0]) if parsed.names else ""
        given = parsed.names[1] if len(parsed.names) > 1 else (parsed.initials[0] if parsed.initials else "")
        keys = sorted(f"{kind}|{value}" for kind, value in record_keys(rec, parsed))
        keys += iin_edit_keys(rec.iin)
        rows.append(
            {
                "unique_id": lr.record_id,
                "surname": surname or None,
                "given": given or None,
                "patronymic": patronymic_stem(parsed.patronymic) or None,
                "birth_date": rec.birth_date,
                "iin": rec.iin or None,
                "phone": rec.phone or None,
                "sex": rec.sex if rec.sex in ("M", "F") else None,
                "keys": keys,
            }
        )
    frame = pd.DataFrame(rows)
    frame["birth_date"] = pd.to_datetime(frame["birth_date"])
    return frame


def pairs_of(left: Sequence[int], right: Sequence[int]) -> set[frozenset[int]]:
    return {frozenset((int(a), int(b))) for a, b in zip(left, right, strict=True) if a != b}


# Qorgau ----------------------------------------------------------------------------------------------


def run_qorgau(records: Sequence[LabelledRecord]) -> tuple[list[Outcome], float, int]:
    ev = evaluate(records)
    note = (
        f"{ev.comparisons:,} comparisons; blocking recall {ev.blocking_recall:.4f}; "
        f"automatic-rule ceiling (DESIGN §10) {ev.rule_ceiling:.4f}"
    )
    return (
        [
            Outcome("Qorgau engine", "automatic links", ev.auto, ev.seconds, note),
            Outcome("Qorgau engine", "automatic + review", ev.auto_review, ev.seconds, note),
        ],
        ev.seconds,
        ev.comparisons,
    )


# Splink ----------------------------------------------------------------------------------------------


def run_splink(records: Sequence[LabelledRecord], truth: set[frozenset[int]]) -> list[Outcome]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    start = time.perf_counter()
    frame = normalised_frame(records)
    db_api = DuckDBAPI()
    table = db_api.register(frame, dataset_display_name="records")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.ForenameSurnameComparison("given", "surname", jaro_winkler_thresholds=[0.92, 0.88]),
            cl.NameComparison("patronymic", jaro_winkler_thresholds=[0.88]),
            cl.DateOfBirthComparison("birth_date", input_is_string=False),
            cl.DamerauLevenshteinAtThresholds("iin", [1]),
            cl.ExactMatch("phone"),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[block_on("keys", arrays_to_explode=["keys"])],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(table, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("iin"), block_on("surname", "given", "birth_date")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=SEED)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("iin"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname", "birth_date"))
    predictions = linker.inference.predict(threshold_match_probability=min(THRESHOLDS), warning_mode="never")
    scored = predictions.as_pandas_dataframe()
    seconds = time.perf_counter() - start
    out = []
    for t in THRESHOLDS:
        chosen = scored[scored["match_probability"] >= t]
        predicted = pairs_of(chosen["unique_id_l"].tolist(), chosen["unique_id_r"].tolist())
        out.append(Outcome("Splink 5 (DuckDB, EM)", f"match probability ≥ {t}", Scores.of(predicted, truth), seconds))
    return out


# recordlinkage ---------------------------------------------------------------------------------------


def run_recordlinkage(records: Sequence[LabelledRecord], truth: set[frozenset[int]]) -> tuple[list[Outcome], int]:
    import pandas as pd
    import recordlinkage as rl
    from recordlinkage.classifiers import ECMClassifier

    start = time.perf_counter()
    frame = normalised_frame(records).set_index("unique_id")
    keys = frame["keys"].explode().dropna().reset_index().rename(columns={"keys": "key"})
    joined = keys.merge(keys, on="key", suffixes=("_l", "_r"))
    joined = joined[joined["unique_id_l"] < joined["unique_id_r"]]
    pairs = pd.MultiIndex.from_frame(
        joined[["unique_id_l", "unique_id_r"]].drop_duplicates(), names=["unique_id_1", "unique_id_2"]
    )
    data = frame.drop(columns=["keys"])
    data["birth_date"] = data["birth_date"].dt.strftime("%Y-%m-%d")
    compare = rl.Compare(n_jobs=1)
    compare.string("surname", "surname", method="jarowinkler", threshold=0.88, label="surname")
    compare.string("given", "given", method="jarowinkler", threshold=0.88, label="given")
    compare.string("patronymic", "patronymic", method="jarowinkler", threshold=0.88, label="patronymic")
    compare.exact("birth_date", "birth_date", label="birth_date")
    compare.exact("iin", "iin", label="iin")
    compare.string("iin", "iin", method="damerau_levenshtein", threshold=0.9, label="iin_near")
    compare.exact("phone", "phone", label="phone")
    compare.exact("sex", "sex", label="sex")
    features = compare.compute(pairs, data)
    # ECM assumes the features independent given the class: "within one edit" must exclude "equal",
    # or EM takes IIN agreement for the match class itself.
    features["iin_near"] = ((features["iin_near"] == 1) & (features["iin"] == 0)).astype(float)
    classifier = ECMClassifier(binarize=None)
    classifier.fit(features)
    probability = classifier.prob(features)
    seconds = time.perf_counter() - start
    out = []
    for t in THRESHOLDS:
        chosen = probability[probability >= t].index
        predicted = pairs_of(chosen.get_level_values(0).tolist(), chosen.get_level_values(1).tolist())
        out.append(Outcome("recordlinkage 0.16 (ECM)", f"ECM probability ≥ {t}", Scores.of(predicted, truth), seconds))
    return out, len(pairs)


# Report ----------------------------------------------------------------------------------------------


def run(report: Report) -> None:
    for name in ("splink", "recordlinkage"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=FutureWarning)
    records = generate(N_PEOPLE, SEED)
    truth = true_pairs(records)
    print(f"\nlinkage accuracy: {N_PEOPLE:,} people, {len(records):,} records, {len(truth):,} true pairs (seed {SEED})")
    outcomes, qorgau_seconds, comparisons = run_qorgau(records)
    splink = run_splink(records, truth)
    rlink, rl_pairs = run_recordlinkage(records, truth)
    rlink[0].note = rlink[1].note = f"{rl_pairs:,} candidate pairs"
    for o in [*outcomes, *splink, *rlink]:
        s = o.scores
        report.add_accuracy(Accuracy(o.system, o.threshold, s.precision, s.recall, s.f1, o.seconds, o.note))
    n = len(records)
    for other in (splink[0], rlink[0]):
        report.add(
            Figure(
                f"linkage of {n:,} records: {other.system}",
                "Qorgau engine, same records",
                n / other.seconds,
                n / qorgau_seconds,
                other.seconds / qorgau_seconds,
                note=f"wall time incl. normalised columns, blocking, training; Qorgau {comparisons:,} comparisons",
            )
        )


def main() -> None:
    report = Report()
    run(report)
    report.write(HERE, name="linkage-report")
    print(f"\nwritten: {HERE / 'linkage-report.md'}")


if __name__ == "__main__":
    os.environ.setdefault("QORGAU_MODE", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    main()
