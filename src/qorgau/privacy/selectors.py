"""Reads for privacy requests: the requests, the records a search finds, and the dossier an export
holds (docs/privacy.md says what is in it and what is left out, and why).

The dossier is the subject's own data only. The other party of a case never appears in it: not
their name, nor their address, phone, workplace, shelter or position, and no narrative (narratives
describe the other party). For a subject who is an offender in any of the cluster's cases, units
are named by their kind of agency only and crisis centres are left out, since a unit's name (a
district clinic, a shelter) can tell where she is. Restricted cases show no unit at all.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from qorgau.accounts.models import Unit
from qorgau.cases.clusters import cases_of_clusters, cluster_members
from qorgau.cases.models import Case, Party, PartyRole
from qorgau.core import clock
from qorgau.core.errors import Invalid, NotFound
from qorgau.core.models import AuditAction, AuditEvent
from qorgau.people.models import Person, SafeContact, Sex
from qorgau.people.services import iin_candidates
from qorgau.privacy.models import PrivacyExport, PrivacyRequest

# Units whose name or existence in her file tells where she stays.
WHEREABOUTS_KINDS = frozenset({"crisis_centre"})
ACCESS_ACTIONS = (AuditAction.READ, AuditAction.EXPORT, AuditAction.BREAK_GLASS)
FORMAT_VERSION = 1


def requests_list(*, limit: int = 200) -> list[PrivacyRequest]:
    return list(PrivacyRequest.objects.select_related("created_by")[:limit])


def request_get(request_id: int) -> PrivacyRequest:
    """Any data-protection officer may handle any request (a national role, docs/privacy.md)."""
    found = PrivacyRequest.objects.select_related("subject", "created_by").filter(pk=request_id).first()
    if found is None:
        raise NotFound()
    return found


def request_members(found: PrivacyRequest) -> list[Person]:
    """The records of the subject's cluster (the request page lists them for correction)."""
    if found.subject is None:
        return []
    return list(Person.objects.filter(cluster_id=found.subject.cluster_id or found.subject.pk).order_by("pk"))


def request_member(found: PrivacyRequest, person_id: int) -> Person:
    """A record of the subject's cluster, or NotFound: a correction reaches no one else."""
    person = Person.objects.filter(pk=person_id).first()
    subject = found.subject
    if person is None or subject is None or (person.cluster_id or person.pk) != (subject.cluster_id or subject.pk):
        raise NotFound()
    return person


def export_get(export_id: int) -> PrivacyExport:
    found = PrivacyExport.objects.select_related("request", "request__subject").filter(pk=export_id).first()
    if found is None:
        raise NotFound()
    return found


@dataclass
class Found:
    """A record a search found, with what the officer needs to compare it with the requester's papers."""

    person: Person
    roles: list[str]  # "victim" / "offender" in which case numbers

    @property
    def label(self) -> str:
        return f"{self.person.full_name} · {self.person.birth_date or '—'}"


def _iin_clean(iin: str) -> str:
    value = "".join(iin.split())
    if not (len(value) == 12 and value.isdigit()):
        raise Invalid.field("iin", _("An IIN is exactly 12 digits."))
    return value


def subject_search(*, iin: str = "", case_number: str = "") -> list[Found]:
    """The records with this IIN (through its blind index: the registry is never decrypted to
    search it), or the victim and the offender of this case. Only the found records are decrypted."""
    if iin.strip():
        persons = list(Person.objects.filter(iin_bidx__in=iin_candidates(_iin_clean(iin))).order_by("pk")[:20])
    elif case_number.strip():
        case = Case.objects.select_related("victim", "offender").filter(number=case_number.strip().upper()).first()
        persons = [case.victim, case.offender] if case is not None else []
    else:
        raise Invalid.field("iin", _("Enter an IIN or a case number."))
    ids = [p.pk for p in persons]
    roles: dict[int, list[str]] = {pk: [] for pk in ids}
    for number, victim_id in Case.objects.filter(victim_id__in=ids).values_list("number", "victim_id"):
        roles[victim_id].append(_("victim in %(number)s") % {"number": number})
    for number, offender_id in Case.objects.filter(offender_id__in=ids).values_list("number", "offender_id"):
        roles[offender_id].append(_("offender in %(number)s") % {"number": number})
    return [Found(p, roles[p.pk]) for p in persons if p.full_name]


def _date(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return clock.local(value, "Asia/Almaty").date().isoformat()
    return value.isoformat()


class _Units:
    """Unit labels as the subject may see them."""

    def __init__(self, *, offender_side: bool) -> None:
        self.offender_side = offender_side
        self._cache: dict[int, Unit | None] = {}

    def preload(self, ids: set[int]) -> None:
        wanted = [i for i in ids if i not in self._cache]
        for unit in Unit.objects.select_related("kind").filter(pk__in=wanted):
            self._cache[unit.pk] = unit
        for i in wanted:
            self._cache.setdefault(i, None)

    def label(self, unit_id: int | None, *, restricted: bool = False) -> str | None:
        """None: the entry names no unit (or is left out, see ``hidden``)."""
        if unit_id is None or restricted:
            return None
        self.preload({unit_id})
        unit = self._cache.get(unit_id)
        if unit is None:
            return None
        if self.offender_side:
            return unit.kind.name
        return unit.name

    def hidden(self, unit_id: int | None) -> bool:
        if unit_id is None or not self.offender_side:
            return False
        self.preload({unit_id})
        unit = self._cache.get(unit_id)
        return unit is not None and unit.kind_id in WHEREABOUTS_KINDS


def dossier(request: PrivacyRequest) -> dict[str, Any]:
    """Everything Qorgau holds about the request's subject, in the request's language."""
    if request.subject is None:
        raise Invalid.field("subject", _("Find and confirm the person first."))
    with translation.override(request.language):
        return _plain(_dossier(request, request.subject))


def _plain(value: Any) -> Any:
    """Lazy labels rendered now, in the request's language (the JSON file holds plain strings)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return str(value) if isinstance(value, Promise) else value


def _dossier(request: PrivacyRequest, subject: Person) -> dict[str, Any]:
    cluster = subject.cluster_id or subject.pk
    members = set(cluster_members([cluster]))
    records = list(Person.objects.filter(pk__in=members).order_by("pk"))
    cases = list(Case.objects.filter(cases_of_clusters(either=[cluster])).order_by("opened_at", "id"))
    victim_cases = [c for c in cases if c.victim_id in members]
    offender_side = any(c.offender_id in members for c in cases)
    units = _Units(offender_side=offender_side)
    units.preload({r.created_by_unit_id for r in records} | {c.holding_unit_id for c in cases})
    restricted = {c.pk for c in cases if c.restricted}

    out: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "request": {"received_on": _date(request.received_on), "kind": request.get_kind_display(), "language": request.language},
        "prepared_on": _date(clock.now()),
        "records": [_record(r, units, restricted=bool(restricted)) for r in records],
        "cases": [],
        "incidents": [],
        "safe_contact": [],
        "consents": [],
        "referrals": [],
        "access": [],
    }
    for case in cases:
        as_victim = case.victim_id in members
        out["cases"].append({
            "number": case.number,
            "role": str(PartyRole.VICTIM.label if as_victim else PartyRole.OFFENDER.label),
            "relationship": case.get_relationship_display(),
            "state": case.get_state_display(),
            "opened_on": _date(case.opened_at),
            "closed_on": _date(case.closed_at),
            "restricted": case.restricted,
            "holding_unit": units.label(case.holding_unit_id, restricted=case.restricted),
        })
    for party in Party.objects.filter(person_id__in=members).select_related("incident").order_by("incident__occurred_at", "id"):
        out["incidents"].append({"on": _date(party.incident.occurred_at), "role": party.get_role_display()})
    for contact in SafeContact.objects.filter(person_id__in=[c.victim_id for c in victim_cases]).order_by("person_id"):
        out["safe_contact"].append({
            "may_call": contact.may_call,
            "call_times": contact.call_times,
            "safe_number": contact.phone or "",
            "may_leave_message": contact.may_leave_message,
            "code_word": contact.code_word or "",
            "language": contact.language,
            "updated_on": _date(contact.updated_at),
        })
    if victim_cases:
        _consents_and_referrals(out, victim_cases, units)
    out["access"] = _access(cases, units)
    return out


def _record(person: Person, units: _Units, *, restricted: bool) -> dict[str, Any]:
    return {
        "full_name": person.full_name or "",
        "iin": person.iin or "",
        "iin_status": person.get_iin_status_display(),
        "birth_date": _date(person.birth_date),
        "sex": Sex(person.sex).label if person.sex in Sex.values else "",
        "phone": person.phone or "",
        "address": person.address or "",
        "workplace": person.workplace or "",
        "recorded_on": _date(person.created_at),
        "recorded_by_unit": None if restricted else units.label(person.created_by_unit_id),
    }


def _consents_and_referrals(out: dict[str, Any], victim_cases: list[Case], units: _Units) -> None:
    """Her consents and the referrals made for her (victim side only: for an offender these would
    name the services that know where she is)."""
    from qorgau.protocols.models import Consent, Mode, Task
    from qorgau.support.models import SupportReferral

    numbers = {c.pk: c.number for c in victim_cases}
    hidden = {c.pk for c in victim_cases if c.restricted}
    consents = list(Consent.objects.filter(case_id__in=numbers).order_by("given_at", "id"))
    tasks = list(Task.objects.filter(case_id__in=numbers, mode=Mode.REFERRAL).select_related("duty").order_by("created_at", "id"))
    support = list(SupportReferral.objects.filter(case_id__in=numbers).select_related("programme").order_by("created_at", "id"))
    units.preload({c.unit_id for c in consents} | {t.unit_id for t in tasks if t.unit_id} | {s.unit_id for s in support})
    for consent in consents:
        out["consents"].append({
            "case": numbers[consent.case_id],
            "unit": units.label(consent.unit_id, restricted=consent.case_id in hidden),
            "given_on": _date(consent.given_at),
            "how": consent.get_how_display(),
            "shares_identity": consent.shares_identity,
            "shares_contact": consent.shares_contact,
            "shares_whereabouts": consent.shares_whereabouts,
            "shares_narrative": consent.shares_narrative,
            "withdrawn_on": _date(consent.withdrawn_at),
        })
    for task in tasks:
        out["referrals"].append({
            "case": numbers[task.case_id],
            "what": task.duty.title if task.duty is not None else _("Referral decided by a case conference"),
            "unit": units.label(task.unit_id, restricted=task.case_id in hidden),
            "status": task.get_status_display(),
            "on": _date(task.created_at),
        })
    for ref in support:
        out["referrals"].append({
            "case": numbers[ref.case_id],
            "what": ref.programme.name,
            "unit": units.label(ref.unit_id, restricted=ref.case_id in hidden),
            "status": ref.get_status_display(),
            "on": _date(ref.requested_on),
        })


def _access(cases: list[Case], units: _Units) -> list[dict[str, Any]]:
    """Who read the cases: per day, unit and action, with a count. Staff are not named: the unit is
    the operator the law answers for, and naming a colleague could expose them (docs/privacy.md)."""
    restricted = {str(c.pk) for c in cases if c.restricted}
    rows = list(
        AuditEvent.objects.filter(target_type="case", target_id__in=[str(c.pk) for c in cases], action__in=ACCESS_ACTIONS)
        .values_list("at", "actor_unit_id", "action", "target_id")
        .order_by("at", "id")
    )
    units.preload({u for _at, u, _a, _t in rows if u is not None})
    counted: Counter[tuple[str, str | None, str]] = Counter()
    for at, unit_id, action, target in rows:
        if units.hidden(unit_id):
            continue
        counted[(_date(at) or "", units.label(unit_id, restricted=target in restricted), action)] += 1
    labels = dict(AuditAction.choices)
    return [
        {"on": on, "unit": unit, "action": str(labels.get(action, action)), "count": n}
        for (on, unit, action), n in counted.items()
    ]
