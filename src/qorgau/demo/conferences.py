"""Demo case conferences: the proposal rules run over the demo's cases (as the sweep would), and the
demo coordinator (``conference``, Almaty family support centre) holds one of the proposals with the
police and the crisis centre; its decisions become those units' tasks.

Call after ``seed_demo`` and the synthetic data (``demo.synthetic.generate``); safe to run again.
"""

from __future__ import annotations

from datetime import timedelta

from qorgau.accounts.models import User
from qorgau.core import clock
from qorgau.protocols.conferences import DecisionInput, conference_record, conference_schedule, conferences_propose
from qorgau.protocols.engine import route
from qorgau.protocols.models_conferences import Conference, ConferenceStatus

MAX_PASSES = 50  # each pass proposes at most conferences.BATCH per rule


def conferences_seed(*, coordinator_username: str = "conference") -> dict[str, int]:
    """Propose by the rules, then hold one proposal of the coordinator's unit (once). Returns counts."""
    proposed = 0
    for _ in range(MAX_PASSES):
        n = conferences_propose()
        proposed += n
        if n == 0:
            break
    coordinator = User.objects.filter(username=coordinator_username).select_related("unit").first()
    held = 0
    if coordinator is not None and coordinator.unit is not None:
        mine = Conference.objects.filter(convening_unit=coordinator.unit)
        if not mine.filter(status=ConferenceStatus.HELD).exists():
            conference = mine.filter(status=ConferenceStatus.PROPOSED).order_by("proposed_at", "id").first()
            if conference is not None and _hold(coordinator, conference):
                held = 1
    return {"proposed": proposed, "held": held}


def _hold(coordinator: User, conference: Conference) -> bool:
    """Schedule the conference and record it as held minutes after its proposal (the clock is moved
    a few minutes ahead for both steps: a proposal is made now, and a conference is held after it)."""
    case = conference.case
    police, crisis = route("police", case), route("crisis_centre", case)
    invited = [u for u in (police, crisis) if u is not None and u.pk != conference.convening_unit_id]
    if police is None or not invited:
        return False
    start = clock.now()
    with clock.frozen(start + timedelta(minutes=1)):
        conference = conference_schedule(actor=coordinator, conference=conference, version=conference.version,
                                         when=start + timedelta(minutes=2), place="Зал заседаний № 2 / № 2 мәжіліс залы",
                                         invited_ids=[u.pk for u in invited])
    with clock.frozen(start + timedelta(minutes=3)) as frozen:
        today = frozen.at.date()
        decisions = [DecisionInput(text="Патрульные визиты к её дому дважды в неделю", owner_id=police.pk, due_on=today + timedelta(days=7),
                                   details="Сообщать координатору о каждом визите")]
        if crisis is not None:
            decisions.append(DecisionInput(text="Предложить место в убежище для неё и детей", owner_id=crisis.pk,
                                           due_on=today + timedelta(days=3)))
        conference_record(
            actor=coordinator, conference=conference, version=conference.version,
            attended_ids=[conference.convening_unit_id or 0, *(u.pk for u in invited)],
            minutes="Обсудили нарушение предписания и рост риска. Согласовали патрульные визиты и предложение убежища.",
            decisions=decisions,
        )
    return True
