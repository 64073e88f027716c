"""Ingestion through ``route`` and ``ShardProcessor.process``: one approach is one alert on the right
case, a replayed message changes nothing, a restart carries on, her position is encrypted at rest,
and bad pings are counted without blocking the others."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.db import connection

from qorgau.core import clock
from qorgau.monitoring import ingest
from qorgau.monitoring.geometry import offset
from qorgau.monitoring.ingest import ShardProcessor, route
from qorgau.monitoring.models import (
    Alert,
    ConditionKind,
    Episode,
    Ping,
    RejectCount,
    Severity,
    Zone,
    ZonePlace,
    ZoneShape,
)
from tests.monitoring.conftest import FAR, HOME, make_ping

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
PARK = offset(HOME, east_m=3000)  # she is out, 3 km from her home zone


@pytest.fixture(autouse=True)
def _fresh_processors():
    ingest.processors_reset()
    yield
    ingest.processors_reset()


def at(seconds: float) -> dt.datetime:
    return NOW - dt.timedelta(hours=1) + dt.timedelta(seconds=seconds)


def approach(m, *, start_seq: int = 1) -> tuple[list[dict], list[dict]]:
    """He comes from 3 km to 100 m of her in the park, waits, and leaves to 3 km for five minutes;
    she stays put. Returns (the approach up to his closest point, the rest)."""
    her, his = [], []
    for i in range(0, 16):  # 15 minutes, a ping a minute
        her.append(make_ping(m.victim_device, start_seq + i, at(60 * i), PARK))
    distances = [3000, 2000, 1000, 600, 300, 100, 100, 100, 300, 800, 3000, 3000, 3000, 3000, 3000, 3000]
    for i, d in enumerate(distances):
        his.append(make_ping(m.bracelet, start_seq + i, at(60 * i + 30), offset(PARK, north_m=d)))
    cut = 6
    first = her[:cut] + his[:cut]
    rest = her[cut:] + his[cut:]
    return first, rest


def counts() -> tuple[int, int, int]:
    return Ping.objects.count(), Episode.objects.count(), Alert.objects.count()


def test_one_approach_is_one_proximity_alert_on_her_case(monitored):
    first, rest = approach(monitored)
    with clock.frozen(NOW):
        processor = ShardProcessor(monitored.offender_set.shard)
        result = processor.process(first + rest, received_at=NOW)
    assert result.accepted == 32 and result.replayed == 0 and not result.rejected
    alert = Alert.objects.get()
    assert alert.kind == ConditionKind.PROXIMITY and alert.severity == Severity.CRITICAL
    assert alert.case_id == monitored.case.pk and alert.device_id == monitored.bracelet.pk
    episode = alert.episode
    assert episode.subject == f"proximity:{monitored.bracelet.pk}:{monitored.victim_device.pk}"
    assert episode.counterpart_id == monitored.victim_device.pk
    assert episode.started_at == at(60 * 4 + 30)  # his ping at 300 m: the first closer than 500 m
    # Cleared after he stayed beyond 625 m for two minutes: from his ping at 3 km (10:30) + 120 s.
    assert episode.ended_at is not None and at(60 * 10 + 30) <= episode.ended_at <= at(60 * 13 + 30)
    assert episode.min_distance_m is not None and 90 < episode.min_distance_m < 310
    assert result.alerts == [alert.pk] and result.opened == [episode.pk] and result.closed == 1


def test_the_same_message_twice_changes_nothing(monitored):
    first, rest = approach(monitored)
    batch = first + rest
    with clock.frozen(NOW):
        processor = ShardProcessor(monitored.offender_set.shard)
        processor.process(batch, received_at=NOW)
        before = counts()
        again = processor.process(batch, received_at=NOW)
        # And a fresh process on the same database (a redelivery after a crash) as well.
        third = ShardProcessor(monitored.offender_set.shard).process(batch, received_at=NOW)
    assert counts() == before == (32, 1, 1)
    assert again.accepted == 0 and again.replayed == 32 and again.alerts == []
    assert third.accepted == 0 and third.replayed == 32 and third.alerts == []
    assert RejectCount.objects.get(reason="replayed").count == 64


def test_duplicates_inside_one_batch_are_stored_once(monitored):
    ping = make_ping(monitored.bracelet, 7, at(0), FAR)
    with clock.frozen(NOW):
        result = ShardProcessor(0).process([ping, dict(ping), dict(ping, lat=1.0)], received_at=NOW)
    assert result.accepted == 1 and result.replayed == 2
    assert Ping.objects.get().lat == pytest.approx(FAR[0])


def test_a_restart_carries_on_without_a_second_alert_and_closes_when_he_leaves(monitored):
    first, rest = approach(monitored)
    with clock.frozen(NOW):
        ShardProcessor(0).process(first, received_at=NOW)
        episode = Episode.objects.get()
        assert episode.ended_at is None and Alert.objects.count() == 1
        # The process dies; a new one loads the open episode and the last fixes from the database.
        result = ShardProcessor(0).process(rest, received_at=NOW)
    assert result.alerts == [] and result.closed == 1
    assert Alert.objects.count() == 1
    episode.refresh_from_db()
    assert episode.ended_at is not None


def test_out_of_order_pings_go_by_device_time(monitored):
    her = [make_ping(monitored.victim_device, i, at(60 * i), PARK) for i in range(1, 4)]
    close = offset(PARK, north_m=100)
    with clock.frozen(NOW):
        processor = ShardProcessor(0)
        # Within one batch, delivered backwards: he was close at 150 s and far at 170 s (then cleared later).
        backwards = [make_ping(monitored.bracelet, 2, at(170), offset(PARK, north_m=3000)), make_ping(monitored.bracelet, 1, at(150), close)]
        processor.process([*her, *backwards], received_at=NOW)
        assert Alert.objects.count() == 1
        Episode.objects.update(ended_at=at(171))  # as if it had cleared, to see the next raise
        processor.reload()
        # Across batches: a ping older than the last one processed is stored but decides nothing.
        late = processor.process([make_ping(monitored.bracelet, 3, at(160), close)], received_at=NOW)
    assert late.accepted == 1 and late.alerts == []
    assert Ping.objects.filter(device=monitored.bracelet).count() == 3
    assert Alert.objects.count() == 1


def test_entering_her_home_zone_raises_a_zone_alert(monitored):
    pings = [make_ping(monitored.bracelet, i, at(30 * i), offset(HOME, north_m=d)) for i, d in enumerate([2000, 1000, 150, 50, 50], 1)]
    with clock.frozen(NOW):
        result = ShardProcessor(0).process(pings, received_at=NOW)
    alert = Alert.objects.get()
    assert alert.kind == ConditionKind.ZONE and alert.case_id == monitored.case.pk
    assert alert.episode.zone_id == monitored.zone.pk and alert.episode.started_at == at(90)
    assert result.alerts == [alert.pk]


def test_tamper_battery_and_no_signal(monitored):
    from qorgau.monitoring.models import OffenderSet

    oset = OffenderSet.objects.get()
    Episode.objects.create(kind=ConditionKind.NO_SIGNAL, subject=f"no_signal:{monitored.bracelet.pk}", offender_set=oset,
                           device=monitored.bracelet, started_at=at(-3600))
    pings = [
        make_ping(monitored.bracelet, 1, at(10), FAR, strap_ok=True, battery=80),
        make_ping(monitored.bracelet, 2, at(20), FAR, strap_ok=False, battery=14),
        make_ping(monitored.bracelet, 3, at(30), FAR, strap_ok=False, battery=13),
    ]
    with clock.frozen(NOW):
        result = ShardProcessor(0).process(pings, received_at=NOW)
    kinds = sorted(Alert.objects.values_list("kind", "severity"))
    assert kinds == [(ConditionKind.LOW_BATTERY, Severity.TECHNICAL), (ConditionKind.TAMPER, Severity.TECHNICAL)]
    silent = Episode.objects.get(kind=ConditionKind.NO_SIGNAL)
    assert silent.ended_at == at(10) and result.closed == 1


def test_her_position_is_encrypted_at_rest_and_his_is_not(monitored):
    where = (43.251234, 76.912345)
    with clock.frozen(NOW):
        ShardProcessor(0).process(
            [make_ping(monitored.victim_device, 1, at(0), where), make_ping(monitored.bracelet, 1, at(0), FAR)], received_at=NOW
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT lat, lon, position FROM monitoring_ping WHERE device_id = %s", [monitored.victim_device.pk])
        lat, lon, raw = cursor.fetchone()
    assert lat is None and lon is None
    assert "43.25" not in raw and "76.91" not in raw and raw
    assert Ping.objects.get(device=monitored.victim_device).position == "43.251234,76.912345"
    assert Ping.objects.get(device=monitored.bracelet).lat == pytest.approx(FAR[0])


def test_her_device_linked_to_two_offenders_goes_to_both_shards(monitoring_factory):
    first = monitoring_factory(shard=3)
    second = monitoring_factory(shard=7, serial=3000, victim_device=first.victim_device)
    pings = [
        make_ping(first.victim_device, 1, at(0), PARK),
        make_ping(first.bracelet, 1, at(0), FAR),
        make_ping(second.bracelet, 1, at(0), FAR),
    ]
    batches = route(pings)
    assert sorted(batches) == [3, 7]
    assert [p["device"] for p in batches[3]] == [first.victim_device.serial, first.bracelet.serial]
    assert [p["device"] for p in batches[7]] == [first.victim_device.serial, second.bracelet.serial]
    # Each offender approaching her raises his own alert, on his own case.
    with clock.frozen(NOW):
        for m, shard in ((first, 3), (second, 7)):
            ShardProcessor(shard).process(
                [make_ping(first.victim_device, 10 + shard, at(100), PARK), make_ping(m.bracelet, 2, at(110), offset(PARK, north_m=50))],
                received_at=NOW,
            )
    assert sorted(Alert.objects.values_list("case_id", flat=True)) == sorted([first.case.pk, second.case.pk])


def test_bad_pings_are_counted_and_never_block_the_others(monitored, monitoring_unit, operator):
    from qorgau.monitoring.models import Device, DeviceKind

    Device.objects.create(serial="SPARE-1", kind=DeviceKind.BRACELET, unit=monitoring_unit, registered_at=NOW, registered_by=operator)
    pings = [
        make_ping("NOBODY-1", 1, at(0), FAR),
        make_ping("SPARE-1", 1, at(0), FAR),
        make_ping("SPARE-1", 2, at(0), FAR),
        make_ping(monitored.bracelet, 1, at(0), FAR),
    ]
    with clock.frozen(NOW):
        batches = route(pings)
        assert batches == {0: [pings[3]]}
        bad = [
            make_ping(monitored.bracelet, 2, at(10), (91.0, 76.9)),
            make_ping(monitored.bracelet, 3, NOW.timestamp() + 3600, FAR),
            {"device": monitored.bracelet.serial, "seq": "four"},
            "not a ping",
        ]
        result = ShardProcessor(0).process(batches[0] + bad, received_at=NOW)
    assert result.accepted == 1
    assert dict(result.rejected) == {"out_of_range": 1, "future": 1, "malformed": 2}
    assert dict(RejectCount.objects.values_list("reason", "count")) == {
        "unknown_device": 1, "unassigned": 2, "out_of_range": 1, "future": 1, "malformed": 2,
    }


def test_a_new_zone_is_watched_after_the_stamp_check(monitored):
    work = offset(HOME, east_m=8000)
    with clock.frozen(NOW):
        processor = ShardProcessor(0)
        processor.process([make_ping(monitored.bracelet, 1, at(0), FAR)], received_at=NOW)
        Zone.objects.create(
            case=monitored.case, offender_set=monitored.offender_set, place=ZonePlace.WORK, shape=ZoneShape.POLYGON,
            geometry=json.dumps({"ring": [[work[1] + dx, work[0] + dy] for dx, dy in ((-0.005, -0.005), (0.005, -0.005), (0.005, 0.005), (-0.005, 0.005))]}),
            created_at=NOW, created_by=monitored.operator,
        )
        assert processor.refresh(force=True)
        processor.process([make_ping(monitored.bracelet, 2, at(60), work)], received_at=NOW)
    alert = Alert.objects.get()
    assert alert.kind == ConditionKind.ZONE and alert.episode.zone.place == ZonePlace.WORK


def test_a_failed_transaction_rebuilds_the_engine_so_the_redelivery_raises(monitored, monkeypatch):
    from django.db import OperationalError

    close = [make_ping(monitored.victim_device, 1, at(0), PARK), make_ping(monitored.bracelet, 1, at(10), offset(PARK, north_m=50))]

    def boom(**kw):
        raise OperationalError("database is locked")

    with clock.frozen(NOW):
        processor = ShardProcessor(0)
        monkeypatch.setattr("qorgau.monitoring.alerts.alert_raise", boom)
        with pytest.raises(OperationalError):
            processor.process(close, received_at=NOW)
        assert counts() == (0, 0, 0)
        monkeypatch.undo()
        result = processor.process(close, received_at=NOW)
    assert result.accepted == 2 and len(result.alerts) == 1 and counts() == (2, 1, 1)


def test_old_pings_are_pruned_in_chunks_and_episodes_and_alerts_stay(monitored, settings):
    from qorgau.monitoring.retention import pings_prune

    settings.QORGAU_MONITORING = {**settings.QORGAU_MONITORING, "PING_RETENTION_DAYS": 30}
    old = NOW - dt.timedelta(days=31)
    with clock.frozen(old):
        ShardProcessor(0).process(
            [make_ping(monitored.bracelet, i, old - dt.timedelta(seconds=100 - 10 * i), offset(HOME, north_m=1000 - 300 * i)) for i in range(5)],
            received_at=old,
        )
    with clock.frozen(NOW):
        ShardProcessor(0).process([make_ping(monitored.bracelet, 9, at(0), FAR)], received_at=NOW)
    assert counts() == (6, 1, 1)
    assert pings_prune(NOW, chunk=2) == 5
    assert counts() == (1, 1, 1) and Ping.objects.get().seq == 9
    assert pings_prune(NOW) == 0


def test_when_the_rebuild_fails_too_the_next_batch_rebuilds_first(monitored, monkeypatch):
    close = [make_ping(monitored.victim_device, 1, at(0), PARK), make_ping(monitored.bracelet, 1, at(10), offset(PARK, north_m=50))]

    from django.db import OperationalError

    def boom(*a, **kw):
        raise OperationalError("database went away")

    with clock.frozen(NOW):
        processor = ShardProcessor(0)
        monkeypatch.setattr("qorgau.monitoring.alerts.alert_raise", boom)
        monkeypatch.setattr("qorgau.monitoring.ingest.shard_state_load", boom)
        with pytest.raises(OperationalError):
            processor.process(close, received_at=NOW)
        assert processor.stale
        with pytest.raises(OperationalError):  # still down: refused before touching the engine
            processor.process(close, received_at=NOW)
        monkeypatch.undo()
        result = processor.process(close, received_at=NOW)
    assert not processor.stale and len(result.alerts) == 1 and counts() == (2, 1, 1)


@pytest.mark.django_db(transaction=False)
def test_replays_in_any_order_never_change_what_is_stored(monitored):
    """Hypothesis: a stream cut into batches, with any of its batches delivered again at any later
    point, leaves the same pings, episodes and alerts as the stream delivered once."""
    from django.db import transaction
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    her = [make_ping(monitored.victim_device, i, at(60 * i), PARK) for i in range(12)]
    distances = [3000, 1500, 400, 100, 100, 700, 3000, 3000, 3000, 3000, 3000, 3000]
    his = [make_ping(monitored.bracelet, i, at(60 * i + 30), offset(PARK, north_m=d), strap_ok=i != 5) for i, d in enumerate(distances)]
    stream = sorted(her + his, key=lambda p: p["ts"])

    def state() -> tuple:
        return (
            sorted(Ping.objects.values_list("device_id", "seq")),
            sorted(Episode.objects.values_list("subject", "started_at", "ended_at")),
            sorted(Alert.objects.values_list("kind", "episode__subject")),
        )

    def deliver(batches: list[list[dict]]) -> tuple:
        ingest.processors_reset()
        with transaction.atomic():
            with clock.frozen(NOW):
                processor = ShardProcessor(0)
                for batch in batches:
                    processor.process(batch, received_at=NOW)
            found = state()
            transaction.set_rollback(True)
        return found

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(st.integers(1, len(stream) - 1), max_size=5, unique=True), st.data())
    def check(cuts, data):
        edges = [0, *sorted(cuts), len(stream)]
        batches = [stream[a:b] for a, b in itertools.pairwise(edges) if b > a]
        once = deliver(batches)
        with_replays = list(batches)
        for _ in range(data.draw(st.integers(1, 4))):
            which = data.draw(st.integers(0, len(batches) - 1))
            first = with_replays.index(batches[which])  # a replay comes after the first delivery
            where = data.draw(st.integers(first + 1, len(with_replays)))
            with_replays.insert(where, batches[which])
        assert deliver(with_replays) == once
        assert [k for k, _s in once[2]] == ["proximity", "tamper"]

    check()


def test_a_fault_raising_one_alert_does_not_hold_back_the_others(monitoring_factory, monkeypatch, caplog):
    first = monitoring_factory(shard=0)
    second = monitoring_factory(shard=0, serial=3000, home=offset(HOME, east_m=30_000))
    real = ingest.alerts.alert_raise

    def picky(*, episode, received_at):
        if episode.device_id == first.bracelet.pk:
            raise ValueError("no active assignment")
        return real(episode=episode, received_at=received_at)

    monkeypatch.setattr("qorgau.monitoring.alerts.alert_raise", picky)
    pings = [make_ping(m.bracelet, 1, at(0), offset(m.home, north_m=20)) for m in (first, second)]
    with clock.frozen(NOW):
        result = ShardProcessor(0).process(pings, received_at=NOW)
    assert result.accepted == 2 and len(result.opened) == 2 and len(result.alerts) == 1
    assert result.unalerted == [Episode.objects.get(device=first.bracelet).pk]
    assert Alert.objects.get().device_id == second.bracelet.pk
    assert f"episode {result.unalerted[0]} (zone) stored without an alert" in caplog.text


def test_a_device_assigned_a_moment_ago_is_routed_at_once(monitored, monitoring_factory, monkeypatch):
    assert route([make_ping(monitored.bracelet, 1, at(0), FAR)]) == {0: [make_ping(monitored.bracelet, 1, at(0), FAR)]}
    second = monitoring_factory(shard=9, serial=3000)
    ticks = iter([1000.0, 1000.5])  # half a second after the last stamp check: past the recheck, within the interval
    monkeypatch.setattr(ingest._routes, "checked", 1000.0)
    monkeypatch.setattr(ingest.time, "monotonic", lambda: next(ticks, 1000.5))
    ping = make_ping(second.bracelet, 1, at(0), FAR)
    assert route([ping]) == {9: [ping]}
    assert not RejectCount.objects.exists()


def test_replay_check_asks_the_database_only_about_doubtful_pings(monitored):
    """Above a device's highest stored seq a ping cannot be a replay: a steady stream is stored with no
    lookup of earlier pings; a late ping below the mark is looked up and kept; a repeat is refused, also
    by a processor rebuilt from the database."""
    from django.test.utils import CaptureQueriesContext

    def lookups(ctx: CaptureQueriesContext) -> int:
        return sum(1 for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT") and "monitoring_ping" in q["sql"])

    processor = ShardProcessor(0)
    with clock.frozen(NOW):
        processor.process([make_ping(monitored.bracelet, seq, at(10 * seq), FAR) for seq in (1, 2, 5)], received_at=NOW)
        with CaptureQueriesContext(connection) as steady:
            result = processor.process([make_ping(monitored.bracelet, seq, at(10 * seq), FAR) for seq in (6, 7)], received_at=NOW)
        assert result.accepted == 2 and lookups(steady) == 0
        with CaptureQueriesContext(connection) as late:
            result = processor.process([make_ping(monitored.bracelet, seq, at(10 * seq), FAR) for seq in (3, 6)], received_at=NOW)
        assert (result.accepted, result.replayed) == (1, 1) and lookups(late) == 1
        rebuilt = ShardProcessor(0)
        result = rebuilt.process([make_ping(monitored.bracelet, seq, at(10 * seq), FAR) for seq in (2, 7, 8)], received_at=NOW)
    assert (result.accepted, result.replayed) == (1, 2)
    assert sorted(Ping.objects.filter(device=monitored.bracelet).values_list("seq", flat=True)) == [1, 2, 3, 5, 6, 7, 8]
