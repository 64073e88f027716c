"""Identity across the registry (cases.identity, cases.identity_selectors): a person registered again
under another spelling, the review queue, merging the cases of one pair, undoing a wrong link with both
histories intact, hard negatives that must never link, staff offenders, and restricted cases."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import translation

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import AgencyKind, Unit, User
from qorgau.accounts.services import unit_create
from qorgau.cases.access import grants_in_force, scope_for
from qorgau.cases.identity import person_link, person_link_undo, review_decide
from qorgau.cases.identity_selectors import (
    link_get,
    link_history,
    person_preview,
    review_item,
    review_open_count,
    review_queue,
)
from qorgau.cases.models import Case, CaseEvent, EventKind, Grant, GrantReason, Incident
from qorgau.cases.selectors import case_flags, case_timeline, pair_flags, pair_history
from qorgau.cases.services import Registration, VictimInput, report_register
from qorgau.core import clock
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditEvent, District, Region
from qorgau.people.models import IinStatus, LinkHow, MatchReview, Person, PersonLink, ReviewStatus
from qorgau.people.services import PersonInput
from tests.cases.factories import person, report_input, synthetic_iin

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 3, 10, 6, 0, tzinfo=dt.UTC)
VICTIM_BIRTH = dt.date(1990, 5, 17)
OFFENDER_BIRTH = dt.date(1986, 3, 2)
PHONE = "+7 701 111 22 33"
UNDO_REASON = "Разные женщины: проверено по удостоверениям"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _unit(code: str, name: str, region: str = "KZ-75", district: str | None = None) -> Unit:
    return unit_create(
        actor=None,
        kind=AgencyKind.objects.get(code=code),
        region=Region.objects.get(iso=region),
        district=District.objects.get(kato=district) if district else None,
        name_ru=name + " ru",
        name_kk=name + " kk",
        name_en=name,
    )


@pytest.fixture
def oversight_unit(reference) -> Unit:
    return _unit("oversight", "Internal security service", region="KZ-71")


@pytest.fixture
def reviewer(make_user, reference) -> User:
    return make_user("dq_reviewer", unit=_unit("data_quality", "Data quality office", region="KZ-71"))


def _offender(name: str = "Сапаров Ерлан", **kw: Any) -> PersonInput:
    """The same man in every report: a valid IIN, so his records link automatically."""
    return person(name, birth=OFFENDER_BIRTH, sex="M", phone="+7 702 000 00 00", **kw)


def _victim(name: str, *, birth: dt.date | None = VICTIM_BIRTH, markers: tuple[str, ...] = (), **kw: Any) -> VictimInput:
    """A victim without an IIN (the usual hotline report)."""
    kw.setdefault("iin", False)
    return VictimInput(relationship="spouse", person=person(name, birth=birth, **kw), markers=list(markers))  # type: ignore[arg-type]


def _register(actor: User, at: dt.datetime, victim: VictimInput, offender: PersonInput | None = None, **kw: Any) -> Registration:
    with clock.frozen(at):
        return report_register(actor=actor, data=report_input(victims=[victim], offender=offender or _offender(), **kw))


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("victim", "offender").get(pk=case.pk)


def _state(*cases: Case) -> dict[int, dict[str, Any]]:
    """Everything a merge or its undo may change on a case, for exact before/after comparisons."""
    out = {}
    for c in cases:
        case = _fresh(c)
        out[case.pk] = {
            "merged_into": case.merged_into_id,
            "victim_cluster": case.victim.cluster_id,
            "offender_cluster": case.offender.cluster_id,
            "incidents": sorted(case.incidents.values_list("id", flat=True)),
            "markers": sorted(case.markers.values_list("code", flat=True)),
            "grants": sorted(grants_in_force().filter(case=case).values_list("unit_id", "reason", "scope")),
            "restricted": case.restricted,
            "state": case.state,
        }
    return out


def _kinds(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))


def _cluster(pk: int) -> int | None:
    return Person.objects.values_list("cluster_id", flat=True).get(pk=pk)


# --- one woman, three spellings, three units ---------------------------------------------------------


def test_the_same_woman_under_three_spellings_in_three_districts_is_one_case_with_three_incidents(make_user, police_unit, other_unit):
    kulsary = _unit("police", "Zhylyoi district police", region="KZ-23", district="233600000")
    almaty, atyrau, zhylyoi = make_user(), make_user(unit=other_unit), make_user(unit=kulsary)
    stranger = make_user(unit=_unit("police", "Astana police", region="KZ-71"))
    spellings = [
        (almaty, "Сапарова Айгерім", "KZ-75", "751110000", "ул. Абая 10, кв. 5"),
        (atyrau, "Saparova Aigerim", "KZ-23", "231000000", "пр. Сатпаева 3"),
        (zhylyoi, "Айгерим Сапар", "KZ-23", "233600000", "ул. Жибек Жолы 7"),
    ]
    regs = [
        _register(user, T0 + timedelta(days=40 * i), _victim(name, address=address), region=region, district=district)
        for i, (user, name, region, district, address) in enumerate(spellings)
    ]

    case = _fresh(regs[0].cases[0])
    assert Case.objects.count() == 1 and [r.cases[0].pk for r in regs] == [case.pk] * 3
    assert [len(r.new_cases) for r in regs] == [1, 0, 0]
    assert sorted(case.incidents.values_list("district_id", flat=True)) == ["231000000", "233600000", "751110000"]
    assert set(case.incidents.all()) == {r.report.incident for r in regs}
    # Each report keeps the woman as it named her; the links join the records into one person.
    victims = [r.people["victim0_"].person for r in regs]
    assert [Person.objects.get(pk=v.pk).full_name for v in victims] == [s[1] for s in spellings]
    assert {_cluster(v.pk) for v in victims} == {victims[0].pk}
    assert {_cluster(r.people["offender_"].person.pk) for r in regs} == {regs[0].people["offender_"].person.pk}
    for reg in regs[1:]:
        link = reg.people["victim0_"].link
        assert link is not None and (link.how, link.reasons, link.case_merges) == (LinkHow.AUTO, ["name_exact", "birth_date_equal"], [])
        assert reg.people["victim0_"].reviews == 0
    assert MatchReview.objects.count() == 0
    # The units that registered the later reports got their own grants; the case stays with the first.
    assert case.holding_unit == police_unit
    assert sorted(Grant.objects.filter(case=case).values_list("unit_id", "reason", "scope", "until")) == sorted([
        (police_unit.pk, GrantReason.REGISTERED, Scope.FULL, None),
        (other_unit.pk, GrantReason.REGISTERED, Scope.FULL, None),
        (kulsary.pk, GrantReason.REGISTERED, Scope.FULL, None),
    ])
    assert _kinds(case) == [EventKind.OPENED, EventKind.REPORT_ADDED, EventKind.REPORT_ADDED, EventKind.REPORT_ADDED]

    with clock.frozen(T0 + timedelta(days=100)):
        history = pair_history(case)
        flags = case_flags(case, almaty)
        outside = pair_flags(case.victim.cluster_id, case.offender.cluster_id, stranger)
    assert (history.incidents_6_months, history.incidents_total, history.reports_total) == (3, 3, 3)
    assert flags == ["Her incidents in the last 6 months: 3.", "They happened in 3 different districts."]
    # A unit without access learns that a case exists and who holds it — nothing about her.
    assert outside == [*flags, "A related case is held by Almaly district police: ask them, or use emergency access."]
    secrets = [
        "Сапар", "Saparov", "Айгерим", "Aigerim", "Ерлан", case.number, *(r.report.number for r in regs),
        *(s[4] for s in spellings), "1990", "1986", "17.05", "+7",
    ]
    for flag in outside:
        assert not any(s.casefold() in flag.casefold() for s in secrets), flag
        assert not re.search(r"\d{2,}", flag), flag  # counts only: no number, date, IIN or phone


def test_the_registry_preview_recognises_her_before_anything_is_saved(make_user):
    reg = _register(make_user(), T0, _victim("Сапарова Айгерім"))
    before = Person.objects.count()
    preview = person_preview(PersonInput(full_name="SAPAROVA AIGERIM", birth_date=VICTIM_BIRTH, sex="F"))
    assert (preview.cluster_id, preview.possible, preview.notes) == (reg.people["victim0_"].person.pk, 0, [])
    unknown = person_preview(PersonInput(full_name="Айгерим"))
    assert (unknown.cluster_id, unknown.possible) == (None, 0)
    assert [str(n) for n in unknown.notes] == ["only one name was given (surname or given name)", "no birth date: matched on the name alone"]
    assert Person.objects.count() == before


# --- a typo goes to review; the reviewer links; the cases merge; undo separates them ---------------------


@dataclass
class TypoPair:
    a: User  # registered the first report (the police unit)
    b: User  # registered the second report (another unit)
    first: Registration
    second: Registration
    review: MatchReview

    @property
    def case1(self) -> Case:
        return self.first.cases[0]

    @property
    def case2(self) -> Case:
        return self.second.cases[0]


def _typo_pair(make_user, other_unit, *, restricted: bool = False) -> TypoPair:
    """The same woman twice with a surname typo and no birth date (the phone agrees), the same man."""
    a, b = make_user(), make_user(unit=other_unit)
    first = _register(a, T0, _victim("Сапарова Айгерим", birth=None, phone=PHONE, address="ул. Абая 10"), restricted=restricted)
    second = _register(
        b, T0 + timedelta(days=10), _victim("Сапарава Айгерим", birth=None, phone="8 701 111 22 33", markers=("pregnant",)),
        region="KZ-23", district="",
    )
    return TypoPair(a, b, first, second, MatchReview.objects.get())


@pytest.fixture
def typo(make_user, other_unit) -> TypoPair:
    return _typo_pair(make_user, other_unit)


def test_a_surname_typo_without_a_birth_date_goes_to_review_and_links_nothing(typo):
    victim1, victim2 = typo.first.people["victim0_"].person, typo.second.people["victim0_"].person
    resolution = typo.second.people["victim0_"]
    assert (resolution.link, resolution.reviews, resolution.unusable) == (None, 1, ["no_birth_date"])
    review = typo.review
    assert (review.person_id, review.candidate_id, review.status, review.score) == (victim2.pk, victim1.pk, ReviewStatus.OPEN, 9.5)
    assert review.reasons == ["surname_similar", "birth_date_missing", "phone_equal"]
    assert (_cluster(victim1.pk), _cluster(victim2.pk)) == (victim1.pk, victim2.pk)
    # The offender's valid IIN linked him automatically, so both cases name the same man.
    assert typo.second.people["offender_"].link is not None
    assert Case.objects.count() == 2 and typo.second.new_cases == [typo.case2]
    assert _fresh(typo.case1).offender.cluster_id == _fresh(typo.case2).offender.cluster_id


def test_confirming_the_match_links_the_records_and_merges_the_pairs_cases(typo, reviewer):
    victim1, victim2 = typo.first.people["victim0_"].person, typo.second.people["victim0_"].person
    inc1, inc2 = typo.first.report.incident, typo.second.report.incident
    with clock.frozen(T0 + timedelta(days=20)):
        review = review_decide(actor=reviewer, review_id=typo.review.pk, same=True)

    link = review.link
    assert link is not None
    assert (review.status, review.decided_by, review.decided_at) == (ReviewStatus.LINKED, reviewer, T0 + timedelta(days=20))
    assert (link.survivor_id, link.merged_id, link.how, link.by, link.score, link.reasons) == (
        victim1.pk, victim2.pk, LinkHow.REVIEW, reviewer, 9.5, ["surname_similar", "birth_date_missing", "phone_equal"],
    )
    assert Person.objects.get(pk=victim2.pk).merged_into_id == victim1.pk
    assert (_cluster(victim1.pk), _cluster(victim2.pk)) == (victim1.pk, victim1.pk)

    # The older open case carries on with both incidents; the other points to it.
    case1, case2 = _fresh(typo.case1), _fresh(typo.case2)
    assert (case1.merged_into_id, case2.merged_into_id) == (None, case1.pk)
    assert sorted(case1.incidents.values_list("id", flat=True)) == sorted([inc1.pk, inc2.pk])
    assert list(case1.markers.values_list("code", flat=True)) == ["pregnant"]
    merged_grant = Grant.objects.get(case=case1, unit=typo.b.unit)
    assert (merged_grant.reason, merged_grant.scope, merged_grant.granted_by, merged_grant.until) == (
        GrantReason.MERGED, Scope.FULL, reviewer, None,
    )
    assert sorted(grants_in_force().filter(case=case1).values_list("unit_id", "reason")) == sorted([
        (typo.a.unit_id, GrantReason.REGISTERED), (typo.b.unit_id, GrantReason.MERGED),
    ])
    assert scope_for(typo.b, case1) == Scope.FULL
    assert link.case_merges == [
        {"case": case2.pk, "into": case1.pk, "incidents": [inc2.pk], "markers": ["pregnant"], "grants": [merged_grant.pk]}
    ]
    # Both histories show on the surviving case.
    timeline = [(e.case_id, e.kind, e.reason) for e in case_timeline(case1)]
    assert timeline == [
        (case1.pk, EventKind.OPENED, ""),
        (case1.pk, EventKind.REPORT_ADDED, ""),
        (case2.pk, EventKind.OPENED, ""),
        (case2.pk, EventKind.REPORT_ADDED, ""),
        (case1.pk, EventKind.MERGED, case2.number),
        (case2.pk, EventKind.MERGED, case1.number),
    ]
    with clock.frozen(T0 + timedelta(days=20)):
        history = pair_history(case1)
    assert (history.incidents_total, history.reports_total) == (2, 2)
    assert link_get(reviewer, link.pk) is not None and link_get(reviewer, link.pk).cases_merged == 1  # type: ignore[union-attr]


def test_the_closed_older_case_gives_way_to_the_open_one(typo, reviewer):
    Case.objects.filter(pk=typo.case1.pk).update(state="closed", closed_at=T0 + timedelta(days=1))
    review_decide(actor=reviewer, review_id=typo.review.pk, same=True)
    assert (_fresh(typo.case1).merged_into_id, _fresh(typo.case2).merged_into_id) == (typo.case2.pk, None)
    assert grants_in_force().filter(case=typo.case2, unit=typo.a.unit, reason=GrantReason.MERGED).count() == 1


def test_undoing_the_link_separates_the_cases_exactly_as_they_were(typo, reviewer):
    before = _state(typo.case1, typo.case2)
    with clock.frozen(T0 + timedelta(days=20)):
        review = review_decide(actor=reviewer, review_id=typo.review.pk, same=True)
    assert review.link is not None
    link_id = review.link.pk
    assert _state(typo.case1, typo.case2) != before

    at = T0 + timedelta(days=30)
    with clock.frozen(at):
        link = person_link_undo(actor=reviewer, link_id=link_id, reason=f"  {UNDO_REASON}  ")
    assert _state(typo.case1, typo.case2) == before
    assert (link.undone_at, link.undone_by, link.undo_reason) == (at, reviewer, UNDO_REASON)
    victim2 = typo.second.people["victim0_"].person
    assert Person.objects.values_list("merged_into_id", "cluster_id").get(pk=victim2.pk) == (None, victim2.pk)
    # The merged grant ended at the undo; nothing was deleted.
    merged_grant = Grant.objects.get(case=typo.case1, reason=GrantReason.MERGED)
    assert (merged_grant.unit_id, merged_grant.until) == (typo.b.unit_id, at)
    assert scope_for(typo.b, typo.case1) is None and scope_for(typo.a, typo.case2) is None
    # Both timelines say what happened, and the surviving one no longer shows the other's history.
    assert _kinds(typo.case1) == [EventKind.OPENED, EventKind.REPORT_ADDED, EventKind.MERGED, EventKind.SPLIT]
    assert _kinds(typo.case2) == [EventKind.OPENED, EventKind.REPORT_ADDED, EventKind.MERGED, EventKind.SPLIT]
    assert {e.case_id for e in case_timeline(_fresh(typo.case1))} == {typo.case1.pk}
    assert CaseEvent.objects.get(case=typo.case1, kind=EventKind.SPLIT).reason == typo.case2.number
    review = MatchReview.objects.get(pk=typo.review.pk)
    assert (review.status, review.decided_by, review.decided_at) == (ReviewStatus.REJECTED, reviewer, at)
    assert link_get(reviewer, link_id).link.undone_at == at  # type: ignore[union-attr]
    # Audited by ids only: the reason may name people and stays encrypted on the link.
    assert list(AuditEvent.objects.filter(target_type="person_link", outcome="undone").values_list("target_id", "actor_id", "count")) == [
        (str(link_id), reviewer.pk, None)
    ]


def test_an_undo_is_refused_twice_without_a_reason_and_without_the_capability(typo, reviewer, make_user, oversight_unit):
    link = review_decide(actor=reviewer, review_id=typo.review.pk, same=True).link
    assert link is not None
    for short in ("", "   ", "ошибка", " 123456789 "):
        with pytest.raises(Invalid) as exc:
            person_link_undo(actor=reviewer, link_id=link.pk, reason=short)
        assert exc.value.fields == {"reason": ["Explain why in at least 10 characters."]}
    for role, unit in (("police_inspector", None), ("police_supervisor", None), ("oversight", oversight_unit)):
        with pytest.raises(Forbidden):
            person_link_undo(actor=make_user(role, unit=unit), link_id=link.pk, reason=UNDO_REASON)
    assert PersonLink.objects.get(pk=link.pk).undone_at is None
    assert _fresh(typo.case2).merged_into_id == typo.case1.pk

    person_link_undo(actor=reviewer, link_id=link.pk, reason=UNDO_REASON)
    with pytest.raises(Conflict):
        person_link_undo(actor=reviewer, link_id=link.pk, reason=UNDO_REASON)
    assert _kinds(typo.case1).count(EventKind.SPLIT) == 1


def test_a_review_is_decided_once(typo, reviewer, make_user):
    with pytest.raises(Forbidden):
        review_decide(actor=make_user("police_supervisor"), review_id=typo.review.pk, same=True)
    review = review_decide(actor=reviewer, review_id=typo.review.pk, same=False)
    assert (review.status, review.link) == (ReviewStatus.REJECTED, None)
    for same in (True, False):
        with pytest.raises(Conflict):
            review_decide(actor=reviewer, review_id=typo.review.pk, same=same)
    assert MatchReview.objects.get().status == ReviewStatus.REJECTED
    assert PersonLink.objects.filter(how=LinkHow.REVIEW).count() == 0
    assert Case.objects.filter(merged_into__isnull=False).count() == 0
    assert review_queue(reviewer) == [] and review_open_count(reviewer) == 0


def test_a_link_whose_later_links_merged_cases_is_undone_only_after_them(typo, reviewer, make_user, reference):
    """Links are undone newest first when both merged cases: each undo reverses exactly its own merges."""
    shymkent = make_user(unit=_unit("police", "Shymkent police", region="KZ-79"))
    before = _state(typo.case1, typo.case2)
    with clock.frozen(T0 + timedelta(days=20)):
        first_link = review_decide(actor=reviewer, review_id=typo.review.pk, same=True).link
    third = _register(
        shymkent, T0 + timedelta(days=25), _victim("Сапарова Айгерым", birth=None, phone="87011112233"), region="KZ-79", district="",
    )
    case3 = third.cases[0]
    before[case3.pk] = _state(case3)[case3.pk]
    with clock.frozen(T0 + timedelta(days=26)):
        second_link = review_decide(actor=reviewer, review_id=MatchReview.objects.get(status=ReviewStatus.OPEN).pk, same=True).link
    assert first_link is not None and second_link is not None
    assert _fresh(case3).merged_into_id == typo.case1.pk
    assert sorted(_fresh(typo.case1).incidents.values_list("id", flat=True)) == sorted(
        r.report.incident.pk for r in (typo.first, typo.second, third)
    )
    with pytest.raises(Invalid) as exc:
        person_link_undo(actor=reviewer, link_id=first_link.pk, reason=UNDO_REASON)
    assert exc.value.fields == {"reason": ["Later links of this person merged cases: undo them first."]}
    assert PersonLink.objects.get(pk=first_link.pk).undone_at is None

    person_link_undo(actor=reviewer, link_id=second_link.pk, reason=UNDO_REASON)
    assert _fresh(case3).merged_into_id is None and _fresh(typo.case2).merged_into_id == typo.case1.pk
    person_link_undo(actor=reviewer, link_id=first_link.pk, reason=UNDO_REASON)
    assert _state(typo.case1, typo.case2, case3) == before


# --- undo of an automatic link made at registration ----------------------------------------------------


def test_undoing_an_automatic_link_moves_the_report_to_a_case_of_its_own_pair(make_user, other_unit, reviewer):
    a, b = make_user(), make_user(unit=other_unit)
    first = _register(a, T0, _victim("Сапарова Айгерим", address="ул. Абая 10"))
    second = _register(b, T0 + timedelta(days=5), _victim("Saparova Aigerim", markers=("pregnant",)), region="KZ-23", district="")
    case1 = _fresh(first.cases[0])
    link = second.people["victim0_"].link
    assert link is not None and link.how == LinkHow.AUTO and link.by == b
    assert second.cases == [case1] and second.new_cases == []
    assert sorted(grants_in_force().filter(case=case1).values_list("unit_id", flat=True)) == sorted([a.unit_id, b.unit_id])

    at = T0 + timedelta(days=7)
    with clock.frozen(at):
        person_link_undo(actor=reviewer, link_id=link.pk, reason=UNDO_REASON)

    victim2 = second.people["victim0_"].person
    offender2 = second.people["offender_"].person
    inc1, inc2 = first.report.incident, second.report.incident
    assert Case.objects.count() == 2
    new = Case.objects.exclude(pk=case1.pk).get()
    # The first case is as it was before the second report (its unit alone holds it).
    assert list(case1.incidents.all()) == [inc1]
    assert list(grants_in_force().filter(case=case1).values_list("unit_id", "reason", "scope")) == [
        (a.unit_id, GrantReason.REGISTERED, Scope.FULL)
    ]
    assert scope_for(b, case1) is None
    assert Grant.objects.get(case=case1, unit=b.unit).until == at  # ended, not deleted
    # The second report's incident now forms its own pair's case, held by the unit that registered it.
    assert (new.victim_id, new.offender_id, new.merged_into_id, new.holding_unit_id) == (victim2.pk, offender2.pk, None, b.unit_id)
    assert (new.number, new.opened_at, new.relationship, new.restricted) == (f"C-{at.year}-{new.pk:07d}", at, "spouse", False)
    assert list(new.incidents.all()) == [inc2]
    assert list(Grant.objects.filter(case=new).values_list("unit_id", "reason", "scope", "granted_by_id", "until")) == [
        (b.unit_id, GrantReason.REGISTERED, Scope.FULL, reviewer.pk, None)
    ]
    assert scope_for(b, new) == Scope.FULL and scope_for(a, new) is None
    assert _fresh(new).offender.cluster_id == case1.offender.cluster_id  # the man is still one person
    assert _kinds(case1) == [EventKind.OPENED, EventKind.REPORT_ADDED, EventKind.REPORT_ADDED, EventKind.SPLIT]
    assert [(e.kind, e.reason) for e in CaseEvent.objects.filter(case=new)] == [(EventKind.SPLIT, case1.number)]
    assert Person.objects.values_list("cluster_id", flat=True).get(pk=victim2.pk) == victim2.pk


# --- hard negatives ------------------------------------------------------------------------------------


HARD_NEGATIVES = {
    # Brothers: the same surname and patronymic, different given names and birth dates.
    "brothers": (
        person("Ахметов Ерлан Серикович", birth=dt.date(1985, 1, 1), sex="M", iin=False),
        person("Ахметов Нурлан Серикович", birth=dt.date(1988, 6, 10), sex="M", iin=False),
    ),
    # Brothers in the other script, one of them with his IIN.
    "brothers_latin": (
        person("Akhmetov Erlan", birth=dt.date(1985, 1, 1), sex="M"),
        person("Ахметов Нурлан", birth=dt.date(1988, 6, 10), sex="M", iin=False),
    ),
    # Twins: the same birth date and surname, different given names.
    "twins": (
        person("Ахметова Айгуль", birth=dt.date(1995, 1, 1), iin=False),
        person("Ахметова Айжан", birth=dt.date(1995, 1, 1), iin=False),
    ),
    # Twins with their valid IINs (serial numbers a few apart).
    "twins_iin": (
        person("Ахметова Айгуль Серикқызы", birth=dt.date(1995, 1, 1), serial=1002),
        person("Ахметова Айжан Серикқызы", birth=dt.date(1995, 1, 1), serial=1003),
    ),
}


@pytest.mark.parametrize("kind", sorted(HARD_NEGATIVES))
def test_hard_negatives_are_never_linked(make_user, kind):
    inspector = make_user()
    one, two = HARD_NEGATIVES[kind]
    women = (_victim("Жертва Первая", birth=dt.date(1990, 1, 1)), _victim("Жертва Вторая", birth=dt.date(1991, 2, 2)))
    if one.sex == "M":  # two offenders, each of his own wife
        regs = [_register(inspector, T0, women[0], offender=one), _register(inspector, T0, women[1], offender=two)]
        records = [r.people["offender_"] for r in regs]
    else:  # two victims of the same man
        regs = [_register(inspector, T0, VictimInput("child", person=p)) for p in (one, two)]
        records = [r.people["victim0_"] for r in regs]
    assert [(r.link, r.reviews) for r in records] == [(None, 0), (None, 0)]
    assert _cluster(records[0].person.pk) != _cluster(records[1].person.pk)
    assert PersonLink.objects.filter(merged=records[1].person).count() == 0
    assert MatchReview.objects.count() == 0
    if one.sex == "F":
        assert Case.objects.count() == 2 and regs[1].new_cases == regs[1].cases


def test_spouses_with_one_surname_and_birth_date_stay_two_people(make_user):
    inspector = make_user()
    husband = person("Ахметов Ерлан", birth=dt.date(1985, 1, 1), sex="M", iin=False)
    wife = VictimInput("spouse", person=person("Ахметова Айгуль", birth=dt.date(1985, 1, 1), iin=False))
    first = _register(inspector, T0, wife, offender=husband)
    second = _register(inspector, T0 + timedelta(days=3), VictimInput("spouse", person=wife.person), offender=husband)
    h1, w1 = first.people["offender_"].person, first.people["victim0_"].person
    h2, w2 = second.people["offender_"].person, second.people["victim0_"].person
    # Each links to his or her own earlier record, never to the spouse.
    assert (_cluster(h2.pk), _cluster(w2.pk)) == (h1.pk, w1.pk)
    assert (first.people["offender_"].link, first.people["victim0_"].link, first.people["victim0_"].reviews) == (None, None, 0)
    assert second.cases == first.cases and Case.objects.count() == 1
    assert MatchReview.objects.count() == 0


# --- a mistyped IIN ------------------------------------------------------------------------------------


def _mistyped(iin: str) -> str:
    """The IIN with its check digit one off: it fails the check and is kept as unverified."""
    return iin[:11] + str((int(iin[11]) + 1) % 10)


def test_a_mistyped_iin_with_the_same_name_and_birth_date_links_on_the_name_and_date(make_user, other_unit):
    first = _register(make_user(), T0, _victim("Сапарова Айгерим", iin=True))
    typed = _mistyped(first.people["victim0_"].person.iin)
    victim = VictimInput("spouse", person=PersonInput("Сапарова Айгерим", iin=typed, iin_unverified_ok=True, birth_date=VICTIM_BIRTH, sex="F"))
    second = _register(make_user(unit=other_unit), T0 + timedelta(days=1), victim, region="KZ-23", district="")
    resolution = second.people["victim0_"]
    assert Person.objects.get(pk=resolution.person.pk).iin_status == IinStatus.UNVERIFIED
    assert resolution.unusable == ["iin_unverified"]
    # DESIGN §10: the exact normalised name with the exact birth date links; the IIN does not block it.
    assert resolution.link is not None and resolution.link.how == LinkHow.AUTO
    assert resolution.link.reasons == ["name_exact", "birth_date_equal", "iin_one_edit"]
    assert second.cases == first.cases


def test_a_mistyped_iin_alone_never_links_automatically_it_goes_to_review(make_user, other_unit):
    first = _register(make_user(), T0, _victim("Сапарова Айгерим", iin=True))
    typed = _mistyped(first.people["victim0_"].person.iin)
    victim = VictimInput("spouse", person=PersonInput("Сапарова Айгерим", iin=typed, iin_unverified_ok=True, sex="F"))
    second = _register(make_user(unit=other_unit), T0 + timedelta(days=1), victim, region="KZ-23", district="")
    resolution = second.people["victim0_"]
    assert (resolution.link, resolution.reviews) == (None, 1)
    assert sorted(resolution.unusable) == ["iin_unverified", "no_birth_date"]
    review = MatchReview.objects.get()
    assert (review.person_id, review.candidate_id, review.status) == (resolution.person.pk, first.people["victim0_"].person.pk, ReviewStatus.OPEN)
    assert review.reasons == ["name_exact", "birth_date_missing", "iin_one_edit"]
    assert second.new_cases == second.cases and Case.objects.count() == 2


def test_the_same_unverified_iin_twice_is_no_proof_either(make_user, other_unit):
    typed = _mistyped(synthetic_iin(VICTIM_BIRTH, "F"))
    victims = [VictimInput("spouse", person=PersonInput(name, iin=typed, iin_unverified_ok=True, sex="F")) for name in ("Сапарова Айгерим", "Сапарава Айгерим")]
    _register(make_user(), T0, victims[0])
    second = _register(make_user(unit=other_unit), T0 + timedelta(days=1), victims[1], region="KZ-23", district="")
    assert (second.people["victim0_"].link, second.people["victim0_"].reviews) == (None, 1)
    assert MatchReview.objects.get().reasons == ["surname_similar", "birth_date_missing", "iin_equal"]


# --- restricted cases: staff offenders -----------------------------------------------------------------


def test_the_reviewer_sees_no_review_touching_a_restricted_case_and_oversight_does(make_user, other_unit, oversight_unit, reviewer):
    typo = _typo_pair(make_user, other_unit, restricted=True)
    assert (_fresh(typo.case1).restricted, _fresh(typo.case2).restricted) == (True, True)
    assert typo.second.handed_to_oversight is True
    controller = make_user("oversight", unit=oversight_unit)

    assert review_queue(reviewer) == [] and review_open_count(reviewer) == 0
    assert review_item(reviewer, typo.review.pk) is None
    assert link_history(reviewer) == []  # the offender's automatic link touches the restricted cases
    offender_link = typo.second.people["offender_"].link
    assert offender_link is not None and link_get(reviewer, offender_link.pk) is None

    assert review_queue(controller) == [typo.review] and review_open_count(controller) == 1
    item = review_item(controller, typo.review.pk)
    assert item is not None and (item.new.full_name, item.existing.full_name) == ("Сапарава Айгерим", "Сапарова Айгерим")
    assert [row.link.pk for row in link_history(controller)] == [offender_link.pk]


def test_the_reviewer_can_neither_decide_nor_undo_what_touches_a_restricted_case(make_user, other_unit, oversight_unit, reviewer):
    typo = _typo_pair(make_user, other_unit, restricted=True)
    offender_link = typo.second.people["offender_"].link
    assert offender_link is not None
    before = _state(typo.case1, typo.case2)
    with pytest.raises(NotFound):
        review_decide(actor=reviewer, review_id=typo.review.pk, same=True)
    with pytest.raises(NotFound):
        person_link_undo(actor=reviewer, link_id=offender_link.pk, reason=UNDO_REASON)
    assert _state(typo.case1, typo.case2) == before
    assert MatchReview.objects.get().status == ReviewStatus.OPEN
    assert PersonLink.objects.get(pk=offender_link.pk).undone_at is None


def test_an_unrestricted_review_is_visible_to_the_reviewer(typo, reviewer):
    assert review_queue(reviewer) == [typo.review] and review_open_count(reviewer) == 1
    item = review_item(reviewer, typo.review.pk)
    assert item is not None
    assert (item.new.full_name, item.new.iin, item.new.birth_date, item.new.unit_name, item.new.cases) == (
        "Сапарава Айгерим", "", None, typo.b.unit.name, 1,
    )
    assert (item.existing.full_name, item.existing.unit_name, item.existing.cases) == ("Сапарова Айгерим", typo.a.unit.name, 1)
    assert [(str(r["label"]), r["against"]) for r in item.reasons] == [
        ("similar surnames (a typo or a spelling variant)", False),
        ("a birth date is missing", False),
        ("the same phone number", False),
    ]
    # Identity fields only: the side carries no address, phone or narrative at all.
    assert set(vars(item.new)) == {"full_name", "iin", "iin_unverified", "birth_date", "sex", "unit_name", "registered_at", "cases"}


def test_an_offender_matching_a_staff_record_by_name_and_birth_date_restricts_the_case(make_user, oversight_unit):
    make_user("police_inspector", username="officer.saparov", full_name="Сапаров Ерлан", iin=synthetic_iin(OFFENDER_BIRTH, "M"))
    inspector = make_user()
    # No IIN on the report; another script and order of the officer's name, his birth date.
    offender = PersonInput(full_name="Erlan Saparov", birth_date=OFFENDER_BIRTH, sex="M")
    at = T0 + timedelta(hours=1)
    reg = _register(inspector, at, _victim("Сапарова Айгерим"), offender=offender)
    case = _fresh(reg.cases[0])
    assert reg.handed_to_oversight is True and case.restricted is True
    assert sorted(Grant.objects.filter(case=case).values_list("unit_id", "reason", "until")) == sorted([
        (inspector.unit_id, GrantReason.REGISTERED, at),
        (oversight_unit.pk, GrantReason.OVERSIGHT, None),
    ])
    assert scope_for(inspector, case) is None


def test_a_namesake_of_staff_with_another_birth_date_is_not_restricted(make_user, oversight_unit):
    make_user("police_inspector", username="officer.saparov", full_name="Сапаров Ерлан", iin=synthetic_iin(OFFENDER_BIRTH, "M"))
    offender = PersonInput(full_name="Erlan Saparov", birth_date=dt.date(1987, 3, 2), sex="M")
    reg = _register(make_user(), T0, _victim("Сапарова Айгерим"), offender=offender)
    assert reg.handed_to_oversight is False and _fresh(reg.cases[0]).restricted is False


# --- a victim never joins her offender -----------------------------------------------------------------


def test_a_victims_record_cannot_be_linked_into_her_offenders_cluster(make_user, reviewer):
    inspector = make_user()
    first = _register(inspector, T0, _victim("Сапарова Айгерим"))
    second = _register(inspector, T0 + timedelta(days=1), _victim("Сапарова Айгерим"))
    victim = first.people["victim0_"].person
    offenders = [first.people["offender_"].person, second.people["offender_"].person]
    clusters = dict(Person.objects.values_list("id", "cluster_id"))
    for target in offenders:  # the root of his cluster, and another record of his
        for record, into in ((victim, target), (target, victim)):
            with pytest.raises(Invalid) as exc:
                person_link(actor=reviewer, record=record, into=into, how=LinkHow.REVIEW, score=20.0, reasons=[])
            assert exc.value.fields == {"person": ["A victim and her offender cannot be the same person."]}
    assert dict(Person.objects.values_list("id", "cluster_id")) == clusters
    assert PersonLink.objects.count() == 2  # the automatic links of the second report only


def test_a_review_that_would_join_a_victim_to_her_offender_is_refused_and_stays_open(make_user, reviewer):
    reg = _register(make_user(), T0, _victim("Сапарова Айгерим"))
    victim, offender = reg.people["victim0_"].person, reg.people["offender_"].person
    review = MatchReview.objects.create(person=victim, candidate=offender, score=9.0, reasons=["surname_similar"], created_at=T0)
    with pytest.raises(Invalid) as exc:
        review_decide(actor=reviewer, review_id=review.pk, same=True)
    assert exc.value.fields == {"person": ["A victim and her offender cannot be the same person."]}
    assert MatchReview.objects.get().status == ReviewStatus.OPEN and PersonLink.objects.count() == 0
    assert (_cluster(victim.pk), _cluster(offender.pk)) == (victim.pk, offender.pk)


def test_incidents_keep_their_parties_through_a_merge_and_its_undo(typo, reviewer):
    """The records a report named never change: a merge moves incidents between cases, not people."""
    parties = sorted(Incident.objects.values_list("id", "parties__person_id", "parties__role"))
    link = review_decide(actor=reviewer, review_id=typo.review.pk, same=True).link
    assert link is not None
    person_link_undo(actor=reviewer, link_id=link.pk, reason=UNDO_REASON)
    assert sorted(Incident.objects.values_list("id", "parties__person_id", "parties__role")) == parties


def test_the_mans_link_cannot_be_undone_while_a_later_link_merged_his_cases(typo, reviewer):
    """The reviewer's link of the woman merged the two cases because the man's records were one person:
    undoing the man's link first would leave a case merged into another pair's case."""
    before = _state(typo.case1, typo.case2)
    woman_link = review_decide(actor=reviewer, review_id=typo.review.pk, same=True).link
    man_link = typo.second.people["offender_"].link
    assert woman_link is not None and man_link is not None and man_link.at < woman_link.at
    with pytest.raises(Invalid) as exc:
        person_link_undo(actor=reviewer, link_id=man_link.pk, reason=UNDO_REASON)
    assert exc.value.fields == {"reason": ["Later links of this person merged cases: undo them first."]}
    assert PersonLink.objects.get(pk=man_link.pk).undone_at is None
    assert _fresh(typo.case2).merged_into_id == typo.case1.pk

    person_link_undo(actor=reviewer, link_id=woman_link.pk, reason=UNDO_REASON)
    person_link_undo(actor=reviewer, link_id=man_link.pk, reason=UNDO_REASON)
    # Now each report names a man of his own: the second case is the second man's, as registered.
    after = _state(typo.case1, typo.case2)
    assert after[typo.case1.pk] == before[typo.case1.pk]
    man2 = typo.second.people["offender_"].person
    assert after[typo.case2.pk] == {**before[typo.case2.pk], "offender_cluster": man2.pk}


def test_one_uncertain_pair_of_people_is_one_review_whichever_records_meet(make_user):
    inspector = make_user()
    first = _register(inspector, T0, _victim("Исаева Нургуль"))
    _register(inspector, T0 + timedelta(days=3), _victim("Исеава Нургуль"))  # a typo: to review
    assert MatchReview.objects.filter(status=ReviewStatus.OPEN).count() == 1
    # Her correct spelling again links to her first record; the typo's record meets it once more
    # through the new record, but the two people already wait for a decision.
    third = _register(inspector, T0 + timedelta(days=9), _victim("Исаева Нургуль"))
    assert third.people["victim0_"].link is not None and third.people["victim0_"].reviews == 0
    assert third.cases[0].pk == first.cases[0].pk
    assert MatchReview.objects.filter(status=ReviewStatus.OPEN).count() == 1
