"""The scoring engine: answers in, score, computed level and homicide-risk flag out.

Pure over a ``Spec`` read once from an instrument version's rows, so the validation report, the
services and the property tests share one definition of a score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from qorgau.risk.models import LEVEL_RANK, Answer, InstrumentVersion, Level


@dataclass(frozen=True)
class Rule:
    code: str
    label: str
    all_items: frozenset[str]
    any_items: frozenset[str]

    def fires(self, answers: dict[str, str]) -> bool:
        yes = {code for code, value in answers.items() if value == Answer.YES}
        return self.all_items <= yes and (not self.any_items or bool(self.any_items & yes))


@dataclass(frozen=True)
class Spec:
    version_id: int
    weights: dict[str, int]  # item code -> weight, in question order
    cutoffs: list[tuple[int, Level]]  # (minimum score, level), rising
    escalations: dict[Level, Level] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()

    @classmethod
    def of(cls, version: InstrumentVersion) -> Spec:
        rules = tuple(
            Rule(r.code, r.label, frozenset(i.code for i in r.all_items.all()), frozenset(i.code for i in r.any_items.all()))
            for r in version.flag_rules.prefetch_related("all_items", "any_items")
        )
        return cls(
            version_id=version.pk,
            weights=dict(version.items.values_list("code", "weight")),
            cutoffs=sorted((c.min_score, Level(c.level)) for c in version.cutoffs.all()),
            escalations={Level(e.from_level): Level(e.to_level) for e in version.escalations.all()},
            rules=rules,
        )

    @property
    def max_score(self) -> int:
        return sum(self.weights.values())


@dataclass(frozen=True)
class Result:
    score: int
    level: Level  # computed: from the cut-offs, then the flag's escalation
    score_level: Level  # from the cut-offs alone
    flag: bool
    fired: tuple[Rule, ...]
    missing: tuple[str, ...]  # items not answered yet (a draft may have them; a signed one may not)


def bad_answers(spec: Spec, answers: Mapping[str, object]) -> list[str]:
    """Item codes whose answer is not one of the item's values, or that the instrument does not have."""
    return [code for code, value in answers.items() if code not in spec.weights or value not in Answer.values]


def level_for(spec: Spec, score: int) -> Level:
    level = Level.LOW
    for minimum, lv in spec.cutoffs:
        if score >= minimum:
            level = lv
    return level


def evaluate(spec: Spec, answers: dict[str, str]) -> Result:
    score = sum(w for code, w in spec.weights.items() if answers.get(code) == Answer.YES)
    score_level = level_for(spec, score)
    fired = tuple(r for r in spec.rules if r.fires(answers))
    level = spec.escalations.get(score_level, score_level) if fired else score_level
    missing = tuple(code for code in spec.weights if answers.get(code) not in Answer.values)
    return Result(score, level, score_level, bool(fired), fired, missing)


def higher(a: Level | str, b: Level | str) -> Level:
    return max(Level(a), Level(b), key=LEVEL_RANK.__getitem__)


def is_lower(a: Level | str, than: Level | str) -> bool:
    return LEVEL_RANK[Level(a)] < LEVEL_RANK[Level(than)]
