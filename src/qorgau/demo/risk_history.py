"""A synthetic history of risk assessments for the demo, so that the validation report has something
true to show (issue: validation report).

After ``demo.synthetic.generate`` has registered the reports, the holding unit's inspector assesses
the demo's cases in the past, through the real services (``assessment_start``, ``assessment_save``,
``assessment_sign``) with the project clock held at the time: shortly after each new incident was
registered, with the primary instrument for the relationship and, for a share of partner cases, the
actuarial one as well.

The answers are drawn from P(answers | outcome): the outcome is whether the pair really has a later
incident within 180 days in the demo data (the generator plans who comes back and when). Items
about the index incident agree with its record (injuries, strangulation, weapon, alcohol or drugs,
children present…); the other items say "yes" with item-specific probabilities that are higher when
the pair comes back, strongly for threats to kill, strangulation, separation and escalation, barely
for others — so the instrument discriminates about as well as published ones (AUC near 0.7), not
perfectly. Officers raise about 8% of levels with a written reason (more often, rightly, when harm
follows); the demo supervisor lowers a few of his unit's. A few drafts stay unsigned and part of the
demo inspector's recent cases are never assessed, so the reassessment queue has rows.

Deterministic: each case draws from its own ``random.Random``, seeded with the seed and the import key
of the case's first report.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import BigIntegerField
from django.db.models.functions import Coalesce

from qorgau.accounts.models import User
from qorgau.accounts.roles import Role
from qorgau.cases.access import scope_for
from qorgau.cases.models import Case, CaseEvent, CaseState, Incident, Party, PartyRole, Relationship, Report
from qorgau.core import clock
from qorgau.demo.synthetic import DEFAULT_SEED, KEY_PREFIX
from qorgau.risk.models import (
    LEVEL_RANK,
    Assessment,
    AssessmentStatus,
    InstrumentKind,
    InstrumentVersion,
    Level,
    LevelPolicy,
)
from qorgau.risk.scoring import Spec, evaluate
from qorgau.risk.services import (
    assessment_change_level,
    assessment_save,
    assessment_sign,
    assessment_start,
    may_assess,
    versions_for,
)
from qorgau.risk.validation import validation_report, validation_versions

OUTCOME_DAYS = 180
MAX_SCHEDULED = 2  # scheduled reassessments between two incidents
LOWER_SHARE = 0.3  # of the supervisor's unit's assessments above low (only the demo's Almaly police has one)
PARTNER = {Relationship.SPOUSE, Relationship.EX_SPOUSE, Relationship.PARTNER}
DEMO_INSPECTOR, DEMO_SUPERVISOR = "inspector", "supervisor"

# --- the answers -----------------------------------------------------------------------------------------


@dataclass
class Facts:
    """What is true of the pair at the assessment: the index incident's record and the registry."""

    incident: Incident
    relationship: str
    markers: set[str]
    prior: bool  # an earlier incident of the pair, or his violence against another victim before
    other_victims: bool
    children: int  # children who witnessed the pair's incidents so far

    def has(self, fact: str) -> bool:
        if fact == "substance":
            return self.incident.alcohol or self.incident.drugs
        if fact in ("prior", "other_victims"):
            return bool(getattr(self, fact))
        if fact == "children":
            return self.children >= 1 or self.incident.children_present
        if fact == "children_2":
            return self.children >= 2
        if fact == "ex_spouse":
            return self.relationship == Relationship.EX_SPOUSE
        if fact in ("pregnant", "rural", "elderly", "disabled", "minor"):
            return fact in self.markers
        if fact == "dependent":
            return bool({"elderly", "disabled", "minor"} & self.markers)
        return bool(getattr(self.incident, fact))


# An item's chance of "yes": (if no new incident follows, if one does) — the likelihood ratio is
# their quotient. ``fact`` makes it "yes" whenever the record says so; ``when`` switches to the second
# pair of chances when the fact holds (e.g. threats are likelier after psychological violence).
Rule = Callable[[Facts], tuple[float, float]]


def p(neg: float, pos: float) -> Rule:
    return lambda f: (neg, pos)


def fact(name: str, neg: float = 0.0, pos: float = 0.0) -> Rule:
    return lambda f: (1.0, 1.0) if f.has(name) else (neg, pos)


def when(name: str, then: tuple[float, float], otherwise: tuple[float, float]) -> Rule:
    return lambda f: then if f.has(name) else otherwise


RULES: dict[str, dict[str, Rule]] = {
    "dash": {
        "current_injury": fact("injuries"),
        "very_frightened": p(0.64, 0.82),
        "fears_what": p(0.58, 0.78),
        "isolated": p(0.32, 0.40),
        "victim_depressed": p(0.36, 0.43),
        "separation": fact("ex_spouse", 0.16, 0.42),
        "child_contact_conflict": when("children", (0.32, 0.40), (0.05, 0.07)),
        "pregnancy_recent_birth": fact("pregnant", 0.10, 0.11),
        "hurt_others": fact("other_victims", 0.16, 0.24),
        "pet_harmed": p(0.08, 0.09),
        "stalking": p(0.26, 0.48),
        "more_often": when("prior", (0.52, 0.78), (0.26, 0.54)),
        "getting_worse": when("prior", (0.52, 0.80), (0.26, 0.56)),
        "control_jealousy": p(0.60, 0.72),
        "weapons": fact("weapon", 0.06, 0.13),
        "threats_to_kill": when("psychological", (0.34, 0.68), (0.12, 0.36)),
        "strangulation": fact("strangulation", 0.07, 0.22),
        "sexual_abuse": fact("sexual", 0.08, 0.10),
        "third_party": p(0.07, 0.08),
        "financial": fact("economic", 0.32, 0.36),
        "offender_suicide": p(0.10, 0.13),
        "substance_mental_health": fact("substance", 0.22, 0.28),
        "breach": p(0.08, 0.15),
        "criminal_history": fact("prior", 0.26, 0.36),
    },
    "odara": {
        "prior_domestic": fact("prior", 0.22, 0.44),
        "prior_nondomestic": p(0.12, 0.19),
        "prior_custody": p(0.09, 0.14),
        "release_failure": p(0.05, 0.13),
        "violence_others": fact("other_victims", 0.12, 0.21),
        "substance_abuse": when("substance", (0.62, 0.78), (0.10, 0.17)),
        "assault_pregnant": when("pregnant", (0.50, 0.60), (0.05, 0.08)),
        "threat_index": when("psychological", (0.34, 0.64), (0.05, 0.16)),
        "confinement": p(0.08, 0.20),
        "victim_fear": p(0.55, 0.80),
        "children_two_plus": fact("children_2", 0.22, 0.24),
        "victim_child_other_partner": p(0.15, 0.18),
        "victim_barriers": when("rural", (0.34, 0.44), (0.20, 0.28)),
    },
    "family": {
        "injury_medical": when("injuries", (0.75, 0.82), (0.0, 0.0)),
        "head_or_infant_injury": when("injuries", (0.22, 0.46), (0.0, 0.0)),
        "sexual_abuse": fact("sexual", 0.02, 0.04),
        "neglect": fact("neglect", 0.05, 0.10),
        "care_dependence": when("dependent", (0.55, 0.66), (0.05, 0.08)),
        "cannot_seek_help": when("dependent", (0.45, 0.56), (0.10, 0.18)),
        "financial_control": fact("economic", 0.12, 0.18),
        "repeated_incidents": fact("prior", 0.25, 0.54),
        "threats": when("psychological", (0.34, 0.64), (0.12, 0.34)),
        "offender_substance": fact("substance", 0.12, 0.19),
        "others_at_risk": when("children", (0.34, 0.50), (0.08, 0.15)),
        "no_safe_carer": p(0.12, 0.30),
    },
}
DEFAULT_RULE = p(0.15, 0.22)
UNKNOWN_SHARE = 0.04  # "not known" instead of a drawn answer (facts from the record are always known)


def _shifted(chance: float, severity: float) -> float:
    """The chance moved on the log-odds scale: 0 and 1 (no such fact, a recorded fact) stay."""
    if chance <= 0.0 or chance >= 1.0:
        return chance
    return 1.0 / (1.0 + math.exp(-(math.log(chance / (1.0 - chance)) + severity)))


def answers_for(instrument: str, codes: list[str], facts: Facts, positive: bool, rng: random.Random, *, severity: float = 0.0) -> dict[str, str]:
    """One assessment's answers. ``severity`` (log-odds, about N(0, 0.7) per pair) makes the answers of
    one pair hang together, as real ones do, whatever happens next."""
    rules = RULES.get(instrument, {})
    out = {}
    for code in codes:
        neg, pos = rules.get(code, DEFAULT_RULE)(facts)
        chance = _shifted(pos if positive else neg, severity)
        if chance < 1.0 and rng.random() < UNKNOWN_SHARE:
            out[code] = "unknown"
        else:
            out[code] = "yes" if rng.random() < chance else "no"
    return out


RAISE_REASONS = [
    "Со слов потерпевшей, он недавно приобрёл ружьё и показывал его ей. Считаю риск выше расчётного.",
    "Агрессор освобождён на прошлой неделе, звонит ей с угрозами каждый день.",
    "Потерпевшая собирается уйти от него; после разговора об этом угрозы усилились.",
    "Соседи сообщают о ежедневных скандалах, дети напуганы и не ходят в школу.",
    "Он ищет её по месту работы и у родственников, несмотря на предписание.",
    "Родственники сообщают о резком усилении насилия за последний месяц.",
    "Жәбірленуші оның өлтіремін деп қайта-қайта қорқытқанын айтты, деңгейді көтердім.",
]
LOWER_REASONS = [
    "Проверено на месте: стороны проживают раздельно, он выехал в другой регион на работу вахтовым методом.",
    "Он задержан и находится под стражей; непосредственной угрозы на ближайший месяц нет.",
    "Повторная беседа с потерпевшей: ответы об угрозах уточнены, оснований для такого уровня нет.",
]


def _step(level: Level, by: int) -> Level:
    return next(lv for lv in Level if LEVEL_RANK[lv] == LEVEL_RANK[level] + by)


# --- the plan ------------------------------------------------------------------------------------------------


@dataclass
class Planned:
    at: dt.datetime
    case_id: int
    version: InstrumentVersion
    actor: User
    answers: dict[str, str]
    final_level: str = ""
    reason: str = ""
    draft: bool = False
    lower: tuple[dt.datetime, User, str, str] | None = None  # (when, supervisor, to level, reason)
    level: Level = Level.LOW  # the final level after any change
    key: int = 0


@dataclass
class History:
    signed: int = 0
    raised: int = 0
    lowered: int = 0
    drafts: int = 0
    skipped: bool = False
    auc: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)  # instrument -> (90, 180 days)

    def tail(self, seconds: float) -> str:
        """What the demo command adds to the synthetic data's summary line ("" when nothing was assessed)."""
        if self.skipped:
            return "; risk assessments already present"
        if not (self.signed or self.drafts):
            return ""
        aucs = ", ".join(f"{code} {_fmt(a90)}/{_fmt(a180)}" for code, (a90, a180) in sorted(self.auc.items()))
        return (
            f"; risk assessments: {self.signed} signed ({self.raised} raised by the officer, {self.lowered} lowered by a "
            f"supervisor), {self.drafts} drafts, AUC of the score within 90/180 days: {aucs or '—'} ({seconds:.1f} s)"
        )


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _pairs() -> dict[tuple[int, int], list[tuple[dt.datetime, dt.datetime]]]:
    """(occurred, registered) of every incident of each pair (clusters), in time order."""
    as_int: BigIntegerField[int, int] = BigIntegerField()
    rows = Case.objects.annotate(
        vc=Coalesce("victim__cluster_id", "victim_id", output_field=as_int), oc=Coalesce("offender__cluster_id", "offender_id", output_field=as_int)
    ).values_list("vc", "oc", "incidents__id", "incidents__occurred_at", "incidents__created_at")
    seen: dict[tuple[int, int], dict[int, tuple[dt.datetime, dt.datetime]]] = defaultdict(dict)
    for vc, oc, incident_id, occurred, created in rows:
        if incident_id is not None:
            seen[(vc, oc)][incident_id] = (occurred, created)
    return {pair: sorted(found.values()) for pair, found in seen.items()}


def _state_at(events: list[tuple[dt.datetime, str]], at: dt.datetime) -> str:
    state = CaseState.ACTIVE
    for when_, to_state in events:
        if when_ > at:
            break
        state = CaseState(to_state)
    return state


def _pair_key(case: Case) -> tuple[int, int]:
    return (case.victim.cluster_id or case.victim_id, case.offender.cluster_id or case.offender_id)


class Planner:
    def __init__(self, *, seed: int, now: dt.datetime) -> None:
        self.seed = seed
        self.now = now
        self.pairs = _pairs()
        self.specs: dict[int, Spec] = {}
        self.codes: dict[int, list[str]] = {}
        self.days = dict(LevelPolicy.objects.values_list("level", "reassess_days"))
        self.by_offender: dict[int, list[tuple[int, dt.datetime]]] = defaultdict(list)  # offender cluster -> (victim cluster, first registered)
        for (vc, oc), times in self.pairs.items():
            self.by_offender[oc].append((vc, times[0][1]))

    def spec(self, version: InstrumentVersion) -> tuple[Spec, list[str]]:
        if version.pk not in self.specs:
            self.specs[version.pk] = Spec.of(version)
            self.codes[version.pk] = list(version.items.order_by("position").values_list("code", flat=True))
        return self.specs[version.pk], self.codes[version.pk]

    def facts(self, case: Case, incident: Incident, at: dt.datetime, markers: set[str]) -> Facts:
        vc, oc = _pair_key(case)
        times = self.pairs.get((vc, oc), [])
        earlier = any(occurred < incident.occurred_at for occurred, _created in times)
        others = any(v != vc and first <= at for v, first in self.by_offender.get(oc, []))
        children = Party.objects.filter(
            incident__cases=case, role=PartyRole.CHILD_WITNESS, incident__created_at__lte=at
        ).values("person_id").distinct().count()
        return Facts(incident, case.relationship, markers, earlier or others, others, children)

    def outcome(self, case: Case, at: dt.datetime) -> bool:
        """Does the pair really come back within OUTCOME_DAYS of ``at`` in the demo data?"""
        limit = at + timedelta(days=OUTCOME_DAYS)
        return any(at < occurred <= limit for occurred, _created in self.pairs.get(_pair_key(case), []))

    def case(self, case: Case, actor: User, supervisor: User | None) -> list[Planned]:
        # seeded by the case's first report's key, which is the same on every database (its number is not)
        first = Report.objects.filter(incident__cases=case).order_by("registered_at", "id").values_list("import_key", flat=True).first()
        rng = random.Random(f"{self.seed}:risk:{first or case.number}")  # noqa: S311 - synthetic demo data
        own_unit = actor.username == DEMO_INSPECTOR  # leaves more undone, so its queue has rows
        versions = versions_for(case)
        if not versions:
            return []
        primary = versions[0]
        actuarial = next((v for v in versions[1:] if v.instrument.kind == InstrumentKind.ACTUARIAL), None)
        with_actuarial = actuarial is not None and rng.random() < 0.8
        severity = rng.gauss(0.0, 0.55)  # this pair's answers hang together
        markers = set(case.markers.values_list("code", flat=True))
        events = list(CaseEvent.objects.filter(case=case).exclude(to_state="").order_by("at", "id").values_list("at", "to_state"))
        incidents = list(case.incidents.order_by("created_at", "id"))
        out: list[Planned] = []

        def open_at(at: dt.datetime, following: dt.datetime | None) -> bool:
            return at < self.now - timedelta(hours=1) and (following is None or at < following) and _state_at(events, at) != CaseState.CLOSED

        def assess(version: InstrumentVersion, incident: Incident, at: dt.datetime, *, lead: bool) -> Planned:
            facts = self.facts(case, incident, at, markers)
            draft = lead and at > self.now - timedelta(days=14) and rng.random() < (0.6 if own_unit else 0.35)
            planned = self.one(version, actor, supervisor if lead else None, facts, self.outcome(case, at), at, rng,
                               severity=severity + rng.gauss(0.0, 0.25), draft=draft)
            planned.case_id = case.pk
            out.append(planned)
            return planned

        for k, incident in enumerate(incidents):
            following = incidents[k + 1].created_at if k + 1 < len(incidents) else None
            # mostly assessed within hours or a few days of the registration
            at = incident.created_at + timedelta(hours=rng.choice([1, 2, 3, 5, 8, 20, 26, 48, 70]) + rng.random())
            if rng.random() >= (0.55 if own_unit else 0.92) or not open_at(at, following):
                continue
            lead = assess(primary, incident, at, lead=True)
            if with_actuarial and actuarial is not None and not lead.draft:
                assess(actuarial, incident, at + timedelta(minutes=25), lead=False)
            # reassessed when the level says so (some late, some never) until the next incident or closure
            for _ in range(MAX_SCHEDULED):
                if lead.draft:
                    break
                at = lead.at + timedelta(days=self.days.get(lead.level, 60) + rng.uniform(0, 12))
                if rng.random() >= (0.3 if own_unit else 0.45) or not open_at(at, following):
                    break
                lead = assess(primary, incident, at, lead=True)
        # a supervisor's change applies only to the latest assessment: drop any planned after the next one
        leads = [p for p in out if p.version.pk == primary.pk]
        for earlier, later in itertools.pairwise(leads):
            if earlier.lower is not None and earlier.lower[0] >= later.at:
                earlier.lower = None
        return out

    def one(
        self, version: InstrumentVersion, actor: User, supervisor: User | None, facts: Facts, positive: bool,
        at: dt.datetime, rng: random.Random, *, severity: float, draft: bool = False,
    ) -> Planned:
        spec, codes = self.spec(version)
        answers = answers_for(version.instrument.code, codes, facts, positive, rng, severity=severity)
        planned = Planned(at, 0, version, actor, answers, draft=draft)
        if draft:
            planned.answers = dict(list(answers.items())[: len(answers) // 2])  # half filled in
            return planned
        computed = evaluate(spec, answers).level
        planned.level = computed
        if computed != Level.CRITICAL and rng.random() < (0.15 if positive else 0.065):
            planned.final_level = planned.level = _step(computed, +1)
            planned.reason = rng.choice(RAISE_REASONS)
        lower_at = at + timedelta(days=rng.uniform(1, 4))
        if supervisor is not None and planned.level != Level.LOW and rng.random() < LOWER_SHARE and lower_at < self.now:
            planned.level = _step(planned.level, -1)
            planned.lower = (lower_at, supervisor, planned.level, rng.choice(LOWER_REASONS))
        return planned


# --- replaying the plan through the services ------------------------------------------------------------------


def _sign(p: Planned, case: Case, history: History, made: dict[int, int]) -> None:
    with clock.frozen(p.at) as c:
        if not may_assess(p.actor, scope_for(p.actor, case)):
            return
        a = assessment_start(actor=p.actor, case=case, version_id=p.version.pk)
        c.advance(timedelta(minutes=7))
        a = assessment_save(actor=p.actor, assessment=a, row_version=a.row_version, answers=p.answers)
        if p.draft:
            history.drafts += 1
            return
        c.advance(timedelta(minutes=2))
        a = assessment_sign(actor=p.actor, assessment=a, row_version=a.row_version, final_level=p.final_level, reason=p.reason)
    made[p.key] = a.pk
    history.signed += 1
    history.raised += bool(p.final_level)


def _lower(p: Planned, case: Case, history: History, made: dict[int, int]) -> None:
    if p.lower is None or p.key not in made:
        return
    at, supervisor, to_level, reason = p.lower
    assessment = Assessment.objects.get(pk=made[p.key])
    latest = Assessment.objects.filter(case=case, version__instrument=p.version.instrument_id, status=AssessmentStatus.SIGNED).order_by("-signed_at", "-id").first()
    with clock.frozen(at):
        if latest is None or latest.pk != assessment.pk or not may_assess(supervisor, scope_for(supervisor, case)):
            return
        assessment_change_level(actor=supervisor, assessment=assessment, to_level=to_level, reason=reason)
    history.lowered += 1


def risk_history(*, seed: int = DEFAULT_SEED, now: dt.datetime | None = None) -> History:
    """Assess the demo's cases in the past, all or nothing; nothing when any demo case already has an
    assessment. Needs the instruments loaded and the synthetic reports registered."""
    cases = (
        Case.objects.filter(incidents__reports__import_key__startswith=KEY_PREFIX, merged_into=None, restricted=False)
        .select_related("victim", "offender", "holding_unit").distinct().order_by("number")
    )
    if Assessment.objects.filter(case__in=cases).exists():
        return History(skipped=True)
    now = now or clock.now()
    inspectors = {u.unit_id: u for u in User.objects.filter(role=Role.POLICE_INSPECTOR, is_active=True).order_by("id")}
    supervisors = {u.unit_id: u for u in User.objects.filter(role=Role.POLICE_SUPERVISOR, is_active=True).order_by("id")}
    planner = Planner(seed=seed, now=now)
    plan: list[Planned] = []
    for case in cases:
        actor = inspectors.get(case.holding_unit_id)
        if actor is not None:
            plan += planner.case(case, actor, supervisors.get(case.holding_unit_id))
    for n, planned in enumerate(plan):
        planned.key = n
    # one time line across cases, as in real use (the audit log reads in order)
    steps = [(p.at, 0, p) for p in plan] + [(p.lower[0], 1, p) for p in plan if p.lower is not None]
    steps.sort(key=lambda s: (s[0], s[1], s[2].key))
    history = History()
    made: dict[int, int] = {}
    with transaction.atomic():
        for _at, kind, p in steps:
            case = Case.objects.select_related("victim", "offender").get(pk=p.case_id)
            (_sign if kind == 0 else _lower)(p, case, history, made)
    history.auc = _aucs(now)
    return history


def _aucs(now: dt.datetime) -> dict[str, tuple[float | None, float | None]]:
    """The score's AUC per instrument version over (about) the validation page's default period."""
    out = {}
    today = now.date()
    for version in validation_versions():
        report = validation_report(version=version, date_from=today - timedelta(days=730), date_to=today)
        pair = tuple(w.auc_score.value if w.auc_score else None for w in report.windows)
        out[f"{version.instrument.code}-{version.number}"] = (pair[0], pair[-1])
    return out
