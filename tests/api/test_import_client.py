"""A machine import client (X-Machine-Token, purpose import) registers reports for its service account."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from qorgau.accounts.roles import Role
from qorgau.accounts.tokens import machine_token_issue
from qorgau.cases.models import Report
from qorgau.cases.reference import markers_load
from qorgau.core.errors import Invalid
from tests.permission_matrix import MATRIX_REPORT

pytestmark = pytest.mark.django_db


def _post(token: str):
    return Client().post(
        "/api/v1/reports", data=json.dumps(MATRIX_REPORT), content_type="application/json", HTTP_X_MACHINE_TOKEN=token
    )


def test_an_import_client_registers_a_report_as_its_service_account(make_user, police_unit):
    markers_load()
    admin = make_user(Role.ADMINISTRATOR)
    service = make_user(Role.POLICE_INSPECTOR, username="svc-register-almaty")
    issued = machine_token_issue(actor=admin, name="register-almaty", purpose="import", unit=police_unit, acts_for=service)
    response = _post(issued.token)
    assert response.status_code == 201, response.content
    report = Report.objects.get(number=response.json()["report_number"])
    assert (report.registered_by_id, report.unit_id) == (service.pk, police_unit.pk)


def test_other_machine_tokens_and_bad_service_accounts_are_refused(make_user, police_unit, other_unit):
    markers_load()
    admin = make_user(Role.ADMINISTRATOR)
    gateway = machine_token_issue(actor=admin, name="gw", purpose="device_gateway", unit=police_unit)
    assert _post(gateway.token).status_code == 401
    assert _post("qgm_nope_nope").status_code == 401
    with pytest.raises(Invalid) as err:
        machine_token_issue(actor=admin, name="imp", purpose="import", unit=police_unit)
    assert set(err.value.fields) == {"acts_for"}
    stranger = make_user(Role.POLICE_INSPECTOR, unit=other_unit)
    with pytest.raises(Invalid):
        machine_token_issue(actor=admin, name="imp2", purpose="import", unit=police_unit, acts_for=stranger)
    assert Report.objects.count() == 0
