"""Privacy rights (issue 11): a lawful request's export and correction, through the officer's pages.

Assertions are on the bytes of the JSON file and the printed page: the subject's own data is there,
the other party's is not, and an offender's export holds none of her whereabouts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import translation

from qorgau.accounts.models import AgencyKind, User
from qorgau.accounts.roles import Role
from qorgau.accounts.services import unit_create
from qorgau.cases.models import Case, CaseEvent, EventKind, PartyRole
from qorgau.cases.services import VictimInput, report_register
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction, AuditEvent, Region
from qorgau.people.models import Person, SafeContact
from qorgau.people.services import iin_candidates
from qorgau.privacy import selectors
from qorgau.privacy.models import PrivacyCorrection, PrivacyExport, PrivacyRequest
from tests.cases.factories import person, report_input, synthetic_iin
from tests.conftest import sign_in

VICTIM_IIN = synthetic_iin(dt.date(1990, 5, 17), "F", 1000)
OFFENDER_IIN = synthetic_iin(dt.date(1986, 3, 2), "M", 1000)
HER = {"name": "Сапарова Айгерим", "address": "ул. Абая 10, кв. 5", "phone": "+7 701 111 22 33", "work": "Школа №5 Алмалы",
       "safe": "+7 705 999 88 77", "code": "Сирень"}
HIM = {"name": "Сапаров Ерлан", "address": "ул. Толе би 44", "phone": "+7 702 000 00 00", "work": "ТОО Курылыс"}
SHELTER = "Кризисный центр Жан-Мейірім"


@pytest.fixture(autouse=True)
def _markers(db):
    from qorgau.cases.reference import markers_load

    markers_load()


@pytest.fixture
def case(make_user) -> Case:
    inspector = make_user(Role.POLICE_INSPECTOR)
    data = report_input(
        victims=[VictimInput(relationship="spouse", person=person(HER["name"], phone=HER["phone"], address=HER["address"], workplace=HER["work"]))],
        offender=person(HIM["name"], birth=dt.date(1986, 3, 2), sex="M", phone=HIM["phone"], address=HIM["address"], workplace=HIM["work"]),
    )
    found = report_register(actor=inspector, data=data).cases[0]
    SafeContact.objects.create(person=found.victim, may_call=True, call_times="после 18:00", phone=HER["safe"], code_word=HER["code"],
                               updated_at=clock.now())
    # A crisis centre read her case: her export names it, his must not.
    shelter_unit = unit_create(actor=None, kind=AgencyKind.objects.get(code="crisis_centre"), region=Region.objects.get(iso="KZ-75"),
                               name_ru=SHELTER, name_kk=SHELTER, name_en=SHELTER)
    shelter_worker = make_user(Role.SHELTER_WORKER, unit=shelter_unit)
    audit_record(actor=shelter_worker, action=AuditAction.READ, target_type="case", target_id=found.pk)
    return found


@pytest.fixture
def officer(make_user) -> User:
    return make_user(Role.PRIVACY_OFFICER)


@pytest.fixture
def client(officer) -> Client:
    return sign_in(Client(), officer)


def _request(client: Client, kind: str, language: str = "ru") -> PrivacyRequest:
    before = set(PrivacyRequest.objects.values_list("pk", flat=True))
    response = client.post("/privacy/", {"reference": "ЗП-2026/17", "received_on": "2026-01-10", "legal_basis": "subject_access",
                                         "kind": kind, "language": language, "identity_checked": "on"})
    assert response.status_code == 302
    (pk,) = set(PrivacyRequest.objects.values_list("pk", flat=True)) - before
    return PrivacyRequest.objects.get(pk=pk)


def _attach(client: Client, req: PrivacyRequest, *, iin: str) -> Person:
    response = client.post(f"/privacy/{req.pk}/find/", {"iin": iin})
    assert response.status_code == 200
    found = Person.objects.get(iin_bidx__in=iin_candidates(iin))
    assert found.full_name.encode() in response.content
    response = client.post(f"/privacy/{req.pk}/subject/", {"iin": iin, "person": found.pk, "version": req.version})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.subject_id == found.pk
    return found


def _export(client: Client, req: PrivacyRequest) -> tuple[bytes, bytes]:
    assert client.post(f"/privacy/{req.pk}/export/").status_code == 302
    export = PrivacyExport.objects.get(request=req)
    as_json = client.get(f"/privacy/exports/{export.pk}/json/")
    as_html = client.get(f"/privacy/exports/{export.pk}/html/")
    assert as_json.status_code == 200 and as_html.status_code == 200
    assert as_json["Content-Type"].startswith("application/json")
    return as_json.content, as_html.content


def test_victims_export_holds_her_data_and_not_his(client, case):
    req = _request(client, "export")
    _attach(client, req, iin=VICTIM_IIN)
    raw_json, raw_html = _export(client, req)
    data = json.loads(raw_json)
    assert [r["iin"] for r in data["records"]] == [VICTIM_IIN]
    assert data["cases"][0]["number"] == case.number
    with translation.override("ru"):
        assert data["cases"][0]["role"] == str(PartyRole.VICTIM.label)
    assert data["safe_contact"][0]["safe_number"] == HER["safe"]
    for raw in (raw_json, raw_html):
        text = raw.decode()
        for value in (HER["name"], HER["address"], HER["phone"], HER["work"], VICTIM_IIN, case.number):
            assert value in text
        for value in (HIM["name"], HIM["address"], HIM["phone"], HIM["work"], OFFENDER_IIN, "Ударил"):
            assert value not in text
        assert SHELTER in text  # she may know which units read her case
    assert [a["unit"] for a in data["access"]].count(SHELTER) == 1


def test_offenders_export_holds_none_of_her_whereabouts(client, case):
    req = _request(client, "export", language="kk")
    _attach(client, req, iin=OFFENDER_IIN)
    raw_json, raw_html = _export(client, req)
    data = json.loads(raw_json)
    assert [r["iin"] for r in data["records"]] == [OFFENDER_IIN]
    assert data["safe_contact"] == [] and data["consents"] == [] and data["referrals"] == []
    for raw in (raw_json, raw_html):
        text = raw.decode()
        for value in (HIM["name"], HIM["address"], HIM["phone"], case.number):
            assert value in text
        for value in (HER["name"], HER["address"], HER["phone"], HER["work"], HER["safe"], HER["code"], VICTIM_IIN, SHELTER,
                      "Ударил", "Алмалин", "Almaly"):
            assert value not in text
    assert 'lang="kk"' in raw_html.decode()


def test_download_once_and_audited(client, case, officer):
    req = _request(client, "export")
    _attach(client, req, iin=VICTIM_IIN)
    _export(client, req)
    export = PrivacyExport.objects.get(request=req)
    assert client.get(f"/privacy/exports/{export.pk}/json/").status_code == 410
    assert client.get(f"/privacy/exports/{export.pk}/pdf/").status_code == 404
    exports = AuditEvent.objects.filter(actor_id=officer.pk, action=AuditAction.EXPORT, target_type="privacy_request", target_id=str(req.pk))
    assert exports.count() == 2
    steps = set(AuditEvent.objects.filter(actor_id=officer.pk).values_list("action", "target_type"))
    assert steps == {
        (AuditAction.WRITE, "privacy_request"),  # recorded, then the subject attached
        (AuditAction.READ, "privacy_request"),
        (AuditAction.SEARCH, "privacy_request"),
        (AuditAction.WRITE, "privacy_export"),
        (AuditAction.EXPORT, "privacy_request"),
    }
    assert AuditEvent.objects.filter(actor_id=officer.pk, action=AuditAction.WRITE, target_type="privacy_request").count() == 2
    searches = AuditEvent.objects.filter(actor_id=officer.pk, action=AuditAction.SEARCH, target_id=str(req.pk))
    assert searches.count() == 1 and searches.get().term_hash != "" and VICTIM_IIN not in searches.get().term_hash


def test_expired_download_is_gone(client, case):
    req = _request(client, "export")
    _attach(client, req, iin=VICTIM_IIN)
    client.post(f"/privacy/{req.pk}/export/")
    export = PrivacyExport.objects.get(request=req)
    PrivacyExport.objects.filter(pk=export.pk).update(expires_at=clock.now() - dt.timedelta(seconds=1))
    assert client.get(f"/privacy/exports/{export.pk}/html/").status_code == 410


def test_attach_refuses_a_record_the_search_did_not_find(client, case):
    req = _request(client, "export")
    response = client.post(f"/privacy/{req.pk}/subject/", {"iin": VICTIM_IIN, "person": case.offender_id, "version": req.version})
    assert response.status_code == 422
    req.refresh_from_db()
    assert req.subject_id is None


def test_request_needs_identity_check_and_valid_fields(client):
    response = client.post("/privacy/", {"reference": "", "received_on": "2099-01-01", "legal_basis": "x", "kind": "export", "language": "ru"})
    assert response.status_code == 422
    assert PrivacyRequest.objects.count() == 0
    response = client.post("/privacy/", {"reference": "R1", "received_on": "2099-01-01", "legal_basis": "court", "kind": "export", "language": "ru"})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert set(errors) == {"received_on", "identity_checked"}


def test_search_needs_a_well_formed_iin(client, case):
    req = _request(client, "export")
    response = client.post(f"/privacy/{req.pk}/find/", {"iin": "12345"})
    assert response.status_code == 422
    assert response.context["search"].errors["iin"]


def test_correction_changes_value_recomputes_search_and_is_audited(client, case, officer):
    req = _request(client, "correction")
    her = _attach(client, req, iin=VICTIM_IIN)
    new_iin = synthetic_iin(dt.date(1990, 5, 17), "F", 2000)
    assert new_iin != VICTIM_IIN
    url = f"/privacy/{req.pk}/correct/{her.pk}/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"full_name": "Сапарова Айгерим Нурлановна", "iin": new_iin, "birth_date": "1990-05-17", "sex": "F",
                                 "phone": HER["phone"], "address": "ул. Сатпаева 3", "workplace": HER["work"],
                                 "reason": "Паспорт предъявлен", "version": her.version})
    assert response.status_code == 302
    her.refresh_from_db()
    assert (her.full_name, her.iin, her.address, her.version) == ("Сапарова Айгерим Нурлановна", new_iin, "ул. Сатпаева 3", 2)
    assert [f.person.pk for f in selectors.subject_search(iin=new_iin)] == [her.pk]
    assert selectors.subject_search(iin=VICTIM_IIN) == []
    correction = PrivacyCorrection.objects.get(request=req)
    assert correction.fields == ["full_name", "iin", "address"]
    event = CaseEvent.objects.get(case=case, kind=EventKind.EDITED)
    assert event.actor_id == officer.pk
    writes = AuditEvent.objects.filter(actor_id=officer.pk, action=AuditAction.WRITE, target_type="person", target_id=str(her.pk))
    assert list(writes.values_list("count", flat=True)) == [3]
    assert AuditEvent.objects.filter(actor_id=officer.pk, action=AuditAction.READ, target_type="person", target_id=str(her.pk)).count() >= 1


def test_stale_correction_is_a_conflict(client, case):
    req = _request(client, "correction")
    her = _attach(client, req, iin=VICTIM_IIN)
    Person.objects.filter(pk=her.pk).update(version=her.version + 1)
    response = client.post(f"/privacy/{req.pk}/correct/{her.pk}/", {
        "full_name": "Другое Имя", "iin": VICTIM_IIN, "birth_date": "1990-05-17", "sex": "F", "reason": "r", "version": her.version})
    assert response.status_code == 409
    her.refresh_from_db()
    assert her.full_name == HER["name"]
    assert PrivacyCorrection.objects.count() == 0


def test_bad_correction_input_is_a_field_error(client, case):
    req = _request(client, "correction")
    her = _attach(client, req, iin=VICTIM_IIN)
    response = client.post(f"/privacy/{req.pk}/correct/{her.pk}/", {
        "full_name": "Сапарова Айгерим", "iin": "123456789012", "birth_date": "1990-05-17", "sex": "F", "reason": "", "version": her.version})
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "iin" in errors and "reason" in errors
    her.refresh_from_db()
    assert her.iin == VICTIM_IIN and her.version == 1


def test_an_export_request_does_not_correct(client, case):
    req = _request(client, "export")
    her = _attach(client, req, iin=VICTIM_IIN)
    assert client.get(f"/privacy/{req.pk}/correct/{her.pk}/").status_code == 422
    assert client.post(f"/privacy/{req.pk}/correct/{her.pk}/", {"full_name": "X"}).status_code == 422
    her.refresh_from_db()
    assert her.full_name == HER["name"]


def test_correction_of_another_persons_record_is_not_found(client, case):
    req = _request(client, "correction")
    _attach(client, req, iin=VICTIM_IIN)
    assert client.get(f"/privacy/{req.pk}/correct/{case.offender_id}/").status_code == 404


@pytest.mark.parametrize("role", [Role.POLICE_INSPECTOR, Role.OVERSIGHT, Role.ADMINISTRATOR, Role.ANALYST])
def test_other_roles_are_refused(signed_in, role, case):
    other = signed_in(role)
    assert other.get("/privacy/").status_code == 403
    assert other.post("/privacy/", {"reference": "x"}).status_code == 403
    assert other.get("/privacy/1/").status_code == 403


def test_officer_has_no_case_access(client, case):
    assert client.get(f"/cases/{case.pk}/").status_code in (403, 404)


def _offender_dossier(case: Case, officer: User) -> dict:
    req = PrivacyRequest.objects.create(reference="Q", received_on=dt.date(2026, 1, 5), legal_basis="subject_access", identity_checked=True,
                                        kind="export", language="en", subject=case.offender, created_by=officer, created_at=clock.now())
    return selectors.dossier(req)


def test_dossier_queries_do_not_grow_with_cases(case, officer, make_user):
    """The offender's dossier with 1 case and with 4 (three more victims, his records linked by IIN)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        first = _offender_dossier(case, officer)
    inspector = make_user(Role.POLICE_INSPECTOR)
    for n in range(3):
        victim = person(f"Жертва Номер{n}", birth=dt.date(1992, 1, 1 + n), serial=3000 + n)
        offender = person(HIM["name"], birth=dt.date(1986, 3, 2), sex="M")
        report_register(actor=inspector, data=report_input(victims=[VictimInput(relationship="partner", person=victim)], offender=offender))
    with CaptureQueriesContext(connection) as many:
        second = _offender_dossier(case, officer)
    assert (len(first["cases"]), len(second["cases"])) == (1, 4)
    assert len(many.captured_queries) <= len(few.captured_queries) + 1  # + one unit preload for the new cases' readers


def test_restricted_case_names_no_unit(case, officer):
    Case.objects.filter(pk=case.pk).update(restricted=True)
    case.refresh_from_db()
    req = PrivacyRequest.objects.create(reference="Q", received_on=dt.date(2026, 1, 5), legal_basis="subject_access", identity_checked=True,
                                        kind="export", language="en", subject=case.victim, created_by=officer, created_at=clock.now())
    data = selectors.dossier(req)
    assert data["cases"][0]["restricted"] is True
    assert data["cases"][0]["holding_unit"] is None
    assert {a["unit"] for a in data["access"]} == {None}
    assert [r["recorded_by_unit"] for r in data["records"]] == [None]
    text = json.dumps(data, ensure_ascii=False)
    assert "Almaly" not in text and SHELTER not in text


def test_demo_has_a_privacy_officer(reference):
    from qorgau.accounts.roles import Capability
    from qorgau.demo.seed import seed_demo

    users = {u.username: u for u in seed_demo()}
    officer = User.objects.get(username="privacy")
    assert officer.role == Role.PRIVACY_OFFICER and "privacy" in users
    assert officer.can(Capability.HANDLE_PRIVACY_REQUESTS)
    assert not officer.can(Capability.WORK_CASES) and not officer.can(Capability.USE_API)
