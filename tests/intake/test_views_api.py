"""Pages and API of anonymous intake: register, edit with a version (409 when stale), close, share
and withdraw; bad input gets a clear message and 422, never a 500."""

from __future__ import annotations

import json

import pytest

from qorgau.accounts.roles import Role
from qorgau.intake.models import AnonymousRecord, RecordShare
from tests.conftest import sign_in
from tests.intake.conftest import SECRET

pytestmark = pytest.mark.django_db

FORM = {"alias": "Дана", "region": "KZ-75", "district": "751110000", "children": "1", "forms_of_violence": ["physical"],
        "narrative": "Угрозы", "services": ["lawyer"]}


def _post_json(c, url, data, method="post"):
    return getattr(c, method)(url, data=json.dumps(data), content_type="application/json")


def test_register_edit_close_on_the_pages(staff, client):
    c = sign_in(client, staff)
    assert c.get("/intake/new/").status_code == 200
    r = c.post("/intake/new/", FORM)
    assert r.status_code == 302
    record = AnonymousRecord.objects.get()
    assert record.alias == "Дана" and record.physical and record.gave_lawyer and record.children == 1
    assert record.number in c.get("/intake/").content.decode()
    url = f"/intake/{record.pk}/"
    assert "Дана" in c.get(url).content.decode()
    r = c.post(url, {**FORM, "version": "1", "alias": "Дана Б."})
    assert r.status_code == 302
    assert c.post(url, {**FORM, "version": "1", "alias": "stale"}).status_code == 409
    r = c.post(url, {**FORM, "version": "2", "closed_at": "2001-01-01T10:00", "outcome": "other"})
    assert r.status_code == 422 and "before she was taken in" in r.content.decode()
    record.refresh_from_db()
    assert record.alias == "Дана Б." and record.closed_at is None


def test_bad_input_on_the_new_page(staff, client):
    c = sign_in(client, staff)
    r = c.post("/intake/new/", {**FORM, "iin": "12345"})
    assert r.status_code == 422 and "IIN is not valid" in r.content.decode()
    r = c.post("/intake/new/", {**FORM, "region": ""})
    assert r.status_code == 422
    assert not AnonymousRecord.objects.exists()


def test_share_and_withdraw_on_the_page(record, staff, inspector, client):
    c = sign_in(client, staff)
    url = f"/intake/{record.pk}/share/"
    r = c.post(url, {"to_unit": inspector.unit_id, "purpose": "", "how": "in_person", "shares": ["identity"]})
    assert r.status_code == 422 and "without a purpose there is no consent" in r.content.decode()
    r = c.post(url, {"to_unit": inspector.unit_id, "purpose": "Statement", "how": "in_person"})
    assert r.status_code == 422 and "nothing is shared without it" in r.content.decode()
    r = c.post(url, {"to_unit": staff.unit_id, "purpose": "Statement", "how": "in_person", "shares": ["identity"]})
    assert r.status_code == 422 and "choose another unit" in r.content.decode()
    assert not RecordShare.objects.exists()
    r = c.post(url, {"to_unit": inspector.unit_id, "purpose": "Statement", "how": "in_person", "shares": ["identity", "narrative"]})
    assert r.status_code == 302
    share = RecordShare.objects.get()
    assert share.shares_identity and share.shares_narrative and not share.shares_contact
    assert c.post(f"/intake/{record.pk}/withdraw/", {"share": share.pk}).status_code == 302
    r = c.post(f"/intake/{record.pk}/withdraw/", {"share": share.pk})
    assert r.status_code == 422 and "already been withdrawn" in r.content.decode()
    assert c.post(f"/intake/{record.pk}/withdraw/", {"share": "x"}).status_code == 422


def test_api_records_and_shares(staff, inspector, make_user, other_centre, client):
    c = sign_in(client, staff)
    r = _post_json(c, "/api/v1/intake/records", {"region": "KZ-75", "alias": "Api", "phone": "+7 700 111 22 33", "forms": ["economic"]})
    assert r.status_code == 201, r.content
    body = r.json()
    rid = body["id"]
    assert body["number"].startswith("A-") and body["forms"] == ["economic"] and body["version"] == 1
    assert [x["id"] for x in c.get("/api/v1/intake/records").json()] == [rid]
    r = _post_json(c, f"/api/v1/intake/records/{rid}", {"version": 1, "children": 2}, method="patch")
    assert r.status_code == 200 and r.json()["children"] == 2 and r.json()["alias"] == "Api"
    assert _post_json(c, f"/api/v1/intake/records/{rid}", {"version": 1, "children": 3}, method="patch").status_code == 409
    r = _post_json(c, f"/api/v1/intake/records/{rid}", {"version": 2, "closed_at": "2001-01-01T00:00:00Z", "outcome": "other"}, method="patch")
    assert r.status_code == 422 and "before she was taken in" in r.content.decode()
    r = _post_json(c, f"/api/v1/intake/records/{rid}/shares", {"to_unit_id": inspector.unit_id, "purpose": "", "how": "written", "shares": ["contact"]})
    assert r.status_code == 422 and "purpose" in r.content.decode()
    r = _post_json(c, f"/api/v1/intake/records/{rid}/shares", {"to_unit_id": inspector.unit_id, "purpose": "Police", "how": "written", "shares": []})
    assert r.status_code == 422
    r = _post_json(c, f"/api/v1/intake/records/{rid}/shares", {"to_unit_id": inspector.unit_id, "purpose": "Police", "how": "written",
                                                                "shares": ["contact"]})
    assert r.status_code == 201 and r.json()["shares"] == ["contact"]
    sid = r.json()["id"]
    seen = sign_in(client.__class__(), inspector).get(f"/api/v1/intake/shared/{sid}").json()
    assert seen["phone"] == "+7 700 111 22 33" and seen["alias"] is None and "alias" in seen["hidden"]
    assert "Api" not in json.dumps(seen)
    other = sign_in(client.__class__(), make_user(Role.SHELTER_WORKER, unit=other_centre.unit))
    assert other.get(f"/api/v1/intake/records/{rid}").status_code == 404
    assert other.post(f"/api/v1/intake/shares/{sid}/withdraw").status_code == 404
    assert c.post(f"/api/v1/intake/shares/{sid}/withdraw").status_code == 200
    r = c.post(f"/api/v1/intake/shares/{sid}/withdraw")
    assert r.status_code == 422 and "already been withdrawn" in r.content.decode()
    assert sign_in(client.__class__(), inspector).get(f"/api/v1/intake/shared/{sid}").status_code == 404


def test_api_bad_input_is_422(staff, client):
    c = sign_in(client, staff)
    assert _post_json(c, "/api/v1/intake/records", {"region": "KZ-75", "forms": ["magic"]}).status_code == 422
    assert _post_json(c, "/api/v1/intake/records", {"region": "nowhere"}).status_code == 422
    assert _post_json(c, "/api/v1/intake/records", {"region": "KZ-75", "iin": "000000000000"}).status_code == 422
    assert not AnonymousRecord.objects.exists()
    assert SECRET["alias"] not in c.get("/api/v1/intake/records").content.decode()
