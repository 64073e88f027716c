"""Shard leases: one owner per shard, expiry, renewal, release, the fair share between monitors, and
no double ownership when processes race (threads with their own connections; PostgreSQL in CI)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection

from qorgau.core import clock
from qorgau.monitoring import leases
from qorgau.monitoring.models import ShardLease


@pytest.fixture
def four_shards(settings):
    conf = dict(settings.QORGAU_MONITORING)
    conf.update(SHARDS=4, LEASE_SECONDS=15)
    settings.QORGAU_MONITORING = conf
    return conf


@pytest.mark.django_db
def test_acquire_expire_renew_release(four_shards) -> None:
    t0 = clock.now()
    with clock.frozen(t0) as c:
        leases.leases_ensure()
        assert sorted(ShardLease.objects.values_list("shard", flat=True)) == [0, 1, 2, 3]
        assert leases.lease_acquire("a", 2, 10) is True
        assert leases.lease_acquire("a", 2, 10) is True  # ours already: extended
        assert leases.lease_acquire("b", 2, 10) is False
        assert leases.leases_owned("a") == {2}
        assert leases.leases_owned("b") == set()
        c.advance(timedelta(seconds=9))
        assert leases.lease_renew("a", seconds=10) == {2}
        c.advance(timedelta(seconds=9))
        assert leases.lease_acquire("b", 2, 10) is False  # renewed 9 s ago for 10 s
        c.advance(timedelta(seconds=2))
        assert leases.leases_owned("a") == set()  # expired …
        assert leases.lease_acquire("b", 2, 10) is True  # … so b takes it
        assert leases.lease_renew("a", seconds=10) == set()  # and a learns it lost it
        assert leases.leases_owned("b") == {2}
        assert leases.lease_release("b") == 1
        row = ShardLease.objects.get(shard=2)
        assert (row.owner, row.expires_at) == ("", None)
        assert leases.lease_acquire("a", 2, 10) is True


@pytest.mark.django_db
def test_an_expired_lease_nobody_took_is_renewed(four_shards) -> None:
    t0 = clock.now()
    with clock.frozen(t0) as c:
        leases.leases_ensure()
        assert leases.lease_acquire("a", 0, 5)
        c.advance(timedelta(seconds=30))
        assert leases.lease_renew("a", seconds=5) == {0}
        assert leases.leases_owned("a") == {0}


@pytest.mark.django_db
def test_fair_share_between_monitors(four_shards) -> None:
    t0 = clock.now()
    with clock.frozen(t0) as c:
        owned, excess = leases.leases_balance("a", 15)
        assert (owned, excess) == ({0, 1, 2, 3}, [])
        # b joins: it is counted at once (member slot) but finds no free shard yet …
        owned_b, excess_b = leases.leases_balance("b", 15)
        assert (owned_b, excess_b) == (set(), [])
        assert leases.live_members() == 2
        # … a sees two members and hands back its share over two …
        owned, excess = leases.leases_balance("a", 15)
        assert excess == [3, 2]
        leases.lease_release("a", excess)
        # … which b takes.
        owned_b, _ = leases.leases_balance("b", 15)
        assert owned_b == {2, 3}
        assert leases.leases_owned("a") == {0, 1}
        # a stops cleanly: its leases and member slot go back; b takes everything.
        leases.lease_release("a")
        assert leases.live_members() == 1
        owned_b, _ = leases.leases_balance("b", 15)
        assert owned_b == {0, 1, 2, 3}
        # b dies without a word; c, arriving after its leases expired, takes them all.
        c.advance(timedelta(seconds=16))
        owned_c, _ = leases.leases_balance("c", 15)
        assert owned_c == {0, 1, 2, 3}
        assert leases.lease_renew("b", seconds=15) == set()


@pytest.mark.django_db(transaction=True)
def test_racing_processes_never_own_one_shard_twice(four_shards) -> None:
    """Eight threads, each with its own database connection, race to acquire every shard many
    times; every acquisition that succeeds is by the shard's one owner."""
    leases.leases_ensure()
    wins: Counter[tuple[int, str]] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def contender(name: str) -> None:
        try:
            barrier.wait(10)
            for _ in range(10):
                for shard in range(4):
                    if leases.lease_acquire(name, shard, 60):
                        with lock:
                            wins[(shard, name)] += 1
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=contender, args=(f"p{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    owners = {shard: {name for (s, name) in wins if s == shard} for shard in range(4)}
    assert all(len(names) == 1 for names in owners.values()), owners
    for shard, names in owners.items():
        (name,) = names
        assert ShardLease.objects.get(shard=shard).owner == name
        assert wins[(shard, name)] == 10  # the owner re-acquires (extends) its own every round
