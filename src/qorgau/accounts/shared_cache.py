"""The signed-in user, with the unit, capabilities and confirmed second-factor devices, from the shared cache.

Only with ``QORGAU_CACHE_URL`` set (a Redis every web process shares, ADR 0017): every signed-in
request needs the user with the unit (``accounts.backends.StaffBackend``) and the device that
verified the session (``accounts.otp_middleware.SharedOTPMiddleware``), two statements that return the same rows
request after request. Without a shared cache nothing here is used: a process's own memory cannot
learn that another process changed a user.

Coherence, because a stale entry would keep a deactivated or signed-out-everywhere user working:

* Every entry is stamped with two tokens: the **generation** (one key for all users) and the
  **user's version** (a key per user); both are read with the entry in one round trip (``MGET``),
  and an entry whose stamps are not the current ones is a miss. The stamps are read *before* the
  database, so an entry stored from rows read before a change carries the old stamp and is never
  used after it — whichever of the store and the change comes last.
* **Any** ORM write to a user — ``save``, ``delete``, a queryset's ``update`` or ``delete``
  (``accounts.models``) — replaces those users' versions when its transaction commits; a write to a
  unit, or to more than ``MANY`` users at once, replaces the generation. No service has to remember
  it, and a login (``last_login``) drops only its own user's entry.
* The user's capabilities come with it (Django's permissions of the role's group, ``_perm_cache``):
  a group's permissions change only in ``accounts.services.roles_sync`` (which replaces the
  generation) and a user's group only in ``user_create`` (which replaces the user's version).
* Entries live ``ENTRY_SECONDS`` at most: if replacing a stamp ever failed, a change is seen that
  much later at worst.
* A device is taken from the entry only when the session's device is among the user's confirmed
  devices as they were read; any other device id is read from the database, as without the cache.
  Nothing in Qorgau unconfirms or deletes a device except by deleting its user (which replaces the
  user's version); code that ever does must call ``forget([user_id])``.
* The entry holds staff names and contacts (encrypted fields, decrypted on the model), so it is
  sealed with the field key (``core.crypto.encrypt_bytes``) and bound to its key and stamps: the
  cache holds no personal data in clear and cannot hand one user's entry out as another's.
"""

from __future__ import annotations

import pickle
import secrets
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from qorgau.core import crypto

if TYPE_CHECKING:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from qorgau.accounts.models import User

GENERATION = "accounts:generation"
ENTRY_SECONDS = 300
MANY = 500  # a write to more users than this at once replaces the generation instead of their versions
DEVICES = "_qorgau_confirmed_devices"  # the attribute of a cached user holding its confirmed devices


def enabled() -> bool:
    return bool(settings.QORGAU_CACHE_URL)


def _key(user_id: Any) -> str:
    return f"accounts:user:{user_id}"


def _version_key(user_id: Any) -> str:
    return f"accounts:user-version:{user_id}"


def _token() -> str:
    return secrets.token_hex(8)


def _context(key: str, generation: str, version: str) -> str:
    return f"shared-cache:{key}:{generation}:{version}"


def forget(user_ids: Iterable[Any] | None = None) -> None:
    """Drop the cached users ``user_ids`` — every cached user when None — when the current
    transaction commits (at once, outside one)."""
    if not enabled():
        return
    ids = None if user_ids is None else list(user_ids)
    if ids is None or len(ids) > MANY:
        transaction.on_commit(lambda: cache.set(GENERATION, _token(), None))
    elif ids:
        transaction.on_commit(lambda: cache.set_many({_version_key(pk): _token() for pk in ids}, None))


def _stamps(user_id: Any) -> tuple[str | None, str | None]:
    """The current generation and user version, made where missing (a new or emptied Redis); a
    racing process may make others, which only costs both a miss."""
    made = {k: _token() for k in (GENERATION, _version_key(user_id))}
    for k, token in made.items():
        cache.add(k, token, None)
    got = cache.get_many(list(made))
    return got.get(GENERATION), got.get(_version_key(user_id))


def signed_in_user(user_id: Any, load: Callable[[], tuple[User | None, list[TOTPDevice]]]) -> User | None:
    """The user ``user_id`` with its unit, capabilities and confirmed devices: from the cache, or
    ``load()`` and kept."""
    key = _key(user_id)
    got = cache.get_many([GENERATION, _version_key(user_id), key])
    generation, version, entry = got.get(GENERATION), got.get(_version_key(user_id)), got.get(key)
    if generation is not None and version is not None and isinstance(entry, tuple) and len(entry) == 4 \
            and (entry[0], entry[1]) == (generation, version):
        try:
            plain = crypto.decrypt_bytes(entry[3], context=_context(key, generation, version), key_id=entry[2])
        except crypto.DecryptionError:
            plain = None  # an entry sealed with a retired key, or not ours: read the database
        if plain is not None:
            user: User | None = pickle.loads(plain)  # noqa: S301 - authenticated above with the field key
            return user
    if generation is None or version is None:
        generation, version = _stamps(user_id)
    user, devices = load()
    if user is not None:
        setattr(user, DEVICES, {d.persistent_id: d for d in devices})
        if generation is not None and version is not None:
            kid, sealed = crypto.encrypt_bytes(pickle.dumps(user), context=_context(key, generation, version))
            cache.set(key, (generation, version, kid, sealed), ENTRY_SECONDS)
    return user


def confirmed_device(user: Any, persistent_id: str) -> TOTPDevice | None:
    """The session's device if it was among ``user``'s confirmed devices when the user was read, else None."""
    devices: dict[str, TOTPDevice] | None = getattr(user, DEVICES, None)
    return None if devices is None else devices.get(persistent_id)
