"""Pages and API of offender programmes: the provider never sees the victim; the enrolment gate;
enrolment from the case page; sessions and outcome; bad input 422, stale version 409."""

from __future__ import annotations

import datetime as dt

import pytest

from qorgau.accounts.roles import Role
from qorgau.programmes.models import Enrolment, EnrolmentStatus
from tests.conftest import sign_in
from tests.programmes.support import enrol, local_today, sessions
from tests.protocols.support import agency_unit

pytestmark = pytest.mark.django_db

VICTIM = ("Сапарова", "Айгерим")


def test_provider_pages_never_show_the_victim(client, clerk, case, decision, programme, provider):
    e = sessions(provider, enrol(clerk, case, decision, programme), "a")
    c = sign_in(client, provider)
    for url in ("/programmes/", f"/programmes/enrolments/{e.pk}/", f"/api/v1/enrolments/{e.pk}"):
        r = c.get(url)
        assert r.status_code == 200, url
        html = r.content.decode()
        assert "Сапаров Ерлан" in html or "\\u0421" in html  # the offender is shown (the API escapes)
        assert not any(v in html for v in VICTIM), url
    assert c.get(f"/cases/{case.pk}/").status_code == 404  # no case grant for the provider


def test_enrolment_gate(client, clerk, case, decision, programme, provider, make_user, provider_unit):
    e = enrol(clerk, case, decision, programme)
    url = f"/programmes/enrolments/{e.pk}/"
    court = sign_in(client, clerk).get(url)
    assert court.status_code == 200 and 'data-testid="session-form"' not in court.content.decode()
    police = sign_in(client, make_user(Role.POLICE_INSPECTOR, username="police_of_the_case"))  # the unit holding the case
    assert police.get(url).status_code == 200
    elsewhere = agency_unit("family_support", "KZ-75", None, "FSC elsewhere")
    assert sign_in(client, make_user(Role.SOCIAL_WORKER, unit=elsewhere, username="stranger")).get(url).status_code == 404
    other_provider = agency_unit("correction_programme", "KZ-75", None, "Another provider")
    colleague = make_user(Role.PROGRAMME_PROVIDER, unit=other_provider, username="other_provider")
    assert sign_in(client, colleague).get(url).status_code == 404
    assert sign_in(client, colleague).get(f"/api/v1/enrolments/{e.pk}").status_code == 404
    own = sign_in(client, provider).get(url).content.decode()
    assert 'data-testid="session-form"' in own


def test_enrol_from_the_case_page(client, clerk, case, decision, programme, provider):
    c = sign_in(client, clerk)
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="enrol-programme"' in page
    chooser = c.get(f"/programmes/enrol/{case.pk}/", {"language": "en", "groups": ["migrants"]})
    assert chooser.status_code == 200 and "Anger management" in chooser.content.decode()
    assert "Anger management" not in c.get(f"/programmes/enrol/{case.pk}/", {"groups": ["disabilities"]}).content.decode()
    assert c.get(f"/programmes/enrol/{case.pk}/", {"language": "xx"}).status_code == 422
    bad = c.post(f"/programmes/enrol/{case.pk}/", {"decision": decision.pk, "programme": programme.pk, "deadline": "2001-01-01",
                                                   "allowed_absences": "2"})
    assert bad.status_code == 422 and "The deadline must be after today." in bad.content.decode()
    deadline = (local_today() + dt.timedelta(days=60)).isoformat()
    r = c.post(f"/programmes/enrol/{case.pk}/", {"decision": decision.pk, "programme": programme.pk, "deadline": deadline, "allowed_absences": "1"})
    assert r.status_code == 302
    e = Enrolment.objects.get()
    assert e.allowed_absences == 1 and e.sessions_required == 3
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert f'data-enrolment="{e.pk}"' in page and "0 / 3" in page
    assert sign_in(client, provider).get(f"/programmes/enrol/{case.pk}/").status_code == 403


def test_sessions_and_outcome_on_the_pages(client, clerk, case, decision, programme, provider):
    e = enrol(clerk, case, decision, programme, days_ago=3)
    c = sign_in(client, provider)
    url = f"/programmes/enrolments/{e.pk}/sessions/"
    future = (local_today() + dt.timedelta(days=2)).isoformat()
    r = c.post(url, {"version": e.version, "held_on": future, "attendance": "attended"})
    assert r.status_code == 422 and "The session cannot be in the future." in r.content.decode()
    today = local_today().isoformat()
    assert c.post(url, {"version": e.version, "held_on": today, "attendance": "attended", "note": "Came on time"}).status_code == 302
    assert c.post(url, {"version": e.version, "held_on": today, "attendance": "attended"}).status_code == 409
    e.refresh_from_db()
    assert e.status == EnrolmentStatus.ATTENDING
    out = f"/programmes/enrolments/{e.pk}/outcome/"
    assert c.post(out, {"version": e.version, "outcome": "noncompliant"}).status_code == 422
    assert c.post(out, {"version": e.version, "outcome": "noncompliant", "reason": "Stopped coming"}).status_code == 302
    e.refresh_from_db()
    assert e.status == EnrolmentStatus.NONCOMPLIANT
    assert sign_in(client, clerk).post(url, {"version": e.version, "held_on": today, "attendance": "attended"}).status_code == 403


def test_api(client, clerk, case, decision, programme, provider):
    c = sign_in(client, clerk)
    listed = c.get("/api/v1/programmes", {"language": "en", "migrants": "true"})
    assert listed.status_code == 200 and [p["id"] for p in listed.json()] == [programme.pk]
    assert c.get("/api/v1/programmes", {"language": "zz"}).status_code == 422
    deadline = (local_today() + dt.timedelta(days=60)).isoformat()
    body = {"decision_id": decision.pk, "programme_id": programme.pk, "deadline": deadline}
    made = c.post(f"/api/v1/cases/{case.pk}/enrolments", body, content_type="application/json")
    assert made.status_code == 201 and made.json()["status"] == "enrolled"
    bad = c.post(f"/api/v1/cases/{case.pk}/enrolments", {**body, "decision_id": 999999}, content_type="application/json")
    assert bad.status_code == 422
    eid = made.json()["id"]
    p = sign_in(client, provider)
    today = local_today().isoformat()
    r = p.post(f"/api/v1/enrolments/{eid}/sessions", {"version": 1, "held_on": today, "attendance": "absent"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["absences"] == 1 and r.json()["version"] == 2
    stale = p.post(f"/api/v1/enrolments/{eid}/sessions", {"version": 1, "held_on": today, "attendance": "absent"}, content_type="application/json")
    assert stale.status_code == 409
    done = p.post(f"/api/v1/enrolments/{eid}/outcome", {"version": 2, "outcome": "completed"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert c.get(f"/api/v1/enrolments/{eid}").json()["status"] == "completed"
