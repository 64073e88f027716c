"""Shard leases (DESIGN §7): a monitor process owns a virtual shard while its lease is fresh.

Every change is one conditional UPDATE on a ``ShardLease`` row, so two processes never own one
shard: PostgreSQL re-checks the WHERE clause of a concurrent UPDATE once the row lock is released
(read committed), and SQLite writes one statement at a time.

Rows ``0 … SHARDS-1`` are the shards. Rows from ``MEMBER_BASE`` up are *member slots*: each live
monitor holds one, even while it owns no shard yet, so that the others count it when they work out
their fair share (SHARDS / live monitors) and release the shards it should take.
"""

from __future__ import annotations

import math
import os
import socket
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from qorgau.core import clock
from qorgau.monitoring.models import ShardLease

MEMBER_BASE = 30000  # above any sensible shard count, below PositiveSmallIntegerField's 32767
MEMBER_SLOTS = 1000


def _conf() -> dict[str, Any]:
    return settings.QORGAU_MONITORING


def shard_count() -> int:
    return int(_conf()["SHARDS"])


def lease_seconds() -> int:
    return int(_conf()["LEASE_SECONDS"])


def owner_name() -> str:
    """A unique name for this process: host, pid and a random suffix (a pid is reused after a restart)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def leases_ensure() -> None:
    """Create the shard rows that do not exist yet (idempotent, safe to race)."""
    count = shard_count()
    if ShardLease.objects.filter(shard__lt=count).count() < count:
        ShardLease.objects.bulk_create([ShardLease(shard=n) for n in range(count)], ignore_conflicts=True)


def lease_row_ensure(shard: int) -> None:
    """Create one lease row (the router's, above the shards) if it does not exist."""
    ShardLease.objects.bulk_create([ShardLease(shard=shard)], ignore_conflicts=True)


def _takeable(owner: str) -> Q:
    now = clock.now()
    return Q(owner="") | Q(expires_at__isnull=True) | Q(expires_at__lt=now) | Q(owner=owner)


def lease_acquire(owner: str, shard: int, seconds: int | None = None) -> bool:
    """Take ``shard`` if it is free, expired or already ours; True when we own it afterwards."""
    now = clock.now()
    seconds = lease_seconds() if seconds is None else seconds
    taken = ShardLease.objects.filter(_takeable(owner), shard=shard).update(
        owner=owner, expires_at=now + timedelta(seconds=seconds), renewed_at=now
    )
    return taken == 1


def lease_renew(owner: str, shards: list[int] | None = None, seconds: int | None = None) -> set[int]:
    """Extend our leases (all of them, or ``shards``); return the shards we still own.

    A lease that expired but that nobody took is still ours (its owner column is the proof)."""
    now = clock.now()
    seconds = lease_seconds() if seconds is None else seconds
    mine = ShardLease.objects.filter(owner=owner, shard__lt=MEMBER_BASE)
    if shards is not None:
        mine = mine.filter(shard__in=shards)
    with transaction.atomic():
        mine.update(expires_at=now + timedelta(seconds=seconds), renewed_at=now)
        return set(ShardLease.objects.filter(owner=owner, shard__lt=MEMBER_BASE).values_list("shard", flat=True))


def lease_release(owner: str, shards: list[int] | None = None) -> int:
    """Give up our leases (all, or ``shards``) so that another process takes them at once."""
    mine = ShardLease.objects.filter(owner=owner)
    if shards is not None:
        mine = mine.filter(shard__in=shards)
    return mine.update(owner="", expires_at=None)


def leases_owned(owner: str) -> set[int]:
    """The shards ``owner`` holds with a fresh lease."""
    return set(
        ShardLease.objects.filter(owner=owner, shard__lt=MEMBER_BASE, expires_at__gte=clock.now()).values_list("shard", flat=True)
    )


def member_join(owner: str, seconds: int | None = None) -> int:
    """Hold a member slot (renewing ours if we have one); return its number."""
    now = clock.now()
    seconds = lease_seconds() if seconds is None else seconds
    expires = now + timedelta(seconds=seconds)
    held = ShardLease.objects.filter(owner=owner, shard__gte=MEMBER_BASE).values_list("shard", flat=True).first()
    if held is not None and ShardLease.objects.filter(shard=held, owner=owner).update(expires_at=expires, renewed_at=now):
        return int(held)
    for slot in ShardLease.objects.filter(_takeable(owner), shard__gte=MEMBER_BASE).values_list("shard", flat=True)[:20]:
        if lease_acquire(owner, slot, seconds):
            return int(slot)
    for _attempt in range(20):
        top = ShardLease.objects.filter(shard__gte=MEMBER_BASE).order_by("-shard").values_list("shard", flat=True).first()
        slot = MEMBER_BASE if top is None else int(top) + 1
        if slot >= MEMBER_BASE + MEMBER_SLOTS:
            break
        try:
            with transaction.atomic():
                ShardLease.objects.create(shard=slot, owner=owner, expires_at=expires, renewed_at=now)
            return slot
        except IntegrityError:
            continue  # another monitor created that slot first
    raise RuntimeError("no free monitor member slot")


def live_members() -> int:
    return ShardLease.objects.filter(shard__gte=MEMBER_BASE, expires_at__gte=clock.now()).exclude(owner="").count()


def fair_share(members: int | None = None) -> int:
    members = live_members() if members is None else members
    return math.ceil(shard_count() / max(1, members))


def leases_balance(owner: str, seconds: int | None = None) -> tuple[set[int], list[int]]:
    """One step of a monitor's lease loop: renew, then take free or expired shards up to the fair
    share. Returns (shards owned now, shards over the fair share that the caller should stop
    consuming and then release with ``lease_release``)."""
    seconds = lease_seconds() if seconds is None else seconds
    leases_ensure()
    member_join(owner, seconds)
    owned = lease_renew(owner, seconds=seconds)
    share = fair_share()
    if len(owned) < share:
        now = clock.now()
        candidates = ShardLease.objects.filter(
            Q(owner="") | Q(expires_at__isnull=True) | Q(expires_at__lt=now), shard__lt=shard_count()
        ).order_by("shard").values_list("shard", flat=True)
        for shard in candidates:
            if len(owned) >= share:
                break
            if lease_acquire(owner, int(shard), seconds):
                owned.add(int(shard))
    excess = sorted(owned, reverse=True)[: max(0, len(owned) - share)]
    return owned, excess
