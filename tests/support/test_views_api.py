"""Pages and API of support: the case card, refer from the case page, the provider's queue and
referral page (422 messages, 409), the catalogue and its filters, and the API."""

from __future__ import annotations

import datetime as dt

import pytest

from qorgau.support.models import SupportReferral
from qorgau.support.services import today_for
from tests.conftest import sign_in
from tests.support.builders import make_programme, provider_unit, refer

pytestmark = pytest.mark.django_db


def test_case_card_shows_referrals_and_the_button(client, case, inspector, programme):
    c = sign_in(client, inspector)
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="support-card"' in page and 'data-testid="refer-support"' in page
    assert "has not been referred" in page
    refer(inspector, case, programme)
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert "Jobs for women" in page and "Requested" in page


def test_provider_sees_only_its_referral_and_no_button(client, case, inspector, programme, provider):
    other = make_programme(provider_unit("Other office"), "Other help", kind="benefits")
    refer(inspector, case, programme)
    refer(inspector, case, other)
    page = sign_in(client, provider).get(f"/cases/{case.pk}/").content.decode()
    assert "Jobs for women" in page and "Other help" not in page
    assert 'data-testid="refer-support"' not in page


def test_refer_from_the_case_page(client, case, inspector, programme, provider):
    c = sign_in(client, inspector)
    r = c.get(f"/support/case/{case.pk}/")
    assert r.status_code == 200 and f'value="{programme.pk}"' in r.content.decode()
    bad = c.post(f"/support/case/{case.pk}/", {"programme": programme.pk, "identity": "on"})
    assert bad.status_code == 422 and "Without her consent there is no referral" in bad.content.decode()
    no_identity = c.post(f"/support/case/{case.pk}/", {"programme": programme.pk, "consent_how": "phone"})
    assert no_identity.status_code == 422 and "at least cover her identity" in no_identity.content.decode()
    missing = c.post(f"/support/case/{case.pk}/", {"programme": 999999, "consent_how": "phone", "identity": "on"})
    assert missing.status_code == 422 and "Choose a programme from the list" in missing.content.decode()
    future = (today_for(inspector.unit) + dt.timedelta(days=2)).isoformat()
    late = c.post(f"/support/case/{case.pk}/", {"programme": programme.pk, "consent_how": "phone", "identity": "on", "requested_on": future})
    assert late.status_code == 422 and "cannot be in the future" in late.content.decode()
    assert not SupportReferral.objects.exists()
    ok = c.post(f"/support/case/{case.pk}/", {"programme": programme.pk, "consent_how": "phone", "identity": "on", "contact": "on"})
    assert ok.status_code == 302
    referral = SupportReferral.objects.get()
    assert referral.shares_contact and referral.consent_how == "phone"


def test_the_programme_chooser_filters(client, case, inspector, programme, reference):
    far = make_programme(provider_unit("Atyrau office", region="KZ-23"), "Atyrau jobs")
    kazakh_only = make_programme(programme.unit, "Kazakh housing", kind="social_housing", lang_ru=False)
    c = sign_in(client, inspector)
    page = c.get(f"/support/case/{case.pk}/").content.decode()  # default: the case's region
    assert programme.name_en in page and kazakh_only.name_en in page and far.name_en not in page
    page = c.get(f"/support/case/{case.pk}/", {"region": "KZ-75", "language": "ru"}).content.decode()
    assert programme.name_en in page and kazakh_only.name_en not in page
    page = c.get(f"/support/case/{case.pk}/", {"region": "KZ-75", "groups": ["migrants"]}).content.decode()
    assert programme.name_en in page and kazakh_only.name_en not in page
    page = c.get(f"/support/case/{case.pk}/", {"region": "KZ-75", "kind": "social_housing"}).content.decode()
    assert programme.name_en not in page and kazakh_only.name_en in page
    assert c.get(f"/support/case/{case.pk}/", {"kind": "nonsense"}).status_code == 422


def test_provider_moves_it_on_its_page(client, case, inspector, programme, provider):
    r = refer(inspector, case, programme)
    c = sign_in(client, provider)
    queue = c.get("/support/").content.decode()
    assert f'data-referral="{r.pk}"' in queue and case.number in queue
    url = f"/support/referrals/{r.pk}/"
    assert c.get(url).status_code == 200
    bad = c.post(url, {"version": 1, "to": "started"})
    assert bad.status_code == 422 and "cannot become Started" in bad.content.decode()
    assert c.post(url, {"version": 1, "to": "accepted"}).status_code == 302
    assert c.post(url, {"version": 1, "to": "declined"}).status_code == 409
    assert c.post(url, {"version": 2, "to": "started"}).status_code == 302
    no_outcome = c.post(url, {"version": 3, "to": "completed"})
    assert no_outcome.status_code == 422 and "Choose the outcome" in no_outcome.content.decode()
    assert c.post(url, {"version": 3, "to": "completed", "outcome": "employed"}).status_code == 302
    r.refresh_from_db()
    assert r.status == "completed" and r.outcome == "employed"
    assert c.get(url).status_code == 200  # the provider keeps its record after the grant ended


def test_referrer_withdraws_on_the_referral_page(client, case, inspector, programme):
    r = refer(inspector, case, programme)
    c = sign_in(client, inspector)
    page = c.get(f"/support/referrals/{r.pk}/").content.decode()
    assert 'value="withdrawn"' in page and 'value="accepted"' not in page
    assert c.post(f"/support/referrals/{r.pk}/", {"version": 1, "to": "withdrawn"}).status_code == 302
    r.refresh_from_db()
    assert r.status == "withdrawn"


def test_strangers_get_404_for_a_referral(client, case, inspector, programme, make_user):
    r = refer(inspector, case, programme)
    stranger = make_user("social_worker", unit=provider_unit("Elsewhere"))
    assert sign_in(client, stranger).get(f"/support/referrals/{r.pk}/").status_code == 404


def test_catalogue_page_filters_and_admin_editor(client, programme, make_user):
    admin = make_user("administrator")
    c = sign_in(client, admin)
    page = c.get("/support/programmes/", {"language": "en"}).content.decode()
    assert programme.name_en in page and 'data-testid="programme-new"' in page
    assert programme.name_en not in c.get("/support/programmes/", {"kind": "legal_aid"}).content.decode()
    new = c.post("/support/programmes/new/", {"unit": programme.unit_id, "kind": "legal_aid", "name_kk": "a", "name_ru": "b",
                                              "name_en": "Legal clinic", "lang_ru": "on", "active": "on"})
    assert new.status_code == 302
    silent = c.post("/support/programmes/new/", {"unit": programme.unit_id, "kind": "benefits", "name_kk": "a", "name_ru": "c", "name_en": "x"})
    assert silent.status_code == 422 and "at least one language" in silent.content.decode()
    stale = c.post(f"/support/programmes/{programme.pk}/", {"version": 9, "kind": "employment", "name_kk": "a", "name_ru": "b",
                                                             "name_en": "c", "lang_ru": "on"})
    assert stale.status_code == 409
    worker = sign_in(client, make_user("social_worker"))
    assert worker.get("/support/programmes/new/").status_code == 403


def test_api_refer_read_and_move(client, case, inspector, programme, provider):
    c = sign_in(client, inspector)
    bad = c.post(f"/api/v1/cases/{case.pk}/support", {"programme_id": programme.pk, "consent_how": "phone", "identity": False},
                 content_type="application/json")
    assert bad.status_code == 422 and "identity" in bad.json()["fields"]
    r = c.post(f"/api/v1/cases/{case.pk}/support", {"programme_id": programme.pk, "consent_how": "written"},
               content_type="application/json")
    assert r.status_code == 201, r.content
    rid = r.json()["id"]
    assert [x["id"] for x in c.get(f"/api/v1/cases/{case.pk}/support").json()] == [rid]
    p = sign_in(client, provider)
    assert p.get(f"/api/v1/support/referrals/{rid}").json()["status"] == "requested"
    moved = p.patch(f"/api/v1/support/referrals/{rid}", {"version": 1, "status": "accepted"}, content_type="application/json")
    assert moved.status_code == 200 and moved.json()["version"] == 2
    stale = p.patch(f"/api/v1/support/referrals/{rid}", {"version": 1, "status": "started"}, content_type="application/json")
    assert stale.status_code == 409
    programmes = p.get("/api/v1/support/programmes", {"language": "en", "migrants": True}).json()
    assert [x["id"] for x in programmes] == [programme.pk]
    assert p.get("/api/v1/support/programmes", {"disabilities": True}).json() == []
