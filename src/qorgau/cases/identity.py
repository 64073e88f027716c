"""Identity across the registry (DESIGN §6, §10): resolve a named person at registration, link
records of the same person, merge the cases of a pair that turned out to be one, decide the review
queue, and undo a wrong link with both histories intact.

Every report keeps the person as it entered her (a record); a confirmed link joins records into a
cluster. Links are automatic only on strong evidence (people.matching); the rest waits in the review
queue. A link is undone by cutting its edge; the case merges it caused are reversed exactly as
recorded, and every incident goes back to the case of the pair its parties now form.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.access import grants_in_force
from qorgau.cases.clusters import cases_of_clusters
from qorgau.cases.identity_selectors import links_visible_to, reviews_visible_to
from qorgau.cases.ledger import case_restrict, event_add, grant_add, record_number
from qorgau.cases.models import (
    Case,
    CaseState,
    EventKind,
    Grant,
    GrantReason,
    Incident,
    Marker,
    Party,
    PartyRole,
    Report,
)
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.people.matching import Decision, unusable
from qorgau.people.models import LinkHow, MatchReview, Person, PersonLink, ReviewStatus
from qorgau.people.registry import match
from qorgau.people.services import PersonInput, person_create, person_record

MAX_REVIEWS_PER_PERSON = 5
UNDO_REASON_MIN = 10


@dataclass
class Resolution:
    person: Person  # the record this report names
    link: PersonLink | None = None  # linked automatically to an earlier record of the same person
    reviews: int = 0  # possible matches sent to the review queue
    unusable: list[str] = field(default_factory=list)  # what the engine could not use


def person_resolve(*, actor: User, data: PersonInput, prefix: str) -> Resolution:
    """Keep the person as entered, then link her to the registry when the evidence is strong and
    queue the uncertain candidates for review. Runs inside the registration's transaction."""
    person = person_create(actor=actor, data=data, prefix=prefix)
    record = person_record(person)
    candidates = match(record, exclude=person.pk)
    autos = [c for c in candidates if c.comparison.decision == Decision.AUTO]
    resolution = Resolution(person, unusable=unusable(record))
    rest = candidates
    if autos and len({c.cluster_id for c in autos}) == 1:
        best = autos[0]
        resolution.link = person_link(
            actor=actor, record=person, into=best.person, how=LinkHow.AUTO,
            score=best.comparison.score, reasons=[str(r) for r in best.comparison.reasons],
        )
        person.refresh_from_db()
        rest = [c for c in candidates if c.cluster_id != best.cluster_id]
    # Two clusters both strongly matching is itself uncertain: a person decides (DESIGN §10).
    for cand in rest[:MAX_REVIEWS_PER_PERSON]:
        if _review_open_between(person.cluster_id, cand.cluster_id):
            continue  # the same two people already wait for a decision (through other records)
        _, created = MatchReview.objects.get_or_create(
            person=person,
            candidate=cand.person,
            defaults={"score": cand.comparison.score, "reasons": [str(r) for r in cand.comparison.reasons], "created_at": clock.now()},
        )
        resolution.reviews += int(created)
    return resolution


def _review_open_between(a: int | None, b: int | None) -> bool:
    return MatchReview.objects.filter(status=ReviewStatus.OPEN).filter(
        Q(person__cluster_id=a, candidate__cluster_id=b) | Q(person__cluster_id=b, candidate__cluster_id=a)
    ).exists()


def _roots_lock(*ids: int) -> None:
    list(Person.objects.select_for_update().filter(pk__in=ids).values_list("id", flat=True))


@transaction.atomic
def person_link(
    *, actor: User | None, record: Person, into: Person, how: str, score: float, reasons: list[str]
) -> PersonLink:
    """Join ``record``'s cluster to ``into``'s and merge the cases that now are one pair."""
    src = Person.objects.values_list("cluster_id", flat=True).get(pk=record.pk)
    dst = Person.objects.values_list("cluster_id", flat=True).get(pk=into.pk)
    if src is None or dst is None or src == dst:
        raise Invalid(fields={"person": [_("These records are already linked.")]})
    _roots_lock(src, dst)
    both = (src, dst)
    if Case.objects.filter(victim__cluster_id__in=both, offender__cluster_id__in=both).exists():
        raise Invalid(fields={"person": [_("A victim and her offender cannot be the same person.")]})
    Person.objects.filter(pk=src).update(merged_into_id=dst)
    Person.objects.filter(cluster_id=src).update(cluster_id=dst)
    link = PersonLink.objects.create(survivor_id=dst, merged_id=src, how=how, score=score, reasons=reasons, by=actor, at=clock.now())
    link.case_merges = _merge_pair_cases(dst, actor)
    link.save(update_fields=["case_merges"])
    MatchReview.objects.filter(status=ReviewStatus.OPEN, person__cluster_id=dst, candidate__cluster_id=dst).update(
        status=ReviewStatus.SETTLED, decided_at=clock.now()
    )
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="person_link", target_id=link.pk)
    return link


def _pair(case: Case) -> tuple[int, int]:
    return int(case.victim.cluster_id or 0), int(case.offender.cluster_id or 0)


def _merge_pair_cases(root: int, actor: User | None) -> list[dict[str, Any]]:
    """Merge the cases that the new cluster makes one pair: the oldest open case carries on."""
    cases = (
        Case.objects.filter(merged_into=None)
        .filter(cases_of_clusters(either=[root]))
        .select_related("victim", "offender")
        .order_by("opened_at", "id")
    )
    groups: dict[tuple[int, int], list[Case]] = defaultdict(list)
    for case in cases:
        groups[_pair(case)].append(case)
    merges = []
    for group in groups.values():
        if len(group) < 2:
            continue
        open_cases = [c for c in group if c.state != CaseState.CLOSED]
        primary = (open_cases or group)[0]
        for other in group:
            if other.pk != primary.pk:
                merges.append(_merge_case(other, primary, actor))
    return merges


def _merge_case(other: Case, primary: Case, actor: User | None) -> dict[str, Any]:
    held = set(primary.incidents.values_list("id", flat=True))
    incidents = [i for i in other.incidents.values_list("id", flat=True) if i not in held]
    primary.incidents.add(*incidents)
    have = set(primary.markers.values_list("code", flat=True))
    markers = [m for m in other.markers.values_list("code", flat=True) if m not in have]
    primary.markers.add(*Marker.objects.filter(code__in=markers))
    grants = []
    for g in grants_in_force().filter(case=other).select_related("unit"):
        if not grants_in_force().filter(case=primary, unit=g.unit).exists():
            new = grant_add(primary, g.unit, GrantReason.MERGED, Scope(g.scope), by=actor, until=g.until)
            grants.append(new.pk)
    Case.objects.filter(pk=other.pk).update(merged_into=primary, version=F("version") + 1)
    Case.objects.filter(pk=primary.pk).update(version=F("version") + 1)
    if other.restricted and not primary.restricted:
        case_restrict(primary, actor)  # a staff offender's cases stay with oversight
    event_add(primary, EventKind.MERGED, actor, reason=other.number)
    event_add(other, EventKind.MERGED, actor, reason=primary.number)
    return {"case": other.pk, "into": primary.pk, "incidents": incidents, "markers": markers, "grants": grants}


def _unmerge_case(record: dict[str, Any], actor: User) -> None:
    other = Case.objects.get(pk=record["case"])
    primary = Case.objects.get(pk=record["into"])
    Case.objects.filter(pk=other.pk).update(merged_into=None, version=F("version") + 1)
    Case.objects.filter(pk=primary.pk).update(version=F("version") + 1)
    primary.incidents.remove(*record["incidents"])
    primary.markers.remove(*record["markers"])
    now = clock.now()
    Grant.objects.filter(pk__in=record["grants"]).filter(Q(until__isnull=True) | Q(until__gt=now)).update(until=now)
    event_add(primary, EventKind.SPLIT, actor, reason=other.number)
    event_add(other, EventKind.SPLIT, actor, reason=primary.number)


def _subtree(pk: int) -> list[int]:
    members, frontier = [pk], [pk]
    while frontier:
        frontier = list(Person.objects.filter(merged_into_id__in=frontier).values_list("id", flat=True))
        members.extend(frontier)
    return members


def _rehome(roots: tuple[int, ...], actor: User) -> None:
    """Move every incident whose parties no longer form its case's pair to the case they do form,
    opening that case again for the unit that registered the report."""
    cases = (
        Case.objects.filter(merged_into=None)
        .filter(cases_of_clusters(either=roots))
        .select_related("victim", "offender")
    )
    for case in list(cases):
        v, o = _pair(case)
        moved = False
        for incident in list(case.incidents.all()):
            parties = list(Party.objects.filter(incident=incident).select_related("person"))
            victims = {p.person.cluster_id: p.person for p in parties if p.role == PartyRole.VICTIM}
            offenders = {p.person.cluster_id: p.person for p in parties if p.role == PartyRole.OFFENDER}
            if v in victims and o in offenders:
                continue
            case.incidents.remove(incident)
            moved = True
            event_add(case, EventKind.SPLIT, actor)
            for vc, vrec in victims.items():
                for oc, orec in offenders.items():
                    target = _pair_case(vc, oc) or _reopen_for(incident, case, vrec, orec, actor)
                    if not target.incidents.filter(pk=incident.pk).exists():
                        target.incidents.add(incident)
        if moved:
            _end_stale_registration_grants(case)


def _end_stale_registration_grants(case: Case) -> None:
    """A unit that got its grant by registering a report into the case keeps it only while one of its
    reports is still there: a report that left with an undone link takes that unit's access with it."""
    units = set(Report.objects.filter(incident__cases=case).values_list("unit_id", flat=True)) | {case.holding_unit_id}
    grants_in_force().filter(case=case, reason=GrantReason.REGISTERED).exclude(unit_id__in=units).update(until=clock.now())


def _pair_case(victim_cluster: int | None, offender_cluster: int | None) -> Case | None:
    return (
        Case.objects.filter(merged_into=None, victim__cluster_id=victim_cluster, offender__cluster_id=offender_cluster)
        .order_by("opened_at", "id")
        .first()
    )


def _reopen_for(incident: Incident, source: Case, victim: Person, offender: Person, actor: User) -> Case:
    existing = Case.objects.filter(victim=victim, offender=offender).first()
    if existing is not None:
        return existing
    report = Report.objects.filter(incident=incident).select_related("unit").order_by("received_at", "id").first()
    unit = report.unit if report else source.holding_unit
    now = clock.now()
    case = Case.objects.create(
        number=f"tmp-{incident.pk}-{victim.pk}-{offender.pk}",
        victim=victim,
        offender=offender,
        relationship=source.relationship,
        holding_unit=unit,
        opened_at=now,
        restricted=source.restricted,
    )
    case.number = record_number("C", case.pk, now)
    case.save(update_fields=["number"])
    grant_add(case, unit, GrantReason.REGISTERED, Scope.FULL, by=actor)
    event_add(case, EventKind.SPLIT, actor, reason=source.number)
    return case


def cluster_of(person_id: int) -> int | None:
    return Person.objects.filter(pk=person_id).values_list("cluster_id", flat=True).first()


def _later_merges(link: PersonLink, root: int | None) -> bool:
    """Whether a later link, of this person or of the other party of one of her cases, merged cases of
    hers: those merges rest on this link (the pair was one only through it), so they go first."""
    cases = Case.objects.filter(cases_of_clusters(either=[root]))
    mine = set(cases.values_list("id", flat=True))
    clusters = {root, *cases.values_list("victim__cluster_id", flat=True), *cases.values_list("offender__cluster_id", flat=True)}
    later = PersonLink.objects.filter(undone_at=None, at__gt=link.at, survivor__cluster_id__in=clusters).exclude(case_merges=[])
    return any(m["case"] in mine or m["into"] in mine for other in later for m in other.case_merges)


@transaction.atomic
def person_link_undo(*, actor: User, link_id: int, reason: str) -> PersonLink:
    """Undo a wrong link: the records separate, the case merges it caused are reversed, and each
    incident returns to the case of its own pair. Later links that merged cases must be undone first."""
    if not actor.can(Capability.REVIEW_MATCHES):
        raise Forbidden()
    link = PersonLink.objects.select_for_update().filter(pk=link_id).first()
    # A link that touches a restricted case does not exist for a reviewer outside oversight (DESIGN §10).
    if link is None or not links_visible_to(actor).filter(pk=link_id).exists():
        raise NotFound()
    if link.undone_at is not None:
        raise Conflict()
    reason = reason.strip()
    if len(reason) < UNDO_REASON_MIN:
        raise Invalid(fields={"reason": [_("Explain why in at least 10 characters.")]})
    root = cluster_of(link.survivor_id)
    if _later_merges(link, root):
        raise Invalid(fields={"reason": [_("Later links of this person merged cases: undo them first.")]})
    Person.objects.filter(pk=link.merged_id).update(merged_into=None)
    Person.objects.filter(pk__in=_subtree(link.merged_id)).update(cluster_id=link.merged_id)
    for record in reversed(link.case_merges):
        _unmerge_case(record, actor)
    _rehome((int(root or link.survivor_id), link.merged_id), actor)
    link.undone_at = clock.now()
    link.undone_by = actor
    link.undo_reason = reason
    link.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    MatchReview.objects.filter(link=link).update(status=ReviewStatus.REJECTED, decided_by=actor, decided_at=clock.now())
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="person_link", target_id=link.pk, outcome="undone")
    return link


@transaction.atomic
def review_decide(*, actor: User, review_id: int, same: bool) -> MatchReview:
    """The reviewer's decision: the same person (link the records) or different people."""
    if not actor.can(Capability.REVIEW_MATCHES):
        raise Forbidden()
    review = MatchReview.objects.select_for_update().filter(pk=review_id).first()
    if review is None or not reviews_visible_to(actor).filter(pk=review_id).exists():
        raise NotFound()
    if review.status != ReviewStatus.OPEN:
        raise Conflict()
    review.decided_by = actor
    review.decided_at = clock.now()
    if same:
        review.link = person_link(
            actor=actor, record=review.person, into=review.candidate, how=LinkHow.REVIEW, score=review.score, reasons=review.reasons
        )
        review.status = ReviewStatus.LINKED
    else:
        review.status = ReviewStatus.REJECTED
    review.save(update_fields=["status", "decided_by", "decided_at", "link"])
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="match_review", target_id=review.pk, outcome=review.status)
    return review
