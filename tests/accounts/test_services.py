"""Writes for accounts: validation, encryption at rest, roles as groups, audit in the same transaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from qorgau.accounts import normalise, services, tokens
from qorgau.accounts.models import AgencyKind, ApiToken, MachineToken, Unit, User
from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from qorgau.accounts.services import (
    roles_sync,
    unit_create,
    user_create,
    user_logout_everywhere,
    user_set_language,
    user_update_profile,
)
from qorgau.core import crypto
from qorgau.core.errors import Invalid
from qorgau.core.models import AuditAction, AuditEvent, District, Region
from tests.accounts.support import audit, invalid_check_digit, valid_iin
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NAME = "Салтанат Ерболовна Жумабаева"


def _raw_user(pk: int) -> tuple[str, str, str, str]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT full_name, iin, iin_bidx, name_bidx FROM {User._meta.db_table} WHERE id = %s", [pk])
        return cur.fetchone()


def _create(unit: Unit, **kw) -> User:
    kw.setdefault("username", "new.user")
    kw.setdefault("role", Role.SOCIAL_WORKER)
    return user_create(actor=None, password=PASSWORD, unit=unit, **kw)


def test_user_create_refuses_an_iin_with_a_wrong_check_digit(police_unit):
    iin = invalid_check_digit(valid_iin())
    with pytest.raises(Invalid) as exc:
        _create(police_unit, iin=iin, full_name=NAME)
    assert list(exc.value.fields) == ["iin"]
    assert not User.objects.filter(username="new.user").exists()
    assert not AuditEvent.objects.filter(target_type="user").exists()


@pytest.mark.parametrize("iin", ["12345", "90010140123X", "901301400123"])
def test_user_create_refuses_malformed_iins(police_unit, iin):
    with pytest.raises(Invalid) as exc:
        _create(police_unit, iin=iin)
    assert list(exc.value.fields) == ["iin"]


def test_user_create_refuses_a_duplicate_user_name_and_an_unknown_language(police_unit):
    _create(police_unit)
    with pytest.raises(Invalid) as exc:
        _create(police_unit)
    assert list(exc.value.fields) == ["username"]
    with pytest.raises(Invalid) as exc:
        _create(police_unit, username="other", language="de")
    assert list(exc.value.fields) == ["language"]
    assert User.objects.count() == 1


def test_name_and_iin_are_encrypted_at_rest_with_blind_indexes(police_unit):
    iin = valid_iin()
    user = _create(police_unit, iin=iin, full_name=NAME)

    raw_name, raw_iin, iin_bidx, name_bidx = _raw_user(user.pk)
    for raw, clear in ((raw_name, NAME), (raw_iin, iin)):
        assert raw.startswith("v1:")
        assert clear not in raw
    assert "Жумабаева" not in raw_name
    twin = _create(police_unit, username="twin", iin=valid_iin("9202025077"), full_name=NAME)
    assert raw_name != _raw_user(twin.pk)[0]  # a random nonce: equal names do not look equal at rest

    assert iin_bidx == crypto.blind_index("staff_iin", iin)
    assert name_bidx == crypto.blind_index("staff_person", normalise.staff_match_key(NAME, iin))
    assert iin not in iin_bidx and "жумабаева" not in name_bidx.casefold()

    fresh = User.objects.get(pk=user.pk)
    assert (fresh.full_name, fresh.iin) == (NAME, iin)
    # The name index (name + birth date from the IIN) finds her in any order, case or script, and not
    # her namesake born on another day, without decrypting anyone.
    for spelling in ("ЖУМАБАЕВА салтанат Ерболовна", "Saltanat Zhumabayeva"):
        probe = crypto.blind_index("staff_person", normalise.staff_match_key(spelling, iin))
        assert list(User.objects.filter(name_bidx=probe).order_by("pk")) == [user]
    assert list(User.objects.filter(iin_bidx=crypto.blind_index("staff_iin", iin))) == [user]


def test_a_user_without_iin_or_name_stores_no_index(police_unit):
    user = _create(police_unit)
    raw_name, raw_iin, iin_bidx, name_bidx = _raw_user(user.pk)
    assert raw_iin is None and iin_bidx == "" and name_bidx == ""
    assert raw_name.startswith("v1:")  # even the empty name is an encrypted value


@pytest.mark.parametrize("role", list(Role))
def test_user_create_puts_the_user_in_the_group_of_its_role(police_unit, role):
    user = _create(police_unit, role=role)
    assert list(user.groups.values_list("name", flat=True)) == [role.value]
    user = User.objects.get(pk=user.pk)
    for capability in Capability:
        assert user.can(capability) is (capability in ROLE_CAPABILITIES[role]), capability
    assert user.is_staff is (role is Role.ADMINISTRATOR)


def test_an_inactive_user_can_do_nothing(police_unit):
    user = _create(police_unit, role=Role.POLICE_SUPERVISOR)
    User.objects.filter(pk=user.pk).update(is_active=False)
    user = User.objects.get(pk=user.pk)
    assert not any(user.can(c) for c in Capability)


def test_roles_sync_is_idempotent_and_repairs_a_group(reference):
    group = Group.objects.get(name=Role.ANALYST)
    group.permissions.clear()
    assert roles_sync() == len(Role)
    assert roles_sync() == len(Role)
    assert Group.objects.filter(name__in=[r.value for r in Role]).count() == len(Role)
    for role in Role:
        codenames = set(Group.objects.get(name=role).permissions.values_list("codename", flat=True))
        assert codenames == {c.value for c in ROLE_CAPABILITIES[role]}, role


def test_every_role_has_capabilities_and_the_analyst_sees_aggregates_only():
    assert set(ROLE_CAPABILITIES) == set(Role)
    assert all(ROLE_CAPABILITIES[r] for r in Role)
    assert ROLE_CAPABILITIES[Role.ANALYST] & {Capability.WORK_CASES, Capability.REGISTER_REPORT, Capability.BREAK_GLASS} == set()
    assert {r for r in Role if Capability.OVERSEE_RESTRICTED in ROLE_CAPABILITIES[r]} == {Role.OVERSIGHT}
    assert {r for r in Role if Capability.MANAGE_USERS in ROLE_CAPABILITIES[r]} == {Role.ADMINISTRATOR}


def test_unit_create_refuses_a_district_outside_the_region(reference):
    almaty_district = District.objects.get(kato="751110000")
    atyrau = Region.objects.get(iso="KZ-23")
    assert almaty_district.region_id != atyrau.iso
    before = Unit.objects.count()
    with pytest.raises(Invalid) as exc:
        unit_create(
            actor=None,
            kind=AgencyKind.objects.get(code="police"),
            region=atyrau,
            district=almaty_district,
            name_ru="x",
            name_kk="x",
            name_en="x",
        )
    assert list(exc.value.fields) == ["district"]
    assert Unit.objects.count() == before
    assert not AuditEvent.objects.filter(target_type="unit").exists()


def test_unit_create_takes_the_time_zone_of_its_region(police_unit, other_unit):
    assert police_unit.timezone == police_unit.region.timezone
    assert other_unit.timezone == Region.objects.get(iso="KZ-23").timezone
    assert [e.target_id for e in audit(AuditAction.WRITE, target_type="unit")] == [str(police_unit.pk), str(other_unit.pk)]


def test_unit_names_are_unique_per_kind_and_region(police_unit):
    with pytest.raises(Invalid):
        unit_create(
            actor=None,
            kind=police_unit.kind,
            region=police_unit.region,
            name_ru=police_unit.name_ru,
            name_kk="другое",
            name_en="other",
        )


def test_profile_update_with_an_invalid_iin_changes_nothing(make_user):
    admin = make_user(Role.ADMINISTRATOR)
    user = make_user(full_name=NAME, iin=valid_iin())
    version, iin, rows = user.version, user.iin, AuditEvent.objects.count()
    with pytest.raises(Invalid) as exc:
        user_update_profile(actor=admin, user=user, version=version, full_name="Другое Имя", iin="000000000000")
    assert list(exc.value.fields) == ["iin"]
    fresh = User.objects.get(pk=user.pk)
    assert (fresh.version, fresh.full_name, fresh.iin) == (version, NAME, iin)
    assert AuditEvent.objects.count() == rows


# --- every write records its audit row in the same transaction --------------------------------------


class Boom(Exception):
    pass


def _audit_then_fail(module, monkeypatch) -> None:
    """Let the real audit row be written, then fail: the write and its audit row must vanish together."""
    real = module.audit_record

    def record_then_fail(**kw):
        real(**kw)
        raise Boom

    monkeypatch.setattr(module, "audit_record", record_then_fail)


@pytest.fixture
def world(make_user, police_unit):
    admin = make_user(Role.ADMINISTRATOR)
    user = make_user(full_name=NAME, iin=valid_iin())
    issued = tokens.api_token_issue(actor=user, verified=True, name="existing")
    return {"admin": admin, "user": user, "unit": police_unit, "token": issued.record}


CASES: dict[str, tuple[object, str, Callable, Callable]] = {
    # name: (module, action, call(world), state(world) -> a snapshot that must not change on failure)
    "unit_create": (
        services,
        AuditAction.WRITE,
        lambda w: unit_create(actor=w["admin"], kind=w["unit"].kind, region=w["unit"].region, name_ru="Новый", name_kk="Жаңа", name_en="New"),
        lambda w: Unit.objects.count(),
    ),
    "user_create": (
        services,
        AuditAction.WRITE,
        lambda w: user_create(actor=w["admin"], username="fresh", password=PASSWORD, role=Role.JUDGE, unit=w["unit"]),
        lambda w: (User.objects.count(), User.objects.filter(username="fresh").exists()),
    ),
    "user_update_profile": (
        services,
        AuditAction.WRITE,
        lambda w: user_update_profile(actor=w["admin"], user=w["user"], version=w["user"].version, full_name="Иное Имя", iin=None),
        lambda w: User.objects.values_list("version", "name_bidx").get(pk=w["user"].pk),
    ),
    "user_set_language": (
        services,
        AuditAction.LANGUAGE_CHANGED,
        lambda w: user_set_language(actor=w["user"], language="kk"),
        lambda w: User.objects.values_list("language", flat=True).get(pk=w["user"].pk),
    ),
    "user_logout_everywhere": (
        services,
        AuditAction.LOGOUT_EVERYWHERE,
        lambda w: user_logout_everywhere(actor=w["user"]),
        lambda w: (
            User.objects.values_list("session_epoch", flat=True).get(pk=w["user"].pk),
            ApiToken.objects.filter(revoked_at__isnull=True).count(),
        ),
    ),
    "api_token_issue": (
        tokens,
        AuditAction.TOKEN_ISSUED,
        lambda w: tokens.api_token_issue(actor=w["user"], verified=True, name="new one"),
        lambda w: ApiToken.objects.count(),
    ),
    "api_token_revoke": (
        tokens,
        AuditAction.TOKEN_REVOKED,
        lambda w: tokens.api_token_revoke(actor=w["user"], token_id=w["token"].pk),
        lambda w: ApiToken.objects.filter(revoked_at__isnull=True).count(),
    ),
    "machine_token_issue": (
        tokens,
        AuditAction.MACHINE_TOKEN_ISSUED,
        lambda w: tokens.machine_token_issue(actor=w["admin"], name="gw", purpose=MachineToken.Purpose.DEVICE_GATEWAY, unit=w["unit"]),
        lambda w: MachineToken.objects.count(),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_write_records_one_audit_row_by_its_actor(world, name):
    _module, action, call, state = CASES[name]
    before_state, before_rows = state(world), set(AuditEvent.objects.values_list("id", flat=True))
    call(world)
    assert state(world) != before_state
    new = AuditEvent.objects.exclude(id__in=before_rows).filter(action=action)
    assert new.count() == 1
    actor = world["admin"] if name in ("unit_create", "user_create", "user_update_profile", "machine_token_issue") else world["user"]
    assert new.get().actor_id == actor.pk


@pytest.mark.parametrize("name", list(CASES))
def test_a_failure_after_the_audit_row_undoes_the_write_and_the_row(world, monkeypatch, name):
    module, _action, call, state = CASES[name]
    before_state, before_rows = state(world), AuditEvent.objects.count()
    _audit_then_fail(module, monkeypatch)
    with pytest.raises(Boom):
        call(world)
    assert state(world) == before_state
    assert AuditEvent.objects.count() == before_rows
