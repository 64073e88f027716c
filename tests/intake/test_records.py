"""The anonymous record: registered by a centre's staff, never linked into people or cases, read by
its own unit's staff only (404 for every other unit, supervisors, analysts, administrators and
oversight — break-glass does not reach it), edited with a version, closed, every read and write
audited."""

from __future__ import annotations

import datetime as dt

import pytest

from qorgau.accounts.roles import Role
from qorgau.cases.models import Case
from qorgau.core import clock
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditEvent
from qorgau.intake.models import AnonymousRecord
from qorgau.intake.selectors import intake_figures, record_get_for
from qorgau.intake.services import record_register, record_update
from qorgau.people.models import Person
from tests.conftest import sign_in
from tests.intake.conftest import SECRET, record_input

pytestmark = pytest.mark.django_db


def test_register_gives_a_number_and_links_nothing(record, staff):
    assert record.number == f"A-{record.taken_in_at.year}-{record.pk:06d}"
    assert record.unit_id == staff.unit_id and record.created_by == staff
    assert not Person.objects.exists() and not Case.objects.exists()
    # encrypted at rest: the column does not hold her name
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT full_name, alias, narrative FROM intake_anonymousrecord WHERE id = %s", [record.pk])
        raw = " ".join(cur.fetchone())
    assert SECRET["full_name"] not in raw and SECRET["alias"] not in raw and "Секретной" not in raw
    assert AuditEvent.objects.filter(target_type="anonymous_record", target_id=str(record.pk), outcome="registered").exists()


def test_fully_anonymous_record(staff):
    r = record_register(actor=staff, data=record_input(alias="", full_name="", phone="", birth_year=None, age_band="30_44"))
    r.refresh_from_db()
    assert r.alias == "" and r.age_band == "30_44"


def test_only_centre_staff_take_in(make_user, police_unit, reference):
    social_in_police = make_user(Role.SOCIAL_WORKER, unit=police_unit)
    with pytest.raises(Forbidden):
        record_register(actor=social_in_police, data=record_input())
    inspector = make_user(Role.POLICE_INSPECTOR, unit=police_unit)
    with pytest.raises(Forbidden):
        record_register(actor=inspector, data=record_input())


def test_family_support_social_worker_takes_in(make_user, reference):
    from tests.shelters.support import make_centre

    fsc = make_centre("FSC Almaly", kind="family_support")
    social = make_user(Role.SOCIAL_WORKER, unit=fsc.unit)
    assert record_register(actor=social, data=record_input()).unit_id == fsc.unit_id


@pytest.mark.parametrize("role", [Role.POLICE_SUPERVISOR, Role.ANALYST, Role.ADMINISTRATOR, Role.OVERSIGHT, Role.POLICE_INSPECTOR,
                                  Role.PLACEMENT_COORDINATOR])
def test_gate_refuses_everyone_outside_the_holding_unit(record, make_user, role, client):
    outsider = make_user(role)
    with pytest.raises(NotFound):
        record_get_for(outsider, record.pk)
    c = sign_in(client, outsider)
    assert c.get(f"/intake/{record.pk}/").status_code in (403, 404)
    assert c.get(f"/api/v1/intake/records/{record.pk}").status_code in (403, 404)
    assert SECRET["full_name"] not in c.get("/intake/").content.decode()


def test_gate_refuses_break_glass_and_other_centres(record, make_user, other_centre, centre, client):
    other_staff = make_user(Role.SHELTER_WORKER, unit=other_centre.unit)
    with pytest.raises(NotFound):
        record_get_for(other_staff, record.pk)
    c = sign_in(client, other_staff)
    assert c.get(f"/intake/{record.pk}/").status_code == 404
    assert c.get(f"/api/v1/intake/records/{record.pk}").status_code == 404
    assert record.number not in c.get("/intake/").content.decode()
    # a health worker in the holding unit (no intake capability) is refused too
    health = make_user(Role.HEALTH_WORKER, unit=centre.unit)
    with pytest.raises(NotFound):
        record_get_for(health, record.pk)


def test_reads_are_audited(record, staff, client):
    before = AuditEvent.objects.filter(target_type="anonymous_record", action="read").count()
    assert sign_in(client, staff).get(f"/intake/{record.pk}/").status_code == 200
    assert AuditEvent.objects.filter(target_type="anonymous_record", action="read", actor_id=staff.pk).count() == before + 1


def test_edit_with_version_and_conflict(record, staff):
    r = record_update(actor=staff, record_id=record.pk, version=1, data=record_input(alias="Новое имя", children=2))
    assert r.version == 2 and r.alias == "Новое имя" and r.children == 2
    with pytest.raises(Conflict):
        record_update(actor=staff, record_id=record.pk, version=1, data=record_input())


def test_close_before_intake_and_without_outcome_refused(record, staff):
    before = record.taken_in_at - dt.timedelta(days=1)
    with pytest.raises(Invalid) as e:
        record_update(actor=staff, record_id=record.pk, version=1, data=record_input(closed_at=before, outcome="other"))
    assert "before she was taken in" in str(e.value.fields["closed_at"])
    with pytest.raises(Invalid) as e:
        record_update(actor=staff, record_id=record.pk, version=1, data=record_input(closed_at=clock.now()))
    assert "outcome" in e.value.fields
    r = record_update(actor=staff, record_id=record.pk, version=1, data=record_input(closed_at=clock.now(), outcome="relatives"))
    assert r.closed_at is not None and r.outcome == "relatives"
    assert AuditEvent.objects.filter(target_type="anonymous_record", target_id=str(record.pk), outcome="closed").exists()


@pytest.mark.parametrize(("field", "value", "message"), [
    ("iin", "123", "IIN is not valid"),
    ("birth_year", 1800, "year of birth"),
    ("region", "KZ-XX", "Choose a region"),
    ("district", "111111111", "district of the chosen region"),
    ("children", 99, "number of children"),
])
def test_bad_input_is_refused(staff, field, value, message):
    with pytest.raises(Invalid) as e:
        record_register(actor=staff, data=record_input(**{field: value}))
    assert message in " ".join(" ".join(v) for v in e.value.fields.values())
    assert not AnonymousRecord.objects.exists()


def test_figures_count_only(record, staff, inspector):
    from qorgau.intake.services import share_give

    record_register(actor=staff, data=record_input())
    share_give(actor=staff, record_id=record.pk, to_unit_id=inspector.unit_id, purpose="Police statement", how="in_person",
               shares=frozenset({"narrative"}))
    figures = intake_figures()
    assert figures["records"] == 2 and figures["by_region"] == {"KZ-75": 2}
    assert figures["shared_records"] == 1 and figures["live_shares"] == 1
    assert intake_figures(region="KZ-11")["records"] == 0
