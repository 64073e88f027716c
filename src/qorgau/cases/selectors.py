"""Reads for the case registry. Every personal field goes through the mask layer; cross-case signals
are flags without names, addresses, narratives or dates (DESIGN §5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from qorgau.accounts.masks import FieldRule, Sensitivity, Subject, Viewer, mask
from qorgau.accounts.models import User
from qorgau.accounts.roles import AGGREGATE_ONLY_ROLES, Role
from qorgau.cases import case_reads, pair_reads
from qorgau.cases.access import cases_visible_to, granting_unit, working_grants
from qorgau.cases.clusters import cases_of_clusters
from qorgau.cases.models import Case, CaseEvent, Grant, Incident, Report
from qorgau.cases.presence import absent
from qorgau.cases.removed import kept_or_removed
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction
from qorgau.people.matching import Record
from qorgau.people.models import Person, SafeContact
from qorgau.people.registry import match
from qorgau.people.services import iin_candidates

# "Her incidents in the last 6 months": the window of the flags, the pair's history and the risk pre-fill.
RECENT = timedelta(days=183)

S, P = Sensitivity, Subject
CASE_POLICY: dict[str, FieldRule] = {
    "victim_name": FieldRule(S.IDENTITY, P.VICTIM),
    "victim_iin": FieldRule(S.IDENTITY, P.VICTIM),
    "victim_birth_date": FieldRule(S.IDENTITY, P.VICTIM),
    "victim_phone": FieldRule(S.CONTACT, P.VICTIM),
    "victim_address": FieldRule(S.WHEREABOUTS, P.VICTIM),
    "victim_workplace": FieldRule(S.WHEREABOUTS, P.VICTIM),
    "offender_name": FieldRule(S.IDENTITY, P.OFFENDER),
    "offender_iin": FieldRule(S.IDENTITY, P.OFFENDER),
    "offender_birth_date": FieldRule(S.IDENTITY, P.OFFENDER),
    "offender_phone": FieldRule(S.CONTACT, P.OFFENDER),
    "offender_address": FieldRule(S.WHEREABOUTS, P.OFFENDER),
}
REPORT_POLICY: dict[str, FieldRule] = {"narrative": FieldRule(S.NARRATIVE, P.VICTIM)}
SAFE_CONTACT_POLICY: dict[str, FieldRule] = {
    "phone": FieldRule(S.CONTACT, P.VICTIM),
    "code_word": FieldRule(S.CONTACT, P.VICTIM),
}


def _person_fields(prefix: str, p: Person) -> dict[str, Any]:
    out: dict[str, Any] = {
        f"{prefix}_name": kept_or_removed(p.full_name, p.personal_removed_at),
        f"{prefix}_iin": kept_or_removed(p.iin or "", p.personal_removed_at),
        f"{prefix}_birth_date": p.birth_date,
        f"{prefix}_phone": kept_or_removed(p.phone or "", p.personal_removed_at),
        f"{prefix}_address": kept_or_removed(p.address or "", p.personal_removed_at),
    }
    if prefix == "victim":
        out["victim_workplace"] = kept_or_removed(p.workplace or "", p.personal_removed_at)
    return out


def case_people(case: Case, viewer: Viewer) -> dict[str, Any]:
    """The pair's personal fields as this viewer may see them."""
    values = {**_person_fields("victim", case.victim), **_person_fields("offender", case.offender)}
    return mask(viewer, values, CASE_POLICY)


def case_reports(case: Case, viewer: Viewer, reports: list[Report] | None = None) -> list[dict[str, Any]]:
    """The case's reports with their narratives as ``viewer`` may see them; ``reports``: the case's
    reports when the caller read them already (``case_reads.incidents_and_reports``)."""
    rows = []
    # Where each incident happened is on the page: its region and district come in the same statement
    # (without their boundaries, which only the maps draw).
    for r in case_reads.reports(case) if reports is None else reports:
        narrative = kept_or_removed(r.narrative, r.personal_removed_at)
        rows.append({"report": r, "incident": r.incident, **mask(viewer, {"narrative": narrative}, REPORT_POLICY)})
    return rows


SAFE_CONTACT = "safe_contact"
MERGED = "merged"


def safe_contact_of(case: Case) -> QuerySet[SafeContact, SafeContact]:
    return SafeContact.objects.filter(person_id=case.victim_id)


def merged_of(case: Case) -> QuerySet[Case, Case]:
    """The cases merged into this one."""
    return Case.objects.filter(merged_into=case)


def case_merged_numbers(case: Case) -> list[str]:
    if absent(case, MERGED):
        return []
    return list(merged_of(case).order_by("opened_at").values_list("number", flat=True))


def case_safe_contact(case: Case, viewer: Viewer) -> dict[str, Any] | None:
    if absent(case, SAFE_CONTACT):
        return None
    contact = safe_contact_of(case).first()
    if contact is None:
        return None
    removed_at = case.victim.personal_removed_at
    values = {"phone": kept_or_removed(contact.phone or "", removed_at), "code_word": kept_or_removed(contact.code_word or "", removed_at)}
    return {"contact": contact, **mask(viewer, values, SAFE_CONTACT_POLICY)}


def case_timeline(case: Case) -> list[CaseEvent]:
    """The case's events, with those of the cases merged into it (both histories are kept)."""
    return case_reads.timeline(case)


def case_and_merged_ids(case: Case) -> QuerySet[Case, Any]:
    """The ids of the case and of the cases merged into it, as a subquery. Filter a related table with
    ``case__in=`` this, never with ``Q(case=…) | Q(case__merged_into=…)``: an OR across the join makes
    PostgreSQL scan the whole table (docs/query-discipline.md)."""
    return Case.objects.filter(Q(pk=case.pk) | Q(merged_into=case)).values("pk")


def case_workers(case: Case) -> list[Grant]:
    """The units working on the case: its grants in force, oldest first (those the gate read with the
    case, ``access.case_get_for``, when it came through the gate in this request)."""
    read: list[Grant] | None = getattr(case, "grants_read", None)
    if read is not None:
        return list(read)
    return list(working_grants().filter(case=case))


@dataclass
class PairHistory:
    incidents_6_months: int
    incidents_total: int
    reports_total: int
    child_witnesses: int  # distinct children who witnessed any of the case's incidents


def case_facts(case: Case) -> case_reads.Facts:
    """The case's markers, counts, the pair's clusters and his orders (one statement): a case view
    reads them once and gives them to ``pair_history`` and ``case_flags``."""
    return case_reads.facts(case, clock.now() - RECENT)


def pair_history(case: Case, facts: case_reads.Facts | None = None) -> PairHistory:
    """The case's own incidents (all, and those of the last six months), reports and child witnesses."""
    counts = (facts or case_facts(case)).counts
    return PairHistory(
        incidents_6_months=counts.incidents_since, incidents_total=counts.incidents, reports_total=counts.reports,
        child_witnesses=counts.child_witnesses,
    )


@dataclass
class RepeatCounts:
    """The pair's repeat signals across the registry, for flags, risk pre-fill and protocols (later
    issues read them here). Counts of incidents, not reports; restricted cases never count."""

    her_incidents_6_months: int
    her_places_6_months: int  # districts (the region when a district is unknown)
    his_other_victims: int
    her_other_offenders: int


@dataclass(frozen=True)
class _Related:
    """One case of the pair's clusters (not restricted, not merged): who is in it and who holds it."""

    pk: int
    victim_id: int
    offender_id: int
    victim_cluster: int | None
    offender_cluster: int | None
    unit_names: tuple[str, str, str]  # ru, kk, en
    visible: bool  # the asking user's unit holds a live grant on it (False when no one asked)


@dataclass(frozen=True)
class _PairSignals:
    counts: RepeatCounts
    related: list[_Related]


def _pair_signals(
    victim_cluster: int | None, offender_cluster: int | None, *, exclude_case: int | None, actor: User | None = None,
    members: list[tuple[int, int]] | None = None,
) -> _PairSignals:
    """Everything the pair's flags and repeat counts need, in two statements: the clusters' record ids
    (none when the caller read them already, ``members`` from ``case_facts``), then her recent
    incidents counted with their places and the cases of either cluster (with who is in them, which
    unit holds them and whether ``actor``'s unit may open them). The other counts are taken from
    those rows, not from a statement each."""
    wanted = {c for c in (victim_cluster, offender_cluster) if c is not None}
    her: set[int] = set()
    his: set[int] = set()
    if members is None:
        members = pair_reads.cluster_members(wanted) if wanted else []
    for pk, cluster in members:
        if cluster == victim_cluster:
            her.add(pk)
        if cluster == offender_cluster:
            his.add(pk)
    her_incidents = her_places = 0
    related: list[_Related] = []
    if her or his:
        # Which of the related cases the user may open: asked of those few cases only, never of the
        # user's whole caseload, which for a regional unit is tens of thousands of cases.
        unit = granting_unit(actor) if actor is not None else None
        now = clock.now()
        found = pair_reads.signals(her, his, since=now - RECENT, exclude_case=exclude_case, unit=unit, at=now)
        her_incidents, her_places = found.her_incidents, found.her_places
        related = [
            _Related(pk, v, o, vc, oc, (ru, kk, en), visible) for pk, v, o, vc, oc, ru, kk, en, visible in found.related
        ]
    # Distinct clusters, as SQL's DISTINCT counts them (a record without a cluster counts once).
    victims = {r.victim_cluster for r in related if r.offender_id in his and r.victim_id not in her} if offender_cluster else set()
    offenders = {r.offender_cluster for r in related if r.victim_id in her and r.offender_id not in his} if victim_cluster else set()
    counts = RepeatCounts(her_incidents, her_places, len(victims), len(offenders))
    return _PairSignals(counts, related)


def pair_repeat_counts(victim_cluster: int | None, offender_cluster: int | None, *, exclude_case: int | None = None) -> RepeatCounts:
    return _pair_signals(victim_cluster, offender_cluster, exclude_case=exclude_case).counts


def pair_flags(
    victim_cluster: int | None, offender_cluster: int | None, actor: User, *, exclude_case: int | None = None,
    facts: case_reads.Facts | None = None,
) -> list[str]:
    """Signals from across the registry about a victim and an offender, computed without revealing
    another case: counts of incidents (not reports), districts, other victims, and which unit holds
    a related case the user may not open (DESIGN §5). Restricted cases never count. ``facts``: the
    clusters' records and his orders, when a case view read them already."""
    members = facts.members if facts is not None else None
    signals = _pair_signals(victim_cluster, offender_cluster, exclude_case=exclude_case, actor=actor, members=members)
    counts = signals.counts
    flags = []
    n = counts.her_incidents_6_months
    if n >= 2:
        flags.append(ngettext("Her incidents in the last 6 months: %(n)d.", "Her incidents in the last 6 months: %(n)d.", n) % {"n": n})
        if counts.her_places_6_months >= 2:
            p = counts.her_places_6_months
            flags.append(ngettext("They happened in %(n)d different district.", "They happened in %(n)d different districts.", p) % {"n": p})
    if counts.his_other_victims:
        v = counts.his_other_victims
        flags.append(ngettext("The offender has %(n)d other victim in the registry.", "The offender has %(n)d other victims in the registry.", v) % {"n": v})
    if offender_cluster:
        from qorgau.orders.selectors import order_counts_for_offender

        breached = facts.breached_orders if facts is not None else order_counts_for_offender(offender_cluster)[1]
        if breached:
            flags.append(ngettext("A protective order against him was breached (%(n)d order).",
                                  "Protective orders against him were breached (%(n)d orders).", breached) % {"n": breached})
    if counts.her_other_offenders:
        o = counts.her_other_offenders
        flags.append(ngettext("She is the victim in %(n)d other case.", "She is the victim in %(n)d other cases.", o) % {"n": o})
    related = {r.pk: r for r in signals.related}
    col = {"kk": 1, "en": 2}.get((get_language() or "ru")[:2], 0)
    seen: set[tuple[str, str, str]] = set()
    for r in sorted(related.values(), key=lambda r: r.unit_names):
        if r.visible or r.unit_names in seen:
            continue
        seen.add(r.unit_names)
        flags.append(_("A related case is held by %(unit)s: ask them, or use emergency access.") % {"unit": r.unit_names[col]})
    return flags


def case_flags(case: Case, actor: User, facts: case_reads.Facts | None = None) -> list[str]:
    return pair_flags(case.victim.cluster_id, case.offender.cluster_id, actor, exclude_case=case.pk, facts=facts or case_facts(case))


def pair_recent_incidents(actor: User, victim_id: int, offender_id: int, *, around: dt.datetime) -> list[Incident]:
    """The pair's incidents of the last 48 hours, for the registration screen to propose."""
    return list(
        Incident.objects.filter(
            cases__victim__cluster_id=Person.objects.filter(pk=victim_id).values("cluster_id")[:1],
            cases__offender__cluster_id=Person.objects.filter(pk=offender_id).values("cluster_id")[:1],
            cases__in=cases_visible_to(actor),
            occurred_at__gte=around - timedelta(hours=48),
        ).distinct().order_by("-occurred_at")
    )


@dataclass
class SearchHit:
    case_id: int | None  # None: the case exists but the user may not open it
    number: str
    unit_name: str
    visible: bool
    # For the break-glass button of a case the user may not open; never a way to read it.
    break_glass_id: int | None = None


def case_search(
    actor: User,
    *,
    iin: str = "",
    full_name: str = "",
    birth_date: dt.date | None = None,
    number: str = "",
    request: HttpRequest | None = None,
) -> list[SearchHit]:
    """Search by IIN, by name and birth date, or by case number. Cases the user may not see show only
    that they exist and which unit holds them; restricted cases never show (DESIGN §5)."""
    people = Person.objects.none()
    term = ""
    # NUL cannot be stored or compared in PostgreSQL text; it never belongs in a search term.
    iin, full_name, number = (v.replace("\x00", "") for v in (iin, full_name, number))
    if iin.strip():
        term = iin.strip()
        people = Person.objects.filter(iin_bidx__in=iin_candidates(term))
    elif full_name.strip():
        # The matching engine: any script, spelling variant or order. A given birth date must agree
        # (or be unknown on the record): a search shows where a case is, so it stays exact there.
        term = f"{full_name}|{birth_date}" if birth_date else full_name
        found = match(Record.build(full_name, birth_date=birth_date))
        people = Person.objects.filter(pk__in=[c.person.pk for c in found if birth_date is None or c.person.birth_date in (None, birth_date)])
    if number.strip():
        term = number.strip().upper()
        cases = Case.objects.filter(number=term)
    else:
        clusters = tuple(c for c in people.values_list("cluster_id", flat=True).distinct() if c is not None)
        cases = Case.objects.filter(merged_into=None).filter(cases_of_clusters(either=clusters)) if clusters else Case.objects.none()
    if Role(actor.role) in AGGREGATE_ONLY_ROLES:
        cases = Case.objects.none()  # analysts never learn that someone is in the registry (DESIGN §5)
    shown = list(cases.select_related("holding_unit").order_by("-opened_at")[:50])
    # Which of the (at most 50) found cases the user may open; not the user's whole caseload.
    visible = set(cases_visible_to(actor).filter(pk__in=[c.pk for c in shown]).values_list("pk", flat=True))
    hits = []
    for case in shown:
        if case.pk in visible:
            hits.append(SearchHit(case.pk, case.number, case.holding_unit.name, True))
        elif not case.restricted:
            hits.append(SearchHit(None, "", case.holding_unit.name, False, break_glass_id=case.pk))
    audit_record(actor=actor, action=AuditAction.SEARCH, target_type="case", term=term or None, count=len(hits), request=request)
    return hits


@dataclass
class BreakGlassTarget:
    unit_name: str  # what a search already reveals
    visible: bool  # the user may open the case already


def break_glass_target(actor: User, case_id: int) -> BreakGlassTarget | None:
    """What the break-glass form may show about a case: the holding unit, nothing else; None for a
    missing or restricted case (those never show outside oversight, DESIGN §10)."""
    case = Case.objects.select_related("holding_unit").filter(pk=case_id, restricted=False).first()
    if case is None:
        return None
    return BreakGlassTarget(case.holding_unit.name, cases_visible_to(actor).filter(pk=case_id).exists())


def caseload(actor: User, *, limit: int = 100) -> list[Case]:
    """The newest ``limit`` cases the user's unit holds a live grant on, with their report counts.

    Two statements: which cases (the grants and the cases only, cut at ``limit``), then those cases
    with their units, risk and report counts. Counting in the first statement made PostgreSQL join
    and group every case the unit holds before cutting: 360 ms for a regional unit holding 85,000
    cases on the national data set, against 70 ms this way (docs/query-discipline.md)."""
    newest = ("-opened_at", "-pk")  # a report with two victims opens two cases at the same instant
    ids = list(cases_visible_to(actor).filter(merged_into=None).order_by(*newest).values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    return list(
        Case.objects.filter(pk__in=ids).select_related("holding_unit", "risk").annotate(n_reports=Count("incidents__reports")).order_by(*newest)
    )


