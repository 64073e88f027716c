"""Demo protective orders and court work, so that the orders cards and the court docket have something
true to show (brief: protective orders, court hearings and criminal cases in the demo).

On the demo ``inspector``'s unit's cases (the Almaly police, Almaty), the active ones with the highest
risk level first, the real services write one short history per case, in time order with the project
clock held at each step, never ahead of now:

* a police order later breached: the breach gives the court's duty (``national-2``'s
  ``court_breach_case``) and with it the court's grant on the case; the court hears it, sets special
  requirements (bans, reporting to the police twice a month), the police serve them; one check-in is
  attended, the next one missed (the sweep marks it); the police order itself expires;
* a police order revoked;
* a police order that ends within three days (the sweep warns);
* a police order breached recently: a criminal case is registered and sent to court, the court sets
  a hearing on the breach in the coming days and the criminal trial later;
* a police order in force, and one issued today, not served yet.

Which case gets which history depends on how long ago it was opened (a history starts after its
case); a role no case fits is left out, and the court's steps are left out where the court has no
grant (no protocol loaded). Deterministic (no randomness); nothing is made when any order exists.

Call after ``seed_demo``, the synthetic data and the risk history, before ``conferences_seed`` (a
breach proposes a conference).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db import transaction

from qorgau.accounts.models import User
from qorgau.cases.access import scope_for
from qorgau.cases.models import Case, CaseState
from qorgau.core import clock
from qorgau.orders import permissions
from qorgau.orders.court import court_decision_record, criminal_case_change, criminal_case_record
from qorgau.orders.hearings import hearing_hold, hearing_schedule
from qorgau.orders.models import (
    BreachSource,
    CheckIn,
    CourtHearing,
    CriminalCase,
    CriminalCaseStatus,
    DecisionKind,
    HearingKind,
    Order,
    OrderKind,
)
from qorgau.orders.services import (
    OrderInput,
    breach_record,
    checkin_record,
    checkins_missed_due,
    order_expire_due,
    order_issue,
    order_revoke,
    order_serve,
)
from qorgau.risk.models import LEVEL_RANK, CaseRisk

MIN_AGE = 16  # of the offender, for every kind of order (orders/legal.json)
LEAD = timedelta(hours=2)  # a history starts at least this long after its case was opened

BREACH_D = (
    "Пришёл к её дому в нетрезвом состоянии, стучал в дверь, угрожал расправой и требовал впустить. "
    "Потерпевшая вызвала полицию по 102, наряд застал его у подъезда."
)
BREACH_D_EVIDENCE = "Рапорт наряда ППС, объяснение соседки, запись звонка на 102."
BREACH_C = (
    "Звонил ей более двадцати раз за вечер, затем встретил у подъезда, несмотря на запрет контактов; "
    "толкнул её и отобрал телефон."
)
BREACH_C_EVIDENCE = "Детализация звонков, видеозапись камеры подъезда, заключение СМЭ о лёгких телесных повреждениях."
REVOKE_REASON = "Обидчик задержан и взят под стражу по другому уголовному делу; необходимость в предписании отпала."
SENTENCE = (
    "Установлены особые требования к поведению правонарушителя на 3 месяца: запрет контактов с потерпевшей "
    "и её поиска, запрет употребления алкоголя; явка в полицию для регистрации 2 раза в месяц."
)
HELD_OUTCOME = "Дело о нарушении защитного предписания рассмотрено; установлены особые требования на 3 месяца."
CRIMINAL_ARTICLE = "ст. 108-1 ч. 1 УК РК"
DECISION_ARTICLE = "ст. 461 ч. 1 КоАП РК"
# A small share of the criminal cases are the gravest: murder (~1%) and intentional grave harm (~3%),
# so the analytics' deaths and grave harm are not empty (qorgau.analytics.articles).
MURDER_ARTICLE = "ст. 99 ч. 1 УК РК"
GRAVE_HARM_ARTICLE = "ст. 106 ч. 1 УК РК"


def criminal_article(case_number: str) -> str:
    """The article of a demo criminal case, drawn from a generator seeded by the case (reproducible)."""
    draw = random.Random(f"criminal-article:{case_number}").random()  # noqa: S311 - synthetic demo data
    return MURDER_ARTICLE if draw < 0.01 else GRAVE_HARM_ARTICLE if draw < 0.04 else CRIMINAL_ARTICLE


@dataclass
class Counts:
    orders: int = 0
    breaches: int = 0
    hearings: int = 0
    criminal_cases: int = 0
    decisions: int = 0
    checkins: int = 0  # attended or missed

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Story:
    """One case's history: the case and what was made on it so far (orders by "police" and "court")."""

    case: Case
    orders: dict[str, Order] = field(default_factory=dict)
    criminal: CriminalCase | None = None


Step = Callable[[Story], None]


class Seeder:
    def __init__(self, inspector: User, judge: User, clerk: User, now: dt.datetime) -> None:
        assert inspector.unit is not None
        self.inspector, self.judge, self.clerk = inspector, judge, clerk
        self.now = now
        self.zone = inspector.unit.timezone
        self.today = clock.local(now, self.zone).date()
        self.counts = Counts()
        self.queue: list[tuple[dt.datetime, int, Story, Step]] = []
        self.seq = itertools.count()

    # --- time -------------------------------------------------------------------------------------------

    def on(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        """A local time of the unit's zone, in UTC."""
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(self.zone)).astimezone(clock.UTC)

    def past(self, days: int, hour: int, minute: int = 0) -> dt.datetime:
        return self.on(self.today - timedelta(days=days), hour, minute)

    def later(self, at: dt.datetime, story: Story, step: Step) -> None:
        if at <= self.now:
            heapq.heappush(self.queue, (at, next(self.seq), story, step))

    def run(self) -> None:
        while self.queue:
            at, _n, story, step = heapq.heappop(self.queue)
            with clock.frozen(at):
                step(story)

    # --- the services ----------------------------------------------------------------------------------

    def issue(self, story: Story, key: str, *, weapons: bool = False) -> None:
        case = story.case
        data = OrderInput(
            kind=OrderKind.POLICE, protected_ids=[case.victim_id], starts_at=clock.now(), ban_contact=True, ban_seeking=True,
            ban_weapons=weapons,
        )
        story.orders[key] = order_issue(actor=self.inspector, case=case, data=data)
        self.counts.orders += 1

    def serve(self, story: Story, key: str) -> None:
        order = story.orders[key]
        order.refresh_from_db()
        order_serve(actor=self.inspector, order=order, version=order.version)

    def breach(self, story: Story, key: str, *, occurred: dt.datetime, what: str, evidence: str, source: str) -> None:
        order = story.orders[key]
        order.refresh_from_db()
        breach_record(actor=self.inspector, order=order, occurred_at=occurred, what=what, evidence=evidence, source=source)
        self.counts.breaches += 1

    def court_sees(self, story: Story) -> bool:
        """The court's grant came with its duty on the breach (none when no protocol is loaded)."""
        return all(permissions.may_record_court(u, scope_for(u, story.case)) for u in (self.judge, self.clerk))

    def schedule(self, story: Story, kind: str, when: dt.datetime, *, order: Order | None = None) -> CourtHearing:
        criminal = story.criminal if kind == HearingKind.CRIMINAL_TRIAL else None
        hearing = hearing_schedule(
            actor=self.clerk, case=story.case, kind=kind, scheduled_for=when, order_id=order.pk if order else None,
            criminal_case_id=criminal.pk if criminal else None,
        )
        self.counts.hearings += 1
        return hearing

    # --- the histories ---------------------------------------------------------------------------------

    def court_story(self, story: Story) -> None:
        """Police order, breach, the court's hearing and special requirements, check-ins; the police order expires."""
        hearing_day = self.today - timedelta(days=30)
        steps: list[tuple[dt.datetime, Step]] = [
            (self.past(50, 11, 30), lambda s: self.issue(s, "police")),
            (self.past(50, 16), lambda s: self.serve(s, "police")),
            (self.past(40, 9, 15), lambda s: self.breach(
                s, "police", occurred=self.past(41, 22, 40), what=BREACH_D, evidence=BREACH_D_EVIDENCE, source=BreachSource.POLICE)),
            (self.past(35, 10), lambda s: self.hearing_set(s, self.on(hearing_day, 10))),
            (self.on(hearing_day, 11, 20), self.special_requirements),
            (self.on(hearing_day + timedelta(days=1), 15), self.serve_court),
            (self.past(20, 11, 45), self.sweep_orders),
        ]
        for at, step in steps:
            self.later(at, story, step)

    def hearing_set(self, story: Story, when: dt.datetime) -> None:
        if self.court_sees(story):
            self.schedule(story, HearingKind.SPECIAL_REQUIREMENTS, when, order=story.orders["police"])

    def special_requirements(self, story: Story) -> None:
        """The judge sets special requirements at the hearing and records the decision."""
        if not self.court_sees(story):
            return
        case = story.case
        hearing = CourtHearing.objects.filter(case=case, court_unit=self.judge.unit).order_by("id").first()
        day = clock.local(clock.now(), self.zone).date()
        reference = f"7511-{day:%y}-00-3/{1000 + case.pk % 9000}"
        data = OrderInput(
            kind=OrderKind.SPECIAL_REQUIREMENTS, protected_ids=[case.victim_id], starts_at=clock.now(), ban_contact=True,
            ban_seeking=True, ban_alcohol=True, reporting_per_month=2, court_reference=reference,
        )
        order = order_issue(actor=self.judge, case=case, data=data)
        story.orders["court"] = order
        self.counts.orders += 1
        decision = court_decision_record(
            actor=self.judge, case=case, kind=DecisionKind.SPECIAL_REQUIREMENTS, decided_on=day, reference=reference,
            article=DECISION_ARTICLE, sentence=SENTENCE, order_id=order.pk,
        )
        self.counts.decisions += 1
        if hearing is not None:
            hearing_hold(actor=self.judge, hearing=hearing, version=hearing.version, outcome=HELD_OUTCOME, decision_id=decision.pk)
        # The offender reports on the first date and not on the second: the sweep marks it missed two days on.
        due = list(order.checkins.filter(due_on__lt=self.today - timedelta(days=2)).order_by("due_on")[:2])
        if due:
            first = due[0]
            self.later(self.on(first.due_on, 10, 40), story, lambda s: self.attend(first))
        if len(due) > 1:
            self.later(self.on(due[1].due_on + timedelta(days=2), 9), story, lambda s: self.sweep_checkins())

    def serve_court(self, story: Story) -> None:
        if "court" in story.orders:
            self.serve(story, "court")

    def sweep_orders(self, story: Story) -> None:
        """The sweep: the police order ended this morning."""
        order_expire_due()

    def attend(self, checkin: CheckIn) -> None:
        checkin.refresh_from_db()
        checkin_record(actor=self.inspector, checkin=checkin)
        self.counts.checkins += 1

    def sweep_checkins(self) -> None:
        self.counts.checkins += len(checkins_missed_due())

    def revoked_story(self, story: Story) -> None:
        self.later(self.past(44, 14), story, lambda s: self.issue(s, "police"))
        self.later(self.past(44, 18, 30), story, lambda s: self.serve(s, "police"))
        self.later(self.past(31, 10), story, self.revoke)

    def revoke(self, story: Story) -> None:
        order = story.orders["police"]
        order.refresh_from_db()
        order_revoke(actor=self.inspector, order=order, version=order.version, reason=REVOKE_REASON)

    def expiring_story(self, story: Story) -> None:
        """Issued 28 days ago for the law's 30: it ends in two days."""
        self.later(self.past(28, 16), story, lambda s: self.issue(s, "police", weapons=True))
        self.later(self.past(28, 19), story, lambda s: self.serve(s, "police"))

    def criminal_story(self, story: Story) -> None:
        """Police order, a breach with injuries, a criminal case sent to court; the court's hearings ahead."""
        self.later(self.past(20, 10), story, lambda s: self.issue(s, "police"))
        self.later(self.past(20, 13), story, lambda s: self.serve(s, "police"))
        self.later(self.past(12, 23, 10), story, lambda s: self.breach(
            s, "police", occurred=self.past(12, 21, 30), what=BREACH_C, evidence=BREACH_C_EVIDENCE, source=BreachSource.VICTIM))
        self.later(self.past(10, 15), story, self.register_criminal)
        self.later(self.past(9, 11), story, self.breach_hearing)
        self.later(self.past(3, 12), story, self.criminal_to_court)
        self.later(self.past(2, 16), story, self.trial_hearing)

    def breach_hearing(self, story: Story) -> None:
        """The court sets the breach (an administrative offence) for the day after tomorrow: the docket's week."""
        if self.court_sees(story):
            self.schedule(story, HearingKind.ADMINISTRATIVE, self.on(self.today + timedelta(days=2), 10), order=story.orders["police"])

    def trial_hearing(self, story: Story) -> None:
        if self.court_sees(story) and story.criminal is not None:
            self.schedule(story, HearingKind.CRIMINAL_TRIAL, self.on(self.today + timedelta(days=23), 11, 30))

    def register_criminal(self, story: Story) -> None:
        day = clock.local(clock.now(), self.zone).date()
        number = f"{day:%y}75110310{story.case.pk % 100000:05d}"  # ERDR-style: 15 digits
        story.criminal = criminal_case_record(actor=self.inspector, case=story.case, number=number, registered_on=day,
                                                article=criminal_article(story.case.number))
        self.counts.criminal_cases += 1

    def criminal_to_court(self, story: Story) -> None:
        record = story.criminal
        if record is None:
            return
        record.refresh_from_db()
        story.criminal = criminal_case_change(actor=self.inspector, record=record, version=record.version, status=CriminalCaseStatus.IN_COURT)

    def active_story(self, story: Story) -> None:
        self.later(self.past(5, 12), story, lambda s: self.issue(s, "police"))
        self.later(self.past(5, 17), story, lambda s: self.serve(s, "police"))

    def issued_story(self, story: Story) -> None:
        """Issued an hour and a half ago; the police have not served it yet."""
        self.later(self.now - timedelta(minutes=90), story, lambda s: self.issue(s, "police", weapons=True))


# (name, days before today of its first step, how to write it); the longest histories choose first.
ROLES: list[tuple[str, int]] = [("court", 50), ("revoked", 44), ("expiring", 28), ("criminal", 20), ("active", 5), ("issued", 0)]


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _offender(case: Case) -> int:
    return int(case.offender.cluster_id or case.offender_id)


def _candidates(inspector: User, today: dt.date) -> list[Case]:
    """The unit's open cases the inspector works on: active ones first (supervised ones only where no active
    case is old enough for a history), highest risk level first."""
    cases = (
        Case.objects.filter(holding_unit_id=inspector.unit_id, state__in=[CaseState.ACTIVE, CaseState.SUPERVISED], restricted=False,
                            merged_into=None)
        .select_related("offender", "victim", "holding_unit")
        .order_by("pk")
    )
    levels = dict(CaseRisk.objects.filter(case__in=cases).values_list("case_id", "level"))
    out = []
    for case in cases:
        birth = case.offender.birth_date
        if birth is not None and _age(birth, today - timedelta(days=60)) < MIN_AGE:
            continue
        if scope_for(inspector, case) not in permissions.WORKING:
            continue
        out.append(case)
    rank = {str(k): v for k, v in LEVEL_RANK.items()}
    out.sort(key=lambda c: (c.state != CaseState.ACTIVE, -rank.get(levels.get(c.pk, ""), -1), c.pk))
    return out


def orders_seed(*, inspector_username: str = "inspector", judge_username: str = "judge", clerk_username: str = "clerk") -> dict[str, int]:
    """Write the demo's orders and court work (once). Returns counts: orders, breaches, hearings,
    criminal_cases, decisions, checkins (all zero when any order exists or the demo users are missing)."""
    if Order.objects.exists():
        return Counts().as_dict()
    users = {u.username: u for u in User.objects.filter(username__in=[inspector_username, judge_username, clerk_username]).select_related("unit")}
    inspector, judge, clerk = users.get(inspector_username), users.get(judge_username), users.get(clerk_username)
    if inspector is None or judge is None or clerk is None or inspector.unit is None:
        return Counts().as_dict()
    seeder = Seeder(inspector, judge, clerk, clock.now())
    writers: dict[str, Step] = {
        "court": seeder.court_story, "revoked": seeder.revoked_story, "expiring": seeder.expiring_story,
        "criminal": seeder.criminal_story, "active": seeder.active_story, "issued": seeder.issued_story,
    }
    cases = _candidates(inspector, seeder.today)
    offenders: set[int] = set()  # one history per offender: an order joins all his cases with her
    for name, days in ROLES:
        first = seeder.now - timedelta(minutes=90) if days == 0 else seeder.past(days, 10)
        case = next((c for c in cases if _offender(c) not in offenders and c.opened_at + LEAD <= first), None)
        if case is None:
            continue
        offenders.add(_offender(case))
        writers[name](Story(case))
    with transaction.atomic():
        seeder.run()
    return seeder.counts.as_dict()
