"""The validation report's computation on small data sets built through the services, where the
answer is known: AUC, calibration, follow-up windows, overrides and the proposed re-weighting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from qorgau.accounts.models import User
from qorgau.accounts.roles import Role
from qorgau.cases.services import VictimInput, report_register
from qorgau.core import clock
from qorgau.risk.instruments import version_draft_reweighted
from qorgau.risk.models import Assessment, InstrumentVersion, Level, VersionStatus
from qorgau.risk.services import assessment_change_level, assessment_save, assessment_sign, assessment_start
from qorgau.risk.validation import MIN_OUTCOMES, auc_with_interval, integer_weights, validation_report, wilson
from tests.cases.factories import person, report_input

pytestmark = pytest.mark.django_db

BASE = dt.datetime(2025, 1, 10, 9, 0, tzinfo=clock.UTC)
LATER = BASE + timedelta(days=400)  # every window has passed
GIVEN = ["Айгуль", "Гульнара", "Динара", "Жанар", "Камила", "Мадина", "Сауле", "Асель"]
SURNAMES = ["Ахметова", "Бекова", "Калиева", "Нурланова", "Омарова", "Сейтова", "Жумабаева", "Исаева"]


@dataclass
class Pair:
    """One victim–offender pair: the items answered "yes", whether a new incident follows (days after
    signing, or None) and when the assessment was signed (days after BASE)."""

    yes: list[str]
    again: float | None = None
    day: float = 0.0
    final_level: str = ""
    reason: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def dash(instruments) -> InstrumentVersion:
    return InstrumentVersion.objects.get(instrument__code="dash", status=VersionStatus.PUBLISHED)


def build(inspector: User, version: InstrumentVersion, pairs: list[Pair]) -> list[Assessment]:
    codes = list(version.items.order_by("position").values_list("code", flat=True))
    out = []
    for n, pair in enumerate(pairs):
        at = BASE + timedelta(days=pair.day, minutes=n)
        victim = person(f"{GIVEN[n % 8]} {SURNAMES[(n // 8) % 8]}", birth=dt.date(1990, 1, 1) + timedelta(days=37 * n), serial=2000 + n)
        offender = person(f"Ерлан {SURNAMES[n % 8][:-1]}{n}", birth=dt.date(1984, 1, 1) + timedelta(days=41 * n), sex="M", serial=5000 + n)
        with clock.frozen(at):
            case = report_register(actor=inspector, data=report_input(victims=[VictimInput("spouse", victim)], offender=offender)).cases[0]
        with clock.frozen(at + timedelta(hours=1)):
            a = assessment_start(actor=inspector, case=case, version_id=version.pk)
            answers = {code: "yes" if code in pair.yes else "no" for code in codes} | pair.extra
            a = assessment_save(actor=inspector, assessment=a, row_version=a.row_version, answers=answers)
            a = assessment_sign(actor=inspector, assessment=a, row_version=a.row_version, final_level=pair.final_level, reason=pair.reason)
        out.append(a)
        if pair.again is not None:
            with clock.frozen(at + timedelta(hours=1, days=pair.again)):
                report_register(actor=inspector, data=report_input(victims=[VictimInput("spouse", victim)], offender=offender))
    return out


@pytest.fixture
def inspector(instruments, make_user) -> User:
    return make_user(Role.POLICE_INSPECTOR)


def report(version: InstrumentVersion, *, at: dt.datetime = LATER, **kw):
    with clock.frozen(at):
        return validation_report(version=version, date_from=dt.date(2024, 1, 1), date_to=dt.date(2026, 12, 31), **kw)


# --- statistics --------------------------------------------------------------------------------------


def test_wilson_interval():
    low, high = wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = wilson(0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775
    assert wilson(10, 10)[1] == 1.0 and round(wilson(10, 10)[0], 4) == 0.7225
    assert wilson(0, 0) == (0.0, 1.0)


def test_auc_interval_agrees_with_sklearn_and_is_reproducible():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    scores = rng.integers(0, 12, 300) + 3 * y
    auc = auc_with_interval(scores, y)
    assert auc.value == pytest.approx(roc_auc_score(y, scores))
    assert auc.low < auc.value < auc.high
    assert auc_with_interval(scores, y) == auc  # fixed seed
    perfect = auc_with_interval(np.array([0, 1, 2, 3, 4, 5]), np.array([0, 0, 0, 1, 1, 1]))
    assert (perfect.value, perfect.low, perfect.high) == (1.0, 1.0, 1.0)


def test_integer_weights_scale_to_the_typical_weight():
    coef = np.array([2.0, 1.0, 0.5, -0.7, 3.0])
    current = np.array([1, 1, 1, 1, 1])
    yes = np.array([50, 50, 50, 50, 2])  # the last one is too rare: it keeps its weight
    assert integer_weights(coef, current, yes).tolist() == [2, 1, 0, 0, 1]
    # the median positive coefficient becomes the typical weight (2 here); never above 10
    assert integer_weights(np.array([1.0, 2.0, 30.0]), np.array([2, 2, 2]), np.array([9, 9, 9])).tolist() == [1, 2, 10]


# --- the report on data built through the services -------------------------------------------------------


def _ordered(codes: list[str], *, reverse: bool) -> list[Pair]:
    """Ten pairs harmed again and ten not; the score (number of "yes") separates them completely."""
    pairs = []
    for k in range(10):
        high, low = codes[: 12 + k], codes[:k]
        pairs.append(Pair(yes=low if reverse else high, again=30 + k))
        pairs.append(Pair(yes=high if reverse else low))
    return pairs


def test_outcomes_ordered_by_score_give_auc_one_and_calibration(inspector):
    version = dash(None)
    codes = list(version.items.order_by("position").values_list("code", flat=True))
    build(inspector, version, _ordered(codes, reverse=False))
    r = report(version)
    assert r.assessments == 20
    w90, w180 = r.window(90), r.window(180)
    assert w90 is not None and w180 is not None
    assert (w90.followed_up, w90.revictimised, w90.not_revictimised, w90.not_followed_up) == (20, 10, 10, 0)
    assert w90.enough and w90.auc_score is not None and w90.auc_score.value == 1.0
    assert w180.auc_score is not None and w180.auc_score.value == 1.0
    # every score of 10+ is medium or above; the ten low scorers are low and were not harmed again
    by_computed = {row.level: row for row in w180.by_computed}
    assert by_computed[Level.LOW].n == 10 and by_computed[Level.LOW].revictimised == 0
    assert sum(row.revictimised for row in w180.by_computed) == 10
    low = by_computed[Level.LOW]
    assert low.rate == 0.0 and (low.low, round(low.high, 4)) == (0.0, 0.2775)
    assert w180.auc_final is not None and w180.auc_final.value == 1.0


def test_outcomes_in_reverse_order_give_auc_zero(inspector):
    version = dash(None)
    codes = list(version.items.order_by("position").values_list("code", flat=True))
    build(inspector, version, _ordered(codes, reverse=True))
    w = report(version).window(180)
    assert w is not None and w.auc_score is not None and w.auc_score.value == 0.0


def test_too_few_outcomes_say_so_instead_of_failing(inspector):
    version = dash(None)
    build(inspector, version, [Pair(yes=["threats_to_kill"], again=20), Pair(yes=[]), Pair(yes=[], again=400)])
    r = report(version)
    for w in r.windows:
        assert not w.enough and w.auc_score is None and w.auc_final is None
        assert (w.followed_up, w.revictimised) == (3, 1)  # 400 days later is outside both windows
    assert r.proposal is None and not r.enough
    assert r.windows[0].revictimised < MIN_OUTCOMES
    # a period without any assessment is a report of nothing, not an error
    with clock.frozen(LATER):
        empty = validation_report(version=version, date_from=dt.date(2020, 1, 1), date_to=dt.date(2020, 12, 31))
    assert empty.assessments == 0 and empty.proposal is None and all(w.followed_up == 0 for w in empty.windows)


def test_assessments_whose_window_has_not_passed_are_left_out(inspector):
    version = dash(None)
    build(inspector, version, [Pair(yes=[], again=10), Pair(yes=[], day=50), Pair(yes=[], day=150)])
    r = report(version, at=BASE + timedelta(days=200))
    w90, w180 = r.window(90), r.window(180)
    assert w90 is not None and w180 is not None
    assert (w90.followed_up, w90.not_followed_up, w90.revictimised) == (2, 1, 1)
    assert (w180.followed_up, w180.not_followed_up, w180.revictimised) == (1, 2, 1)
    # a new incident after the report's "now" does not exist yet for the report
    r = report(version, at=BASE + timedelta(days=5))
    assert r.assessments == 1 and r.window(90).followed_up == 0  # type: ignore[union-attr]


def test_the_period_is_of_signing_dates(inspector):
    version = dash(None)
    build(inspector, version, [Pair(yes=[]), Pair(yes=[], day=40)])
    with clock.frozen(LATER):
        first = validation_report(version=version, date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 1, 10))
        second = validation_report(version=version, date_from=dt.date(2025, 1, 11), date_to=dt.date(2025, 12, 31))
    assert (first.assessments, second.assessments) == (1, 1)


def test_raised_and_lowered_levels_are_counted(inspector, make_user):
    version = dash(None)
    made = build(inspector, version, [
        Pair(yes=[], final_level="medium", reason="Он угрожает ей по телефону каждый день."),
        Pair(yes=[]), Pair(yes=[]), Pair(yes=[]),
    ])
    supervisor = make_user(Role.POLICE_SUPERVISOR)
    with clock.frozen(BASE + timedelta(days=2)):
        assessment_change_level(actor=supervisor, assessment=made[0], to_level="low", reason="Проверено: он выехал в другой город.")
    o = report(version).overrides
    assert (o.n, o.raised, o.lowered_later, o.lowered_at_signing) == (4, 1, 1, 0)
    low = next(row for row in o.rows if row.level == Level.LOW)
    assert (low.n, low.raised, low.share) == (4, 1, 0.25)


def test_reweighting_favours_the_item_that_predicts(inspector):
    """Threats to kill come before a new incident; a harmed pet does not tell anything here."""
    version = dash(None)
    pairs = []
    for k in range(20):
        positive = k < 10
        yes = ["pet_harmed"] if k % 2 == 0 else []
        if (positive and k not in (0, 1)) or (not positive and k in (10, 11)):
            yes.append("threats_to_kill")
        if (positive and k < 7) or (not positive and k < 15):
            yes.append("stalking")
        pairs.append(Pair(yes=yes, again=40 if positive else None))
    pairs += [Pair(yes=["pet_harmed"] if k % 2 else [], again=60 if k < 4 else None) for k in range(8)]
    build(inspector, version, pairs)
    proposal = report(version).proposal
    assert proposal is not None
    items = {i.code: i for i in proposal.items}
    assert items["threats_to_kill"].coefficient > 1.0 and abs(items["pet_harmed"].coefficient) < 0.1
    # the median positive coefficient (between stalking's and threats') becomes the typical weight, 1
    assert (items["threats_to_kill"].proposed, items["stalking"].proposed, items["pet_harmed"].proposed) == (2, 0, 0)
    assert items["pet_harmed"].yes_revictimised == items["pet_harmed"].yes_not == 0.5
    assert items["threats_to_kill"].yes_revictimised > items["threats_to_kill"].yes_not
    assert items["separation"].too_rare and items["separation"].proposed == items["separation"].current == 1
    assert 0.0 <= proposal.cv_auc_proposed <= 1.0 and proposal.cv_auc_current == pytest.approx(report(version).window(180).auc_score.value)  # type: ignore[union-attr]
    assert report(version).proposal == proposal  # fixed folds and seed: the same answer twice


def test_the_proposal_becomes_a_draft_and_the_published_version_is_unchanged(inspector, make_user):
    version = dash(None)
    codes = list(version.items.order_by("position").values_list("code", flat=True))
    build(inspector, version, _ordered(codes, reverse=False))
    proposal = report(version).proposal
    assert proposal is not None
    admin = make_user(Role.ADMINISTRATOR)
    before = dict(version.items.values_list("code", "weight"))
    draft = version_draft_reweighted(actor=admin, version=version, weights=proposal.weights)
    assert draft.status == VersionStatus.DRAFT and draft.derived_from_id == version.pk and draft.number == version.number + 1
    assert dict(draft.items.values_list("code", "weight")) == proposal.weights
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED and dict(version.items.values_list("code", "weight")) == before
