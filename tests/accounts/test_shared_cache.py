"""The shared cache of the signed-in floor (ADR 0017): fewer statements, and never a stale user.

These tests commit (``transactional_db``): the cached users are dropped when a write *commits*, and a
test's rolled-back transaction would never get there.
"""

from __future__ import annotations

import datetime as dt

import redis
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from qorgau.accounts import shared_cache as floor_cache
from qorgau.accounts.models import Unit, User
from qorgau.accounts.roles import Role
from qorgau.accounts.services import user_logout_everywhere
from qorgau.core import iin
from tests.conftest import sign_in

FLOOR_TABLES = ("django_session", "accounts_user", "accounts_unit", "otp_totp_totpdevice", "accounts_loginthrottle")


def _tables_read(client: Client, path: str = "/api/v1/me") -> tuple[int, set[str]]:
    with CaptureQueriesContext(connection) as queries:
        status = client.get(path).status_code
    return status, {t for t in FLOOR_TABLES if any(f'"{t}"' in q["sql"] for q in queries.captured_queries)}


def test_a_signed_in_api_request_reads_no_session_user_device_or_counter_from_the_database(transactional_db, shared_cache, make_user):
    client = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, language="en"))
    status, first = _tables_read(client)
    assert status == 200
    assert "accounts_user" in first  # the first request fills the cache
    assert _tables_read(client) == (200, set())  # then nothing of the floor
    assert _tables_read(client) == (200, set())


def test_without_a_shared_cache_the_floor_is_read_from_the_database_every_time(transactional_db, make_user):
    client = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, language="en"))
    assert client.get("/api/v1/me").status_code == 200
    status, tables = _tables_read(client)
    assert (status, tables) == (200, set(FLOOR_TABLES))  # the unit comes joined to the user


def test_log_out_everywhere_ends_a_session_whose_user_is_cached(transactional_db, shared_cache, make_user):
    user = make_user(Role.POLICE_INSPECTOR, language="en")
    client = sign_in(Client(), user)
    assert [client.get("/api/v1/me").status_code for _ in range(2)] == [200, 200]
    user_logout_everywhere(actor=user)
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.json()["code"] == "session_ended"


def test_a_deactivated_user_is_refused_at_once(transactional_db, shared_cache, make_user):
    user = make_user(Role.POLICE_INSPECTOR, language="en")
    client = sign_in(Client(), user)
    assert client.get("/api/v1/me").status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)  # a bulk write, not a save()
    assert client.get("/api/v1/me").status_code == 401


def test_another_users_login_drops_only_that_users_entry(transactional_db, shared_cache, make_user):
    mine = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, language="en"))
    assert mine.get("/api/v1/me").status_code == 200
    other = make_user(Role.POLICE_INSPECTOR, language="en")
    other.last_login = other.date_joined
    other.save(update_fields=["last_login"])  # what a sign-in writes
    User.objects.filter(pk=other.pk).update(language="kk")
    assert _tables_read(mine) == (200, set())  # still from the cache


def test_an_entry_built_from_rows_read_before_a_change_is_never_used_after_it(transactional_db, shared_cache, make_user):
    user = make_user(Role.POLICE_INSPECTOR, language="en")

    def load_then_change() -> tuple[User | None, list[TOTPDevice]]:
        old = User.objects.select_related("unit").get(pk=user.pk)
        User.objects.filter(pk=user.pk).update(is_active=False)  # commits while the old rows are in hand
        return old, []

    assert floor_cache.signed_in_user(user.pk, load_then_change).is_active is True  # what was read
    fresh = floor_cache.signed_in_user(user.pk, lambda: (User.objects.get(pk=user.pk), []))
    assert fresh is not None and fresh.is_active is False  # the stale entry was stored, and not used


def test_a_move_to_another_unit_and_a_renamed_unit_are_seen_on_the_next_request(transactional_db, shared_cache, make_user, other_unit):
    user = make_user(Role.POLICE_INSPECTOR, language="en")
    client = sign_in(Client(), user)
    assert client.get("/api/v1/me").json()["unit_name"] == "Almaly district police"
    user.unit = other_unit
    user.save(update_fields=["unit"])
    me = client.get("/api/v1/me").json()
    assert (me["unit_id"], me["unit_name"]) == (other_unit.pk, "Atyrau region police")
    Unit.objects.filter(pk=other_unit.pk).update(name_en="Atyrau region police department")
    assert client.get("/api/v1/me").json()["unit_name"] == "Atyrau region police department"
    other_unit.refresh_from_db()
    other_unit.name_en = "Atyrau police"
    other_unit.save()
    assert client.get("/api/v1/me").json()["unit_name"] == "Atyrau police"


def test_the_cache_holds_no_staff_name_in_clear(transactional_db, shared_cache, make_user):
    staff_iin = iin.make(dt.date(1990, 1, 1), "F", 123)
    assert staff_iin is not None
    user = make_user(Role.POLICE_INSPECTOR, language="en", full_name="Айгерим Серикова", iin=staff_iin)
    user.phone = "+77011234567"
    user.save(update_fields=["phone"])
    client = sign_in(Client(), user)
    assert client.get("/api/v1/me").status_code == 200
    raw = redis.Redis.from_url(shared_cache_url())
    values = [raw.get(k) or b"" for k in raw.scan_iter(f"{shared_cache_prefix()}:*")]
    assert any(b"accounts:user:" in k for k in raw.scan_iter(f"{shared_cache_prefix()}:*"))
    blob = b"".join(values)
    assert "Серикова".encode() not in blob
    assert b"+77011234567" not in blob
    assert staff_iin.encode() not in blob
    assert user.username.encode() not in blob  # the whole entry is sealed, not only the encrypted fields
    # An entry whose seal does not hold (another key, an edit) is not used: the user is read again.
    generation, version, kid, sealed = cache.get(f"accounts:user:{user.pk}")
    cache.set(f"accounts:user:{user.pk}", (generation, version, kid, sealed[:-1] + bytes([sealed[-1] ^ 1])))
    status, tables = _tables_read(client)
    assert (status, "accounts_user" in tables) == (200, True)


def test_a_device_confirmed_after_the_user_was_cached_is_read_from_the_database(transactional_db, shared_cache, make_user):
    user = make_user(Role.POLICE_INSPECTOR, language="en")
    client = sign_in(Client(), user)
    assert client.get("/api/v1/me").status_code == 200  # cached with its one confirmed device
    second = TOTPDevice.objects.create(user=user, name="second", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = second.persistent_id
    session.save()
    assert client.get("/api/v1/me").status_code == 200
    TOTPDevice.objects.filter(pk=second.pk).update(confirmed=False)  # not through the cache's knowledge
    assert client.get("/api/v1/me").status_code == 401  # it was never taken from the cache


def test_another_users_session_cannot_use_a_cached_device(transactional_db, shared_cache, make_user):
    owner = make_user(Role.POLICE_INSPECTOR, language="en")
    other = make_user(Role.POLICE_INSPECTOR, language="en")
    assert sign_in(Client(), owner).get("/api/v1/me").status_code == 200
    client = sign_in(Client(), other)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=owner).persistent_id
    session.save()
    assert client.get("/api/v1/me").status_code == 401


def test_the_cache_is_used_only_when_configured(settings):
    settings.QORGAU_CACHE_URL = ""
    assert floor_cache.enabled() is False
    settings.QORGAU_CACHE_URL = "redis://127.0.0.1:6379/0"
    assert floor_cache.enabled() is True


def shared_cache_url() -> str:
    from django.conf import settings

    return str(settings.QORGAU_CACHE_URL)


def shared_cache_prefix() -> str:
    from django.conf import settings

    return str(settings.CACHES["default"]["KEY_PREFIX"])


def test_a_page_asking_capabilities_reads_them_once_and_a_role_sync_is_seen_at_once(transactional_db, shared_cache, make_user, monkeypatch):
    from qorgau.accounts import roles, services

    client = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, language="en"))
    assert client.get("/cases/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/cases/").status_code == 200
    assert not [q for q in queries.captured_queries if '"auth_permission"' in q["sql"]]  # from the cache
    # The inspector's role loses the capability of the caseload: after roles_sync the next request knows.
    reduced = {**roles.ROLE_CAPABILITIES, Role.POLICE_INSPECTOR: roles.ROLE_CAPABILITIES[Role.POLICE_INSPECTOR] - {roles.Capability.WORK_CASES}}
    monkeypatch.setattr(services, "ROLE_CAPABILITIES", reduced)
    services.roles_sync()
    assert client.get("/cases/").status_code == 403
