"""A new report in an existing case: the pair is linked from the case, not typed again."""

from __future__ import annotations

import pytest
from django.test import Client

from qorgau.cases.models import Case, Report
from qorgau.cases.services import report_register
from tests.cases.factories import report_input
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _post(client: Client, case: Case, **extra: str):
    data = {
        "from_case": str(case.pk),
        "channel": "victim",
        "received_at": "2026-11-20T10:00",
        "occurred_at": "2026-11-20T09:00",
        "region": "KZ-75",
        "district": "751110000",
        "forms": ["psychological"],
        "victim0_relationship": "spouse",
        "narrative": "Снова угрожал по телефону.",
    }
    data.update(extra)
    return client.post("/cases/register/", data)


def test_the_case_page_offers_a_new_report_and_it_joins_the_same_case(make_user):
    inspector = make_user("police_inspector")
    case = report_register(actor=inspector, data=report_input()).cases[0]
    client = sign_in(Client(), inspector)
    page = client.get(f"/cases/{case.pk}/")
    assert f"/cases/register/?case={case.pk}" in page.content.decode()
    form = client.get(f"/cases/register/?case={case.pk}")
    assert form.status_code == 200
    assert form.context["linked"]["people"]["victim_name"] == "Сапарова Айгерим"

    # The pair has an incident of the last 48 hours: the form asks whether this report is about it.
    asked = _post(client, case)
    assert asked.status_code == 200
    incident = case.incidents.get()
    assert [c.value for c in asked.context["incident_choices"]] == [str(incident.pk)]

    response = _post(client, case, attach_incident=str(incident.pk))
    assert response.status_code == 302
    assert response.url == f"/cases/{case.pk}/"
    assert Case.objects.count() == 1
    assert Report.objects.filter(incident=incident).count() == 2


def test_another_units_case_cannot_be_named(make_user, other_unit):
    owner = make_user("police_inspector")
    case = report_register(actor=owner, data=report_input()).cases[0]
    stranger = sign_in(Client(), make_user("police_inspector", unit=other_unit))
    assert stranger.get(f"/cases/register/?case={case.pk}").status_code == 404
    assert stranger.get("/cases/register/?case=abc").status_code == 404
    assert _post(stranger, case).status_code == 404
    assert Report.objects.count() == 1


def test_a_linked_report_still_validates_the_rest(make_user):
    inspector = make_user("police_inspector")
    case = report_register(actor=inspector, data=report_input()).cases[0]
    client = sign_in(Client(), inspector)
    response = _post(client, case, forms=[], victim0_relationship="")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"forms", "victim0_relationship"}
    assert "victim0_full_name" not in errors and "offender_full_name" not in errors
    assert Report.objects.count() == 1
