"""Reads for identity across the registry: what the registration screen may say about a person before
saving, the review queue for the data-quality role (only the fields needed to decide, and why the
engine matched), and the history of links that can be undone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.cases.clusters import cases_of_clusters
from qorgau.cases.models import Case
from qorgau.cases.selectors import pair_flags
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction
from qorgau.people.matching import Decision, Reason, Record, unusable
from qorgau.people.models import IinStatus, MatchReview, Person, PersonLink, ReviewStatus
from qorgau.people.registry import match
from qorgau.people.services import PersonInput

REASON_LABELS: dict[str, Promise] = {
    Reason.IIN_EQUAL: _("the same IIN"),
    Reason.IIN_ONE_EDIT: _("the IINs differ in one digit or two swapped digits"),
    Reason.IIN_DIFFERENT: _("different IINs"),
    Reason.NAME_EXACT: _("the same name once spelling, script, order and surname ending are set aside"),
    Reason.NAME_SWAPPED: _("surname and given name in the other order"),
    Reason.SURNAME_SIMILAR: _("similar surnames (a typo or a spelling variant)"),
    Reason.SURNAME_DIFFERENT: _("different surnames"),
    Reason.GIVEN_SIMILAR: _("similar given names (a typo or a spelling variant)"),
    Reason.GIVEN_INITIAL: _("only the initial of the given name, and it agrees"),
    Reason.GIVEN_DIFFERENT: _("different given names"),
    Reason.PATRONYMIC_DIFFERENT: _("different patronymics"),
    Reason.BIRTH_DATE_EQUAL: _("the same birth date"),
    Reason.BIRTH_DATE_NEAR: _("birth dates one digit apart, or day and month swapped"),
    Reason.BIRTH_DATE_DIFFERENT: _("different birth dates"),
    Reason.BIRTH_DATE_MISSING: _("a birth date is missing"),
    Reason.SEX_DIFFERENT: _("different sex"),
    Reason.PHONE_EQUAL: _("the same phone number"),
}
UNUSABLE_LABELS: dict[str, Promise] = {
    "empty": _("the name has no letters the matcher can use"),
    "only_initials": _("only initials were given"),
    "only_one_name": _("only one name was given (surname or given name)"),
    "mixed_scripts": _("a word mixes Cyrillic and Latin letters"),
    "unreadable_words": _("words without letters were ignored"),
    "iin_unverified": _("the IIN fails the check: matched on its one-digit neighbours"),
    "no_birth_date": _("no birth date: matched on the name alone"),
}
# Reasons that speak against a match, shown in a different colour to the reviewer.
AGAINST = {Reason.IIN_DIFFERENT, Reason.SURNAME_DIFFERENT, Reason.GIVEN_DIFFERENT, Reason.PATRONYMIC_DIFFERENT,
           Reason.BIRTH_DATE_DIFFERENT, Reason.SEX_DIFFERENT}


def reason_rows(codes: list[str]) -> list[dict[str, object]]:
    return [{"label": REASON_LABELS.get(c, c), "against": c in AGAINST} for c in codes]


@dataclass
class Preview:
    """What the registration screen may say about a person before the report is saved."""

    cluster_id: int | None  # a person the engine would link to automatically
    possible: int  # other possible matches that would go to review
    notes: list[Promise] = field(default_factory=list)


def person_preview(data: PersonInput) -> Preview:
    record = Record.build(data.full_name, data.iin.strip(), data.birth_date, data.sex, data.phone)
    found = match(record)
    autos = {c.cluster_id for c in found if c.comparison.decision == Decision.AUTO}
    cluster = next(iter(autos)) if len(autos) == 1 else None
    possible = len([c for c in found if c.cluster_id != cluster])
    return Preview(cluster, possible, [UNUSABLE_LABELS[n] for n in unusable(record) if n in UNUSABLE_LABELS])


@dataclass
class RegistryCheck:
    """What the registry says about one person named on a report, before anything is saved: whether
    the engine would link her automatically, how many uncertain matches would go to review, what it
    could not use, and the cross-case flags — never another case's content (DESIGN §5)."""

    label: str
    cluster_id: int | None
    possible: int
    notes: list[Promise]
    flags: list[str]


def _preview_of(person: PersonInput | Person) -> Preview:
    return Preview(person.cluster_id, 0) if isinstance(person, Person) else person_preview(person)


def registry_check(
    actor: User, *, offender: PersonInput | Person, victims: list[tuple[int, PersonInput | Person]], request: HttpRequest | None = None
) -> list[RegistryCheck]:
    """The registration screen's check: the offender first, then each victim (by her form index) with
    the pair's flags. A person already in a case is given as her record. Audited as a search."""
    off = _preview_of(offender)
    rows = [RegistryCheck(str(_("Offender")), off.cluster_id, off.possible, off.notes, [])]
    for index, victim in victims:
        vp = _preview_of(victim)
        flags = pair_flags(vp.cluster_id, off.cluster_id, actor) if (vp.cluster_id or off.cluster_id) else []
        rows.append(RegistryCheck(str(_("Victim %(n)d")) % {"n": index + 1}, vp.cluster_id, vp.possible, vp.notes, flags))
    audit_record(actor=actor, action=AuditAction.SEARCH, target_type="registry_check", count=sum(1 for r in rows if r.cluster_id), request=request)
    return rows


def _restricted_people() -> QuerySet[Person]:
    """Every record of a person who is victim or offender in a restricted case (few cases: the
    partial index on restricted cases finds them; no correlated subquery per person)."""
    restricted = Case.objects.filter(restricted=True)
    parties = Person.objects.filter(Q(pk__in=restricted.values("victim_id")) | Q(pk__in=restricted.values("offender_id")))
    return Person.objects.filter(cluster_id__in=parties.values("cluster_id"))


def reviews_visible_to(actor: User) -> QuerySet[MatchReview]:
    """Reviews the reviewer may see: none that touch a restricted case, outside oversight (DESIGN §10)."""
    qs = MatchReview.objects.all()
    if not actor.can(Capability.OVERSEE_RESTRICTED):
        hidden = _restricted_people().values("pk")
        qs = qs.exclude(person__in=hidden).exclude(candidate__in=hidden)
    return qs


@dataclass
class Side:
    """One record as the reviewer sees it: identity fields only — never an address, phone or story."""

    full_name: str
    iin: str
    iin_unverified: bool
    birth_date: dt.date | None
    sex: str
    unit_name: str
    registered_at: dt.datetime
    cases: int


def _side(person: Person) -> Side:
    cases = Case.objects.filter(cases_of_clusters(either=[person.cluster_id]), merged_into=None).count()
    return Side(
        full_name=person.full_name or "",
        iin=person.iin or "",
        iin_unverified=person.iin_status == IinStatus.UNVERIFIED,
        birth_date=person.birth_date,
        sex=person.get_sex_display(),
        unit_name=person.created_by_unit.name,
        registered_at=person.created_at,
        cases=cases,
    )


def review_queue(actor: User, *, request: HttpRequest | None = None, limit: int = 100) -> list[MatchReview]:
    rows = list(reviews_visible_to(actor).filter(status=ReviewStatus.OPEN).order_by("-score", "created_at", "id")[:limit])
    audit_record(actor=actor, action=AuditAction.SEARCH, target_type="match_review", count=len(rows), request=request)
    return rows


def review_open_count(actor: User) -> int:
    """How many matches wait for this reviewer (shown above the queue, which lists the first 100)."""
    return reviews_visible_to(actor).filter(status=ReviewStatus.OPEN).count()


@dataclass
class ReviewItem:
    review: MatchReview
    new: Side
    existing: Side
    reasons: list[dict[str, object]]


def review_item(actor: User, review_id: int, *, request: HttpRequest | None = None) -> ReviewItem | None:
    review = reviews_visible_to(actor).select_related("person__created_by_unit", "candidate__created_by_unit").filter(pk=review_id).first()
    if review is None:
        return None
    audit_record(actor=actor, action=AuditAction.READ, target_type="match_review", target_id=review.pk, request=request)
    return ReviewItem(review, _side(review.person), _side(review.candidate), reason_rows(review.reasons))


@dataclass
class LinkRow:
    link: PersonLink
    merged_name: str
    survivor_name: str
    reasons: list[dict[str, object]]
    cases_merged: int


def links_visible_to(actor: User) -> QuerySet[PersonLink]:
    qs = PersonLink.objects.select_related("merged", "survivor", "by", "undone_by")
    if not actor.can(Capability.OVERSEE_RESTRICTED):
        hidden = _restricted_people().values("pk")
        qs = qs.exclude(merged__in=hidden).exclude(survivor__in=hidden)
    return qs


def _link_row(link: PersonLink) -> LinkRow:
    return LinkRow(link, link.merged.full_name or "", link.survivor.full_name or "", reason_rows(link.reasons), len(link.case_merges))


def link_history(actor: User, *, request: HttpRequest | None = None, limit: int = 100) -> list[LinkRow]:
    rows = [_link_row(link) for link in links_visible_to(actor).order_by("-at", "-id")[:limit]]
    audit_record(actor=actor, action=AuditAction.SEARCH, target_type="person_link", count=len(rows), request=request)
    return rows


def link_get(actor: User, link_id: int, *, request: HttpRequest | None = None) -> LinkRow | None:
    link = links_visible_to(actor).filter(pk=link_id).first()
    if link is None:
        return None
    audit_record(actor=actor, action=AuditAction.READ, target_type="person_link", target_id=link.pk, request=request)
    return _link_row(link)
