"""Rotating the blind-index key: `rotate-keys` recomputes staff indexes so old keys can be retired."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.management import call_command
from django.db import connection

from qorgau.accounts import normalise
from qorgau.accounts.models import User
from qorgau.core import crypto
from tests.accounts.support import valid_iin

pytestmark = pytest.mark.django_db


def _raw_indexes(user: User) -> tuple[str, str]:
    with connection.cursor() as cur:
        cur.execute("SELECT iin_bidx, name_bidx FROM accounts_user WHERE id = %s", [user.pk])
        return cur.fetchone()


def test_rotate_keys_recomputes_staff_blind_indexes_under_the_new_key(settings, make_user):
    iin = valid_iin()
    user = make_user(full_name="Сапарова Айгерім", iin=iin)
    old_iin_bidx, old_name_bidx = _raw_indexes(user)
    assert old_iin_bidx.startswith("tb1.")

    ring = settings.QORGAU_KEYRING
    settings.QORGAU_KEYRING = dataclasses.replace(
        ring, blind_keys={"tb2": b"\x09" * 32, **ring.blind_keys}, active_blind_key="tb2"
    )
    call_command("rotate-keys")

    new_iin_bidx, new_name_bidx = _raw_indexes(user)
    assert new_iin_bidx == crypto.blind_index("staff_iin", normalise.iin_key(iin), key_id="tb2")
    assert new_name_bidx == crypto.blind_index("staff_person", normalise.staff_match_key("Сапарова Айгерім", iin), key_id="tb2")
    assert new_iin_bidx != old_iin_bidx and new_name_bidx != old_name_bidx
    # A search probing every configured key still finds the person, by the new index only now.
    candidates = crypto.blind_index_candidates("staff_iin", normalise.iin_key(iin))
    assert User.objects.filter(iin_bidx__in=candidates).get() == user


def test_rebuild_is_idempotent(make_user):
    from qorgau.accounts.services import staff_blind_indexes_rebuild

    make_user(full_name="Нурлан Бекмуханов", iin=valid_iin())
    assert staff_blind_indexes_rebuild() == 0  # already under the active key


def test_user_create_applies_the_password_rules(police_unit):
    from qorgau.accounts.roles import Role
    from qorgau.accounts.services import user_create
    from qorgau.core.errors import Invalid

    with pytest.raises(Invalid) as err:
        user_create(actor=None, username="weak", password="12345678", role=Role.POLICE_INSPECTOR, unit=police_unit)
    assert "password" in err.value.fields
    assert not User.objects.filter(username="weak").exists()
