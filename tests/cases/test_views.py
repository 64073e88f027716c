"""The case registry's pages through the Django test client: registration, the case page and its
edits, conflicts, search and break-glass, with the mask layer and the access gate on every page."""

from __future__ import annotations

import datetime as dt
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from qorgau.accounts.models import AgencyKind, Notification, NotificationKind
from qorgau.accounts.services import unit_create
from qorgau.cases.forms import ReportForm
from qorgau.cases.models import Case, CaseEvent, CaseState, EventKind, Grant, GrantReason, Incident, Report
from qorgau.cases.services import VictimInput, report_register
from qorgau.core import clock
from qorgau.core.models import District, Region
from qorgau.people.models import IinStatus, Person, SafeContact
from tests.cases.factories import person, report_input, synthetic_iin
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

VICTIM_BIRTH = dt.date(1990, 5, 17)
OFFENDER_BIRTH = dt.date(1986, 3, 2)
VICTIM_IIN = synthetic_iin(VICTIM_BIRTH, "F", 1000)
OFFENDER_IIN = synthetic_iin(OFFENDER_BIRTH, "M", 1000)
ZONE = ZoneInfo("Asia/Almaty")  # the police unit of the fixtures is in Almaty


def local(at: dt.datetime) -> str:
    return at.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def form_data(**over: object) -> dict[str, object]:
    now = clock.now()
    data: dict[str, object] = {
        "channel": "police_102",
        "received_at": local(now - timedelta(minutes=30)),
        "occurred_at": local(now - timedelta(hours=2)),
        "region": "KZ-75",
        "district": "751110000",
        "locality": "мкр. Самал-2",
        "urban": "",
        "forms": ["physical", "psychological"],
        "circumstances": ["injuries", "alcohol"],
        "narrative": "Ударил по лицу, угрожал ножом.",
        "victim0_full_name": "Сапарова Айгерим",
        "victim0_iin": VICTIM_IIN,
        "victim0_birth_date": VICTIM_BIRTH.isoformat(),
        "victim0_sex": "F",
        "victim0_phone": "+7 701 111 22 33",
        "victim0_address": "ул. Абая 10, кв. 5",
        "victim0_relationship": "spouse",
        "victim0_markers": ["pregnant"],
        "offender_full_name": "Сапаров Ерлан",
        "offender_iin": OFFENDER_IIN,
        "offender_birth_date": OFFENDER_BIRTH.isoformat(),
        "offender_sex": "M",
        "offender_phone": "+7 702 000 00 00",
        "offender_address": "",
    }
    for key, value in over.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def field_errors(response, name: str) -> list[str]:
    return [str(e) for e in response.context["form"].errors.get(name, [])]


def input_value(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    if not match:
        return None
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


@pytest.fixture
def inspector(make_user):
    return make_user("police_inspector", language="en")


@pytest.fixture
def client_for():
    def make(user) -> Client:
        return sign_in(Client(), user)

    return make


@pytest.fixture
def registered(inspector) -> Case:
    data = report_input(
        victims=[VictimInput(relationship="spouse", person=person(phone="+7 701 111 22 33", address="ул. Абая 10"))],
        locality="мкр. Самал-2",
    )
    return report_register(actor=inspector, data=data).cases[0]


# --- registration --------------------------------------------------------------------------------------


def test_register_page_starts_from_the_users_unit(inspector, client_for):
    response = client_for(inspector).get("/cases/register/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<option value="KZ-75" selected>', html)
    assert re.search(r'<option value="751110000" selected>', html)
    assert 'hx-get="/cases/districts/"' in html
    assert html.count('name="victim0_full_name"') == 1 and 'name="victim3_full_name"' in html
    assert 'name="child2_full_name"' in html and 'name="child2_iin"' not in html


def test_register_success_opens_the_case_and_lands_on_it(inspector, client_for):
    client = client_for(inspector)
    response = client.post("/cases/register/", form_data())
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    report = Report.objects.get()
    incident = report.incident
    assert (report.channel, report.narrative) == ("police_102", "Ударил по лицу, угрожал ножом.")
    assert report.received_at == (clock.now() - timedelta(minutes=30)).replace(second=0, microsecond=0)
    assert (incident.region_id, incident.district_id, incident.locality, incident.urban) == ("KZ-75", "751110000", "мкр. Самал-2", True)
    assert (incident.physical, incident.psychological, incident.economic, incident.injuries, incident.alcohol, incident.weapon) == (
        True, True, False, True, True, False,
    )
    assert case.relationship == "spouse" and list(case.markers.values_list("code", flat=True)) == ["pregnant"]
    assert (case.victim.full_name, case.victim.iin, case.victim.iin_status) == ("Сапарова Айгерим", VICTIM_IIN, IinStatus.VALID)
    assert (case.offender.full_name, case.offender.sex) == ("Сапаров Ерлан", "M")

    page = client.get(response["Location"])
    html = page.content.decode()
    assert f"Report {report.number} is registered in case {case.number}." in html
    assert "Сапарова Айгерим" in html and "+7 701 111 22 33" in html


def test_rural_choice_and_child_witnesses_and_second_victim(inspector, client_for):
    data = form_data(
        urban="rural",
        victim2_full_name="Сапарова Дана",
        victim2_birth_date="2012-04-01",
        victim2_sex="F",
        victim2_relationship="parent",
        child0_full_name="Сапаров Алихан",
        child0_birth_date="2016-09-09",
        child0_sex="M",
    )
    response = client_for(inspector).post("/cases/register/", data)
    assert response.status_code == 302
    assert Case.objects.count() == 2
    incident = Incident.objects.get()
    assert incident.urban is False
    assert sorted(incident.parties.values_list("role", flat=True)) == ["child_witness", "offender", "victim", "victim"]
    second = Case.objects.get(victim__birth_date=dt.date(2012, 4, 1))
    assert second.relationship == "parent"


def test_empty_report_is_refused_field_by_field(inspector, client_for):
    response = client_for(inspector).post("/cases/register/", {})
    assert response.status_code == 200
    assert field_errors(response, "channel") == ["This field is required."]
    assert field_errors(response, "region") == ["This field is required."]
    assert field_errors(response, "forms") == ["Choose at least one form of violence."]
    assert field_errors(response, "victim0_full_name") == ["Enter the full name."]
    assert field_errors(response, "victim0_relationship") == ["Choose what the offender is to her."]
    assert field_errors(response, "offender_full_name") == ["Enter the full name."]
    assert "Some fields need correcting." in response.content.decode()
    assert Report.objects.count() == 0 and Person.objects.count() == 0


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"region": "KZ-99"}, "region", "Choose one of the offered values."),
        ({"victim0_iin": "12345"}, "victim0_iin", "An IIN is exactly 12 digits."),
        ({"victim0_iin": "9005176abcde"}, "victim0_iin", "An IIN is exactly 12 digits."),
        ({"victim0_sex": "M"}, "victim0_sex", "The sex does not match the IIN."),
        ({"victim0_birth_date": "1990-05-18"}, "victim0_birth_date", "The birth date does not match the IIN."),
        ({"victim0_birth_date": "31.02.1990"}, "victim0_birth_date", "Enter a valid date."),
        ({"received_at": "yesterday"}, "received_at", "Enter a valid date and time."),
        ({"forms": None}, "forms", "Choose at least one form of violence."),
        ({"channel": "pigeon"}, "channel", "Choose one of the offered values."),
        ({"offender_full_name": "  "}, "offender_full_name", "Enter the full name."),
        ({"received_at": "0001-01-01T00:00"}, "received_at", "Check the year: dates before 2000 are not accepted."),
        ({"offender_iin": "", "offender_birth_date": "1812-01-01"}, "offender_birth_date", "Check the year of birth."),
        ({"victim0_markers": ["pregnant", "astronaut"]}, "victim0_markers", "Choose one of the offered values."),
        ({"narrative": "x" * 20001}, "narrative", "This value is too long."),
    ],
)
def test_bad_input_shows_the_field_error_and_keeps_what_was_typed(inspector, client_for, over, field, message):
    response = client_for(inspector).post("/cases/register/", form_data(**over))
    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    html = response.content.decode()
    assert input_value(html, "victim0_full_name") == "Сапарова Айгерим"
    assert input_value(html, "offender_phone") == "+7 702 000 00 00"
    if field != "narrative":
        assert "Ударил по лицу, угрожал ножом." in html
    assert Report.objects.count() == 0


def test_future_birth_date_is_refused(inspector, client_for):
    tomorrow = (clock.now() + timedelta(days=1)).astimezone(ZONE).date()
    response = client_for(inspector).post("/cases/register/", form_data(victim0_iin="", victim0_birth_date=tomorrow.isoformat()))
    assert response.status_code == 200
    assert field_errors(response, "victim0_birth_date") == ["The birth date is in the future."]
    assert input_value(response.content.decode(), "victim0_birth_date") == tomorrow.isoformat()
    assert Report.objects.count() == 0


def test_district_of_another_region_comes_back_from_the_service(inspector, client_for):
    atyrau = District.objects.filter(region_id="KZ-23").order_by("kato").first()
    response = client_for(inspector).post("/cases/register/", form_data(district=atyrau.kato))
    assert response.status_code == 200
    assert field_errors(response, "district") == ["The district is not in the chosen region."]
    assert Report.objects.count() == 0 and Person.objects.count() == 0


def test_future_report_time_comes_back_from_the_service(inspector, client_for):
    response = client_for(inspector).post("/cases/register/", form_data(received_at=local(clock.now() + timedelta(days=1))))
    assert response.status_code == 200
    assert field_errors(response, "received_at") == ["This time is in the future."]


def test_victim_equal_to_offender_is_refused(inspector, client_for):
    same = form_data(
        victim0_full_name="Сапаров Ерлан", victim0_iin=OFFENDER_IIN, victim0_birth_date=OFFENDER_BIRTH.isoformat(), victim0_sex="M",
    )
    response = client_for(inspector).post("/cases/register/", same)
    assert response.status_code == 200
    assert field_errors(response, "victim0_iin") == ["The victim and the offender are the same person."]
    assert Report.objects.count() == 0 and Person.objects.count() == 0


def test_failing_iin_needs_the_confirmation_then_is_kept_unverified(inspector, client_for):
    failing = VICTIM_IIN[:11] + str((int(VICTIM_IIN[11]) + 1) % 10)
    client = client_for(inspector)
    refused = client.post("/cases/register/", form_data(victim0_iin=failing))
    assert refused.status_code == 200
    assert field_errors(refused, "victim0_iin") == [
        "This IIN fails the check (date, century digit or check digit). Correct it, or confirm to keep it as unverified."
    ]
    assert input_value(refused.content.decode(), "victim0_iin") == failing
    assert Report.objects.count() == 0

    accepted = client.post("/cases/register/", form_data(victim0_iin=failing, victim0_iin_unverified_ok="on"))
    assert accepted.status_code == 302
    victim = Case.objects.get().victim
    assert (victim.iin, victim.iin_status) == (failing, IinStatus.UNVERIFIED)
    page = client.get(accepted["Location"]).content.decode()
    assert failing in page and "unverified" in page


def test_service_keys_of_filled_victims_map_back_to_their_fieldsets(inspector):
    form = ReportForm({"victim0_full_name": "A", "victim2_full_name": "B", "child1_full_name": "C"}, user=inspector)
    assert form.filled_victims() == [0, 2] and form.filled_children() == [1]
    assert form.service_key("victim1_iin") == "victim2_iin"
    assert form.service_key("victim0_full_name") == "victim0_full_name"
    assert form.service_key("child0_birth_date") == "child1_birth_date"
    assert form.service_key("victims") == "victim0_full_name"
    assert form.service_key("district") == "district"


def test_defaults_alone_do_not_make_a_fieldset_count(inspector, client_for):
    defaults = {f"{p}_sex": "U" for p in ("victim1", "victim2", "victim3", "child0", "child1", "child2")}
    response = client_for(inspector).post("/cases/register/", form_data(**defaults, victim3_relationship="parent"))
    assert response.status_code == 302
    assert Case.objects.count() == 1 and Incident.objects.get().parties.count() == 2
    form = ReportForm(form_data(**defaults), user=inspector)
    assert form.filled_victims() == [0] and form.filled_children() == []
    assert [g.is_open for g in form.victim_groups()] == [True, False, False, False]
    assert [g.is_open for g in form.child_groups()] == [False, False, False]


def test_the_pairs_recent_incident_is_offered_and_joined(inspector, client_for):
    client = client_for(inspector)
    assert client.post("/cases/register/", form_data()).status_code == 302
    first = Incident.objects.get()

    again = client.post("/cases/register/", form_data(channel="neighbour", narrative="Соседи слышали крики."))
    assert again.status_code == 200
    assert [c.value for c in again.context["incident_choices"]] == [str(first.pk)]
    html = again.content.decode()
    assert 'data-testid="attach-choice"' in html and f'value="{first.pk}"' in html and 'value="new"' in html
    assert Report.objects.count() == 1

    joined = client.post("/cases/register/", form_data(channel="neighbour", attach_incident=str(first.pk)))
    assert joined.status_code == 302
    assert Incident.objects.count() == 1 and first.reports.count() == 2
    case = Case.objects.get()
    assert case.incidents.count() == 1

    new = client.post("/cases/register/", form_data(attach_incident="new"))
    assert new.status_code == 302
    assert Incident.objects.count() == 2 and case.incidents.count() == 2
    history = client.get(f"/cases/{case.pk}/").content.decode()
    assert "2 incidents of this pair in the last 6 months · 2 incidents in all · 3 reports" in " ".join(history.split())


def test_attach_value_not_offered_is_asked_again(inspector, client_for):
    client = client_for(inspector)
    client.post("/cases/register/", form_data())
    response = client.post("/cases/register/", form_data(attach_incident="999999"))
    assert response.status_code == 200
    assert field_errors(response, "attach_incident") == ["Choose one of the offered values."]
    assert Report.objects.count() == 1


def test_staff_offender_hands_the_case_to_oversight(inspector, client_for, reference):
    unit_create(
        actor=None, kind=AgencyKind.objects.get(code="oversight"), region=Region.objects.get(iso="KZ-71"),
        name_ru="СВК", name_kk="ІББ", name_en="Oversight",
    )
    client = client_for(inspector)
    response = client.post("/cases/register/", form_data(restricted="on"))
    assert response.status_code == 302 and response["Location"] == "/cases/"
    case = Case.objects.get()
    assert case.restricted
    listing = client.get("/cases/").content.decode()
    assert "the case went to internal oversight" in listing
    assert case.number not in listing
    assert client.get(f"/cases/{case.pk}/").status_code == 404


def test_districts_endpoint_lists_the_regions_districts(inspector, client_for):
    response = client_for(inspector).get("/cases/districts/?region=KZ-23")
    html = response.content.decode()
    expected = District.objects.filter(region_id="KZ-23").count()
    assert response.status_code == 200 and html.count("<option") == expected + 1
    assert "751110000" not in html
    assert client_for(inspector).get("/cases/districts/?region=nowhere").content.decode().count("<option") == 1


# --- the case page -------------------------------------------------------------------------------------


def test_case_page_for_the_registering_unit_shows_everything(inspector, client_for, registered):
    response = client_for(inspector).get(f"/cases/{registered.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (registered.number, "Сапарова Айгерим", "+7 701 111 22 33", "ул. Абая 10", "Сапаров Ерлан", "Ударил, угрожал.",
                 "Spouse", "Almaly district police", "мкр. Самал-2", "Registered the report", "Case opened", "1 incident of this pair in the last 6 months"):
        assert text in html, text
    assert 'class="masked"' not in html
    # Safe-contact preferences come before any phone number on the page.
    assert html.index('data-testid="safe-contact"') < html.index("+7 701 111 22 33")


def test_flags_tell_of_other_victims_and_the_unit_holding_them(inspector, make_user, other_unit, client_for, registered):
    stranger = make_user("police_inspector", unit=other_unit)
    second = VictimInput(relationship="ex_spouse", person=person("Ахметова Сауле", birth=dt.date(1988, 1, 1), serial=3000))
    report_register(actor=stranger, data=report_input(victims=[second], region="KZ-23", district=""))
    html = client_for(inspector).get(f"/cases/{registered.pk}/").content.decode()
    assert "The offender has 1 other victim in the registry." in html
    assert "A related case is held by Atyrau region police: ask them, or use emergency access." in html
    assert "Ахметова" not in html


def test_offender_facing_role_never_sees_her_phone_or_address(make_user, client_for, registered):
    probation = make_user("probation_officer", language="en")
    Grant.objects.create(case=registered, unit=probation.unit, reason=GrantReason.TASK, scope="full", since=clock.now())
    response = client_for(probation).get(f"/cases/{registered.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Сапарова Айгерим" in html and "Сапаров Ерлан" in html
    assert "+7 701 111 22 33" not in html and "ул. Абая 10" not in html
    assert "мкр." not in html  # nor the place of the incident
    assert re.search(r'data-field="victim_phone"><span class="masked"[^>]*>hidden</span>', html)
    assert re.search(r'data-field="victim_address"><span class="masked"[^>]*>hidden</span>', html)
    assert "+7 702 000 00 00" in html  # the offender's own phone is not hidden from them


def test_another_units_user_gets_404_and_the_refusal_is_audited(make_user, other_unit, client_for, registered):
    from qorgau.core.models import AuditAction, AuditEvent

    stranger = make_user("police_inspector", unit=other_unit, language="en")
    response = client_for(stranger).get(f"/cases/{registered.pk}/")
    assert response.status_code == 404
    assert "Сапарова" not in response.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, target_type="case", target_id=str(registered.pk)).count() == 1


def test_analyst_never_sees_a_case_page(make_user, client_for, registered):
    analyst = make_user("analyst")
    Grant.objects.create(case=registered, unit=analyst.unit, reason=GrantReason.SUPERVISOR, scope="full", since=clock.now())
    client = client_for(analyst)
    assert client.get(f"/cases/{registered.pk}/").status_code == 404
    assert client.get("/cases/").status_code == 403
    assert client.get("/cases/search/?iin=" + VICTIM_IIN).status_code == 403
    assert client.get("/cases/register/").status_code == 403


def test_every_read_of_the_case_page_is_audited(inspector, client_for, registered):
    from qorgau.core.models import AuditAction, AuditEvent

    client = client_for(inspector)
    client.get(f"/cases/{registered.pk}/")
    client.get(f"/cases/{registered.pk}/")
    assert AuditEvent.objects.filter(action=AuditAction.READ, target_type="case", target_id=str(registered.pk)).count() == 2


def test_caseload_lists_the_units_cases(inspector, client_for, registered, make_user, other_unit):
    response = client_for(inspector).get("/cases/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/cases/{registered.pk}/"' in html and registered.number in html and "Active" in html
    stranger = make_user("police_inspector", unit=other_unit)
    assert registered.number not in client_for(stranger).get("/cases/").content.decode()


# --- edits and conflicts -------------------------------------------------------------------------------


def test_state_change_then_a_stale_form_gets_the_conflict_page_with_both_versions(inspector, make_user, client_for, registered):
    mine = client_for(inspector)
    colleague = client_for(make_user("police_supervisor", language="en"))
    ok = colleague.post(f"/cases/{registered.pk}/state/", {"version": 1, "to_state": "supervised", "reason": "Под наблюдением участкового"})
    assert ok.status_code == 302
    stale = mine.post(f"/cases/{registered.pk}/state/", {"version": 1, "to_state": "closed", "reason": "Примирение сторон"})
    assert stale.status_code == 409
    assert stale.context["mine"] == [("State", "Closed"), ("Reason", "Примирение сторон")]
    assert stale.context["stored"] == [("State", "Supervised"), ("Reason", "Под наблюдением участкового")]
    html = stale.content.decode()
    assert 'data-testid="conflict-mine"' in html and 'data-testid="conflict-stored"' in html
    assert '<input type="hidden" name="version" value="2">' in html
    registered.refresh_from_db()
    assert (registered.state, registered.version) == (CaseState.SUPERVISED, 2)

    reapplied = mine.post(f"/cases/{registered.pk}/state/", dict(stale.context["resubmit"]))
    assert reapplied.status_code == 302
    page = " ".join(mine.get(reapplied["Location"]).content.decode().split())
    assert "Active → Supervised" in page and "Supervised → Closed" in page and "Примирение сторон" in page
    registered.refresh_from_db()
    assert (registered.state, registered.version, registered.state_reason) == (CaseState.CLOSED, 3, "Примирение сторон")
    assert CaseEvent.objects.filter(case=registered, kind=EventKind.STATE_CHANGED).count() == 2


def test_state_change_errors_stay_on_the_case_page(inspector, client_for, registered):
    client = client_for(inspector)
    no_reason = client.post(f"/cases/{registered.pk}/state/", {"version": 1, "to_state": "closed", "reason": ""})
    assert no_reason.status_code == 200
    assert [str(e) for e in no_reason.context["state_form"].errors["reason"]] == ["This field is required."]
    same = client.post(f"/cases/{registered.pk}/state/", {"version": 1, "to_state": "active", "reason": "ещё раз"})
    assert same.status_code == 200
    assert [str(e) for e in same.context["state_form"].errors["to_state"]] == ["This change of state is not possible."]
    garbage = client.post(f"/cases/{registered.pk}/state/", {"version": "x", "to_state": "closed", "reason": "r"})
    assert garbage.status_code == 200
    assert [str(e) for e in garbage.context["state_form"].errors["version"]] == ["The request was malformed. Go back and try again."]
    huge = client.post(f"/cases/{registered.pk}/state/", {"version": str(2**40), "to_state": "closed", "reason": "r"})
    assert huge.status_code == 200
    registered.refresh_from_db()
    assert registered.state == CaseState.ACTIVE and registered.version == 1


def test_correction_and_its_conflict(inspector, client_for, registered):
    client = client_for(inspector)
    ok = client.post(f"/cases/{registered.pk}/correct/", {"version": 1, "relationship": "ex_spouse", "markers": ["disabled"], "reason": "Разведены в 2023"})
    assert ok.status_code == 302
    registered.refresh_from_db()
    assert registered.relationship == "ex_spouse" and list(registered.markers.values_list("code", flat=True)) == ["disabled"]
    stale = client.post(f"/cases/{registered.pk}/correct/", {"version": 1, "relationship": "partner", "markers": ["elderly", "pregnant"], "reason": "x"})
    assert stale.status_code == 409
    assert stale.context["mine"][:2] == [("What the offender is to her", "Partner"), ("Vulnerability", "Elderly, Pregnant")]
    assert stale.context["stored"] == [("What the offender is to her", "Former spouse"), ("Vulnerability", "Disabled")]
    assert ("markers", "elderly") in stale.context["resubmit"] and ("markers", "pregnant") in stale.context["resubmit"]


def test_safe_contact_is_saved_shown_first_and_conflicts_show_both(inspector, make_user, client_for, registered):
    client = client_for(inspector)
    values = {"may_call": "on", "call_times": "после 14:00", "phone": "+7 705 555 00 11", "code_word": "Алма"}
    assert client.post(f"/cases/{registered.pk}/safe-contact/", values).status_code == 302
    contact = SafeContact.objects.get()
    assert (contact.may_call, contact.may_leave_message, contact.phone, contact.version) == (True, False, "+7 705 555 00 11", 1)
    html = client.get(f"/cases/{registered.pk}/").content.decode()
    assert html.index("+7 705 555 00 11") < html.index("+7 701 111 22 33")
    assert "после 14:00" in html and "Алма" in html

    colleague = client_for(make_user("police_inspector", language="en"))
    assert colleague.post(f"/cases/{registered.pk}/safe-contact/", {**values, "version": 1, "may_call": ""}).status_code == 302
    stale = client.post(f"/cases/{registered.pk}/safe-contact/", {**values, "version": 1, "call_times": "утром"})
    assert stale.status_code == 409
    assert ("When to call", "утром") in stale.context["mine"] and ("She may be called", "Yes") in stale.context["mine"]
    assert ("She may be called", "No") in stale.context["stored"] and ("When to call", "после 14:00") in stale.context["stored"]


def test_worker_scope_sees_no_safe_contact_form_and_cannot_post_one(make_user, other_unit, client_for, registered):
    stranger = make_user("police_inspector", unit=other_unit, language="en")
    Grant.objects.create(case=registered, unit=other_unit, reason=GrantReason.REFERRAL, scope="worker", since=clock.now())
    client = client_for(stranger)
    html = client.get(f"/cases/{registered.pk}/").content.decode()
    assert 'data-testid="contact-form"' not in html and "+7 701 111 22 33" not in html
    assert client.post(f"/cases/{registered.pk}/safe-contact/", {"may_call": "on"}).status_code == 403
    assert SafeContact.objects.count() == 0


# --- search and break-glass ----------------------------------------------------------------------------


def test_search_shows_own_cases_with_a_link(inspector, client_for, registered):
    client = client_for(inspector)
    for query in (f"iin={registered.victim.iin}", f"number={registered.number.lower()}", "full_name=Сапарова+Айгерим&birth_date=1990-05-17"):
        html = client.get(f"/cases/search/?{query}").content.decode()
        assert f'href="/cases/{registered.pk}/"' in html and registered.number in html, query


def test_search_as_another_unit_shows_only_existence_and_the_unit(make_user, other_unit, client_for, registered):
    stranger = make_user("police_inspector", unit=other_unit, language="en")
    response = client_for(stranger).get(f"/cases/search/?iin={registered.victim.iin}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "A case exists, held by Almaly district police." in html
    assert registered.number not in html and "Сапарова" not in html
    assert f'href="/cases/{registered.pk}/break-glass/"' in html


def test_search_needs_a_criterion_and_a_birth_date_with_a_name(inspector, client_for):
    client = client_for(inspector)
    assert client.get("/cases/search/").context["hits"] is None
    name_only = client.get("/cases/search/?full_name=Сапарова")
    assert [str(e) for e in name_only.context["form"].errors["birth_date"]] == ["Enter the birth date too: a name alone is not enough."]
    bad_iin = client.get("/cases/search/?iin=123")
    assert [str(e) for e in bad_iin.context["form"].errors["iin"]] == ["An IIN is exactly 12 digits."]
    assert client.get(f"/cases/search/?iin={VICTIM_IIN}").context["hits"] == []


def test_break_glass_opens_the_case_and_tells_the_supervisor(make_user, other_unit, client_for, registered):
    supervisor = make_user("police_supervisor")
    stranger = make_user("police_inspector", unit=other_unit, language="en")
    client = client_for(stranger)
    form = client.get(f"/cases/{registered.pk}/break-glass/")
    assert form.status_code == 200 and "Almaly district police" in form.content.decode()
    short = client.post(f"/cases/{registered.pk}/break-glass/", {"justification": "срочно"})
    assert short.status_code == 200
    assert [str(e) for e in short.context["form"].errors["justification"]] == ["Explain the emergency in at least 10 characters."]
    assert client.get(f"/cases/{registered.pk}/").status_code == 404

    opened = client.post(f"/cases/{registered.pk}/break-glass/", {"justification": "Звонок 102: она снова в опасности"})
    assert opened.status_code == 302 and opened["Location"] == f"/cases/{registered.pk}/"
    page = client.get(f"/cases/{registered.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Emergency access is open for 4 hours." in html
    assert "Сапарова Айгерим" in html and "+7 701 111 22 33" not in html  # worker scope hides her phone
    assert Notification.objects.filter(recipient=supervisor, kind=NotificationKind.BREAK_GLASS, target_id=str(registered.pk)).count() == 1
    # Now visible: the break-glass page sends them to the case.
    assert client.get(f"/cases/{registered.pk}/break-glass/")["Location"] == f"/cases/{registered.pk}/"


def test_break_glass_on_a_missing_or_restricted_case_is_404(make_user, other_unit, client_for, registered):
    stranger = make_user("police_inspector", unit=other_unit)
    Case.objects.filter(pk=registered.pk).update(restricted=True)
    client = client_for(stranger)
    assert client.get(f"/cases/{registered.pk}/break-glass/").status_code == 404
    assert client.post(f"/cases/{registered.pk}/break-glass/", {"justification": "Очень срочно, угроза жизни"}).status_code == 404
    assert client.get("/cases/999999/break-glass/").status_code == 404


def test_menu_offers_the_registry_by_capability(inspector, make_user, client_for):
    html = client_for(inspector).get("/").content.decode()
    assert 'href="/cases/register/"' in html and 'href="/cases/"' in html and 'href="/cases/search/"' in html
    judge_html = client_for(make_user("judge")).get("/").content.decode()
    assert 'href="/cases/register/"' not in judge_html and 'href="/cases/"' in judge_html
    analyst_html = client_for(make_user("analyst")).get("/").content.decode()
    assert 'href="/cases/' not in analyst_html


def test_pages_render_in_kazakh_and_russian(make_user, client_for, registered):
    for language in ("kk", "ru"):
        user = make_user("police_inspector", language=language)
        client = client_for(user)
        assert client.get("/cases/register/").status_code == 200
        assert client.get(f"/cases/{registered.pk}/").status_code == 200
        assert client.get("/cases/search/?iin=" + VICTIM_IIN).status_code == 200
