"""The signed-in user, with the unit, capabilities and confirmed second-factor devices, from the shared cache.

Only with ``QORGAU_CACHE_URL`` set (a Redis every web process shares, ADR 0017): every signed-in
request needs the user with the unit (``accounts.backends.StaffBackend``) and the device that
verified the session (``accounts.otp_middleware.SharedOTPMiddleware``), two statements that return the same rows
request after request. Without a shared cache nothing here is used: a process's own memory cannot
learn that another process changed a user.

Coherence, because a stale entry would keep a deactivated or signed-out-everywhere user working:

* Every entry is stamped with the **generation**, a random token under one key, and read together
  with it in one round trip (``MGET``); an entry of another generation is a miss. The generation is
  read *before* the database, so an entry stored from rows read before a change carries the old
  generation and is never used after it.
* **Any** ORM write to a user or a unit — ``save``, ``delete``, a queryset's ``update`` or ``delete``
  (``accounts.models``) — replaces the generation when its transaction commits. Users and units
  change rarely (a login's ``last_login``, an edit, "log out everywhere"), so dropping every entry
  then costs a statement per signed-in user once.
* The user's capabilities come with it (Django's permissions of the role's group, ``_perm_cache``):
  a group's permissions change only in ``accounts.services.roles_sync`` and a user's group only in
  ``user_create``, and both call ``forget()``.
* Entries live ``ENTRY_SECONDS`` at most: if replacing the generation ever failed, a change is seen
  that much later at worst.
* A device is taken from the entry only when the session's device is among the user's confirmed
  devices as they were read; any other device id is read from the database, as without the cache.
  Nothing in Qorgau unconfirms or deletes a device except by deleting its user (which replaces the
  generation); code that ever does must call ``forget()``.
* The entry holds staff names and contacts (encrypted fields, decrypted on the model), so it is
  sealed with the field key (``core.crypto.encrypt_bytes``) and bound to its key and generation:
  the cache holds no personal data in clear and cannot hand one user's entry out as another's.
"""

from __future__ import annotations

import pickle
import secrets
from collections.abc import Callable
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
DEVICES = "_qorgau_confirmed_devices"  # the attribute of a cached user holding its confirmed devices


def enabled() -> bool:
    return bool(settings.QORGAU_CACHE_URL)


def _key(user_id: Any) -> str:
    return f"accounts:user:{user_id}"


def _context(key: str, generation: str) -> str:
    return f"shared-cache:{key}:{generation}"


def _replace_generation() -> None:
    cache.set(GENERATION, secrets.token_hex(8), None)


def forget() -> None:
    """Drop every cached user when the current transaction commits (now, outside one)."""
    if enabled():
        transaction.on_commit(_replace_generation)


def signed_in_user(user_id: Any, load: Callable[[], tuple[User | None, list[TOTPDevice]]]) -> User | None:
    """The user ``user_id`` with its unit and confirmed devices: from the cache, or ``load()`` and kept."""
    key = _key(user_id)
    got = cache.get_many([GENERATION, key])
    generation = got.get(GENERATION)
    entry = got.get(key)
    if generation is not None and isinstance(entry, tuple) and len(entry) == 3 and entry[0] == generation:
        try:
            plain = crypto.decrypt_bytes(entry[2], context=_context(key, generation), key_id=entry[1])
        except crypto.DecryptionError:
            plain = None  # an entry sealed with a retired key, or not ours: read the database
        if plain is not None:
            user: User | None = pickle.loads(plain)  # noqa: S301 - authenticated above with the field key
            return user
    if generation is None:
        # No generation yet (a new or restarted Redis): make one; a racing process may make another,
        # which only costs both a miss.
        cache.add(GENERATION, secrets.token_hex(8), None)
        generation = cache.get(GENERATION)
    user, devices = load()
    if user is not None:
        setattr(user, DEVICES, {d.persistent_id: d for d in devices})
        if generation is not None:
            kid, sealed = crypto.encrypt_bytes(pickle.dumps(user), context=_context(key, generation))
            cache.set(key, (generation, kid, sealed), ENTRY_SECONDS)
    return user


def confirmed_device(user: Any, persistent_id: str) -> TOTPDevice | None:
    """The session's device if it was among ``user``'s confirmed devices when the user was read, else None."""
    devices: dict[str, TOTPDevice] | None = getattr(user, DEVICES, None)
    return None if devices is None else devices.get(persistent_id)
