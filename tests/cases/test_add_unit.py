"""Sharing a case with another unit (supervisor) and naming the investigating unit (oversight)."""

from __future__ import annotations

import pytest
from django.test import Client

from qorgau.accounts.models import AgencyKind, Notification, NotificationKind
from qorgau.accounts.services import unit_create
from qorgau.cases.access import case_get_for
from qorgau.cases.models import CaseEvent, EventKind, Grant, GrantReason
from qorgau.cases.services import case_add_unit, report_register
from qorgau.core.errors import Forbidden, Invalid, NotFound
from qorgau.core.models import Region
from tests.cases.factories import report_input
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


def _unit(kind: str, name: str, region: str = "KZ-75"):
    return unit_create(actor=None, kind=AgencyKind.objects.get(code=kind), region=Region.objects.get(iso=region),
                       name_ru=name, name_kk=name, name_en=name)


def test_a_supervisor_shares_the_case_and_the_unit_sees_it(make_user, police_unit):
    inspector = make_user("police_inspector")
    supervisor = make_user("police_supervisor")
    case = report_register(actor=inspector, data=report_input()).cases[0]
    centre = _unit("family_support", "ЦПС Алматы")
    social = make_user("social_worker", unit=centre)
    with pytest.raises(NotFound):
        case_get_for(social, case.pk)

    client = sign_in(Client(), supervisor)
    page = client.get(f"/cases/{case.pk}/")
    assert page.context["can_add_unit"] is True
    r = client.post(f"/cases/{case.pk}/units/", {"unit": str(centre.pk), "scope": "worker", "justification": "Сопровождение семьи"})
    assert r.status_code == 302
    grant = Grant.objects.get(case=case, unit=centre)
    assert (grant.reason, grant.scope, grant.granted_by_id) == (GrantReason.SUPERVISOR, "worker", supervisor.pk)
    assert case_get_for(social, case.pk)[1].scope == "worker"
    assert Notification.objects.filter(recipient=social, kind=NotificationKind.CASE_SHARED, target_id=str(case.pk)).exists()
    assert CaseEvent.objects.filter(case=case, kind=EventKind.GRANT_ADDED).count() == 1


def test_an_inspector_cannot_share_and_nobody_shares_twice(make_user):
    inspector = make_user("police_inspector")
    supervisor = make_user("police_supervisor")
    case = report_register(actor=inspector, data=report_input()).cases[0]
    centre = _unit("family_support", "ЦПС Алматы")
    with pytest.raises(Forbidden):
        case_add_unit(actor=inspector, case=case, unit_id=centre.pk, scope="worker", justification="Сопровождение семьи")
    r = sign_in(Client(), inspector).post(f"/cases/{case.pk}/units/", {"unit": str(centre.pk), "scope": "worker", "justification": "x" * 12})
    assert r.status_code == 403
    case_add_unit(actor=supervisor, case=case, unit_id=centre.pk, scope="worker", justification="Сопровождение семьи")
    with pytest.raises(Invalid) as err:
        case_add_unit(actor=supervisor, case=case, unit_id=centre.pk, scope="full", justification="Ещё раз, по ошибке")
    assert set(err.value.fields) == {"unit"}
    with pytest.raises(Invalid) as err:
        case_add_unit(actor=supervisor, case=case, unit_id=999999, scope="admin", justification="short")
    assert set(err.value.fields) == {"unit", "scope", "justification"}
    assert Grant.objects.filter(case=case, unit=centre).count() == 1


def test_oversight_names_the_investigating_unit_of_a_restricted_case(make_user, other_unit):
    oversight_unit = _unit("oversight", "СВБ", "KZ-71")
    inspector = make_user("police_inspector")
    case = report_register(actor=inspector, data=report_input(restricted=True)).cases[0]
    supervisor = make_user("police_supervisor")
    with pytest.raises(NotFound):  # the registering unit no longer sees it
        case_add_unit(actor=supervisor, case=case, unit_id=other_unit.pk, scope="full", justification="Расследование")
    officer = make_user("oversight", unit=oversight_unit)
    case_add_unit(actor=officer, case=case, unit_id=other_unit.pk, scope="full", justification="Служебное расследование")
    investigator = make_user("police_inspector", unit=other_unit)
    assert case_get_for(investigator, case.pk)[1].scope == "full"
    assert Grant.objects.get(case=case, unit=other_unit).reason == GrantReason.OVERSIGHT
