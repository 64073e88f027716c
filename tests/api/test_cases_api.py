"""The case registry over /api/v1: access per role and unit, masks, conflicts, bad input."""

from __future__ import annotations

import datetime as dt
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from qorgau.accounts.models import AgencyKind, Notification, NotificationKind, Unit, User
from qorgau.accounts.services import unit_create
from qorgau.accounts.tokens import api_token_issue
from qorgau.cases import services
from qorgau.cases.api import Circumstance, ViolenceForm
from qorgau.cases.models import Case, CaseState, Grant, GrantReason, Report
from qorgau.cases.reference import markers_load
from qorgau.cases.services import report_register
from qorgau.core import clock
from qorgau.core.models import AuditEvent, Region
from qorgau.people.models import IinStatus, Person
from tests.accounts.support import invalid_check_digit
from tests.cases.factories import report_input, synthetic_iin
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

VICTIM_IIN = synthetic_iin(dt.date(1990, 5, 17), "F", 1000)
OFFENDER_IIN = synthetic_iin(dt.date(1986, 3, 2), "M", 1000)


@pytest.fixture(autouse=True)
def _markers(db):
    markers_load()


def token_client(user: User) -> Client:
    issued = api_token_issue(actor=user, verified=True, name="api tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.token}")


def post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json")


def put(client: Client, path: str, body: Any) -> Any:
    return client.put(path, data=json.dumps(body), content_type="application/json")


def shown(response: Any) -> str:
    """The JSON body with its escapes undone, for "this value is not in it" checks."""
    return json.dumps(response.json(), ensure_ascii=False)


def report_json(**overrides: Any) -> dict[str, Any]:
    now = clock.now()
    body: dict[str, Any] = {
        "channel": "police_102",
        "received_at": (now - timedelta(minutes=30)).isoformat(),
        "occurred_at": (now - timedelta(hours=2)).isoformat(),
        "region_iso": "KZ-75",
        "district_kato": "751110000",
        "forms": ["physical", "psychological"],
        "circumstances": ["alcohol"],
        "narrative": "Ударил, угрожал ножом.",
        "victims": [
            {
                "relationship": "spouse",
                "markers": ["pregnant"],
                "person": {
                    "full_name": "Сапарова Айгерим",
                    "iin": VICTIM_IIN,
                    "birth_date": "1990-05-17",
                    "sex": "F",
                    "phone": "+7 701 111 22 33",
                    "address": "Абая 10",
                    "workplace": "Школа №5",
                },
            }
        ],
        "offender": {"full_name": "Сапаров Ерлан", "iin": OFFENDER_IIN, "birth_date": "1986-03-02", "sex": "M", "phone": "+7 702 000 00 00"},
    }
    body.update(overrides)
    return body


def victim_person(**overrides: Any) -> dict[str, Any]:
    body = report_json()
    body["victims"][0]["person"].update(overrides)
    return body


@pytest.fixture
def inspector(make_user) -> User:
    return make_user("police_inspector", language="en")


@pytest.fixture
def case(inspector) -> Case:
    return report_register(actor=inspector, data=report_input(narrative="Ударил, угрожал.")).cases[0]


def make_unit(kind: str, name: str) -> Unit:
    return unit_create(
        actor=None, kind=AgencyKind.objects.get(code=kind), region=Region.objects.get(iso="KZ-75"),
        name_ru=name, name_kk=name, name_en=name,
    )


def grant(case: Case, unit: Unit, scope: str = "full") -> Grant:
    return Grant.objects.create(case=case, unit=unit, reason=GrantReason.TASK, scope=scope, since=clock.now())


# --- POST /reports -------------------------------------------------------------------------------


def test_register_with_a_personal_token_returns_the_numbers(inspector):
    r = post(token_client(inspector), "/api/v1/reports", report_json())
    assert r.status_code == 201, r.content
    body = r.json()
    report = Report.objects.get()
    case = Case.objects.get()
    assert body == {
        "report_id": report.pk,
        "report_number": report.number,
        "incident_id": report.incident_id,
        "cases": [{"id": case.pk, "number": case.number, "new": True}],
        "handed_to_oversight": False,
        "people_linked": 0,
        "matches_to_review": 0,
    }
    assert report.number.startswith("R-") and case.number.startswith("C-")
    assert case.holding_unit_id == inspector.unit_id and case.relationship == "spouse"
    assert list(case.markers.values_list("code", flat=True)) == ["pregnant"]
    incident = report.incident
    assert (incident.physical, incident.psychological, incident.sexual, incident.alcohol, incident.weapon) == (True, True, False, True, False)
    assert report.narrative == "Ударил, угрожал ножом."
    assert AuditEvent.objects.filter(action="write", target_type="report", target_id=str(report.pk), actor_id=inspector.pk).count() == 1


def test_a_second_report_with_the_same_valid_iins_joins_the_case(inspector):
    client = token_client(inspector)
    first = post(client, "/api/v1/reports", report_json()).json()
    second = post(client, "/api/v1/reports", report_json(narrative="Снова.")).json()
    assert second["cases"] == [{"id": first["cases"][0]["id"], "number": first["cases"][0]["number"], "new": False}]
    assert Case.objects.count() == 1 and Report.objects.count() == 2
    assert Person.objects.values("cluster_id").distinct().count() == 2
    assert (first["people_linked"], second["people_linked"], second["matches_to_review"]) == (0, 2, 0)


def test_a_surname_typo_goes_to_review_and_the_api_says_so(inspector):
    client = token_client(inspector)
    post(client, "/api/v1/reports", report_json())
    body = report_json()
    body["victims"][0]["person"] = {**body["victims"][0]["person"], "full_name": "Сапорова Айгерим", "iin": ""}
    second = post(client, "/api/v1/reports", body).json()
    assert (second["people_linked"], second["matches_to_review"]) == (1, 1)  # he links; she waits
    assert second["cases"][0]["new"] is True


def test_an_existing_person_picked_from_a_visible_case_joins_it(inspector, case):
    body = report_json(offender=None, offender_existing_id=case.offender_id)
    body["victims"] = [{"relationship": "spouse", "existing_person_id": case.victim_id}]
    r = post(token_client(inspector), "/api/v1/reports", body)
    assert r.status_code == 201, r.content
    assert r.json()["cases"] == [{"id": case.pk, "number": case.number, "new": False}]


def test_a_person_of_a_case_the_caller_cannot_see_is_refused(make_user, other_unit, case):
    stranger = make_user("police_inspector", unit=other_unit, language="en")
    body = report_json()
    body["victims"] = [{"relationship": "spouse", "existing_person_id": case.victim_id}]
    r = post(token_client(stranger), "/api/v1/reports", body)
    assert r.status_code == 422
    assert r.json()["fields"] == {"payload.victims.0.existing_person_id": ["Not found, or you have no access to it."]}
    assert Report.objects.count() == 1


def test_four_victims_are_four_cases_of_one_incident(inspector):
    people = [("Жена Айгуль", "spouse", dt.date(1990, 1, 1), "F"), ("Сын Арман", "parent", dt.date(2014, 1, 1), "M"),
              ("Дочь Алия", "parent", dt.date(2016, 2, 2), "F"), ("Свекровь Роза", "other_relative", dt.date(1955, 3, 3), "F")]
    victims = [{"relationship": rel, "person": {"full_name": n, "birth_date": b.isoformat(), "sex": s}} for n, rel, b, s in people]
    children = [{"full_name": "Дочь Мадина", "birth_date": "2019-06-01", "sex": "F"}]
    r = post(token_client(inspector), "/api/v1/reports", report_json(victims=victims, child_witnesses=children))
    assert r.status_code == 201, r.content
    assert [c["new"] for c in r.json()["cases"]] == [True] * 4
    assert Case.objects.count() == 4 and Case.objects.values("incidents").distinct().count() == 1


def test_restricted_report_goes_to_oversight_and_shows_no_case(inspector):
    oversight = make_unit("oversight", "Oversight")
    r = post(token_client(inspector), "/api/v1/reports", report_json(restricted=True))
    assert r.status_code == 201, r.content
    assert r.json()["cases"] == [] and r.json()["handed_to_oversight"] is True
    case = Case.objects.get()
    assert case.restricted and Grant.objects.filter(case=case, unit=oversight, until__isnull=True).count() == 1


@pytest.mark.parametrize("role", ["probation_officer", "analyst", "programme_provider", "judge", "administrator"])
def test_roles_that_do_not_register_get_403(make_user, role):
    r = post(token_client(make_user(role)), "/api/v1/reports", report_json())
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert Report.objects.count() == 0


def test_anonymous_gets_401_and_a_bad_token_too(reference):
    assert post(Client(), "/api/v1/reports", report_json()).status_code == 401
    r = post(Client(HTTP_AUTHORIZATION="Bearer qgp_nothing_here"), "/api/v1/reports", report_json())
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"


def _without(key: str) -> dict[str, Any]:
    body = report_json()
    del body[key]
    return body


MALFORMED = {
    "missing channel": (_without("channel"), ["payload.channel"]),
    "missing victims": (_without("victims"), ["payload.victims"]),
    "unknown channel": (report_json(channel="fax"), ["payload.channel"]),
    "channel of the wrong type": (report_json(channel=102), ["payload.channel"]),
    "unknown form of violence": (report_json(forms=["beating"]), ["payload.forms.0"]),
    "forms not a list": (report_json(forms="physical"), ["payload.forms"]),
    "time not a time": (report_json(received_at="yesterday"), ["payload.received_at"]),
    "time without a zone": (report_json(received_at="2025-01-01T10:00:00"), ["payload.received_at"]),
    "time out of range": (report_json(occurred_at="0001-01-01T00:00:00+05:00"), ["payload.occurred_at"]),
    "impossible birth date": (victim_person(birth_date="1990-13-01"), ["payload.victims.0.person.birth_date"]),
    "unknown sex": (victim_person(sex="X"), ["payload.victims.0.person.sex"]),
    "unknown relationship": (report_json(victims=[{"relationship": "boss", "person": {"full_name": "А"}}]), ["payload.victims.0.relationship"]),
    "NUL in a name": (victim_person(full_name="Айгерим\x00"), ["payload.victims.0.person.full_name"]),
    "victims not a list": (report_json(victims={"relationship": "spouse"}), ["payload.victims"]),
    "a name of the wrong type": (victim_person(full_name=["Айгерим"]), ["payload.victims.0.person.full_name"]),
    "urban not a boolean": (report_json(urban="maybe"), ["payload.urban"]),
    "a negative person id": (report_json(offender_existing_id=-1), ["payload.offender_existing_id"]),
}


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_payloads_get_422_with_the_field(inspector, name):
    body, fields = MALFORMED[name]
    r = post(token_client(inspector), "/api/v1/reports", body)
    assert r.status_code == 422, r.content
    data = r.json()
    assert data["code"] == "invalid" and sorted(data["fields"]) == fields
    assert Report.objects.count() == 0 and Person.objects.count() == 0


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"null", b"\xff\xfe"])
def test_a_body_that_is_not_an_object_gets_422(inspector, raw):
    r = token_client(inspector).post("/api/v1/reports", data=raw, content_type="application/json")
    assert r.status_code == 422, r.content
    assert r.json()["code"] == "invalid" and r.json()["fields"]


def _iin_bad_check() -> str:
    return invalid_check_digit(VICTIM_IIN)


REFUSED = {
    "empty report": (report_json(forms=[], victims=[], offender=None), {
        "payload.forms": ["Choose at least one form of violence."],
        "payload.victims": ["Name at least one victim."],
        "payload.offender.full_name": ["Enter the full name."],
    }),
    "unknown region": (report_json(region_iso="KZ-99"), {"payload.region_iso": ["Choose a region from the list."]}),
    "district of another region": (report_json(region_iso="KZ-23"), {"payload.district_kato": ["The district is not in the chosen region."]}),
    "received in the future": (report_json(received_at=(clock.now() + timedelta(days=1)).isoformat()), {
        "payload.received_at": ["This time is in the future."],
    }),
    "birth date in the future": (victim_person(iin="", birth_date=(clock.now().date() + timedelta(days=3)).isoformat()), {
        "payload.victims.0.person.birth_date": ["The birth date is in the future."],
    }),
    "IIN of 11 digits": (victim_person(iin="90051740012"), {"payload.victims.0.person.iin": ["An IIN is exactly 12 digits."]}),
    "IIN failing the check": (victim_person(iin=_iin_bad_check()), {"payload.victims.0.person.iin": [
        "This IIN fails the check (date, century digit or check digit). Correct it, or confirm to keep it as unverified."
    ]}),
    "IIN against another birth date": (victim_person(birth_date="1991-05-17"), {
        "payload.victims.0.person.birth_date": ["The birth date does not match the IIN."],
    }),
    "IIN against another sex": (victim_person(sex="M"), {"payload.victims.0.person.sex": ["The sex does not match the IIN."]}),
    "victim is the offender": (victim_person(iin=OFFENDER_IIN, birth_date="1986-03-02", sex="M"), {
        "payload.victims.0.person.full_name": ["The victim and the offender are the same person."],
    }),
    "unknown marker": (report_json(victims=[{"relationship": "spouse", "markers": ["rich"], "person": {"full_name": "А Б"}}]), {
        "payload.victims.0.markers": ["Choose one of the offered values."],
    }),
    "child witness without a name": (report_json(child_witnesses=[{"full_name": "  "}]), {
        "payload.child_witnesses.0.full_name": ["Enter the full name."],
    }),
    "attach to an unknown incident": (report_json(attach_incident_id=999999), {
        "payload.attach_incident_id": ["This incident is not one of the pair's incidents of the last 48 hours."],
    }),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_reports_name_the_field_in_the_users_language(inspector, name):
    body, fields = REFUSED[name]
    r = post(token_client(inspector), "/api/v1/reports", body)
    assert r.status_code == 422, r.content
    assert r.json()["fields"] == fields
    assert Report.objects.count() == 0 and Person.objects.count() == 0 and Case.objects.count() == 0


def test_an_iin_failing_the_check_is_kept_unverified_once_confirmed(inspector):
    r = post(token_client(inspector), "/api/v1/reports", victim_person(iin=_iin_bad_check(), iin_unverified_ok=True))
    assert r.status_code == 201, r.content
    assert Case.objects.get().victim.iin_status == IinStatus.UNVERIFIED


def test_errors_come_in_the_token_owners_language(make_user):
    russian = make_user("police_inspector", language="ru")
    r = post(token_client(russian), "/api/v1/reports", report_json(channel="fax"))
    assert r.status_code == 422
    assert r.json()["detail"] == "Некоторые поля нужно исправить."


def test_the_schema_enums_mirror_the_service():
    assert {f.value for f in ViolenceForm} == set(services.FORMS)
    assert {c.value for c in Circumstance} == set(services.CIRCUMSTANCES)


# --- GET /cases and /cases/{id} ------------------------------------------------------------------


def test_the_caseload_lists_only_the_units_cases(inspector, case, make_user, other_unit):
    theirs = report_register(actor=make_user("police_inspector", unit=other_unit), data=report_input(
        victims=[services.VictimInput(relationship="spouse", person=services.PersonInput(full_name="Другая Жертва"))],
        offender=services.PersonInput(full_name="Другой Обидчик"), region="KZ-23", district="", urban=False,
    )).cases[0]
    r = token_client(inspector).get("/api/v1/cases")
    assert r.status_code == 200
    assert r.json() == [{
        "id": case.pk, "number": case.number, "state": "active", "holding_unit_id": inspector.unit_id,
        "holding_unit": inspector.unit.name, "opened_at": r.json()[0]["opened_at"], "reports": 1,
    }]
    assert theirs.number not in shown(r)
    opened = case.opened_at
    assert dt.datetime.fromisoformat(r.json()[0]["opened_at"]) == opened.replace(microsecond=opened.microsecond // 1000 * 1000)


def test_analysts_never_get_a_case(make_user, case):
    analyst = token_client(make_user("analyst"))
    for path in ("/api/v1/cases", f"/api/v1/cases/{case.pk}", f"/api/v1/cases/{case.pk}/safe-contact", f"/api/v1/search?number={case.number}"):
        r = analyst.get(path)
        assert r.status_code == 403, path
        assert case.number not in shown(r)


def test_the_case_page_shows_people_reports_incidents_and_timeline(inspector, case):
    r = token_client(inspector).get(f"/api/v1/cases/{case.pk}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["number"] == case.number and body["state"] == "active" and body["version"] == 1
    assert body["victim"] == {
        "id": case.victim_id, "full_name": "Сапарова Айгерим", "iin": case.victim.iin, "birth_date": "1990-05-17",
        "phone": "+7 701 111 22 33", "address": "Абая 10", "workplace": None, "masked": [], "removed": [],
    }
    assert body["offender"]["full_name"] == "Сапаров Ерлан" and body["offender"]["masked"] == []
    assert [(rep["number"], rep["narrative"], rep["masked"]) for rep in body["reports"]] == [(Report.objects.get().number, "Ударил, угрожал.", [])]
    assert [(i["region_iso"], i["district_kato"], i["forms"]) for i in body["incidents"]] == [("KZ-75", "751110000", ["physical"])]
    assert [e["kind"] for e in body["timeline"]] == ["opened", "report_added"]
    assert [(w["unit_id"], w["reason"], w["scope"]) for w in body["workers"]] == [(inspector.unit_id, "registered", "full")]
    assert body["pair_history"] == {"incidents_6_months": 1, "incidents_total": 1, "reports_total": 1}
    assert body["flags"] == [] and body["masked"] == [] and body["child_witnesses"] == 0
    assert AuditEvent.objects.filter(action="read", target_type="case", target_id=str(case.pk), actor_id=inspector.pk).count() == 1


def test_another_units_case_is_404_like_a_missing_one(make_user, other_unit, case):
    stranger = token_client(make_user("police_inspector", unit=other_unit))
    for path in (f"/api/v1/cases/{case.pk}", "/api/v1/cases/999999"):
        r = stranger.get(path)
        assert r.status_code == 404 and r.json() == {"code": "not_found", "detail": r.json()["detail"], "fields": {}}
        assert case.number not in shown(r)
    assert AuditEvent.objects.filter(action="denied", target_type="case", target_id=str(case.pk)).count() == 1


@pytest.mark.parametrize("path", ["/api/v1/cases/0", "/api/v1/cases/abc", f"/api/v1/cases/{2**64}"])
def test_a_malformed_case_id_is_422(inspector, path):
    r = token_client(inspector).get(path)
    assert r.status_code == 422 and list(r.json()["fields"]) == ["case_id"]


def test_an_offender_facing_role_gets_her_whereabouts_as_null(make_user, case):
    probation = make_unit("probation", "Probation of Almaty")
    grant(case, probation)
    r = token_client(make_user("probation_officer", unit=probation)).get(f"/api/v1/cases/{case.pk}")
    assert r.status_code == 200, r.content
    victim = r.json()["victim"]
    assert (victim["full_name"], victim["phone"], victim["address"], victim["workplace"]) == ("Сапарова Айгерим", None, None, None)
    assert victim["masked"] == ["address", "phone", "workplace"]
    assert r.json()["offender"]["phone"] == "+7 702 000 00 00" and r.json()["offender"]["masked"] == []
    body = shown(r)
    assert "Сапарова Айгерим" in body and "Абая 10" not in body and "+7 701 111 22 33" not in body


def test_a_consent_scope_without_consent_masks_every_personal_value(make_user, case):
    centre = make_unit("crisis_centre", "Crisis centre")
    grant(case, centre, scope="consent")
    r = token_client(make_user("shelter_worker", unit=centre)).get(f"/api/v1/cases/{case.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["victim"]["full_name"] is None and body["victim"]["masked"] == ["address", "birth_date", "full_name", "iin", "phone", "workplace"]
    assert body["reports"][0]["narrative"] is None and body["reports"][0]["masked"] == ["narrative"]
    assert "Сапарова" not in shown(r) and "Ударил" not in shown(r)


# --- POST /cases/{id}/state ----------------------------------------------------------------------


def test_state_changes_and_a_stale_version_is_a_conflict_showing_both(inspector, case):
    client = token_client(inspector)
    r = post(client, f"/api/v1/cases/{case.pk}/state", {"to_state": "supervised", "reason": "Под контролем", "version": 1})
    assert r.status_code == 200 and r.json() == {"id": case.pk, "number": case.number, "state": "supervised", "version": 2}
    stale = {"to_state": "closed", "reason": "Переехала", "version": 1}
    r = post(client, f"/api/v1/cases/{case.pk}/state", stale)
    assert r.status_code == 409
    body = r.json()
    assert body["code"] == "conflict" and body["current"] == {"id": case.pk, "number": case.number, "state": "supervised", "version": 2}
    assert body["submitted"] == stale
    case.refresh_from_db()
    assert (case.state, case.version, case.closed_at) == (CaseState.SUPERVISED, 2, None)


@pytest.mark.parametrize(("body", "fields"), [
    ({"to_state": "active", "reason": "x", "version": 1}, {"payload.to_state": ["This change of state is not possible."]}),
    ({"to_state": "closed", "reason": "   ", "version": 1}, {"payload.reason": ["Give the reason."]}),
    ({"to_state": "archived", "reason": "x", "version": 1}, None),
    ({"to_state": "closed", "reason": "x", "version": "one"}, None),
    ({"to_state": "closed", "reason": "x"}, None),
])
def test_bad_state_changes_are_422(inspector, case, body, fields):
    r = post(token_client(inspector), f"/api/v1/cases/{case.pk}/state", body)
    assert r.status_code == 422, r.content
    if fields is not None:
        assert r.json()["fields"] == fields
    else:
        assert len(r.json()["fields"]) == 1
    case.refresh_from_db()
    assert (case.state, case.version) == (CaseState.ACTIVE, 1)


def test_state_change_by_another_unit_is_404_and_by_a_role_without_case_work_403(make_user, other_unit, case):
    body = {"to_state": "closed", "reason": "x", "version": 1}
    assert post(token_client(make_user("police_inspector", unit=other_unit)), f"/api/v1/cases/{case.pk}/state", body).status_code == 404
    provider_unit = make_unit("correction_programme", "Programme")
    grant(case, provider_unit)
    r = post(token_client(make_user("programme_provider", unit=provider_unit)), f"/api/v1/cases/{case.pk}/state", body)
    assert r.status_code == 403
    case.refresh_from_db()
    assert case.state == CaseState.ACTIVE


# --- POST /cases/{id}/break-glass ----------------------------------------------------------------


def test_break_glass_opens_the_case_for_four_hours_and_tells_the_supervisor(make_user, other_unit, case, inspector):
    supervisor = make_user("police_supervisor")
    stranger = token_client(make_user("police_inspector", unit=other_unit))
    assert stranger.get(f"/api/v1/cases/{case.pk}").status_code == 404
    r = post(stranger, f"/api/v1/cases/{case.pk}/break-glass", {"justification": "She called 102 from his phone, urgent"})
    assert r.status_code == 201, r.content
    assert r.json()["case_id"] == case.pk
    until = dt.datetime.fromisoformat(r.json()["until"])
    assert timedelta(hours=3, minutes=59) < until - clock.now() <= timedelta(hours=4)
    seen = stranger.get(f"/api/v1/cases/{case.pk}")
    assert seen.status_code == 200 and seen.json()["victim"]["address"] is None  # worker scope
    assert seen.json()["victim"]["full_name"] == "Сапарова Айгерим"
    assert Notification.objects.filter(recipient=supervisor, kind=NotificationKind.BREAK_GLASS, target_id=str(case.pk)).count() == 1
    assert AuditEvent.objects.filter(action="break_glass", target_id=str(case.pk)).count() == 1


@pytest.mark.parametrize(("role", "justification", "case_id", "status"), [
    ("police_inspector", "short", None, 422),
    ("police_inspector", "A real emergency, she is in danger", 999999, 404),
    ("analyst", "A real emergency, she is in danger", None, 403),
    ("probation_officer", "A real emergency, she is in danger", None, 403),
])
def test_break_glass_refusals(make_user, other_unit, case, role, justification, case_id, status):
    client = token_client(make_user(role, unit=other_unit))
    r = post(client, f"/api/v1/cases/{case_id or case.pk}/break-glass", {"justification": justification})
    assert r.status_code == status, r.content
    if status == 422:
        assert list(r.json()["fields"]) == ["payload.justification"]
    assert Grant.objects.filter(reason=GrantReason.BREAK_GLASS).count() == 0


def test_break_glass_on_a_restricted_case_is_404(make_user, other_unit):
    make_unit("oversight", "Oversight")
    reg = report_register(actor=make_user("police_inspector"), data=report_input(restricted=True))
    client = token_client(make_user("police_inspector", unit=other_unit))
    r = post(client, f"/api/v1/cases/{reg.cases[0].pk}/break-glass", {"justification": "A real emergency, she is in danger"})
    assert r.status_code == 404


# --- GET /search ---------------------------------------------------------------------------------


def test_search_by_iin_shows_own_cases_and_only_the_unit_of_others(inspector, case, make_user, other_unit):
    iin = case.victim.iin
    mine = token_client(inspector).get("/api/v1/search", {"iin": iin})
    assert mine.status_code == 200
    assert mine.json() == [{"case_id": case.pk, "number": case.number, "unit": inspector.unit.name, "visible": True}]
    theirs = token_client(make_user("police_inspector", unit=other_unit)).get("/api/v1/search", {"iin": iin})
    assert theirs.json() == [{"case_id": None, "number": None, "unit": inspector.unit.name, "visible": False}]
    assert case.number not in shown(theirs)
    assert AuditEvent.objects.filter(action="search").count() == 2


def test_search_by_number_and_by_name_and_birth_date(inspector, case):
    client = token_client(inspector)
    assert [h["case_id"] for h in client.get("/api/v1/search", {"number": case.number.lower()}).json()] == [case.pk]
    by_name = client.get("/api/v1/search", {"full_name": "сапарова  айгерим", "birth_date": "1990-05-17"})
    assert [h["case_id"] for h in by_name.json()] == [case.pk]
    assert client.get("/api/v1/search", {"full_name": "Сапарова Айгерим", "birth_date": "1991-05-17"}).json() == []


@pytest.mark.parametrize(("query", "field"), [
    ({}, "query"),
    ({"birth_date": "1990-05-17"}, "query"),
    ({"number": "C\x00"}, "number"),
    ({"full_name": "A", "birth_date": "17.05.1990"}, "birth_date"),
])
def test_search_without_a_usable_criterion_is_422(inspector, query, field):
    r = token_client(inspector).get("/api/v1/search", query)
    assert r.status_code == 422 and list(r.json()["fields"]) == [field]


def test_search_needs_case_work(make_user):
    assert token_client(make_user("programme_provider")).get("/api/v1/search", {"number": "C-1"}).status_code == 403


# --- GET/PUT /cases/{id}/safe-contact ------------------------------------------------------------


def test_safe_contact_is_recorded_updated_and_conflicts_when_stale(inspector, case):
    client = token_client(inspector)
    path = f"/api/v1/cases/{case.pk}/safe-contact"
    empty = client.get(path).json()
    assert empty == {
        "recorded": False, "may_call": False, "call_times": "", "phone": None, "may_leave_message": False,
        "code_word": None, "language": "", "updated_at": None, "version": None, "masked": [], "removed": [],
    }
    first = put(client, path, {"may_call": True, "call_times": "10–12 weekdays", "phone": "+7 705 555 55 55", "code_word": "тюльпан", "language": "kk"})
    assert first.status_code == 200, first.content
    assert (first.json()["version"], first.json()["phone"], first.json()["code_word"]) == (1, "+7 705 555 55 55", "тюльпан")
    assert first.json()["language"] == "kk"
    second = put(client, path, {"may_call": False, "version": 1})
    assert second.status_code == 200 and second.json()["version"] == 2 and second.json()["phone"] is None
    stale = put(client, path, {"may_call": True, "phone": "+7 700 000 00 01", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["version"] == 2 and stale.json()["current"]["may_call"] is False
    assert stale.json()["submitted"]["phone"] == "+7 700 000 00 01"
    assert client.get(path).json()["version"] == 2


def test_safe_contact_masks_phone_and_code_word_for_an_offender_facing_role(make_user, case, inspector):
    put(token_client(inspector), f"/api/v1/cases/{case.pk}/safe-contact", {"may_call": True, "phone": "+7 705 555 55 55", "code_word": "тюльпан"})
    probation = make_unit("probation", "Probation of Almaty")
    grant(case, probation)
    client = token_client(make_user("probation_officer", unit=probation))
    r = client.get(f"/api/v1/cases/{case.pk}/safe-contact")
    assert r.status_code == 200
    assert (r.json()["phone"], r.json()["code_word"], r.json()["masked"]) == (None, None, ["code_word", "phone"])
    assert "тюльпан" not in shown(r)
    assert put(client, f"/api/v1/cases/{case.pk}/safe-contact", {"may_call": False, "version": 1}).status_code == 403


def test_safe_contact_of_another_units_case_is_404(make_user, other_unit, case):
    client = token_client(make_user("police_inspector", unit=other_unit))
    assert client.get(f"/api/v1/cases/{case.pk}/safe-contact").status_code == 404
    assert put(client, f"/api/v1/cases/{case.pk}/safe-contact", {"may_call": True}).status_code == 404


@pytest.mark.parametrize(
    "body", [{}, {"may_call": "often"}, {"may_call": True, "call_times": "x" * 121}, {"may_call": True, "version": 0}, {"may_call": True, "language": "de"}]
)
def test_malformed_safe_contact_is_422(inspector, case, body):
    r = put(token_client(inspector), f"/api/v1/cases/{case.pk}/safe-contact", body)
    assert r.status_code == 422 and r.json()["fields"]


def test_the_browser_session_works_for_reads_and_writes(make_user, case):
    client = sign_in(Client(), make_user("police_inspector"))
    assert client.get(f"/api/v1/cases/{case.pk}").status_code == 200
    assert post(client, "/api/v1/reports", report_json()).status_code == 201
