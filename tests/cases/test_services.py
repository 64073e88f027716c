"""Writes of the case registry: registering reports, cases per pair, incidents, state, corrections,
safe contact and break-glass. Each test names the timeline events the action writes."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import translation

from qorgau.accounts.masks import Scope
from qorgau.accounts.models import AgencyKind, Notification, NotificationKind, Unit
from qorgau.accounts.services import unit_create
from qorgau.cases.access import case_get_for, scope_for
from qorgau.cases.models import (
    Case,
    CaseEvent,
    CaseState,
    EventKind,
    Grant,
    GrantReason,
    Incident,
    Party,
    PartyRole,
    Report,
)
from qorgau.cases.selectors import pair_history
from qorgau.cases.services import (
    SafeContactInput,
    VictimInput,
    case_break_glass,
    case_change_state,
    case_correct,
    report_register,
    safe_contact_update,
)
from qorgau.core import clock
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction, AuditEvent, Region
from qorgau.people.models import IinStatus, Person, SafeContact
from qorgau.people.services import PersonInput
from tests.cases.factories import person, report_input, synthetic_iin

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 3, 10, 6, 0, tzinfo=dt.UTC)
COUNTED = (Person, Incident, Report, Case, Party, Grant, CaseEvent, SafeContact, AuditEvent, Notification)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def oversight_unit(reference) -> Unit:
    return unit_create(
        actor=None,
        kind=AgencyKind.objects.get(code="oversight"),
        region=Region.objects.get(iso="KZ-71"),
        name_ru="Служба внутренней безопасности",
        name_kk="Ішкі қауіпсіздік қызметі",
        name_en="Internal security service",
    )


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in COUNTED}


def _kinds(case: Case) -> list[str]:
    return list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))


def _raw(model, pk: int, *columns: str) -> list[str | None]:
    qn = connection.ops.quote_name
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(model._meta.db_table)} WHERE {qn('id')} = %s",
            [pk],
        )
        return list(cur.fetchone())


def _pair(n: int, *, victim_sex: str = "F") -> tuple[list[VictimInput], PersonInput]:
    """A distinct victim–offender pair with valid IINs, numbered n."""
    victim = person(f"Жертва Номер{n}", birth=dt.date(1991, 1, n), sex=victim_sex, serial=3000 + n)
    offender = person(f"Обидчик Номер{n}", birth=dt.date(1985, 2, n), sex="M", serial=4000 + n)
    return [VictimInput(relationship="spouse", person=victim)], offender


def _register(actor, **kw):
    return report_register(actor=actor, data=report_input(**kw))


# --- registering ---------------------------------------------------------------------------------


def test_register_writes_the_report_incident_parties_case_grant_timeline_and_audit(make_user):
    inspector = make_user("police_inspector")
    with clock.frozen(T0):
        victims = [VictimInput(relationship="spouse", person=person(phone="+7 701 111 22 33"), markers=["pregnant", "rural"])]
        reg = _register(inspector, victims=victims, circumstances={"injuries", "alcohol"}, forms={"physical", "psychological"})

    report, [case] = reg.report, reg.cases
    assert reg.new_cases == [case] and reg.handed_to_oversight is False
    assert report.number == f"R-2025-{report.pk:07d}" and case.number == f"C-2025-{case.pk:07d}"
    assert (report.unit, report.registered_by, report.registered_at, report.channel) == (inspector.unit, inspector, T0, "police_102")
    assert report.received_at == T0 - timedelta(minutes=30)

    incident = report.incident
    assert (incident.region_id, incident.district_id, incident.urban, incident.occurred_at) == ("KZ-75", "751110000", True, T0 - timedelta(hours=2))
    assert (incident.physical, incident.psychological, incident.economic, incident.sexual, incident.neglect) == (True, True, False, False, False)
    assert (incident.injuries, incident.alcohol, incident.weapon, incident.strangulation, incident.drugs) == (True, True, False, False, False)

    assert set(Party.objects.filter(incident=incident).values_list("person_id", "role")) == {
        (case.victim_id, PartyRole.VICTIM),
        (case.offender_id, PartyRole.OFFENDER),
    }
    assert (case.state, case.version, case.holding_unit, case.relationship, case.opened_at) == (CaseState.ACTIVE, 1, inspector.unit, "spouse", T0)
    assert sorted(case.markers.values_list("code", flat=True)) == ["pregnant", "rural"]
    assert list(case.incidents.all()) == [incident]
    assert list(Grant.objects.filter(case=case).values_list("unit_id", "reason", "scope", "granted_by_id", "since", "until")) == [
        (inspector.unit_id, GrantReason.REGISTERED, Scope.FULL, inspector.pk, T0, None)
    ]
    assert _kinds(case) == [EventKind.OPENED, EventKind.REPORT_ADDED]
    assert set(CaseEvent.objects.filter(case=case).values_list("report_id", "unit_id", "actor_id")) == {(report.pk, inspector.unit_id, inspector.pk)}
    assert list(AuditEvent.objects.filter(action=AuditAction.WRITE, target_type__in=["report", "case"]).order_by("id").values_list("target_type", "target_id", "actor_id")) == [
        ("report", str(report.pk), inspector.pk),
        ("case", str(case.pk), inspector.pk),
    ]


def test_personal_fields_and_the_narrative_are_stored_encrypted(make_user):
    reg = _register(
        make_user(),
        victims=[VictimInput(relationship="spouse", person=person(phone="+7 701 111 22 33", address="Абая 10", workplace="Школа 12"))],
        narrative="Ударил по лицу на кухне.",
    )
    case = reg.cases[0]
    raw_victim = _raw(Person, case.victim_id, "full_name", "iin", "phone", "address", "workplace")
    assert all(str(v).startswith("v1:") for v in raw_victim)
    raw_offender = _raw(Person, case.offender_id, "full_name", "iin", "phone")
    assert all(str(v).startswith("v1:") for v in raw_offender)
    [narrative] = _raw(Report, reg.report.pk, "narrative")
    assert str(narrative).startswith("v1:") and "Ударил" not in str(narrative)
    victim = Person.objects.get(pk=case.victim_id)
    assert victim.iin_bidx and victim.name_bidx and victim.name_dob_bidx
    assert Report.objects.get(pk=reg.report.pk).narrative == "Ударил по лицу на кухне."


def test_an_exact_valid_iin_links_the_same_people_across_units_and_the_second_unit_gets_its_own_grant(make_user, other_unit):
    almaty = make_user("police_inspector")
    atyrau = make_user("health_worker", unit=other_unit)
    first = _register(almaty)
    # Another unit, another spelling of the names, the same valid IINs.
    victims = [VictimInput(relationship="spouse", person=person("Айгерим Сапарова", phone="+7 777 000 11 22"))]
    second = _register(atyrau, victims=victims, offender=person("ЕРЛАН САПАРОВ", birth=dt.date(1986, 3, 2), sex="M"), region="KZ-23", district="")

    assert second.new_cases == [] and second.cases[0].pk == first.cases[0].pk
    # Each report keeps the people as it entered them; the IIN links the records into one person each.
    assert Person.objects.count() == 4 and Case.objects.count() == 1
    assert Person.objects.values("cluster_id").distinct().count() == 2
    assert second.people["offender_"].link is not None and second.people["victim0_"].link is not None
    case = Case.objects.get()
    assert case.holding_unit == almaty.unit
    assert set(Grant.objects.filter(case=case).values_list("unit_id", "reason", "scope")) == {
        (almaty.unit_id, GrantReason.REGISTERED, Scope.FULL),
        (other_unit.pk, GrantReason.REGISTERED, Scope.FULL),
    }
    assert scope_for(atyrau, case) == Scope.FULL
    assert case.incidents.count() == 2
    assert _kinds(case) == [EventKind.OPENED, EventKind.REPORT_ADDED, EventKind.REPORT_ADDED]
    # The link does not overwrite what the first unit recorded.
    assert Person.objects.get(pk=case.victim_id).full_name == "Сапарова Айгерим"


def test_a_third_report_by_a_unit_that_already_holds_a_grant_adds_no_second_grant(make_user):
    inspector = make_user()
    _register(inspector)
    _register(inspector)
    assert Grant.objects.count() == 1


def test_an_unverified_iin_never_links_automatically(make_user):
    inspector = make_user()
    bad = synthetic_iin(dt.date(1990, 5, 17), "F")
    bad = bad[:11] + str((int(bad[11]) + 1) % 10)

    def victims():
        return [VictimInput(relationship="spouse", person=PersonInput(full_name="Сапарова Айгерим", iin=bad, iin_unverified_ok=True))]

    first = _register(inspector, victims=victims())
    second = _register(inspector, victims=victims())
    assert first.cases[0].pk != second.cases[0].pk and second.new_cases == second.cases
    assert Person.objects.filter(iin_status=IinStatus.UNVERIFIED).count() == 2
    # The offender (valid IIN) is the same man in both; the victim waits for a person to decide.
    first.cases[0].offender.refresh_from_db()
    second.cases[0].offender.refresh_from_db()
    assert first.cases[0].offender.cluster_id == second.cases[0].offender.cluster_id
    assert second.people["victim0_"].reviews == 1 and second.people["victim0_"].link is None


def test_picking_an_existing_person_from_search_joins_her_case(make_user):
    inspector = make_user()
    case = _register(inspector).cases[0]
    data = report_input(victims=[VictimInput(relationship="spouse", existing_person_id=case.victim_id)])
    data.offender, data.offender_existing_id = None, case.offender_id
    reg = report_register(actor=inspector, data=data)
    assert reg.cases[0].pk == case.pk and reg.new_cases == []
    assert Person.objects.count() == 2


def test_an_existing_person_the_user_cannot_see_is_refused_and_nothing_is_written(make_user, other_unit):
    case = _register(make_user()).cases[0]
    stranger = make_user("police_inspector", unit=other_unit)
    data = report_input(victims=[VictimInput(relationship="spouse", existing_person_id=case.victim_id)])
    data.offender, data.offender_existing_id = None, case.offender_id
    before = _counts()
    with pytest.raises(Invalid) as exc:
        report_register(actor=stranger, data=data)
    assert exc.value.fields == {
        "victim0_person": ["Not found, or you have no access to it."],
        "offender_person": ["Not found, or you have no access to it."],
    }
    assert _counts() == before


@pytest.mark.parametrize("role", ["judge", "court_clerk", "probation_officer", "programme_provider", "monitoring_operator", "analyst", "dq_reviewer", "oversight", "administrator", "placement_coordinator", "conference_coordinator"])
def test_a_role_without_register_report_is_forbidden_and_nothing_is_written(make_user, role):
    actor = make_user(role)
    before = _counts()
    with pytest.raises(Forbidden):
        _register(actor)
    assert _counts() == before


@pytest.mark.parametrize("role", ["police_inspector", "police_supervisor", "social_worker", "shelter_worker", "health_worker", "school_worker"])
def test_every_registering_role_may_register(make_user, role):
    assert len(_register(make_user(role)).new_cases) == 1


def test_an_inactive_user_may_not_register(make_user):
    inspector = make_user()
    inspector.is_active = False
    inspector.save(update_fields=["is_active"])
    with pytest.raises(Forbidden):
        _register(inspector)


def _no_victims(data):
    data.victims = []


def _no_offender(data):
    data.offender = None


BAD_REPORTS = {
    "unknown channel": (lambda d: setattr(d, "channel", "fax"), {"channel"}),
    "unknown region": (lambda d: setattr(d, "region_iso", "KZ-99"), {"region"}),
    "district of another region": (lambda d: setattr(d, "region_iso", "KZ-23"), {"district"}),
    "unknown district": (lambda d: setattr(d, "district_kato", "999999999"), {"district"}),
    "no form of violence": (lambda d: setattr(d, "forms", set()), {"forms"}),
    "unknown form of violence": (lambda d: setattr(d, "forms", {"physical", "spiritual"}), {"forms"}),
    "unknown circumstance": (lambda d: setattr(d, "circumstances", {"injuries", "rain"}), {"circumstances"}),
    "no victim": (_no_victims, {"victims"}),
    "no offender": (_no_offender, {"offender_full_name"}),
    "received in the future": (lambda d: setattr(d, "received_at", clock.now() + timedelta(hours=1)), {"received_at"}),
    "occurred in the future": (lambda d: setattr(d, "occurred_at", clock.now() + timedelta(hours=1)), {"occurred_at"}),
    "occurred after it was received": (lambda d: setattr(d, "occurred_at", d.received_at + timedelta(hours=1)), {"occurred_at"}),
    "narrative too long": (lambda d: setattr(d, "narrative", "а" * 20001), {"narrative"}),
    "unknown relationship": (lambda d: setattr(d.victims[0], "relationship", "boss"), {"victim0_relationship"}),
    "unknown marker": (lambda d: setattr(d.victims[0], "markers", ["pregnant", "tall"]), {"victim0_markers"}),
    "victim without a name": (lambda d: setattr(d.victims[0].person, "full_name", " "), {"victim0_full_name"}),
    "victim without a person": (lambda d: setattr(d.victims[0], "person", None), {"victim0_full_name"}),
    "offender IIN of 11 digits": (lambda d: setattr(d.offender, "iin", "86030230001"), {"offender_iin"}),
    "offender born in the future": (lambda d: setattr(d.offender, "birth_date", clock.now().date() + timedelta(days=40)), {"offender_birth_date"}),
    "child witness without a name": (lambda d: setattr(d, "child_witnesses", [PersonInput(full_name="")]), {"child0_full_name"}),
    "victim address too long": (lambda d: setattr(d.victims[0].person, "address", "а" * 301), {"victim0_address"}),
    "times without a time zone": (
        lambda d: (setattr(d, "received_at", d.received_at.replace(tzinfo=None)), setattr(d, "occurred_at", d.occurred_at.replace(tzinfo=None))),
        {"received_at", "occurred_at"},
    ),
    "occurred without a time zone": (lambda d: setattr(d, "occurred_at", d.occurred_at.replace(tzinfo=None)), {"occurred_at"}),
}


@pytest.mark.parametrize("mutate, keys", BAD_REPORTS.values(), ids=BAD_REPORTS.keys())
def test_a_bad_report_is_refused_with_field_errors_and_nothing_is_written(make_user, mutate, keys):
    inspector = make_user()
    data = report_input()
    mutate(data)
    before = _counts()
    with pytest.raises(Invalid) as exc:
        report_register(actor=inspector, data=data)
    assert set(exc.value.fields) == keys
    assert all(exc.value.fields[k] and all(isinstance(m, str) and m for m in exc.value.fields[k]) for k in keys)
    assert _counts() == before


def test_several_errors_are_reported_together(make_user):
    data = report_input(channel="fax", forms=set())
    data.victims[0].relationship = ""
    with pytest.raises(Invalid) as exc:
        report_register(actor=make_user(), data=data)
    assert set(exc.value.fields) == {"channel", "forms", "victim0_relationship"}


def test_a_failed_iin_needs_confirmation_and_is_then_kept_unverified(make_user):
    iin = synthetic_iin(dt.date(1990, 5, 17), "F")
    bad = iin[:11] + str((int(iin[11]) + 1) % 10)
    data = report_input(victims=[VictimInput(relationship="spouse", person=PersonInput(full_name="Сапарова Айгерим", iin=bad))])
    with pytest.raises(Invalid) as exc:
        report_register(actor=make_user(), data=data)
    assert list(exc.value.fields) == ["victim0_iin"]
    assert Person.objects.count() == 0
    data.victims[0].person.iin_unverified_ok = True  # type: ignore[union-attr]
    case = report_register(actor=make_user(), data=data).cases[0]
    assert Person.objects.get(pk=case.victim_id).iin_status == IinStatus.UNVERIFIED


def test_victim_and_offender_with_the_same_valid_iin_are_refused_and_nothing_is_written(make_user):
    inspector = make_user()
    # A mother-in-law as the offender, given by mistake the victim's own IIN.
    same = person("Сапарова Роза", birth=dt.date(1990, 5, 17), sex="F")
    before = _counts()
    with pytest.raises(Invalid) as exc:
        _register(inspector, offender=same)
    assert exc.value.fields == {"victim0_full_name": ["The victim and the offender are the same person."]}
    assert _counts() == before


def test_victim_and_offender_picked_as_the_same_existing_person_are_refused(make_user):
    inspector = make_user()
    case = _register(inspector).cases[0]
    data = report_input(victims=[VictimInput(relationship="spouse", existing_person_id=case.victim_id)])
    data.offender, data.offender_existing_id = None, case.victim_id
    before = _counts()
    with pytest.raises(Invalid) as exc:
        report_register(actor=inspector, data=data)
    assert list(exc.value.fields) == ["victim0_full_name"]
    assert _counts() == before


def test_the_same_victim_named_twice_is_refused(make_user):
    inspector = make_user()
    victims = [VictimInput(relationship="spouse", person=person()), VictimInput(relationship="spouse", person=person("Айгерим С."))]
    before = _counts()
    with pytest.raises(Invalid) as exc:
        _register(inspector, victims=victims)
    assert list(exc.value.fields) == ["victims"]
    assert _counts() == before


def test_four_victims_of_one_man_are_four_cases_of_one_incident_and_child_witnesses_are_parties(make_user):
    inspector = make_user()
    victims = [
        VictimInput(relationship="spouse", person=person("Жена Айгуль", serial=2000)),
        VictimInput(relationship="parent", person=person("Сын Арман", birth=dt.date(2014, 1, 1), sex="M", serial=2100), markers=["minor"]),
        VictimInput(relationship="parent", person=person("Дочь Алия", birth=dt.date(2016, 2, 2), serial=2200), markers=["minor"]),
        VictimInput(relationship="child", person=person("Свекровь Роза", birth=dt.date(1955, 3, 3), serial=2300), markers=["elderly"]),
    ]
    children = [person("Малыш Тимур", birth=dt.date(2019, 4, 4), sex="M", serial=2400), PersonInput(full_name="Малышка Айя")]
    reg = _register(inspector, victims=victims, child_witnesses=children)

    assert len(reg.cases) == 4 and reg.new_cases == reg.cases and Case.objects.count() == 4
    assert {c.offender_id for c in reg.cases} == {reg.cases[0].offender_id}
    assert Incident.objects.count() == 1 and Report.objects.count() == 1
    incident = Incident.objects.get()
    assert all(list(c.incidents.all()) == [incident] for c in reg.cases)
    roles = sorted(Party.objects.filter(incident=incident).values_list("role", flat=True))
    assert roles == sorted([PartyRole.OFFENDER] + [PartyRole.VICTIM] * 4 + [PartyRole.CHILD_WITNESS] * 2)
    # Children who only witnessed are parties, not cases.
    witnesses = Party.objects.filter(role=PartyRole.CHILD_WITNESS).values_list("person_id", flat=True)
    assert not Case.objects.filter(victim_id__in=witnesses).exists()
    assert [pair_history(c).child_witnesses for c in reg.cases] == [2, 2, 2, 2]
    assert [c.relationship for c in reg.cases] == ["spouse", "parent", "parent", "child"]
    assert [sorted(c.markers.values_list("code", flat=True)) for c in reg.cases] == [[], ["minor"], ["minor"], ["elderly"]]
    assert all(_kinds(c) == [EventKind.OPENED, EventKind.REPORT_ADDED] for c in reg.cases)
    assert Grant.objects.filter(unit=inspector.unit).count() == 4


# --- incidents of the last 48 hours -------------------------------------------------------------


def test_a_report_attached_to_the_pairs_incident_of_the_last_48_hours_joins_it(make_user):
    inspector = make_user()
    with clock.frozen(T0) as frozen:
        first = _register(inspector)
        frozen.advance(timedelta(hours=24))
        second = _register(inspector, channel="neighbour", attach_incident_id=first.report.incident_id, forms={"sexual"})
    assert second.report.incident_id == first.report.incident_id
    assert Incident.objects.count() == 1 and Report.objects.count() == 2
    case = Case.objects.get()
    assert case.incidents.count() == 1
    # The incident keeps what the first report recorded.
    assert (Incident.objects.get().physical, Incident.objects.get().sexual) == (True, False)
    assert _kinds(case) == [EventKind.OPENED, EventKind.REPORT_ADDED, EventKind.REPORT_ADDED]


def test_an_incident_older_than_48_hours_cannot_be_attached(make_user):
    inspector = make_user()
    with clock.frozen(T0) as frozen:
        first = _register(inspector)
        frozen.advance(timedelta(hours=50))
        before = _counts()
        with pytest.raises(Invalid) as exc:
            _register(inspector, attach_incident_id=first.report.incident_id)
    assert list(exc.value.fields) == ["attach_incident"]
    assert _counts() == before


def test_another_pairs_incident_cannot_be_attached(make_user):
    inspector = make_user()
    victims_a, offender_a = _pair(1)
    victims_b, offender_b = _pair(2)
    _register(inspector, victims=victims_a, offender=offender_a)
    other = _register(inspector, victims=victims_b, offender=offender_b)
    victims_a, offender_a = _pair(1)
    before = _counts()
    with pytest.raises(Invalid) as exc:
        _register(inspector, victims=victims_a, offender=offender_a, attach_incident_id=other.report.incident_id)
    assert list(exc.value.fields) == ["attach_incident"]
    assert _counts() == before


def test_an_incident_of_a_pair_the_user_cannot_see_cannot_be_attached(make_user, other_unit):
    first = _register(make_user())
    stranger = make_user("police_inspector", unit=other_unit)
    with pytest.raises(Invalid) as exc:
        _register(stranger, attach_incident_id=first.report.incident_id)
    assert list(exc.value.fields) == ["attach_incident"]


def test_a_new_incident_is_started_without_an_attachment_even_within_48_hours(make_user):
    inspector = make_user()
    _register(inspector)
    _register(inspector)
    assert Incident.objects.count() == 2 and Case.objects.get().incidents.count() == 2


def test_urban_defaults_from_the_district_and_can_be_overridden(make_user, other_unit):
    worker = make_user("social_worker", unit=other_unit)
    rural = _register(worker, region="KZ-23", district="233600000").report.incident
    town = _register(worker, region="KZ-23", district="231000000", victims=_pair(1)[0], offender=_pair(1)[1]).report.incident
    override = _register(worker, region="KZ-23", district="231000000", urban=False, victims=_pair(2)[0], offender=_pair(2)[1]).report.incident
    assert (rural.urban, town.urban, override.urban) == (False, True, False)


# --- reopening, import keys -----------------------------------------------------------------------


def test_a_new_report_reopens_a_closed_case(make_user):
    inspector = make_user()
    with clock.frozen(T0) as frozen:
        case = _register(inspector).cases[0]
        case = case_change_state(actor=inspector, case=case, version=1, to_state=CaseState.CLOSED, reason="Переехала к родителям")
        assert (case.state, case.closed_at, case.version) == (CaseState.CLOSED, T0, 2)
        frozen.advance(timedelta(days=30))
        reg = _register(inspector)
    case.refresh_from_db()
    assert reg.cases[0].pk == case.pk and reg.new_cases == []
    assert (case.state, case.closed_at, case.version) == (CaseState.ACTIVE, None, 3)
    assert _kinds(case) == [EventKind.OPENED, EventKind.REPORT_ADDED, EventKind.STATE_CHANGED, EventKind.REOPENED, EventKind.REPORT_ADDED]
    reopened = CaseEvent.objects.get(case=case, kind=EventKind.REOPENED)
    assert (reopened.from_state, reopened.to_state, reopened.report_id, reopened.at) == (CaseState.CLOSED, CaseState.ACTIVE, reg.report.pk, T0 + timedelta(days=30))


def test_a_new_report_on_a_supervised_case_keeps_it_supervised(make_user):
    inspector = make_user()
    case = _register(inspector).cases[0]
    case_change_state(actor=inspector, case=case, version=1, to_state=CaseState.SUPERVISED, reason="Под контролем")
    _register(inspector)
    case.refresh_from_db()
    assert case.state == CaseState.SUPERVISED
    assert EventKind.REOPENED not in _kinds(case)


def test_the_same_import_key_twice_registers_one_report(make_user):
    inspector = make_user()
    first = _register(inspector, import_key="batch-7:line-12")
    again = _register(inspector, import_key="batch-7:line-12")
    assert again.report.pk == first.report.pk and [c.pk for c in again.cases] == [c.pk for c in first.cases]
    assert again.new_cases == []
    assert Report.objects.count() == 1 and Incident.objects.count() == 1
    assert _kinds(first.cases[0]) == [EventKind.OPENED, EventKind.REPORT_ADDED]
    other = _register(inspector, import_key="batch-7:line-13")
    assert other.report.pk != first.report.pk and Report.objects.count() == 2


# --- restricted cases ---------------------------------------------------------------------------


def test_a_restricted_report_hands_the_case_to_oversight_and_the_registering_unit_loses_access(make_user, other_unit, oversight_unit):
    inspector = make_user()
    controller = make_user("oversight", unit=oversight_unit)
    with clock.frozen(T0):
        reg = _register(inspector, restricted=True)
    case = reg.cases[0]
    case.refresh_from_db()
    assert reg.handed_to_oversight is True and case.restricted is True
    assert set(Grant.objects.filter(case=case).values_list("unit_id", "reason", "scope", "until")) == {
        (inspector.unit_id, GrantReason.REGISTERED, Scope.FULL, T0),
        (oversight_unit.pk, GrantReason.OVERSIGHT, Scope.FULL, None),
    }
    with pytest.raises(NotFound):
        case_get_for(inspector, case.pk)
    seen, viewer = case_get_for(controller, case.pk)
    assert seen.pk == case.pk and viewer.scope == Scope.FULL

    stranger = make_user("police_inspector", unit=other_unit)
    with pytest.raises(NotFound):
        case_break_glass(actor=stranger, case_id=case.pk, justification="Угроза жизни, срочно нужен адрес")
    with pytest.raises(NotFound):
        case_break_glass(actor=inspector, case_id=case.pk, justification="Угроза жизни, срочно нужен адрес")
    assert not Grant.objects.filter(case=case, reason=GrantReason.BREAK_GLASS).exists()


def test_a_later_report_on_a_restricted_case_gives_the_registering_unit_no_access(make_user, other_unit, oversight_unit):
    case = _register(make_user(), restricted=True).cases[0]
    stranger = make_user("police_inspector", unit=other_unit)
    reg = _register(stranger)
    assert reg.cases[0].pk == case.pk and reg.handed_to_oversight is True
    assert not Grant.objects.filter(case=case, unit=other_unit).exists()
    with pytest.raises(NotFound):
        case_get_for(stranger, case.pk)


def test_a_case_whose_offender_is_staff_is_restricted_without_being_asked(make_user, oversight_unit):
    offender = person("Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M")
    make_user("police_inspector", username="officer.saparov", full_name="Сапаров Ерлан", iin=offender.iin)
    inspector = make_user()
    reg = _register(inspector, offender=offender)
    case = Case.objects.get(pk=reg.cases[0].pk)
    assert reg.handed_to_oversight is True and case.restricted is True
    assert scope_for(inspector, case) is None
    assert Grant.objects.filter(case=case, unit=oversight_unit, reason=GrantReason.OVERSIGHT).exists()


def test_a_new_victim_of_an_offender_whose_case_is_restricted_gets_a_restricted_case_too(make_user, other_unit, oversight_unit):
    first = _register(make_user(), restricted=True).cases[0]
    stranger = make_user("police_inspector", unit=other_unit)
    victims = [VictimInput(relationship="partner", person=person("Другая Женщина", serial=5000))]
    reg = _register(stranger, victims=victims, region="KZ-23", district="")
    case = Case.objects.get(pk=reg.cases[0].pk)
    assert reg.new_cases == [case] and case.pk != first.pk
    assert (case.restricted, reg.handed_to_oversight) == (True, True)
    assert scope_for(stranger, case) is None
    assert set(Grant.objects.filter(case=case, until__isnull=True).values_list("unit_id", flat=True)) == {oversight_unit.pk}


def test_an_unverified_near_miss_of_a_staff_iin_does_not_restrict(make_user, oversight_unit):
    offender = person("Сапаров Ерлан", birth=dt.date(1986, 3, 2), sex="M")
    make_user("police_inspector", username="officer.saparov", iin=offender.iin)
    # Someone typed the officer's IIN with one digit wrong and confirmed it: no confirmed link to staff.
    wrong = offender.iin[:11] + str((int(offender.iin[11]) + 1) % 10)
    reg = _register(make_user(), offender=PersonInput(full_name="Сапаров Ерлан", iin=wrong, iin_unverified_ok=True))
    assert reg.handed_to_oversight is False and Case.objects.get().restricted is False


# --- state ----------------------------------------------------------------------------------------


PATHS = [
    [CaseState.SUPERVISED],
    [CaseState.CLOSED],
    [CaseState.SUPERVISED, CaseState.ACTIVE],
    [CaseState.SUPERVISED, CaseState.CLOSED],
    [CaseState.CLOSED, CaseState.ACTIVE],
]


@pytest.mark.parametrize("path", PATHS, ids=["-".join(p) for p in PATHS])
def test_allowed_state_changes_bump_the_version_and_write_the_timeline(make_user, path):
    inspector = make_user()
    with clock.frozen(T0):
        case = _register(inspector).cases[0]
        for i, state in enumerate(path):
            case = case_change_state(actor=inspector, case=case, version=1 + i, to_state=state, reason=f"  причина {i}  ")
    case.refresh_from_db()
    assert (case.state, case.version, case.state_reason) == (path[-1], 1 + len(path), f"причина {len(path) - 1}")
    assert case.closed_at == (T0 if path[-1] == CaseState.CLOSED else None)
    events = CaseEvent.objects.filter(case=case, kind=EventKind.STATE_CHANGED)
    assert list(events.values_list("from_state", "to_state")) == list(zip([CaseState.ACTIVE, *path[:-1]], path, strict=True))
    assert [e.reason for e in events] == [f"причина {i}" for i in range(len(path))]
    assert str(_raw(Case, case.pk, "state_reason")[0]).startswith("v1:")
    assert AuditEvent.objects.filter(action=AuditAction.WRITE, target_type="case", target_id=str(case.pk)).count() == 1 + len(path)


@pytest.mark.parametrize(
    "path, to_state",
    [([], CaseState.ACTIVE), ([CaseState.CLOSED], CaseState.SUPERVISED), ([CaseState.CLOSED], CaseState.CLOSED), ([], "archived"), ([], "")],
)
def test_forbidden_state_changes_are_refused_and_nothing_changes(make_user, path, to_state):
    inspector = make_user()
    case = _register(inspector).cases[0]
    for i, state in enumerate(path):
        case = case_change_state(actor=inspector, case=case, version=1 + i, to_state=state, reason="причина")
    before = _counts()
    with pytest.raises(Invalid) as exc:
        case_change_state(actor=inspector, case=case, version=case.version, to_state=to_state, reason="причина")
    assert list(exc.value.fields) == ["state"]
    assert _counts() == before
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.version) == (case.state, case.version)


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_a_state_change_needs_a_reason(make_user, reason):
    inspector = make_user()
    case = _register(inspector).cases[0]
    before = _counts()
    with pytest.raises(Invalid) as exc:
        case_change_state(actor=inspector, case=case, version=1, to_state=CaseState.CLOSED, reason=reason)
    assert exc.value.fields == {"reason": ["Give the reason."]}
    assert _counts() == before
    assert Case.objects.get(pk=case.pk).state == CaseState.ACTIVE


def test_a_stale_state_change_is_a_conflict_and_changes_nothing(make_user):
    inspector = make_user()
    supervisor = make_user("police_supervisor")
    case = _register(inspector).cases[0]
    mine = Case.objects.get(pk=case.pk)  # opened by the inspector at version 1
    case_change_state(actor=supervisor, case=Case.objects.get(pk=case.pk), version=1, to_state=CaseState.SUPERVISED, reason="Взяла на контроль")
    before = _counts()
    with pytest.raises(Conflict):
        case_change_state(actor=inspector, case=mine, version=1, to_state=CaseState.CLOSED, reason="Закрываю")
    # The second version the conflict page would show: the state the other user saved.
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.version, fresh.state_reason, fresh.closed_at) == (CaseState.SUPERVISED, 2, "Взяла на контроль", None)
    assert _counts() == before
    # A stale version is a conflict even when the change itself is now impossible.
    with pytest.raises(Conflict):
        case_change_state(actor=inspector, case=fresh, version=1, to_state=CaseState.SUPERVISED, reason="Ещё раз")


def test_a_state_change_by_a_unit_without_a_grant_is_not_found(make_user, other_unit):
    case = _register(make_user()).cases[0]
    with pytest.raises(NotFound):
        case_change_state(actor=make_user("police_inspector", unit=other_unit), case=case, version=1, to_state=CaseState.CLOSED, reason="x")


def test_a_state_change_needs_work_cases_and_more_than_a_consent_grant(make_user, reference):
    case = _register(make_user()).cases[0]
    provider_unit = unit_create(actor=None, kind=AgencyKind.objects.get(code="correction_programme"), region=Region.objects.get(iso="KZ-75"), name_ru="П", name_kk="П", name_en="Programme")
    crisis = unit_create(actor=None, kind=AgencyKind.objects.get(code="crisis_centre"), region=Region.objects.get(iso="KZ-75"), name_ru="К", name_kk="К", name_en="Crisis")
    Grant.objects.create(case=case, unit=provider_unit, reason=GrantReason.TASK, scope=Scope.FULL, since=clock.now())
    Grant.objects.create(case=case, unit=crisis, reason=GrantReason.REFERRAL, scope=Scope.CONSENT, since=clock.now())
    for actor in (make_user("programme_provider", unit=provider_unit), make_user("shelter_worker", unit=crisis)):
        with pytest.raises(Forbidden):
            case_change_state(actor=actor, case=case, version=1, to_state=CaseState.CLOSED, reason="причина")
    assert Case.objects.get(pk=case.pk).state == CaseState.ACTIVE


# --- corrections ----------------------------------------------------------------------------------


def test_case_correct_changes_relationship_and_markers_with_a_timeline_reason(make_user):
    inspector = make_user()
    case = _register(inspector, victims=[VictimInput(relationship="spouse", person=person(), markers=["rural"])]).cases[0]
    case = case_correct(actor=inspector, case=case, version=1, relationship="ex_spouse", markers=["pregnant", "disabled"], reason=" Развод в 2023 ")
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.relationship, fresh.version) == ("ex_spouse", 2)
    assert sorted(fresh.markers.values_list("code", flat=True)) == ["disabled", "pregnant"]
    edited = CaseEvent.objects.get(case=case, kind=EventKind.EDITED)
    assert (edited.reason, edited.actor_id) == ("Развод в 2023", inspector.pk)
    assert _kinds(case) == [EventKind.OPENED, EventKind.REPORT_ADDED, EventKind.EDITED]


def test_case_correct_refuses_bad_values_together_and_changes_nothing(make_user):
    inspector = make_user()
    case = _register(inspector, victims=[VictimInput(relationship="spouse", person=person(), markers=["rural"])]).cases[0]
    before = _counts()
    with pytest.raises(Invalid) as exc:
        case_correct(actor=inspector, case=case, version=1, relationship="boss", markers=["rural", "tall"], reason=" ")
    assert set(exc.value.fields) == {"relationship", "markers", "reason"}
    assert _counts() == before
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.relationship, fresh.version, list(fresh.markers.values_list("code", flat=True))) == ("spouse", 1, ["rural"])


def test_a_stale_correction_is_a_conflict_and_changes_nothing(make_user):
    inspector = make_user()
    case = _register(inspector, victims=[VictimInput(relationship="spouse", person=person(), markers=["rural"])]).cases[0]
    case_correct(actor=inspector, case=Case.objects.get(pk=case.pk), version=1, relationship="partner", markers=["rural"], reason="Уточнено")
    before = _counts()
    with pytest.raises(Conflict):
        case_correct(actor=inspector, case=case, version=1, relationship="ex_spouse", markers=["pregnant"], reason="Моя правка")
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.relationship, fresh.version, list(fresh.markers.values_list("code", flat=True))) == ("partner", 2, ["rural"])
    assert _counts() == before


def test_case_correct_by_a_unit_without_a_grant_is_not_found(make_user, other_unit):
    case = _register(make_user()).cases[0]
    with pytest.raises(NotFound):
        case_correct(actor=make_user(unit=other_unit), case=case, version=1, relationship="partner", markers=[], reason="x")


# --- safe contact ---------------------------------------------------------------------------------


def test_safe_contact_is_created_then_updated_with_a_version(make_user):
    inspector = make_user()
    case = _register(inspector).cases[0]
    contact = safe_contact_update(
        actor=inspector, case=case, version=None,
        data=SafeContactInput(may_call=True, call_times=" 10:00–12:00 ", phone=" +7 705 123 45 67 ", code_word="Ромашка"),
    )
    assert (contact.version, contact.may_call, contact.call_times, contact.phone, contact.code_word) == (1, True, "10:00–12:00", "+7 705 123 45 67", "Ромашка")
    raw_phone, raw_word = _raw(SafeContact, contact.pk, "phone", "code_word")
    assert str(raw_phone).startswith("v1:") and str(raw_word).startswith("v1:")

    contact = safe_contact_update(actor=inspector, case=case, version=1, data=SafeContactInput(may_call=False, may_leave_message=True))
    fresh = SafeContact.objects.get(person=case.victim)
    assert (fresh.version, fresh.may_call, fresh.may_leave_message, fresh.phone, fresh.code_word, fresh.call_times) == (2, False, True, None, None, "")
    assert _kinds(case) == [EventKind.OPENED, EventKind.REPORT_ADDED, EventKind.SAFE_CONTACT, EventKind.SAFE_CONTACT]
    assert AuditEvent.objects.filter(action=AuditAction.WRITE, target_type="safe_contact", target_id=str(contact.pk)).count() == 2


def test_a_stale_safe_contact_save_is_a_conflict_and_changes_nothing(make_user):
    inspector = make_user()
    case = _register(inspector).cases[0]
    safe_contact_update(actor=inspector, case=case, version=None, data=SafeContactInput(may_call=True, phone="+7 705 123 45 67"))
    safe_contact_update(actor=inspector, case=case, version=1, data=SafeContactInput(may_call=False))
    before = _counts()
    for stale in (1, None):  # an edit of version 1, and a second "first" save from a form opened before any
        with pytest.raises(Conflict):
            safe_contact_update(actor=inspector, case=case, version=stale, data=SafeContactInput(may_call=True, phone="+7 700 000 00 00"))
    fresh = SafeContact.objects.get(person=case.victim)
    assert (fresh.version, fresh.may_call, fresh.phone) == (2, False, None)
    assert _counts() == before


def test_safe_contact_needs_a_full_grant(make_user, other_unit):
    case = _register(make_user()).cases[0]
    stranger = make_user("police_inspector", unit=other_unit)
    with pytest.raises(NotFound):
        safe_contact_update(actor=stranger, case=case, version=None, data=SafeContactInput(may_call=True))
    case_break_glass(actor=stranger, case_id=case.pk, justification="Она звонила, угроза жизни")
    assert scope_for(stranger, case) == Scope.WORKER
    with pytest.raises(Forbidden):
        safe_contact_update(actor=stranger, case=case, version=None, data=SafeContactInput(may_call=True))
    assert not SafeContact.objects.exists()


def test_safe_contact_fields_over_their_limits_are_refused(make_user):
    inspector = make_user()
    case = _register(inspector).cases[0]
    with pytest.raises(Invalid) as exc:
        safe_contact_update(actor=inspector, case=case, version=None, data=SafeContactInput(may_call=True, call_times="у" * 121, phone="7" * 41, code_word="к" * 101))
    assert set(exc.value.fields) == {"call_times", "phone", "code_word"}
    assert not SafeContact.objects.exists()
    contact = safe_contact_update(actor=inspector, case=case, version=None, data=SafeContactInput(may_call=True, call_times="у" * 120, phone="7" * 40, code_word="к" * 100))
    assert contact.version == 1


# --- break-glass ----------------------------------------------------------------------------------


def test_break_glass_grants_worker_access_for_4_hours_notifies_supervisors_and_is_audited(make_user, other_unit):
    inspector = make_user()
    supervisor = make_user("police_supervisor")
    retired = make_user("police_supervisor")
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    make_user("police_supervisor", unit=other_unit)
    case = _register(inspector).cases[0]
    stranger = make_user("health_worker", unit=other_unit)

    with clock.frozen(T0) as frozen:
        grant = case_break_glass(actor=stranger, case_id=case.pk, justification="  Поступила с травмами, нужен контакт  ")
        assert (grant.unit_id, grant.reason, grant.scope, grant.since, grant.until) == (other_unit.pk, GrantReason.BREAK_GLASS, Scope.WORKER, T0, T0 + timedelta(hours=4))
        assert Grant.objects.get(pk=grant.pk).justification == "Поступила с травмами, нужен контакт"
        assert str(_raw(Grant, grant.pk, "justification")[0]).startswith("v1:")

        assert list(Notification.objects.filter(kind=NotificationKind.BREAK_GLASS).values_list("recipient_id", "kind", "target_type", "target_id")) == [
            (supervisor.pk, NotificationKind.BREAK_GLASS, "case", str(case.pk))
        ]
        assert list(AuditEvent.objects.filter(action=AuditAction.BREAK_GLASS).values_list("actor_id", "actor_unit_id", "target_type", "target_id")) == [
            (stranger.pk, other_unit.pk, "case", str(case.pk))
        ]
        event = CaseEvent.objects.get(case=case, kind=EventKind.BREAK_GLASS)
        assert (event.actor_id, event.unit_id, event.at) == (stranger.pk, other_unit.pk, T0)

        _, viewer = case_get_for(stranger, case.pk)
        assert viewer.scope == Scope.WORKER
        frozen.advance(timedelta(hours=3, minutes=59))
        case_get_for(stranger, case.pk)
        frozen.advance(timedelta(minutes=1))
        with pytest.raises(NotFound):
            case_get_for(stranger, case.pk)


@pytest.mark.parametrize("justification", ["", "срочно", "  короткий ", "123456789"])
def test_break_glass_needs_a_reason_of_at_least_10_characters(make_user, other_unit, justification):
    case = _register(make_user()).cases[0]
    stranger = make_user("police_inspector", unit=other_unit)
    before = _counts()
    with pytest.raises(Invalid) as exc:
        case_break_glass(actor=stranger, case_id=case.pk, justification=justification)
    assert list(exc.value.fields) == ["justification"]
    assert _counts() == before


@pytest.mark.parametrize("role", ["analyst", "programme_provider", "judge", "court_clerk", "probation_officer", "monitoring_operator", "oversight", "administrator", "dq_reviewer"])
def test_roles_without_break_glass_are_forbidden(make_user, other_unit, role):
    case = _register(make_user()).cases[0]
    actor = make_user(role, unit=other_unit)
    before = _counts()
    with pytest.raises(Forbidden):
        case_break_glass(actor=actor, case_id=case.pk, justification="Угроза жизни, нужен адрес")
    assert _counts() == before


def test_break_glass_on_a_missing_case_is_not_found(make_user):
    with pytest.raises(NotFound):
        case_break_glass(actor=make_user(), case_id=987654, justification="Угроза жизни, нужен адрес")
