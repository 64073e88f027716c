"""The staff directory: identity shown through the mask to user managers only; every read audited."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from qorgau.accounts.models import User
from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from qorgau.core.models import AuditAction, AuditEvent
from tests.accounts.support import audit, row_text, valid_iin
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

COLLEAGUE_NAME = "Нурлан Абенович Касымов"


@pytest.fixture
def colleague(make_user):
    return make_user(Role.POLICE_INSPECTOR, full_name=COLLEAGUE_NAME, iin=valid_iin("8505123012"))


def test_administrator_sees_staff_identity_and_the_read_is_audited(make_user, colleague):
    admin = make_user(Role.ADMINISTRATOR, language="en", full_name="Admin Adminov", iin=valid_iin("7702024055"))
    client = sign_in(Client(), admin)

    r = client.get("/staff/")
    assert r.status_code == 200
    body = r.content.decode()
    assert colleague.iin in body and COLLEAGUE_NAME in body
    assert f"<td>{colleague.username}</td>" in body
    reads = audit(AuditAction.READ, target_type="staff_directory")
    assert [(e.actor_id, e.count, e.outcome) for e in reads] == [(admin.pk, User.objects.count(), "ok")]
    for event in AuditEvent.objects.all():
        assert colleague.iin not in row_text(event) and "Касымов" not in row_text(event)


def test_staff_export_goes_through_the_same_mask_and_is_audited(make_user, colleague):
    admin = make_user(Role.ADMINISTRATOR, language="en")
    r = sign_in(Client(), admin).get("/staff/export.csv")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0] == ["User name", "Full name", "IIN", "Role", "Unit"]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == set(User.objects.values_list("username", flat=True))
    assert by_name[colleague.username][1:3] == [COLLEAGUE_NAME, colleague.iin]
    exports = audit(AuditAction.EXPORT, target_type="staff_directory")
    assert [(e.actor_id, e.count) for e in exports] == [(admin.pk, User.objects.count())]


@pytest.mark.parametrize("role", [r for r in Role if Capability.MANAGE_USERS not in ROLE_CAPABILITIES[r]])
def test_roles_without_manage_users_get_403_and_nothing_is_read(make_user, colleague, role):
    client = sign_in(Client(), make_user(role, language="en"))
    for url in ("/staff/", "/staff/export.csv"):
        r = client.get(url)
        assert r.status_code == 403
        body = r.content.decode()
        assert "Access denied" in body
        assert colleague.iin not in body and COLLEAGUE_NAME not in body
    assert audit(AuditAction.READ) == audit(AuditAction.EXPORT) == []


def test_staff_link_is_in_the_menu_only_for_user_managers(make_user):
    admin_page = sign_in(Client(), make_user(Role.ADMINISTRATOR, language="en")).get("/").content.decode()
    inspector_page = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, language="en")).get("/").content.decode()
    assert 'href="/staff/"' in admin_page
    assert 'href="/staff/"' not in inspector_page


def test_anonymous_visitor_is_sent_to_sign_in(db):
    r = Client().get("/staff/")
    assert (r.status_code, r.url) == (302, "/login/?next=/staff/")
