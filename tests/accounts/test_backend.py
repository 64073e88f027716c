"""The staff authentication backend: the user's permissions in one statement, the same as Django's."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qorgau.accounts.backends import StaffBackend
from qorgau.accounts.models import User
from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role

pytestmark = pytest.mark.django_db


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("role", [Role.POLICE_INSPECTOR, Role.ANALYST, Role.ADMINISTRATOR])
def test_permissions_are_the_roles_capabilities_read_in_one_statement(make_user, role):
    user = make_user(role)
    with CaptureQueriesContext(connection) as reads:
        perms = StaffBackend().get_all_permissions(_fresh(user))
    assert perms == {f"accounts.{c.value}" for c in ROLE_CAPABILITIES[role]}
    assert perms == ModelBackend().get_all_permissions(_fresh(user))
    assert len(reads.captured_queries) == 2  # the user again, then the permissions once


def test_a_users_own_permission_and_a_changed_group_count_and_a_cached_user_keeps_its_answer(make_user):
    user = make_user(Role.ANALYST)
    user.user_permissions.add(Permission.objects.get(codename=Capability.BREAK_GLASS))
    Group.objects.get(name=Role.ANALYST).permissions.remove(Permission.objects.get(codename=Capability.USE_API))
    fresh = _fresh(user)
    assert fresh.has_perm(f"accounts.{Capability.BREAK_GLASS}")
    assert not fresh.has_perm(f"accounts.{Capability.USE_API}")
    assert StaffBackend().get_all_permissions(_fresh(user)) == ModelBackend().get_all_permissions(_fresh(user))
    with CaptureQueriesContext(connection) as again:
        assert fresh.can(Capability.VIEW_AGGREGATES)
    assert again.captured_queries == []  # cached for the request, as Django caches it


def test_inactive_users_and_object_permissions_have_none(make_user):
    user = make_user()
    assert StaffBackend().get_all_permissions(_fresh(user), obj=object()) == set()
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert StaffBackend().get_all_permissions(_fresh(user)) == set()
