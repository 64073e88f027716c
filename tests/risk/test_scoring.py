"""The scoring engine: cut-offs, the homicide-risk flag's escalation (DESIGN §10), refused answers;
and, as properties, a "yes" never lowers the score or the level."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qorgau.risk.models import InstrumentVersion, Level
from qorgau.risk.scoring import LEVEL_RANK, Rule, Spec, bad_answers, evaluate, level_for

pytestmark = pytest.mark.django_db


def spec_of(code: str) -> Spec:
    return Spec.of(InstrumentVersion.objects.get(instrument__code=code, status="published"))


def yes_to(spec: Spec, n: int, *, avoid: frozenset[str] = frozenset()) -> dict[str, str]:
    codes = [c for c in spec.weights if c not in avoid]
    return {c: ("yes" if i < n else "no") for i, c in enumerate(codes)} | dict.fromkeys(avoid, "no")


@pytest.mark.parametrize(("score", "level"), [(0, "low"), (1, "low"), (2, "medium"), (3, "medium"), (4, "high"), (6, "high"), (7, "critical"), (13, "critical")])
def test_odara_cutoffs(instruments, score, level):
    spec = spec_of("odara")
    result = evaluate(spec, yes_to(spec, score))
    assert (result.score, result.level, result.flag) == (score, Level(level), False)


def flagged_items(spec: Spec) -> frozenset[str]:
    return frozenset().union(*(r.all_items | r.any_items for r in spec.rules))


@pytest.mark.parametrize(("score", "level"), [(9, "low"), (10, "medium"), (13, "medium"), (14, "high"), (17, "high")])
def test_dash_cutoffs_without_the_flag(instruments, score, level):
    spec = spec_of("dash")
    result = evaluate(spec, yes_to(spec, score, avoid=flagged_items(spec)))
    assert (result.score, result.level, result.flag) == (score, Level(level), False)


def test_high_with_the_homicide_flag_is_critical_medium_stays_medium(instruments):
    spec = spec_of("dash")
    base = yes_to(spec, 13, avoid=frozenset({"strangulation"}))
    medium = evaluate(spec, base | {"strangulation": "yes"})
    assert (medium.score, medium.score_level, medium.flag, medium.level) == (14, Level.HIGH, True, Level.CRITICAL)
    low = evaluate(spec, dict.fromkeys(spec.weights, "no") | {"strangulation": "yes"})
    assert (low.score, low.flag, low.level) == (1, True, Level.LOW)
    assert [r.code for r in low.fired] == ["strangulation"]


def test_a_combination_rule_needs_all_and_one_of_any(instruments):
    spec = spec_of("dash")
    rule = next(r for r in spec.rules if r.code == "separation_control_escalation")
    only_all = dict.fromkeys(rule.all_items, "yes")
    assert not rule.fires(only_all)
    assert rule.fires(only_all | {next(iter(rule.any_items)): "yes"})


def test_the_family_flag_raises_medium_to_high(instruments):
    spec = spec_of("family")
    rule = spec.rules[0]
    answers = dict.fromkeys(spec.weights, "no") | dict.fromkeys(rule.all_items, "yes")
    extra = [c for c in spec.weights if c not in answers or answers[c] == "no"]
    while evaluate(spec, answers).score_level != Level.MEDIUM:
        answers[extra.pop()] = "yes"
    result = evaluate(spec, answers)
    assert result.flag and result.level == Level.HIGH


def test_missing_and_refused_answers(instruments):
    spec = spec_of("odara")
    first = next(iter(spec.weights))
    assert len(evaluate(spec, {first: "yes"}).missing) == len(spec.weights) - 1
    assert bad_answers(spec, {first: "maybe", "no_such_item": "yes"}) == [first, "no_such_item"]
    assert bad_answers(spec, {first: "unknown"}) == []


WEIGHTS = {f"i{n}": w for n, w in enumerate([1, 2, 1, 3, 1, 1])}
SPEC = Spec(0, WEIGHTS, [(0, Level.LOW), (2, Level.MEDIUM), (5, Level.HIGH), (8, Level.CRITICAL)],
            {Level.HIGH: Level.CRITICAL}, (Rule("r", "r", frozenset({"i0", "i1"}), frozenset()),))
answers_st = st.fixed_dictionaries({code: st.sampled_from(["yes", "no", "unknown"]) for code in WEIGHTS})


@settings(max_examples=200, deadline=None, derandomize=True)
@given(answers=answers_st, flip=st.sampled_from(sorted(WEIGHTS)))
def test_a_yes_never_lowers_the_score_or_the_level(answers, flip):
    before = evaluate(SPEC, answers)
    after = evaluate(SPEC, answers | {flip: "yes"})
    assert after.score >= before.score
    assert LEVEL_RANK[after.level] >= LEVEL_RANK[before.level]
    assert after.score == sum(w for c, w in WEIGHTS.items() if (answers | {flip: "yes"})[c] == "yes")


@settings(max_examples=100, deadline=None, derandomize=True)
@given(score=st.integers(min_value=0, max_value=40))
def test_the_level_is_the_highest_cutoff_reached(score):
    expected = [lv for minimum, lv in SPEC.cutoffs if score >= minimum][-1]
    assert level_for(SPEC, score) == expected
