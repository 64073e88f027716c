"""Shared fixtures: reference data, units, users per role, and signed-in (two-factor) clients."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from qorgau.accounts.middleware import EPOCH_KEY, SEEN_KEY
from qorgau.accounts.models import AgencyKind, Unit, User
from qorgau.accounts.roles import Role
from qorgau.accounts.services import agency_kinds_load, roles_sync, unit_create, user_create
from qorgau.core import clock
from qorgau.core.geography import load_reference
from qorgau.core.models import District, Region

PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture(autouse=True)
def _checkpoint_file(settings, tmp_path: Path) -> Path:
    """Each test gets its own audit checkpoint file outside the database."""
    path = tmp_path / "audit-checkpoints.log"
    settings.QORGAU_AUDIT_CHECKPOINT_PATH = path
    return path


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    """A request leaves its user's language active in the thread (core.middleware activates it), and
    the test client runs requests in the test's thread: each test leaves the language as it found it,
    so no test inherits the previous one's (a broader fixture's choice is kept)."""
    before = translation.get_language()
    yield
    if before:
        translation.activate(before)
    else:
        translation.deactivate()


@pytest.fixture
def shared_cache(settings) -> Iterator[str]:
    """The shared cache on (ADR 0017): Redis at ``QORGAU_TEST_CACHE_URL`` (the machine's own by
    default), under a key prefix of this test's own; its keys are dropped afterwards. A Redis that
    does not answer fails the test: these tests are the proof that the cache stays coherent."""
    url = os.environ.get("QORGAU_TEST_CACHE_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"no Redis at {url} ({exc}): start redis-server or set QORGAU_TEST_CACHE_URL")
    prefix = f"qorgau-test-{secrets.token_hex(6)}"
    settings.QORGAU_CACHE_URL = url
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": prefix}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield prefix
    stale = list(client.scan_iter(f"{prefix}:*", count=1000))
    if stale:
        client.delete(*stale)


@pytest.fixture
def reference(db) -> None:
    load_reference()
    agency_kinds_load()
    roles_sync()


@pytest.fixture
def police_unit(reference) -> Unit:
    return unit_create(
        actor=None,
        kind=AgencyKind.objects.get(code="police"),
        region=Region.objects.get(iso="KZ-75"),
        district=District.objects.get(kato="751110000"),
        name_ru="УП Алмалинского района",
        name_kk="Алмалы ауданының ПБ",
        name_en="Almaly district police",
    )


@pytest.fixture
def other_unit(reference) -> Unit:
    return unit_create(
        actor=None,
        kind=AgencyKind.objects.get(code="police"),
        region=Region.objects.get(iso="KZ-23"),
        name_ru="ДП Атырауской области",
        name_kk="Атырау облысының ПД",
        name_en="Atyrau region police",
    )


@pytest.fixture
def make_user(police_unit: Unit) -> Callable[..., User]:
    counter = {"n": 0}

    def make(role: Role | str = Role.POLICE_INSPECTOR, unit: Unit | None = None, language: str = "ru", **kw) -> User:
        counter["n"] += 1
        user = user_create(
            actor=None,
            username=kw.pop("username", f"{Role(role).value}{counter['n']}"),
            password=PASSWORD,
            role=role,
            unit=unit or police_unit,
            language=language,
            **kw,
        )
        TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        return user

    return make


def current_code(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = clock.now().timestamp()
    return f"{totp.token():06d}"


def sign_in(client: Client, user: User) -> Client:
    """A session as after a real two-factor login."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, confirmed=True).persistent_id
    session[EPOCH_KEY] = user.session_epoch
    session[SEEN_KEY] = clock.now().timestamp()
    session.save()
    return client


@pytest.fixture
def signed_in(make_user) -> Callable[..., Client]:
    def make(role: Role | str = Role.POLICE_INSPECTOR, **kw) -> Client:
        return sign_in(Client(), make_user(role, **kw))

    return make

