"""The validation report of an instrument version (reads only): how well its score predicted
re-victimisation, how its levels are calibrated, how often officers and supervisors overrode it, and
which item weights the outcomes support.

One version at a time: a score means something only under the weights it was made with, so a
re-weighted version is validated on its own assessments. The population is the version's signed
assessments whose ``signed_at`` falls in the period (calendar days in the given zone).

Re-victimisation within N days: a new incident of the same pair (victim cluster and offender cluster,
in any case of the pair, merged ones included) that occurred after the assessment was signed and at
most N days later, and is already recorded. An assessment counts for a window only when its N days
have fully passed (``clock.now()``); the others are reported as not yet followed up.

Statistics: AUC by ``sklearn.metrics.roc_auc_score``; its 95% interval by a percentile bootstrap
(500 resamples, fixed seed), drawn as a multinomial over the (value, outcome) cells, which is the
same as resampling assessments; rates with Wilson 95% intervals. The proposed weights come from an
L2-regularised logistic regression of the outcome (``fit_days``) on the items' "yes" answers, scaled so
the median positive coefficient is the current typical weight and rounded to 0–10; their AUC is
out-of-sample: five stratified folds, the weights fitted on four and scored on the fifth.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db.models import BigIntegerField, Q, QuerySet
from django.db.models.functions import Coalesce
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from qorgau.cases.models import Case
from qorgau.core import clock
from qorgau.risk.models import (
    LEVEL_RANK,
    Answer,
    Assessment,
    AssessmentStatus,
    InstrumentVersion,
    Level,
    LevelChange,
    VersionStatus,
)

WINDOWS = (90, 180)
MIN_OUTCOMES = 10  # fewer re-victimised (or not) than this: no AUC, no proposal
RESAMPLES = 500
SEED = 20260
FOLDS = 5
MAX_WEIGHT = 10
MIN_YES = 5  # an item answered "yes" fewer times keeps its weight: too rare to estimate
Z95 = 1.959963984540054
LEVELS = list(Level)


# --- small statistics -------------------------------------------------------------------------------


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson 95% interval of a proportion k/n; (0, 1) when n is 0."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * np.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return (0.0 if k == 0 else max(0.0, float(centre - half))), (1.0 if k == n else min(1.0, float(centre + half)))


def _auc_cells(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """AUC from counts per ordered value (last axis): P(positive's value > negative's), ties half."""
    below = np.cumsum(neg, axis=-1) - neg
    wins = (pos * (below + 0.5 * neg)).sum(axis=-1)
    pairs = pos.sum(axis=-1) * neg.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, wins / np.maximum(pairs, 1), np.nan)


@dataclass(frozen=True)
class Auc:
    value: float
    low: float
    high: float


def auc_with_interval(values: np.ndarray, y: np.ndarray, *, resamples: int = RESAMPLES, seed: int = SEED) -> Auc:
    """The AUC of ``values`` for the outcome ``y`` with its bootstrap 95% interval."""
    value = float(roc_auc_score(y, values))
    distinct, index = np.unique(values, return_inverse=True)
    k = len(distinct)
    cells = np.concatenate([np.bincount(index[y == 1], minlength=k), np.bincount(index[y == 0], minlength=k)])
    draws = np.random.default_rng(seed).multinomial(len(y), cells / cells.sum(), size=resamples)
    aucs = _auc_cells(draws[:, :k], draws[:, k:])
    aucs = aucs[~np.isnan(aucs)]
    low, high = np.percentile(aucs, [2.5, 97.5]) if len(aucs) else (np.nan, np.nan)
    return Auc(value, float(low), float(high))


# --- the data ----------------------------------------------------------------------------------------


@dataclass
class _Row:
    score: int
    computed: Level
    final: Level  # now, after any supervisor's change: the level the case was worked at
    signed_level: Level  # the final level at signing, before any supervisor's change
    lowered_later: bool
    signed_at: dt.datetime
    answers: dict[str, str]
    next_incident: dt.datetime | None  # the pair's first recorded incident after signing

    def followed_up(self, days: int, now: dt.datetime) -> bool:
        return self.signed_at + timedelta(days=days) <= now

    def revictimised(self, days: int) -> bool:
        return self.next_incident is not None and self.next_incident <= self.signed_at + timedelta(days=days)


def _bounds(date_from: dt.date, date_to: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(zone)
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(date_to + timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def _pair_incidents(assessments: QuerySet[Assessment], now: dt.datetime) -> dict[tuple[int, int], list[dt.datetime]]:
    """Occurrence times of every recorded incident of each assessed pair, sorted."""
    as_int: BigIntegerField[int, int] = BigIntegerField()
    cases = Case.objects.annotate(
        vc=Coalesce("victim__cluster_id", "victim_id", output_field=as_int),
        oc=Coalesce("offender__cluster_id", "offender_id", output_field=as_int),
    ).filter(
        Q(victim__cluster_id__in=assessments.values("case__victim__cluster_id")) | Q(victim_id__in=assessments.values("case__victim_id"))
    )
    times: dict[tuple[int, int], set[dt.datetime]] = defaultdict(set)
    for vc, oc, occurred in cases.filter(incidents__created_at__lte=now).values_list("vc", "oc", "incidents__occurred_at"):
        times[(vc, oc)].add(occurred)
    return {pair: sorted(t) for pair, t in times.items()}


def _rows(version: InstrumentVersion, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[_Row]:
    signed = Assessment.objects.filter(
        version=version, status=AssessmentStatus.SIGNED, signed_at__gte=start, signed_at__lt=end, signed_at__lte=now
    )
    as_int: BigIntegerField[int, int] = BigIntegerField()
    data = list(
        signed.annotate(
            vc=Coalesce("case__victim__cluster_id", "case__victim_id", output_field=as_int),
            oc=Coalesce("case__offender__cluster_id", "case__offender_id", output_field=as_int),
        ).values_list("pk", "score", "computed_level", "final_level", "signed_at", "answers", "vc", "oc").order_by("signed_at", "pk")
    )
    changes: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for assessment_id, from_level, to_level in LevelChange.objects.filter(assessment__in=signed).order_by("at", "pk").values_list(
        "assessment_id", "from_level", "to_level"
    ):
        changes[assessment_id].append((from_level, to_level))
    incidents = _pair_incidents(signed, now) if data else {}
    out = []
    for pk, score, computed, final, signed_at, answers, vc, oc in data:
        if signed_at is None:  # never, for a signed one; keeps the types honest
            continue
        history = changes.get(pk, [])
        times = incidents.get((vc, oc), [])
        after = bisect.bisect_right(times, signed_at)
        out.append(_Row(
            score=score or 0, computed=Level(computed), final=Level(final),
            signed_level=Level(history[0][0]) if history else Level(final),
            lowered_later=any(LEVEL_RANK[Level(b)] < LEVEL_RANK[Level(a)] for a, b in history),
            signed_at=signed_at, answers=answers if isinstance(answers, dict) else {},
            next_incident=times[after] if after < len(times) else None,
        ))
    return out


# --- the report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationRow:
    level: Level
    n: int
    revictimised: int
    rate: float | None  # None for an empty level
    low: float
    high: float


def _calibration(levels: list[Level], y: np.ndarray) -> list[CalibrationRow]:
    out = []
    for level in LEVELS:
        mask = np.array([lv == level for lv in levels], dtype=bool)
        n, k = int(mask.sum()), int(y[mask].sum()) if len(y) else 0
        low, high = wilson(k, n)
        out.append(CalibrationRow(level, n, k, k / n if n else None, low, high))
    return out


@dataclass(frozen=True)
class WindowReport:
    days: int
    followed_up: int
    revictimised: int
    not_revictimised: int
    not_followed_up: int  # signed less than ``days`` ago
    enough: bool  # at least MIN_OUTCOMES of each outcome
    auc_score: Auc | None = None
    auc_final: Auc | None = None
    by_computed: list[CalibrationRow] = field(default_factory=list)
    by_final: list[CalibrationRow] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.revictimised / self.followed_up if self.followed_up else None

    @property
    def calibration(self) -> list[tuple[str, list[CalibrationRow]]]:
        return [("computed", self.by_computed), ("final", self.by_final)]


def _window(rows: list[_Row], days: int, now: dt.datetime) -> WindowReport:
    done = [r for r in rows if r.followed_up(days, now)]
    y = np.array([r.revictimised(days) for r in done], dtype=int)
    positives = int(y.sum())
    negatives = len(done) - positives
    enough = positives >= MIN_OUTCOMES and negatives >= MIN_OUTCOMES
    return WindowReport(
        days, len(done), positives, negatives, len(rows) - len(done), enough,
        auc_score=auc_with_interval(np.array([r.score for r in done]), y) if enough else None,
        auc_final=auc_with_interval(np.array([LEVEL_RANK[r.final] for r in done]), y) if enough else None,
        by_computed=_calibration([r.computed for r in done], y), by_final=_calibration([r.final for r in done], y),
    )


@dataclass(frozen=True)
class OverrideRow:
    level: Level  # the computed level
    n: int
    raised: int  # signed with a final level above the computed one

    @property
    def share(self) -> float | None:
        return self.raised / self.n if self.n else None


@dataclass(frozen=True)
class Overrides:
    """Every signed assessment of the period, followed up or not: overriding is the officers' doing."""

    n: int
    rows: list[OverrideRow]
    raised: int
    lowered_at_signing: int  # by a supervisor signing below the computed level
    lowered_later: int  # a supervisor's later change to a lower level

    @property
    def raised_share(self) -> float | None:
        return self.raised / self.n if self.n else None

    @property
    def lowered_later_share(self) -> float | None:
        return self.lowered_later / self.n if self.n else None


def _overrides(rows: list[_Row]) -> Overrides:
    table = []
    for level in LEVELS:
        mine = [r for r in rows if r.computed == level]
        table.append(OverrideRow(level, len(mine), sum(1 for r in mine if LEVEL_RANK[r.signed_level] > LEVEL_RANK[level])))
    return Overrides(
        n=len(rows), rows=table, raised=sum(r.raised for r in table),
        lowered_at_signing=sum(1 for r in rows if LEVEL_RANK[r.signed_level] < LEVEL_RANK[r.computed]),
        lowered_later=sum(1 for r in rows if r.lowered_later),
    )


# --- the proposed re-weighting ------------------------------------------------------------------------


def integer_weights(coef: np.ndarray, current: np.ndarray, yes_counts: np.ndarray, *, min_yes: int = MIN_YES) -> np.ndarray:
    """Coefficients as whole weights 0–10: the median positive coefficient becomes the current typical
    weight; negative ones 0; items answered "yes" fewer than ``min_yes`` times keep their weight."""
    typical = max(1.0, float(np.median(current))) if len(current) else 1.0
    usable = yes_counts >= min_yes
    positive = coef[usable & (coef > 0)]
    if len(positive) == 0:
        return np.where(usable, 0, current).astype(int)
    scaled = np.clip(np.rint(coef * typical / float(np.median(positive))), 0, MAX_WEIGHT)
    return np.where(usable, scaled, current).astype(int)


def _logistic() -> LogisticRegression:
    return LogisticRegression(C=1.0, max_iter=2000)


class IntegerWeights(ClassifierMixin, BaseEstimator):
    """The proposal as an estimator, so that cross-validation fits it exactly as the report does."""

    def __init__(self, current: tuple[int, ...] = ()) -> None:
        self.current = current

    def fit(self, X: np.ndarray, y: np.ndarray) -> IntegerWeights:
        self.coef_ = _logistic().fit(X, y).coef_[0]
        self.weights_ = integer_weights(self.coef_, np.array(self.current), X.sum(axis=0))
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(X @ self.weights_, dtype=float)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.decision_function(X) > 0).astype(int)  # unused: the report ranks by the score


@dataclass(frozen=True)
class ItemProposal:
    code: str
    question: str
    current: int
    yes_revictimised: float  # share answered "yes" among the re-victimised
    yes_not: float  # … and among the others
    yes_count: int
    coefficient: float
    proposed: int
    too_rare: bool  # kept at the current weight

    @property
    def change(self) -> int:
        return self.proposed - self.current


@dataclass(frozen=True)
class Proposal:
    days: int
    items: list[ItemProposal]
    cv_auc_proposed: float
    cv_auc_current: float
    folds: int = FOLDS

    @property
    def weights(self) -> dict[str, int]:
        return {i.code: i.proposed for i in self.items}

    @property
    def changed(self) -> bool:
        return any(i.change for i in self.items)


def _proposal(version: InstrumentVersion, rows: list[_Row], days: int, now: dt.datetime) -> Proposal | None:
    done = [r for r in rows if r.followed_up(days, now)]
    y = np.array([r.revictimised(days) for r in done], dtype=int)
    if int(y.sum()) < MIN_OUTCOMES or len(y) - int(y.sum()) < MIN_OUTCOMES:
        return None
    items = list(version.items.order_by("position"))
    current = np.array([i.weight for i in items], dtype=int)
    X = np.array([[1 if r.answers.get(i.code) == Answer.YES else 0 for i in items] for r in done], dtype=float)
    model = IntegerWeights(tuple(int(w) for w in current)).fit(X, y)
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    out_of_fold = cross_val_predict(IntegerWeights(tuple(int(w) for w in current)), X, y, cv=folds, method="decision_function")
    yes = X.sum(axis=0)
    pos, neg = X[y == 1], X[y == 0]
    return Proposal(
        days=days,
        items=[
            ItemProposal(
                code=item.code, question=item.question, current=int(current[j]),
                yes_revictimised=float(pos[:, j].mean()), yes_not=float(neg[:, j].mean()), yes_count=int(yes[j]),
                coefficient=float(model.coef_[j]), proposed=int(model.weights_[j]), too_rare=bool(yes[j] < MIN_YES),
            )
            for j, item in enumerate(items)
        ],
        cv_auc_proposed=float(roc_auc_score(y, out_of_fold)),
        cv_auc_current=float(roc_auc_score(y, X @ current)),
    )


@dataclass(frozen=True)
class ValidationReport:
    version: InstrumentVersion
    date_from: dt.date
    date_to: dt.date
    assessments: int  # signed in the period
    windows: list[WindowReport]
    overrides: Overrides
    proposal: Proposal | None
    fit_days: int
    computed_at: dt.datetime

    @property
    def enough(self) -> bool:
        return any(w.enough for w in self.windows)

    def window(self, days: int) -> WindowReport | None:
        return next((w for w in self.windows if w.days == days), None)


def validation_report(
    *, version: InstrumentVersion, date_from: dt.date, date_to: dt.date, zone: str = "Asia/Almaty",
    windows: tuple[int, ...] = WINDOWS, fit_days: int = max(WINDOWS),
) -> ValidationReport:
    """The report for the version's assessments signed from ``date_from`` to ``date_to`` (inclusive).
    Too few outcomes give a report that says so (``enough``, ``proposal`` None), never an error."""
    now = clock.now()
    start, end = _bounds(date_from, date_to, zone)
    rows = _rows(version, start, end, now)
    return ValidationReport(
        version=version, date_from=date_from, date_to=date_to, assessments=len(rows),
        windows=[_window(rows, days, now) for days in windows], overrides=_overrides(rows),
        proposal=_proposal(version, rows, fit_days, now), fit_days=fit_days, computed_at=now,
    )


def validation_versions() -> list[InstrumentVersion]:
    """Versions worth validating: published or retired, with signed assessments."""
    return list(
        InstrumentVersion.objects.filter(status__in=[VersionStatus.PUBLISHED, VersionStatus.RETIRED], assessments__status=AssessmentStatus.SIGNED)
        .select_related("instrument").distinct().order_by("instrument__code", "-number")
    )
