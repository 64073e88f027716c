"""What follows a pair's reports, in proportion and consistent with them:

* **risk**: shortly after each new incident the holding unit signs an assessment with the primary
  instrument for the relationship; the answers are the small demo's (``demo.risk_history.answers_for``:
  items about the incident agree with its record, the others lean on whether the pair really comes
  back), scored by the instrument's own rules (``risk.scoring.evaluate``); about 8% are raised one
  level with a written reason; ``CaseRisk`` holds the latest, due again after the level's policy;
* **orders**: most new incidents end in a police protective order (30 days), about one in eight in
  court special requirements (3–12 months), issued to the offender and protecting the pair's
  victims (``OrderProtected``, ``OrderCase``); the status follows the dates (issued, in force,
  expired, a few revoked); about 6% of served orders are breached. Court orders carry no reporting
  duty here (``reporting_per_month`` 0), since their check-in calendars are not generated;
* **protocol tasks**: every report fires the published protocol's ``report_registered`` duties (and
  ``child_involved`` when a child saw or suffered it), routed by place as ``protocols.engine.route``
  does, with the duty unit's ``worker`` grant; old duties are done, recent ones open (some overdue,
  for the sweep); unrouted ones of the last month wait for the administrator, older ones were closed
  as declined (no such service in the region); referrals still within a month await her consent,
  older ones are closed as declined (no consent records are generated).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from datetime import timedelta
from types import SimpleNamespace
from typing import cast

from qorgau.accounts.masks import Scope
from qorgau.cases.ledger import record_number
from qorgau.cases.models import CaseEvent, EventKind, GrantReason, Incident
from qorgau.cases.services import CIRCUMSTANCES, FORMS
from qorgau.demo.national.cases import Pair, WrittenCase, WrittenReport, grant
from qorgau.demo.national.context import Context
from qorgau.demo.national.tables import Loader, encrypted, sealed
from qorgau.demo.risk_history import OUTCOME_DAYS, RAISE_REASONS, Facts, answers_for
from qorgau.orders.legal import add_months
from qorgau.orders.models import Breach, BreachSource, Order, OrderCase, OrderKind, OrderProtected, OrderStatus
from qorgau.protocols.models import Mode, Task, TaskStatus
from qorgau.risk.models import LEVEL_RANK, Assessment, AssessmentStatus, CaseRisk, Level
from qorgau.risk.scoring import Spec, level_for

ORDER_SHARE = 0.77  # of new incidents: about 72,000 orders to 100,000 reports a year
COURT_SHARE = 0.12
BREACH_SHARE = 0.06
RAISE_SHARE = 0.08
RECENT = timedelta(days=30)

ASSESSMENT = (
    "id", "case_id", "version_id", "status", "incident_id", "answers", "prefill", "score", "computed_level", "flag",
    "final_level", "level_reason", "language", "unit_id", "assessed_by_id", "created_at", "updated_at", "signed_at", "row_version",
)  # fmt: skip
CASE_RISK = ("case_id", "level", "assessment_id", "assessed_at", "due_at")
ORDER = (
    "id", "number", "kind", "offender_id", "issuing_unit_id", "issued_by_id", "issued_at", "starts_at", "ends_at",
    "ban_contact", "ban_seeking", "ban_weapons", "ban_alcohol", "ban_drugs", "ban_cohabitation", "reporting_per_month",
    "court_reference", "status", "served_at", "served_by_id", "revoked_at", "revoked_by_id", "revoke_reason", "expired_at",
)  # fmt: skip
BREACH = ("order_id", "occurred_at", "what", "source", "reported_by_id", "unit_id", "recorded_at")
TASK = (
    "case_id", "duty_id", "unit_id", "key", "trigger", "level", "mode", "status", "due_at", "created_by_id", "created_at",
    "updated_at", "decline_reason",
)  # fmt: skip

_LEVEL_REASON = encrypted(Assessment, "level_reason")
_REVOKE = encrypted(Order, "revoke_reason")
_WHAT = encrypted(Breach, "what")
_DECLINE = encrypted(Task, "decline_reason")
_EVENT_REASON = encrypted(CaseEvent, "reason")

BREACH_WHAT = [
    "Пришёл к месту жительства потерпевшей, стучал в дверь, требовал впустить.",
    "Звонил потерпевшей и угрожал, несмотря на запрет контактов.",
    "Ожидал потерпевшую у места работы.",
    "Находился в состоянии алкогольного опьянения по месту жительства потерпевшей.",
    "Жәбірленушіге хабарласып, қорқытты.",
]
REVOKE_REASONS = ["Отменено судом по жалобе.", "Стороны примирились, предписание отменено начальником."]
REFERRAL_DECLINED = "Потерпевшая отказалась от услуги."
DUTY_DECLINED = "Выполнено другим подразделением."
NO_SERVICE = "В регионе нет службы этого вида; помощь оказана иначе."


def downstream_tables(loader: Loader) -> None:
    loader.table("assessment", Assessment, ASSESSMENT)
    loader.table("case_risk", CaseRisk, CASE_RISK)
    loader.table("order", Order, ORDER)
    loader.table("order_protected", OrderProtected, ("order_id", "person_id"))
    loader.table("order_case", OrderCase, ("order_id", "case_id"))
    loader.table("breach", Breach, BREACH)
    loader.table("task", Task, TASK)


def _between(rng: random.Random, start: dt.datetime, hours: tuple[float, float]) -> dt.datetime:
    return start + timedelta(hours=rng.uniform(*hours))


def _step_up(level: Level) -> Level:
    return next(lv for lv in Level if LEVEL_RANK[lv] == min(LEVEL_RANK[level] + 1, 3))


# --- risk ---------------------------------------------------------------------------------------------


def _scored(spec: Spec, answers: dict[str, str]) -> tuple[int, Level, bool]:
    """(score, computed level, flag) as ``risk.scoring.evaluate`` computes them, without its list of
    unanswered items (a signed assessment answers every item)."""
    score = sum(w for code, w in spec.weights.items() if answers.get(code) == "yes")
    level = level_for(spec, score)
    flag = any(rule.fires(answers) for rule in spec.rules)
    return score, (spec.escalations.get(level, level) if flag else level), flag


def risk_write(loader: Loader, ctx: Context, pair: Pair, rng: random.Random) -> dict[int, Level]:
    """Assessments of each case after each new incident; returns each case's current level."""
    levels: dict[int, Level] = {}
    who = pair.registrar
    incidents = [r for r in pair.reports if r.new_incident]
    severity = rng.gauss(0.0, 0.7)
    for case in pair.cases:
        instrument = ctx.instruments.get(case.relationship)
        if instrument is None:
            continue
        latest: tuple[int, Level, dt.datetime] | None = None
        for n, report in enumerate(incidents):
            at = _between(rng, report.plan.registered_at, (1, 36))
            if at >= ctx.anchor:
                continue
            occurred = report.plan.occurred_at
            follows = any(occurred < r.plan.occurred_at <= occurred + timedelta(days=OUTCOME_DAYS) for r in incidents[n + 1 :])
            # the incident's facts as the answers read them (attributes of an Incident; no model instance needed)
            record = SimpleNamespace(**{f: f in report.plan.forms for f in FORMS}, **{c: c in report.plan.circumstances for c in CIRCUMSTANCES})
            incident = cast(Incident, record)
            children = len(pair.children_ids) if any("children_present" in r.plan.circumstances for r in incidents[: n + 1]) else 0
            facts = Facts(incident, case.relationship, set(case.markers), n > 0, False, children)
            answers = answers_for(instrument.code, instrument.codes, facts, follows, rng, severity=severity)
            score, computed, flag = _scored(instrument.spec, answers)
            final, reason = computed, ""
            if rng.random() < RAISE_SHARE and computed != Level.CRITICAL:
                final, reason = _step_up(computed), rng.choice(RAISE_REASONS)
            pk = loader.next_id(Assessment)
            loader.add("assessment", (
                pk, case.id, instrument.spec.version_id, AssessmentStatus.SIGNED.value, report.incident_id, json.dumps(answers), "{}",
                score, computed.value, flag, final.value, sealed(reason, _LEVEL_REASON), "ru", who.unit_id,
                who.user_id, at - timedelta(minutes=25), at, at, 1,
            ))  # fmt: skip
            loader.add("event", (case.id, at, EventKind.RISK_ASSESSED, who.user_id, who.unit_id, None, "", "", sealed("", _EVENT_REASON)))
            latest = (pk, final, at)
        if latest is not None:
            pk, level, at = latest
            loader.add("case_risk", (case.id, level.value, pk, at, at + timedelta(days=ctx.reassess_days.get(level.value, 90))))
            levels[case.id] = level
    return levels


# --- orders ---------------------------------------------------------------------------------------------


def orders_write(loader: Loader, ctx: Context, pair: Pair, rng: random.Random) -> list[tuple[int, WrittenCase, dt.datetime, dt.datetime, str]]:
    """Orders on the pair's new incidents; returns the court orders that were served as
    (order id, case, served at, ends at, status), for electronic monitoring."""
    who = pair.registrar
    court: list[tuple[int, WrittenCase, dt.datetime, dt.datetime, str]] = []
    for report in pair.reports:
        if not report.new_incident or rng.random() >= ORDER_SHARE:
            continue
        issued = _between(rng, report.plan.registered_at, (0.5, 6))
        if issued >= ctx.anchor:
            continue
        kind = OrderKind.SPECIAL_REQUIREMENTS if rng.random() < COURT_SHARE else OrderKind.POLICE
        ends = add_months(issued, rng.choice([3, 6, 6, 12])) if kind == OrderKind.SPECIAL_REQUIREMENTS else issued + timedelta(days=30)
        served: dt.datetime | None = _between(rng, issued, (0.2, 12))
        status, revoked, expired = OrderStatus.ACTIVE, None, None
        assert served is not None
        if served >= ctx.anchor:
            status, served = OrderStatus.ISSUED, None
        elif rng.random() < 0.03:
            revoked = served + (min(ends, ctx.anchor) - served) * rng.random()
            status = OrderStatus.REVOKED
        elif ends <= ctx.anchor:
            status, expired = OrderStatus.EXPIRED, ends
        pk = loader.next_id(Order)
        court_ref = f"{rng.randrange(1000, 9999)}-{issued.year % 100:02d}-00-2а/{rng.randrange(100, 999)}" if kind != OrderKind.POLICE else ""
        loader.add("order", (
            pk, record_number("O", pk, issued), kind.value, pair.offender_id, who.unit_id, who.user_id, issued, issued, ends,
            True, True, rng.random() < 0.3, rng.random() < 0.4, rng.random() < 0.05, False, 0, court_ref, status.value,
            served, who.user_id if served else None, revoked, who.user_id if revoked else None,
            sealed(rng.choice(REVOKE_REASONS) if revoked else "", _REVOKE), expired,
        ))  # fmt: skip
        for case in pair.cases:
            loader.add("order_protected", (pk, case.victim_id))
            loader.add("order_case", (pk, case.id))
            loader.add("event", (case.id, issued, EventKind.ORDER_ISSUED, who.user_id, who.unit_id, None, "", "", sealed("", _EVENT_REASON)))
        if served is not None and rng.random() < BREACH_SHARE:
            last = min(ends, revoked or ends, ctx.anchor)
            occurred = served + (last - served) * rng.random()
            recorded = min(_between(rng, occurred, (0.5, 30)), ctx.anchor)
            source = rng.choice([BreachSource.VICTIM, BreachSource.VICTIM, BreachSource.POLICE])
            loader.add("breach", (pk, occurred, sealed(rng.choice(BREACH_WHAT), _WHAT), source.value, who.user_id, who.unit_id, recorded))
            for case in pair.cases:
                loader.add("event", (case.id, recorded, EventKind.BREACH, who.user_id, who.unit_id, None, "", "", sealed("", _EVENT_REASON)))
        if kind == OrderKind.SPECIAL_REQUIREMENTS and served is not None:
            court.append((pk, pair.cases[0], served, revoked or ends, status.value))
    return court


# --- protocol tasks ---------------------------------------------------------------------------------------


def _task_status(rng: random.Random, ctx: Context, mode: str, routed: bool, created: dt.datetime, due: dt.datetime) -> tuple[str, dt.datetime, str]:
    """(status, updated at, decline reason) of a task by its age."""
    recent = ctx.anchor - created < RECENT
    if not routed and not recent:
        # Where the region has no service of the kind, the administrator closed it in time.
        return TaskStatus.DECLINED, _between(rng, created, (24, 24 * 14)), NO_SERVICE
    if mode == Mode.REFERRAL:
        if recent:
            return TaskStatus.AWAITING_CONSENT, created, ""
        return TaskStatus.DECLINED, _between(rng, created, (1, 48)), REFERRAL_DECLINED
    if not routed:
        return TaskStatus.OPEN, created, ""  # recent and unrouted: waits for the administrator
    if due > ctx.anchor:
        return (TaskStatus.ACCEPTED if rng.random() < 0.4 else TaskStatus.OPEN), created, ""
    if ctx.anchor - due < RECENT and rng.random() < 0.3:
        return TaskStatus.OPEN, created, ""  # overdue: the sweep escalates it
    if rng.random() < 0.03:
        return TaskStatus.DECLINED, created + (due - created) * rng.random(), DUTY_DECLINED
    return TaskStatus.DONE, created + (due - created) * rng.random(), ""


def tasks_write(loader: Loader, ctx: Context, pair: Pair, rng: random.Random) -> None:
    story = pair.story
    for case in pair.cases:
        measures: set[str] = set()
        for report in pair.reports:
            _report_tasks(loader, ctx, pair, case, report, measures, rng, story.region_iso, story.district_kato or None, story.urban)


def _report_tasks(
    loader: Loader, ctx: Context, pair: Pair, case: WrittenCase, report: WrittenReport, measures: set[str], rng: random.Random,
    region: str, district: str | None, urban: bool,
) -> None:  # fmt: skip
    created = report.plan.registered_at
    for duty in ctx.duties:
        if duty.trigger == "child_involved" and not report.child_involved:
            continue
        if duty.measure:
            if duty.measure in measures:
                continue  # one task per measure on a case
            measures.add(duty.measure)
        unit = ctx.route(duty.kind, region, district, urban)
        due = created + timedelta(hours=duty.hours)
        status, updated, declined = _task_status(rng, ctx, duty.mode, unit is not None, created, due)
        loader.add("task", (
            case.id, duty.id, unit, f"report:{report.id}", duty.trigger, "", duty.mode, str(status), due, pair.registrar.user_id,
            created, updated, sealed(declined, _DECLINE),
        ))  # fmt: skip
        if unit is not None and duty.mode == Mode.DUTY:
            grant(loader, pair, case.id, unit, GrantReason.TASK, Scope.WORKER, created)
