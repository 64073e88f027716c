"""Reads of the case registry: the mask layer on people, search, flags without access, pair history."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from qorgau.accounts.masks import MASKED, Scope
from qorgau.accounts.models import AgencyKind, Unit
from qorgau.accounts.services import unit_create
from qorgau.cases.access import case_get_for
from qorgau.cases.models import Case, EventKind, Grant, GrantReason
from qorgau.cases.selectors import (
    case_flags,
    case_people,
    case_reports,
    case_safe_contact,
    case_search,
    case_timeline,
    case_workers,
    caseload,
    pair_history,
    pair_recent_incidents,
)
from qorgau.cases.services import SafeContactInput, VictimInput, case_break_glass, report_register, safe_contact_update
from qorgau.core import clock, crypto
from qorgau.core.models import AuditAction, AuditEvent, Region
from qorgau.people.services import PersonInput
from tests.cases.factories import person, report_input, synthetic_iin

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 3, 10, 6, 0, tzinfo=dt.UTC)
VICTIM_BIRTH = dt.date(1990, 5, 17)
OFFENDER = dict(name="Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _unit(code: str, name: str, region: str = "KZ-75") -> Unit:
    return unit_create(actor=None, kind=AgencyKind.objects.get(code=code), region=Region.objects.get(iso=region), name_ru=name + " ru", name_kk=name + " kk", name_en=name)


def _victim(name: str, serial: int, **kw) -> VictimInput:
    return VictimInput(relationship="spouse", person=person(name, birth=VICTIM_BIRTH, serial=serial, **kw))


def _offender(serial: int = 1000) -> PersonInput:
    return person(OFFENDER["name"] if serial == 1000 else f"Обидчик {serial}", birth=OFFENDER["birth"], sex="M", serial=serial, phone="+7 702 000 00 00", address="Сейфуллина 5")


def _register(actor, victim: VictimInput, offender_serial: int = 1000, **kw) -> Case:
    region = {} if actor.unit.region_id == "KZ-75" else {"region": actor.unit.region_id, "district": ""}
    return report_register(actor=actor, data=report_input(victims=[victim], offender=_offender(offender_serial), **region, **kw)).cases[0]


# --- the mask layer on the case page -------------------------------------------------------------


@pytest.fixture
def masked_case(make_user):
    inspector = make_user()
    victim = VictimInput(relationship="spouse", person=person(phone="+7 701 111 22 33", address="Абая 10", workplace="Школа 12"))
    case = report_register(actor=inspector, data=report_input(victims=[victim], offender=_offender(), narrative="Ударил.")).cases[0]
    safe_contact_update(actor=inspector, case=case, version=None, data=SafeContactInput(may_call=True, phone="+7 705 123 45 67", code_word="Ромашка"))
    return inspector, case


VICTIM_HIDDEN = {"victim_phone", "victim_address", "victim_workplace"}


def _hidden(values: dict) -> set[str]:
    return {k for k, v in values.items() if v is MASKED}


def test_a_full_grant_shows_every_personal_field(masked_case):
    inspector, case = masked_case
    seen, viewer = case_get_for(inspector, case.pk)
    people = case_people(seen, viewer)
    assert _hidden(people) == set()
    assert (people["victim_name"], people["victim_phone"], people["victim_address"], people["victim_workplace"]) == ("Сапарова Айгерим", "+7 701 111 22 33", "Абая 10", "Школа 12")
    assert (people["victim_iin"], people["victim_birth_date"]) == (synthetic_iin(VICTIM_BIRTH, "F"), VICTIM_BIRTH)
    assert (people["offender_name"], people["offender_phone"], people["offender_address"]) == ("Сапаров Ерлан", "+7 702 000 00 00", "Сейфуллина 5")
    contact = case_safe_contact(seen, viewer)
    assert (contact["phone"], contact["code_word"], contact["contact"].may_call) == ("+7 705 123 45 67", "Ромашка", True)
    assert [r["narrative"] for r in case_reports(seen, viewer)] == ["Ударил."]


def test_a_worker_grant_from_break_glass_hides_her_phone_address_and_workplace(masked_case, make_user, other_unit):
    _, case = masked_case
    medic = make_user("health_worker", unit=other_unit)
    case_break_glass(actor=medic, case_id=case.pk, justification="Поступила в приёмный покой")
    seen, viewer = case_get_for(medic, case.pk)
    assert viewer.scope == Scope.WORKER
    people = case_people(seen, viewer)
    assert _hidden(people) == VICTIM_HIDDEN
    assert (people["victim_name"], people["offender_name"], people["offender_phone"], people["offender_address"]) == ("Сапарова Айгерим", "Сапаров Ерлан", "+7 702 000 00 00", "Сейфуллина 5")
    contact = case_safe_contact(seen, viewer)
    assert (contact["phone"], contact["code_word"]) == (MASKED, MASKED)
    assert [r["narrative"] for r in case_reports(seen, viewer)] == ["Ударил."]


@pytest.mark.parametrize("role, kind", [("probation_officer", "probation"), ("court_clerk", "court"), ("monitoring_operator", "monitoring_centre")])
def test_offender_facing_roles_never_see_her_phone_address_or_workplace_even_with_a_full_grant(masked_case, make_user, reference, role, kind):
    _, case = masked_case
    unit = _unit(kind, kind)
    Grant.objects.create(case=case, unit=unit, reason=GrantReason.TASK, scope=Scope.FULL, since=clock.now())
    seen, viewer = case_get_for(make_user(role, unit=unit), case.pk)
    assert viewer.scope == Scope.FULL
    people = case_people(seen, viewer)
    assert _hidden(people) == VICTIM_HIDDEN
    assert (people["victim_name"], people["offender_phone"], people["offender_address"]) == ("Сапарова Айгерим", "+7 702 000 00 00", "Сейфуллина 5")
    contact = case_safe_contact(seen, viewer)
    assert (contact["phone"], contact["code_word"]) == (MASKED, MASKED)


def test_a_consent_grant_shows_only_what_her_consent_covers(masked_case, make_user, reference):
    _, case = masked_case
    crisis = _unit("crisis_centre", "Crisis centre")
    Grant.objects.create(case=case, unit=crisis, reason=GrantReason.REFERRAL, scope=Scope.CONSENT, since=clock.now())
    seen, viewer = case_get_for(make_user("shelter_worker", unit=crisis), case.pk)
    assert viewer.scope == Scope.CONSENT
    people = case_people(seen, viewer)
    assert _hidden(people) == set(people)  # no consent recorded yet: nothing personal


# --- search ---------------------------------------------------------------------------------------


@pytest.fixture
def registry(make_user, other_unit, reference):
    """Offender O with: V1 (our unit, case a), V2 (Atyrau, case b), V3 (restricted, case r)."""
    oversight = _unit("oversight", "Oversight", "KZ-71")
    ours = make_user()
    theirs = make_user("police_inspector", unit=other_unit)
    controller = make_user("oversight", unit=oversight)
    with clock.frozen(T0) as frozen:
        a = _register(ours, _victim("Сапарова Айгерим", 1000))
        frozen.advance(timedelta(hours=1))
        b = _register(theirs, _victim("Жумабаева Салтанат", 1100))
        frozen.advance(timedelta(hours=1))
        r = _register(ours, _victim("Ким Ольга", 1200), restricted=True)
    return {"ours": ours, "theirs": theirs, "controller": controller, "a": a, "b": b, "r": r}


def _hits(hits) -> list[tuple]:
    return [(h.case_id, h.number, h.unit_name, h.visible) for h in hits]


def test_search_by_iin_shows_visible_cases_and_only_the_unit_of_others_never_restricted_ones(registry):
    a, b = registry["a"], registry["b"]
    iin = synthetic_iin(OFFENDER["birth"], "M")
    assert _hits(case_search(registry["ours"], iin=iin)) == [(None, "", "Atyrau region police", False), (a.pk, a.number, "Almaly district police", True)]
    assert _hits(case_search(registry["theirs"], iin=f" {iin} ")) == [(b.pk, b.number, "Atyrau region police", True), (None, "", "Almaly district police", False)]
    # Oversight sees the restricted case it holds and, like anyone, only the units of the others.
    r = registry["r"]
    assert _hits(case_search(registry["controller"], iin=iin)) == [
        (r.pk, r.number, "Almaly district police", True),
        (None, "", "Atyrau region police", False),
        (None, "", "Almaly district police", False),
    ]


def test_search_by_a_victims_iin_finds_her_case(registry):
    a = registry["a"]
    assert _hits(case_search(registry["ours"], iin=synthetic_iin(VICTIM_BIRTH, "F", 1000))) == [(a.pk, a.number, "Almaly district police", True)]
    assert case_search(registry["ours"], iin=synthetic_iin(VICTIM_BIRTH, "F", 1200)) == []  # restricted: not even its unit
    assert case_search(registry["ours"], iin=synthetic_iin(VICTIM_BIRTH, "F", 7777)) == []


def test_search_by_name_and_birth_date_ignores_case_and_word_order(registry):
    a, b = registry["a"], registry["b"]
    assert _hits(case_search(registry["ours"], full_name="айгерим  САПАРОВА", birth_date=VICTIM_BIRTH)) == [(a.pk, a.number, "Almaly district police", True)]
    assert case_search(registry["ours"], full_name="Сапарова Айгерим", birth_date=VICTIM_BIRTH + timedelta(days=1)) == []
    assert _hits(case_search(registry["ours"], full_name="Жумабаева Салтанат", birth_date=VICTIM_BIRTH)) == [(None, "", "Atyrau region police", False)]
    assert case_search(registry["ours"], full_name="Ким Ольга", birth_date=VICTIM_BIRTH) == []
    assert _hits(case_search(registry["theirs"], full_name="Жумабаева Салтанат", birth_date=VICTIM_BIRTH)) == [(b.pk, b.number, "Atyrau region police", True)]


def test_search_by_case_number(registry):
    a, b, r = registry["a"], registry["b"], registry["r"]
    assert _hits(case_search(registry["ours"], number=f" {a.number.lower()} ")) == [(a.pk, a.number, "Almaly district police", True)]
    assert _hits(case_search(registry["ours"], number=b.number)) == [(None, "", "Atyrau region police", False)]
    assert case_search(registry["ours"], number=r.number) == []
    assert case_search(registry["ours"], number="C-1999-0000001") == []
    assert _hits(case_search(registry["controller"], number=r.number)) == [(r.pk, r.number, "Almaly district police", True)]


def test_analysts_search_in_vain_and_the_search_is_still_audited(registry, make_user):
    iin = synthetic_iin(OFFENDER["birth"], "M")
    analyst = make_user("analyst")
    assert case_search(analyst, iin=iin) == []
    assert case_search(analyst, number=registry["a"].number) == []
    assert list(AuditEvent.objects.filter(action=AuditAction.SEARCH, actor_id=analyst.pk).values_list("count", flat=True)) == [0, 0]


def test_an_empty_search_finds_nothing(registry):
    assert case_search(registry["ours"]) == []
    assert case_search(registry["ours"], iin="  ", full_name=" ") == []


def test_an_unverified_iin_is_found_by_search(make_user):
    inspector = make_user()
    good = synthetic_iin(VICTIM_BIRTH, "F", 1000)
    bad = good[:11] + str((int(good[11]) + 1) % 10)
    victim = VictimInput(relationship="spouse", person=PersonInput(full_name="Сапарова Айгерим", iin=bad, iin_unverified_ok=True))
    case = report_register(actor=inspector, data=report_input(victims=[victim])).cases[0]
    assert [h.case_id for h in case_search(inspector, iin=bad)] == [case.pk]


def test_a_search_is_audited_with_a_term_hash_and_count_and_never_the_term(registry):
    ours = registry["ours"]
    iin = synthetic_iin(OFFENDER["birth"], "M")
    start = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    case_search(ours, iin=iin)
    case_search(ours, full_name="Сапарова Айгерим", birth_date=VICTIM_BIRTH)
    case_search(ours, number=registry["b"].number)
    rows = list(AuditEvent.objects.filter(id__gt=start).order_by("id").values_list("action", "actor_id", "actor_unit_id", "target_type", "count", "term_hash"))
    assert rows == [
        (AuditAction.SEARCH, ours.pk, ours.unit_id, "case", 2, crypto.keyed_hash("term", iin)),
        (AuditAction.SEARCH, ours.pk, ours.unit_id, "case", 1, crypto.keyed_hash("term", f"Сапарова Айгерим|{VICTIM_BIRTH}")),
        (AuditAction.SEARCH, ours.pk, ours.unit_id, "case", 1, crypto.keyed_hash("term", registry["b"].number)),
    ]
    dump = " ".join(str(v) for row in AuditEvent.objects.values_list() for v in row)
    for clear in (iin, "Сапарова", "Айгерим", VICTIM_BIRTH.isoformat(), registry["b"].number):
        assert clear not in dump


# --- flags without access ---------------------------------------------------------------------------


def test_flags_count_other_victims_and_cases_and_name_the_unit_of_cases_the_user_cannot_see(registry):
    ours, theirs = registry["ours"], registry["theirs"]
    a, b = registry["a"], registry["b"]
    # Our victim has two other offenders: one in a case of ours, one in a case held in Atyrau.
    _register(ours, _victim("Сапарова Айгерим", 1000), offender_serial=2000)
    _register(theirs, _victim("Сапарова Айгерим", 1000), offender_serial=2100)

    assert case_flags(a, ours) == [
        "Her incidents in the last 6 months: 2.",  # with any offender; case a (at T0) is older
        "They happened in 2 different districts.",  # Almaly and Atyrau
        "The offender has 1 other victim in the registry.",  # V2; never the restricted V3
        "She is the victim in 2 other cases.",
        "A related case is held by Atyrau region police: ask them, or use emergency access.",  # once for two cases
    ]
    assert case_flags(b, theirs) == [
        "The offender has 1 other victim in the registry.",
        "A related case is held by Almaly district police: ask them, or use emergency access.",
    ]
    flags = " ".join(case_flags(a, ours) + case_flags(b, theirs))
    for secret in ("Сапарова", "Жумабаева", "Ким", "Сапаров", "Обидчик", a.number, b.number):
        assert secret not in flags


def test_several_other_victims_are_worded_in_the_plural(make_user, other_unit):
    inspector = make_user()
    a = _register(inspector, _victim("Сапарова Айгерим", 1000))
    _register(inspector, _victim("Жумабаева Салтанат", 1100))
    _register(make_user(unit=other_unit), _victim("Ахметова Жанар", 1300))
    assert case_flags(a, inspector) == [
        "The offender has 2 other victims in the registry.",
        "A related case is held by Atyrau region police: ask them, or use emergency access.",
    ]


def test_a_single_related_case_is_worded_in_the_singular_and_a_visible_one_names_no_unit(make_user):
    inspector = make_user()
    a = _register(inspector, _victim("Сапарова Айгерим", 1000))
    _register(inspector, _victim("Жумабаева Салтанат", 1100))
    assert case_flags(a, inspector) == ["The offender has 1 other victim in the registry."]


def test_a_pair_alone_in_the_registry_has_no_flags(make_user):
    inspector = make_user()
    assert case_flags(_register(inspector, _victim("Сапарова Айгерим", 1000)), inspector) == []


def test_the_unit_is_named_in_the_users_language(registry):
    with translation.override("kk"):
        assert "Atyrau region police" not in case_flags(registry["a"], registry["ours"])[-1]
        assert "Атырау облысының ПД" in case_flags(registry["a"], registry["ours"])[-1]


def test_flags_of_a_case_never_count_a_restricted_case(make_user, reference):
    _unit("oversight", "Oversight", "KZ-71")
    inspector = make_user()
    a = _register(inspector, _victim("Сапарова Айгерим", 1000))
    _register(inspector, _victim("Ким Ольга", 1200), restricted=True)
    assert case_flags(a, inspector) == []


def test_the_flags_read_the_registry_in_a_fixed_number_of_statements(make_user, other_unit):
    """Issue 10: the flags are on every case page and case detail; their statements must not grow with
    the related cases (the case's facts with the clusters' records and his orders, then her recent
    incidents with the related cases and which of them the user may open; ADR 0018) and the counts
    stay right as the registry grows."""
    inspector, atyrau = make_user(), make_user(unit=other_unit)
    a = _register(inspector, _victim("Сапарова Айгерим", 1000))
    _register(atyrau, _victim("Жумабаева Салтанат", 1100))
    with CaptureQueriesContext(connection) as few:
        flags = case_flags(a, inspector)
    assert flags[0] == "The offender has 1 other victim in the registry."
    for serial, name in ((1300, "Ахметова Жанар"), (1400, "Ким Ольга"), (1500, "Нурланова Дина")):
        _register(atyrau, _victim(name, serial))
        _register(inspector, _victim(name, serial), offender_serial=serial + 1000)
    with CaptureQueriesContext(connection) as many:
        flags = case_flags(a, inspector)
    assert flags == [
        "The offender has 4 other victims in the registry.",
        "A related case is held by Atyrau region police: ask them, or use emergency access.",
    ]
    assert len(many.captured_queries) == len(few.captured_queries) == 2


# --- history and the registration screen's proposals ----------------------------------------------


def test_pair_history_counts_incidents_not_reports_within_six_months(make_user):
    inspector = make_user()
    victim = _victim("Сапарова Айгерим", 1000)
    with clock.frozen(T0) as frozen:
        case = _register(inspector, victim)
        frozen.advance(timedelta(days=100))
        second = report_register(actor=inspector, data=report_input(victims=[victim], offender=_offender()))
        frozen.advance(timedelta(hours=3))
        # A neighbour calls about the same event: a second report of one incident.
        report_register(actor=inspector, data=report_input(victims=[victim], offender=_offender(), channel="neighbour", attach_incident_id=second.report.incident_id))
        frozen.advance(timedelta(days=100))
        report_register(actor=inspector, data=report_input(victims=[victim], offender=_offender()))
        history = pair_history(case)
    assert (history.incidents_6_months, history.incidents_total, history.reports_total) == (2, 3, 4)


def test_pair_recent_incidents_proposes_the_visible_incidents_of_the_last_48_hours(make_user, other_unit):
    inspector = make_user()
    victim = _victim("Сапарова Айгерим", 1000)
    with clock.frozen(T0) as frozen:
        first = report_register(actor=inspector, data=report_input(victims=[victim], offender=_offender()))
        frozen.advance(timedelta(hours=20))
        second = report_register(actor=inspector, data=report_input(victims=[victim], offender=_offender()))
        case = second.cases[0]
        around = clock.now()
        assert pair_recent_incidents(inspector, case.victim_id, case.offender_id, around=around) == [second.report.incident, first.report.incident]
        assert pair_recent_incidents(make_user(unit=other_unit), case.victim_id, case.offender_id, around=around) == []
        frozen.advance(timedelta(hours=29))
        assert pair_recent_incidents(inspector, case.victim_id, case.offender_id, around=clock.now()) == [second.report.incident]
        # Another pair of the same man proposes nothing of this pair.
        other = _register(inspector, _victim("Жумабаева Салтанат", 1100))
        assert pair_recent_incidents(inspector, other.victim_id, other.offender_id, around=clock.now()) == [other.incidents.get()]


# --- the case page's other reads --------------------------------------------------------------------


def test_timeline_workers_reports_and_caseload(make_user, other_unit):
    inspector = make_user()
    medic = make_user("health_worker", unit=other_unit)
    with clock.frozen(T0) as frozen:
        case = _register(inspector, _victim("Сапарова Айгерим", 1000))
        frozen.advance(timedelta(hours=1))
        report_register(actor=inspector, data=report_input(victims=[_victim("Сапарова Айгерим", 1000)], offender=_offender(), channel="hospital"))
        frozen.advance(timedelta(hours=1))
        case_break_glass(actor=medic, case_id=case.pk, justification="Поступила в приёмный покой")
        assert [(g.unit_id, g.reason) for g in case_workers(case)] == [(inspector.unit_id, GrantReason.REGISTERED), (other_unit.pk, GrantReason.BREAK_GLASS)]
        assert [e.kind for e in case_timeline(case)] == [EventKind.OPENED, EventKind.REPORT_ADDED, EventKind.REPORT_ADDED, EventKind.BREAK_GLASS]
        seen, viewer = case_get_for(inspector, case.pk)
        assert [r["report"].channel for r in case_reports(seen, viewer)] == ["police_102", "hospital"]
        other = _register(inspector, _victim("Жумабаева Салтанат", 1100))
        assert [(c.pk, c.n_reports) for c in caseload(inspector)] == [(other.pk, 1), (case.pk, 2)]
        assert [c.pk for c in caseload(medic)] == [case.pk]
        frozen.advance(timedelta(hours=4))
        assert [g.unit_id for g in case_workers(case)] == [inspector.unit_id]
        assert caseload(medic) == []


def test_the_caseload_is_the_newest_cases_cut_before_counting_with_ties_by_id(make_user):
    """Cut at ``limit`` first, newest first; cases opened at the same instant (one report, two victims)
    come in a fixed order; each row still counts all of its case's reports."""
    inspector = make_user()
    with clock.frozen(T0) as frozen:
        first = _register(inspector, _victim("Сапарова Айгерим", 1000))
        report_register(actor=inspector, data=report_input(victims=[_victim("Сапарова Айгерим", 1000)], offender=_offender()))
        frozen.advance(timedelta(hours=1))
        pair = report_register(
            actor=inspector,
            data=report_input(victims=[_victim("Жумабаева Салтанат", 1100), _victim("Касымова Динара", 1200)], offender=_offender()),
        ).cases
        frozen.advance(timedelta(hours=1))
        newest = _register(inspector, _victim("Нурланова Асель", 1300))
    twins = sorted((c.pk for c in pair), reverse=True)
    assert pair[0].opened_at == pair[1].opened_at
    assert [(c.pk, c.n_reports) for c in caseload(inspector)] == [(newest.pk, 1), (twins[0], 1), (twins[1], 1), (first.pk, 2)]
    assert [c.pk for c in caseload(inspector, limit=2)] == [newest.pk, twins[0]]
    assert [(c.pk, c.n_reports) for c in caseload(inspector, limit=4)][-1] == (first.pk, 2)
