"""Sharing on her consent: the receiving unit sees only the consented parts (the rest hidden, absent
from the HTML and the API), the unit is notified, a withdrawal ends the share at once; no consent, no
share — there is no override."""

from __future__ import annotations

import json

import pytest

from qorgau.accounts.models import Notification
from qorgau.accounts.roles import Role
from qorgau.core.errors import Invalid, NotFound
from qorgau.core.models import AuditEvent
from qorgau.intake.models import RecordShare
from qorgau.intake.selectors import share_get_for
from qorgau.intake.services import share_give, share_withdraw
from tests.conftest import sign_in
from tests.intake.conftest import SECRET

pytestmark = pytest.mark.django_db

IDENTITY_AND_NARRATIVE = frozenset({"identity", "narrative"})


def _share(staff, record, unit_id, shares=IDENTITY_AND_NARRATIVE):
    return share_give(actor=staff, record_id=record.pk, to_unit_id=unit_id, purpose="A statement to the police", how="in_person",
                      shares=shares)


def test_consented_parts_only_in_html_and_api(record, staff, inspector, client):
    share = _share(staff, record, inspector.unit_id)
    assert Notification.objects.filter(recipient=inspector, target_type="record_share", target_id=str(share.pk)).exists()
    c = sign_in(client, inspector)
    listing = c.get("/intake/shared/").content.decode()
    assert record.number in listing
    html = c.get(f"/intake/shared/{share.pk}/").content.decode()
    assert SECRET["alias"] in html and SECRET["full_name"] in html and "Секретной" in html
    assert SECRET["phone"] not in html  # contact not consented
    assert "Almaly" not in html.split('data-field="district"')[1].split("</dd>")[0]  # whereabouts not consented
    assert 'data-field="phone" class="muted masked">hidden' in html
    body = c.get(f"/api/v1/intake/shared/{share.pk}").json()
    assert body["full_name"] == SECRET["full_name"] and body["narrative"] == SECRET["narrative"]
    assert body["phone"] is None and body["region"] is None and body["district"] is None and body["forms"] == ["physical", "psychological"]
    assert set(body["hidden"]) >= {"phone", "region", "district", "shelter_city"}
    assert SECRET["phone"] not in json.dumps(body, ensure_ascii=False)
    assert AuditEvent.objects.filter(target_type="record_share", target_id=str(share.pk), action="read", actor_id=inspector.pk).count() == 2


def test_only_contact_hides_identity_and_narrative(record, staff, inspector, client):
    share = _share(staff, record, inspector.unit_id, frozenset({"contact"}))
    html = sign_in(client, inspector).get(f"/intake/shared/{share.pk}/").content.decode()
    assert SECRET["phone"] in html
    for secret in (SECRET["alias"], SECRET["full_name"], "Секретной", "1991"):
        assert secret not in html


def test_other_units_and_the_holder_do_not_open_the_share(record, staff, inspector, make_user, other_unit, client):
    share = _share(staff, record, inspector.unit_id)
    for user in (make_user(Role.POLICE_INSPECTOR, unit=other_unit), make_user(Role.ANALYST, unit=inspector.unit),
                 make_user(Role.POLICE_SUPERVISOR, unit=other_unit)):
        with pytest.raises(NotFound):
            share_get_for(user, share.pk)
        assert sign_in(client, user).get(f"/intake/shared/{share.pk}/").status_code == 404


def test_withdrawal_ends_the_share_at_once(record, staff, inspector, client):
    share = _share(staff, record, inspector.unit_id)
    c = sign_in(client, inspector)
    assert c.get(f"/intake/shared/{share.pk}/").status_code == 200
    share_withdraw(actor=staff, share_id=share.pk)
    assert c.get(f"/intake/shared/{share.pk}/").status_code == 404
    assert c.get(f"/api/v1/intake/shared/{share.pk}").status_code == 404
    assert record.number not in c.get("/intake/shared/").content.decode()
    with pytest.raises(Invalid) as e:
        share_withdraw(actor=staff, share_id=share.pk)
    assert "already been withdrawn" in str(e.value.fields)
    assert AuditEvent.objects.filter(target_type="record_share", target_id=str(share.pk), outcome="withdrawn").count() == 1
    # a new consent may be given again after the withdrawal
    assert _share(staff, record, inspector.unit_id).pk != share.pk


def test_only_the_holding_staff_withdraw(record, staff, inspector):
    share = _share(staff, record, inspector.unit_id)
    with pytest.raises(NotFound):
        share_withdraw(actor=inspector, share_id=share.pk)
    assert RecordShare.objects.get(pk=share.pk).withdrawn_at is None


@pytest.mark.parametrize(("kw", "field", "message"), [
    ({"purpose": "  "}, "purpose", "without a purpose there is no consent"),
    ({"shares": frozenset()}, "shares", "nothing is shared without it"),
    ({"how": "telepathy"}, "how", "how she gave"),
    ({"to_unit_id": "own"}, "to_unit", "choose another unit"),
    ({"to_unit_id": 999999}, "to_unit", "active unit"),
])
def test_no_share_without_a_full_consent(record, staff, inspector, kw, field, message):
    args = {"purpose": "Statement", "how": "written", "shares": frozenset({"identity"}), "to_unit_id": inspector.unit_id, **kw}
    if args["to_unit_id"] == "own":
        args["to_unit_id"] = staff.unit_id
    with pytest.raises(Invalid) as e:
        share_give(actor=staff, record_id=record.pk, **args)
    assert message in " ".join(e.value.fields[field])
    assert not RecordShare.objects.exists() and not Notification.objects.filter(target_type="record_share").exists()


def test_one_live_share_per_unit(record, staff, inspector):
    _share(staff, record, inspector.unit_id)
    with pytest.raises(Invalid) as e:
        _share(staff, record, inspector.unit_id)
    assert "already shared" in " ".join(e.value.fields["to_unit"])


def test_outsiders_cannot_share(record, inspector):
    with pytest.raises(NotFound):
        share_give(actor=inspector, record_id=record.pk, to_unit_id=inspector.unit_id, purpose="x", how="written",
                   shares=frozenset({"identity"}))
