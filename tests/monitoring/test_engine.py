"""The monitoring engine (part A of issue 8): pure computation, no database.

Positions are written as metre offsets east/north of a base point through ``at`` (which uses the
same ellipsoidal factors as the engine, so a distance written here is the distance the engine sees
to well under a metre); the realistic-latitude tests check the engine against an independent
geodesic (Vincenty on WGS 84) instead.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qorgau.monitoring.engine import (
    Decision,
    DeviceInfo,
    Engine,
    EngineConfig,
    Fix,
    PairInfo,
    PingArrays,
    Topology,
    ZoneInfo,
)
from qorgau.monitoring.geometry import ZoneIndex, distance_m, metres_per_degree

BASE = (43.25, 76.95)  # Almaty
SET = 10
BRACELET, VICTIM, PHONE, VICTIM2 = 1, 2, 3, 4
CFG = EngineConfig(
    proximity_m=500, clear_factor=1.25, clear_seconds=120, max_accuracy_m=250,
    stale_seconds=300, battery_low=15, battery_clear=25,
)  # fmt: skip


def at(east_m: float, north_m: float, base: tuple[float, float] = BASE) -> tuple[float, float]:
    m_lat, m_lon = metres_per_degree(base[0])
    return base[0] + north_m / float(m_lat), base[1] + east_m / float(m_lon)


def topology(*, zones: Sequence[ZoneInfo] = (), pairs: Sequence[tuple[int, int, float]] = ((BRACELET, VICTIM, 500),),
             devices: dict[int, str] | None = None) -> Topology:  # fmt: skip
    kinds = devices or {BRACELET: "bracelet", VICTIM: "victim"}
    return Topology(
        devices={pk: DeviceInfo(pk, kind, SET) for pk, kind in kinds.items()},
        pairs=[PairInfo(o, v, d) for o, v, d in pairs],
        zones=list(zones),
    )


class Feed:
    """Builds pings for one engine with per-device sequence numbers."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seq: dict[int, int] = {}

    def ping(self, device: int, ts: float, east: float = 0.0, north: float = 0.0, **extra: Any) -> dict[str, Any]:
        self.seq[device] = self.seq.get(device, 0) + 1
        lat, lon = at(east, north)
        return {"device": device, "seq": self.seq[device], "ts": ts, "lat": lat, "lon": lon, **extra}

    def send(self, *pings: dict[str, Any]) -> list[Decision]:
        return self.engine.process(arrays(list(pings)))


def arrays(pings: list[dict[str, Any]]) -> PingArrays:
    def col(name: str, unknown: float) -> list[float]:
        return [unknown if p.get(name) is None else p[name] for p in pings]

    return PingArrays.of(
        device=[p["device"] for p in pings], seq=[p["seq"] for p in pings], ts=[p["ts"] for p in pings],
        lat=[p["lat"] for p in pings], lon=[p["lon"] for p in pings],
        accuracy=col("accuracy", math.nan), battery=col("battery", math.nan),
        strap_ok=col("strap_ok", -1), phone_ok=col("phone_ok", -1),
    )  # fmt: skip


def brief(decisions: list[Decision]) -> list[tuple[str, str, float]]:
    return [(d.action, d.subject, d.ts) for d in decisions]


# --- proximity -------------------------------------------------------------------------------------


def test_one_approach_is_one_raise_and_one_clear() -> None:
    feed = Feed(Engine(CFG, topology()))
    decisions: list[Decision] = []
    decisions += feed.send(feed.ping(VICTIM, 0))
    # He drives in from 3 km, stays 90 m from her for two minutes, leaves; pings every 10 s.
    track = [3000 - 150 * i for i in range(20)] + [90] * 12 + [90 + 200 * i for i in range(1, 30)]
    for i, east in enumerate(track):
        t = 10.0 * (i + 1)
        decisions += feed.send(feed.ping(BRACELET, t, east), *([feed.ping(VICTIM, t + 1)] if i % 6 == 0 else []))
    assert [(d.action, d.subject) for d in decisions] == [("raise", "proximity:1:2"), ("clear", "proximity:1:2")]
    raised, cleared = decisions
    assert raised.ts == 10.0 * 18  # first fix under 500 m: 3000 - 150*17 = 450
    assert raised.device == BRACELET and raised.counterpart == VICTIM and raised.kind == "proximity"
    assert raised.distance_m == pytest.approx(450, abs=0.5)
    # Beyond 625 m from 90 + 200*3 = 690 (i = 34, t = 350); clear 120 s later at t = 470.
    assert cleared.ts == 470.0
    assert cleared.distance_m == pytest.approx(90 + 200 * 15, abs=1)


def test_jitter_around_the_boundary_raises_once() -> None:
    feed = Feed(Engine(CFG, topology()))
    rng = random.Random(8)
    decisions = feed.send(feed.ping(VICTIM, 0))
    for i in range(1, 300):
        # 500 m ± 60 m of GPS noise: in and out of the threshold every few pings, never past 625 m.
        decisions += feed.send(feed.ping(BRACELET, 5.0 * i, 500 + rng.uniform(-60, 60)), feed.ping(VICTIM, 5.0 * i + 1))
    assert [d.action for d in decisions] == ["raise"]


def test_the_victims_ping_can_raise_too() -> None:
    feed = Feed(Engine(CFG, topology()))
    assert feed.send(feed.ping(BRACELET, 0, 200)) == []
    decisions = feed.send(feed.ping(VICTIM, 30))
    assert [(d.action, d.subject, d.device, d.counterpart, d.seq) for d in decisions] == [("raise", "proximity:1:2", BRACELET, VICTIM, 1)]


def test_a_stale_victim_position_raises_nothing() -> None:
    feed = Feed(Engine(CFG, topology()))
    feed.send(feed.ping(VICTIM, 0))
    assert feed.send(feed.ping(BRACELET, 301, 50)) == []  # her fix is 301 s old
    assert [d.action for d in feed.send(feed.ping(VICTIM, 302), feed.ping(BRACELET, 303, 50))] == ["raise"]


def test_a_victim_never_seen_raises_nothing() -> None:
    feed = Feed(Engine(CFG, topology()))
    assert feed.send(feed.ping(BRACELET, 0, 10)) == []


def test_a_fix_with_bad_accuracy_raises_nothing_and_is_no_counterpart() -> None:
    feed = Feed(Engine(CFG, topology()))
    feed.send(feed.ping(VICTIM, 0, accuracy=20.0))
    assert feed.send(feed.ping(BRACELET, 10, 50, accuracy=251.0)) == []
    feed2 = Feed(Engine(CFG, topology()))
    feed2.send(feed2.ping(VICTIM, 0, accuracy=900.0))
    assert feed2.send(feed2.ping(BRACELET, 10, 50, accuracy=5.0)) == []
    # At the limit it counts; no accuracy reported counts too.
    assert [d.action for d in feed.send(feed.ping(BRACELET, 20, 50, accuracy=250.0))] == ["raise"]
    assert [d.action for d in feed2.send(feed2.ping(VICTIM, 20), feed2.ping(BRACELET, 30, 50))] == ["raise"]


def test_an_inaccurate_fix_far_away_does_not_clear() -> None:
    feed = Feed(Engine(CFG, topology()))
    feed.send(feed.ping(VICTIM, 0))
    assert [d.action for d in feed.send(feed.ping(BRACELET, 10, 100))] == ["raise"]
    out = [feed.ping(BRACELET, 20 + 10 * i, 5000, accuracy=1000.0) for i in range(30)]
    assert feed.send(*out) == []


def test_one_offender_two_victims_are_two_subjects() -> None:
    topo = topology(devices={BRACELET: "bracelet", VICTIM: "victim", VICTIM2: "victim"},
                    pairs=[(BRACELET, VICTIM, 500), (BRACELET, VICTIM2, 1000)])  # fmt: skip
    feed = Feed(Engine(CFG, topo))
    feed.send(feed.ping(VICTIM, 0, 0), feed.ping(VICTIM2, 0, 3000))
    # 2,300 m from her, 700 m from the second victim (her court decision says 1,000 m).
    assert brief(feed.send(feed.ping(BRACELET, 10, 2300))) == [("raise", "proximity:1:4", 10.0)]
    assert brief(feed.send(feed.ping(BRACELET, 20, 300))) == [("raise", "proximity:1:2", 20.0)]
    later = [feed.ping(BRACELET, 30 + 10 * i, 300) for i in range(20)]
    # 2,700 m from the second victim (beyond 1,250 m) since t=20: cleared 120 s later.
    assert brief(feed.send(*later)) == [("clear", "proximity:1:4", 140.0)]


def test_the_offenders_phone_is_paired_too() -> None:
    topo = topology(devices={BRACELET: "bracelet", PHONE: "offender_phone", VICTIM: "victim"},
                    pairs=[(BRACELET, VICTIM, 500), (PHONE, VICTIM, 500)])  # fmt: skip
    feed = Feed(Engine(CFG, topo))
    decisions = feed.send(feed.ping(VICTIM, 0), feed.ping(PHONE, 5, 100), feed.ping(BRACELET, 6, 3000))
    assert brief(decisions) == [("raise", "proximity:3:2", 5.0)]


# --- zones --------------------------------------------------------------------------------------------


def circle(pk: int, east: float, north: float, radius: float) -> ZoneInfo:
    lat, lon = at(east, north)
    return ZoneInfo(pk, SET, "circle", {"lat": lat, "lon": lon, "radius_m": radius})


def square(pk: int, east: float, north: float, half: float) -> ZoneInfo:
    corners = [(-half, -half), (half, -half), (half, half), (-half, half), (-half, -half)]
    ring = [[at(east + x, north + y)[1], at(east + x, north + y)[0]] for x, y in corners]
    return ZoneInfo(pk, SET, "polygon", {"ring": ring})


def test_circle_zone_entry_and_exit_after_clear_seconds() -> None:
    feed = Feed(Engine(CFG, topology(zones=[circle(7, 0, 0, 200)], pairs=())))
    assert feed.send(feed.ping(BRACELET, 0, 210)) == []
    assert brief(feed.send(feed.ping(BRACELET, 10, 190))) == [("raise", "zone:1:7", 10.0)]
    # Band: 200 m grown by max(0.25 × 200, 50) = 250 m. Out of the band at t=20, back in the band at
    # t=100 (resets), out again from t=110: cleared at t=230, not before.
    decisions = feed.send(feed.ping(BRACELET, 20, 260), feed.ping(BRACELET, 90, 400), feed.ping(BRACELET, 100, 240))
    assert decisions == []
    pings = [feed.ping(BRACELET, 110 + 10 * i, 300) for i in range(12)]
    assert feed.send(*pings) == []  # t = 110 … 220
    cleared = feed.send(feed.ping(BRACELET, 230, 300))
    assert [(d.action, d.kind, d.zone, d.device) for d in cleared] == [("clear", "zone", 7, BRACELET)]


def test_polygon_zone_entry() -> None:
    feed = Feed(Engine(CFG, topology(zones=[square(8, 1000, 0, 150)], pairs=())))
    assert feed.send(feed.ping(BRACELET, 0, 1000 - 160, 140)) == []  # outside, beside a corner
    assert brief(feed.send(feed.ping(BRACELET, 10, 1000 - 140, 140))) == [("raise", "zone:1:8", 10.0)]
    # Equivalent radius 2·150/√π ≈ 169 m → band max(42 m, 50 m): 60 m out is beyond it.
    far = [feed.ping(BRACELET, 20 + 10 * i, 1000 + 150 + 60, 0) for i in range(13)]
    assert brief(feed.send(*far)) == [("clear", "zone:1:8", 140.0)]


def test_zones_apply_only_to_their_own_offender_set() -> None:
    topo = Topology(
        devices={BRACELET: DeviceInfo(BRACELET, "bracelet", SET), 5: DeviceInfo(5, "bracelet", SET + 1),
                 VICTIM: DeviceInfo(VICTIM, "victim", SET)},
        pairs=[], zones=[circle(7, 0, 0, 200)],
    )  # fmt: skip
    feed = Feed(Engine(CFG, topo))
    assert feed.send(feed.ping(5, 0, 0)) == []
    assert feed.send(feed.ping(VICTIM, 0, 0)) == []  # her own zone is no condition for her device
    assert brief(feed.send(feed.ping(BRACELET, 1, 0))) == [("raise", "zone:1:7", 1.0)]


# --- device flags ---------------------------------------------------------------------------------------


def test_tamper_battery_and_separation_raise_and_clear() -> None:
    feed = Feed(Engine(CFG, topology()))
    seen = []
    steps: list[tuple[float, dict[str, Any]]] = [
        (0, {"strap_ok": True, "battery": 80.0, "phone_ok": True}),
        (10, {"strap_ok": False, "battery": 14.0, "phone_ok": False}),
        (20, {"strap_ok": False, "battery": 5.0, "phone_ok": None}),  # still open: nothing again
        (30, {"strap_ok": None, "battery": 24.0, "phone_ok": True}),  # 24 is not yet 25
        (40, {"strap_ok": True, "battery": 25.0}),
        (50, {"strap_ok": True, "battery": None}),
    ]
    for t, extra in steps:
        seen += brief(feed.send(feed.ping(BRACELET, t, 9000, **extra)))
    assert seen == [
        ("raise", "tamper:1", 10.0), ("raise", "low_battery:1", 10.0), ("raise", "separation:1", 10.0),
        ("clear", "separation:1", 30.0), ("clear", "tamper:1", 40.0), ("clear", "low_battery:1", 40.0),
    ]  # fmt: skip


# --- replays, order, restart --------------------------------------------------------------------------------


def test_replay_of_the_same_batch_raises_nothing() -> None:
    feed = Feed(Engine(CFG, topology(zones=[circle(7, 0, 0, 200)])))
    batch = [feed.ping(VICTIM, 0, 50), feed.ping(BRACELET, 5, 0, strap_ok=False, battery=3.0)]
    first = feed.send(*batch)
    assert len(first) == 4  # zone, proximity, tamper, battery
    assert feed.send(*batch) == []
    assert feed.send(*reversed(batch)) == []


def test_an_out_of_order_ping_raises_nothing() -> None:
    feed = Feed(Engine(CFG, topology()))
    feed.send(feed.ping(VICTIM, 100), feed.ping(BRACELET, 100, 5000))
    late = feed.ping(BRACELET, 90, 10, strap_ok=False)  # newer seq, older device time
    assert feed.send(late) == []
    assert feed.engine.last_fix(BRACELET) == Fix(BRACELET, 100.0, *at(5000, 0), 1)


def test_a_resent_sequence_number_is_a_replay_even_with_a_new_time() -> None:
    feed = Feed(Engine(CFG, topology()))
    feed.send(feed.ping(VICTIM, 0), feed.ping(BRACELET, 10, 5000))
    assert feed.send({**feed.ping(BRACELET, 20, 10), "seq": 1}) == []


def test_a_counterpart_fix_far_newer_than_the_ping_is_not_used() -> None:
    feed = Feed(Engine(CFG, topology()))
    feed.send(feed.ping(VICTIM, 0, 5000), feed.ping(BRACELET, 1000, 0))
    # Her delayed ping from t=100 (her device was offline): his fix is 900 s newer, so no distance.
    assert feed.send(feed.ping(VICTIM, 100, 10)) == []
    assert brief(feed.send(feed.ping(VICTIM, 800, 10))) == [("raise", "proximity:1:2", 800.0)]


def test_within_a_batch_pings_are_taken_in_device_time_order() -> None:
    feed = Feed(Engine(CFG, topology()))
    v = feed.ping(VICTIM, 0)
    near = feed.ping(BRACELET, 10, 100)
    leave = [feed.ping(BRACELET, 20 + 10 * i, 3000) for i in range(13)]
    decisions = feed.send(*reversed([v, near, *leave]))
    assert brief(decisions) == [("raise", "proximity:1:2", 10.0), ("clear", "proximity:1:2", 140.0)]


def test_restore_then_continue_no_duplicate_raise_and_the_clear_still_comes() -> None:
    zones = [circle(7, 0, 0, 200)]
    first = Feed(Engine(CFG, topology(zones=zones)))
    raised = first.send(first.ping(VICTIM, 0), first.ping(BRACELET, 10, 100, strap_ok=False))
    assert {d.subject for d in raised} == {"proximity:1:2", "zone:1:7", "tamper:1"}
    # A new process: the open episodes and last fixes come from the database.
    engine = Engine(CFG, topology(zones=zones))
    engine.restore(
        ["proximity:1:2", "zone:1:7", "tamper:1", "no_signal:1", "zone:99:7", "garbage:x"],
        [first.engine.last_fix(BRACELET), first.engine.last_fix(VICTIM)],  # type: ignore[list-item]
    )
    assert engine.open_subjects() == ["proximity:1:2", "tamper:1", "zone:1:7"]
    second = Feed(engine)
    second.seq = dict(first.seq)
    # The same ping again (the message was redelivered) and more pings inside: nothing.
    assert engine.process(arrays([{**first.ping(BRACELET, 10, 100), "seq": 1}])) == []
    assert second.send(second.ping(BRACELET, 20, 50, strap_ok=False), second.ping(VICTIM, 25)) == []
    leave = [second.ping(BRACELET, 30 + 10 * i, 3000, strap_ok=True) for i in range(13)]
    assert brief(second.send(*leave)) == [
        ("clear", "tamper:1", 30.0), ("clear", "zone:1:7", 150.0), ("clear", "proximity:1:2", 150.0),
    ]  # fmt: skip


def test_set_topology_keeps_what_remains() -> None:
    zones = [circle(7, 0, 0, 200), circle(9, 5000, 0, 200)]
    topo = topology(zones=zones, devices={BRACELET: "bracelet", VICTIM: "victim", VICTIM2: "victim"},
                    pairs=[(BRACELET, VICTIM, 500), (BRACELET, VICTIM2, 500)])  # fmt: skip
    feed = Feed(Engine(CFG, topo))
    feed.send(feed.ping(VICTIM, 0), feed.ping(VICTIM2, 0, 100))
    assert len(feed.send(feed.ping(BRACELET, 10, 0))) == 3
    # Her second case ends, a new zone appears, a new device is pinged: the rest is kept.
    topo2 = topology(zones=[zones[0], circle(11, 0, 0, 100)], devices={BRACELET: "bracelet", VICTIM: "victim", 6: "victim"})
    feed.engine.set_topology(topo2)
    assert feed.engine.open_subjects() == ["proximity:1:2", "zone:1:7"]
    assert brief(feed.send(feed.ping(BRACELET, 10, 0))) == []  # still a replay
    assert brief(feed.send(feed.ping(BRACELET, 20, 0))) == [("raise", "zone:1:11", 20.0)]
    assert feed.engine.last_fix(VICTIM2) is None
    assert feed.engine.last_fix(VICTIM) == Fix(VICTIM, 0.0, *at(0, 0), 1)


def test_unknown_devices_are_ignored() -> None:
    feed = Feed(Engine(CFG, topology()))
    assert feed.send(feed.ping(77, 0, strap_ok=False), feed.ping(-3, 0)) == []
    empty = Engine(CFG, Topology())
    assert empty.process(arrays([feed.ping(1, 0)])) == []
    assert empty.process(PingArrays.of([], [], [], [], [])) == []


def test_sparse_device_pks_use_binary_search() -> None:
    big = 10**12
    topo = topology(devices={big: "bracelet", big + 1: "victim"}, pairs=[(big, big + 1, 500)])
    feed = Feed(Engine(CFG, topo))
    assert feed.engine._table is None
    assert brief(feed.send(feed.ping(big + 1, 0), feed.ping(big, 1, 10))) == [("raise", f"proximity:{big}:{big + 1}", 1.0)]


def test_config_from_settings() -> None:
    from django.conf import settings

    cfg = EngineConfig.from_settings()
    assert cfg.proximity_m == settings.QORGAU_MONITORING["PROXIMITY_M"]
    assert cfg.clear_seconds == settings.QORGAU_MONITORING["CLEAR_SECONDS"]
    assert cfg.battery_clear == settings.QORGAU_MONITORING["BATTERY_CLEAR"]


# --- realistic latitudes ---------------------------------------------------------------------------------------


def vincenty_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance on WGS 84 (Vincenty's inverse formula), independent of the engine's."""
    a, f = 6378137.0, 1 / 298.257223563
    b = a * (1 - f)
    big_l = math.radians(lon2 - lon1)
    u1, u2 = math.atan((1 - f) * math.tan(math.radians(lat1))), math.atan((1 - f) * math.tan(math.radians(lat2)))
    su1, cu1, su2, cu2 = math.sin(u1), math.cos(u1), math.sin(u2), math.cos(u2)
    lam = big_l
    for _ in range(200):
        sl, cl = math.sin(lam), math.cos(lam)
        ss = math.hypot(cu2 * sl, cu1 * su2 - su1 * cu2 * cl)
        if ss == 0:
            return 0.0
        cs = su1 * su2 + cu1 * cu2 * cl
        sigma = math.atan2(ss, cs)
        sa = cu1 * cu2 * sl / ss
        c2a = 1 - sa * sa
        c2sm = cs - 2 * su1 * su2 / c2a if c2a else 0.0
        c = f / 16 * c2a * (4 + f * (4 - 3 * c2a))
        prev, lam = lam, big_l + (1 - c) * f * sa * (sigma + c * ss * (c2sm + c * cs * (-1 + 2 * c2sm * c2sm)))
        if abs(lam - prev) < 1e-13:
            break
    uu = c2a * (a * a - b * b) / (b * b)
    big_a = 1 + uu / 16384 * (4096 + uu * (-768 + uu * (320 - 175 * uu)))
    big_b = uu / 1024 * (256 + uu * (-128 + uu * (74 - 47 * uu)))
    ds = big_b * ss * (c2sm + big_b / 4 * (cs * (-1 + 2 * c2sm**2) - big_b / 6 * c2sm * (-3 + 4 * ss**2) * (-3 + 4 * c2sm**2)))
    return b * big_a * (sigma - ds)


def point_at(lat: float, lon: float, bearing_deg: float, metres: float) -> tuple[float, float]:
    """The point ``metres`` away along ``bearing_deg`` by Vincenty, found by bisection on a plain
    spherical offset (no use of the engine's factors)."""
    br = math.radians(bearing_deg)

    def offset(scale: float) -> tuple[float, float]:
        return lat + scale * math.cos(br) / 111_000, lon + scale * math.sin(br) / (111_000 * math.cos(math.radians(lat)))

    lo, hi = 0.0, metres * 2
    for _ in range(80):
        mid = (lo + hi) / 2
        if vincenty_m(lat, lon, *offset(mid)) < metres:
            lo = mid
        else:
            hi = mid
    return offset(lo)


@pytest.mark.parametrize("lat", [42.0, 54.0])
@pytest.mark.parametrize("bearing", [0, 45, 90, 135])
def test_500_m_is_500_m_within_one_percent(lat: float, bearing: int) -> None:
    lon = 69.6 if lat < 50 else 69.1  # Shymkent's and Petropavl's latitudes
    for metres, expect_raise in ((495.0, True), (505.0, False)):
        v_lat, v_lon = lat, lon
        o_lat, o_lon = point_at(lat, lon, bearing, metres)
        assert vincenty_m(v_lat, v_lon, o_lat, o_lon) == pytest.approx(metres, abs=1e-3)
        engine = Engine(CFG, topology())
        engine.process(PingArrays.of([VICTIM], [1], [0.0], [v_lat], [v_lon]))
        got = engine.process(PingArrays.of([BRACELET], [1], [1.0], [o_lat], [o_lon]))
        assert [d.action for d in got] == (["raise"] if expect_raise else [])
        # The same for a 500 m circle zone around her place.
        zone = ZoneInfo(7, SET, "circle", {"lat": v_lat, "lon": v_lon, "radius_m": 500})
        engine = Engine(CFG, topology(zones=[zone], pairs=()))
        got = engine.process(PingArrays.of([BRACELET], [1], [1.0], [o_lat], [o_lon]))
        assert [d.action for d in got] == (["raise"] if expect_raise else [])


@pytest.mark.parametrize("lat", [40.6, 42.0, 48.0, 54.0, 55.4])
def test_local_distance_agrees_with_the_geodesic(lat: float) -> None:
    rng = np.random.default_rng(int(lat * 10))
    for _ in range(20):
        metres, bearing = float(rng.uniform(50, 20_000)), float(rng.uniform(0, 360))
        o = point_at(lat, 75.0, bearing, metres)
        got = float(distance_m(np.array([lat]), np.array([75.0]), np.array([o[0]]), np.array([o[1]]))[0])
        assert got == pytest.approx(metres, rel=1e-3)


def test_zone_index_levels() -> None:
    lat, lon = at(0, 0)
    index = ZoneIndex([("circle", {"lat": lat, "lon": lon, "radius_m": 1000.0})], clear_factor=1.25)
    pts = [at(e, 0) for e in (999, 1001, 1249, 1251)]
    levels = index.classify(np.zeros(4, dtype=np.intp), np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
    assert levels.tolist() == [2, 1, 1, 0]


# --- properties ------------------------------------------------------------------------------------------------

WORLD = Topology(
    devices={BRACELET: DeviceInfo(BRACELET, "bracelet", SET), PHONE: DeviceInfo(PHONE, "offender_phone", SET),
             VICTIM: DeviceInfo(VICTIM, "victim", SET), VICTIM2: DeviceInfo(VICTIM2, "victim", SET)},
    pairs=[PairInfo(BRACELET, VICTIM, 500), PairInfo(BRACELET, VICTIM2, 300), PairInfo(PHONE, VICTIM, 500)],
    zones=[circle(7, 1000, 0, 200), square(8, -1000, 0, 150)],
)  # fmt: skip
# A shorter clear delay than the default, so random streams clear as often as they raise.
PROP_CFG = EngineConfig(proximity_m=500, clear_factor=1.25, clear_seconds=45, max_accuracy_m=250,
                        stale_seconds=120, battery_low=15, battery_clear=25)  # fmt: skip
# Places near every threshold: her, the band around 500 m, the zones' edges, far away.
PLACES = [(0, 0), (100, 0), (480, 0), (560, 0), (700, 0), (1000, 0), (1190, 0), (1260, 0), (-1000, 0),
          (-1140, 0), (-1190, 0), (-1300, 0), (4000, 3000)]  # fmt: skip

ping_st = st.tuples(
    st.sampled_from([BRACELET, PHONE, VICTIM, VICTIM2]),
    st.integers(1, 40),  # seconds after the previous ping
    st.sampled_from(range(len(PLACES))),
    st.integers(-25, 25),  # jitter, metres
    st.sampled_from([None, 10.0, 400.0]),  # accuracy
    st.sampled_from([None, 5.0, 20.0, 90.0]),  # battery
    st.sampled_from([None, True, False]),  # strap
    st.sampled_from([None, True, False]),  # phone link
    st.booleans(),  # redelivered later
)


def stream_of(raw: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Pings with distinct device times (so device-time order is total), replays mixed in."""
    pings: list[dict[str, Any]] = []
    t, seqs = 0.0, dict.fromkeys(WORLD.devices, 0)
    for device, step, place, jitter, acc, battery, strap, phone, again in raw:
        t += step
        seqs[device] += 1
        if WORLD.devices[device].kind == "victim":
            place %= 2  # she is at home or next door; he moves about
        lat, lon = at(PLACES[place][0] + jitter, PLACES[place][1] + jitter)
        p = {"device": device, "seq": seqs[device], "ts": t, "lat": lat, "lon": lon, "accuracy": acc,
             "battery": battery, "strap_ok": strap, "phone_ok": phone}  # fmt: skip
        pings.append(p)
        if again:
            pings.append(dict(p))
    return pings


class Reference:
    """The rules of the engine written plainly, one ping at a time, for the properties to compare
    against. It shares only the geometry (tested on its own above) with the engine."""

    def __init__(self, cfg: EngineConfig, topo: Topology) -> None:
        self.cfg, self.topo = cfg, topo
        self.zones = ZoneIndex([(z.shape, z.geometry) for z in topo.zones], cfg.clear_factor)
        self.last: dict[int, tuple[float, int]] = {}
        self.fix: dict[int, tuple[float, float, float]] = {}
        self.open: dict[str, float] = {}  # subject -> clear since (nan: not clearing)

    def step(self, subject: str, level: int, t: float, clear_seconds: float) -> str | None:
        if subject not in self.open:
            if level == 2:
                self.open[subject] = math.nan
                return "raise"
            return None
        if level == 0:
            if math.isnan(self.open[subject]):
                self.open[subject] = t
            if t - self.open[subject] >= clear_seconds:
                del self.open[subject]
                return "clear"
        else:
            self.open[subject] = math.nan
        return None

    def ping(self, p: dict[str, Any]) -> list[tuple[str, str, float, int]]:
        cfg, d, t = self.cfg, p["device"], p["ts"]
        info = self.topo.devices.get(d)
        if info is None:
            return []
        last_t, last_seq = self.last.get(d, (-math.inf, -1))
        if t <= last_t or p["seq"] == last_seq:
            return []
        self.last[d] = (t, p["seq"])
        out: list[tuple[str, str]] = []
        usable = p.get("accuracy") is None or p["accuracy"] <= cfg.max_accuracy_m
        if usable and info.kind != "victim":
            for zi, z in enumerate(self.topo.zones):
                if z.offender_set == info.offender_set:
                    level = int(self.zones.classify(np.array([zi]), np.array([p["lat"]]), np.array([p["lon"]]))[0])
                    out.append((f"zone:{d}:{z.pk}", self.step(f"zone:{d}:{z.pk}", level, t, cfg.clear_seconds) or ""))
        if usable:
            for pr in sorted(self.topo.pairs, key=lambda pr: (pr.offender_device, pr.victim_device)):
                if d not in (pr.offender_device, pr.victim_device):
                    continue
                other = pr.victim_device if d == pr.offender_device else pr.offender_device
                if other not in self.fix or abs(t - self.fix[other][0]) > cfg.stale_seconds:
                    continue
                dist = float(distance_m(np.array([p["lat"]]), np.array([p["lon"]]),
                                        np.array([self.fix[other][1]]), np.array([self.fix[other][2]]))[0])  # fmt: skip
                limit = pr.proximity_m
                level = 2 if dist < limit else 0 if dist > cfg.clear_factor * limit else 1
                subject = f"proximity:{pr.offender_device}:{pr.victim_device}"
                out.append((subject, self.step(subject, level, t, cfg.clear_seconds) or ""))
            self.fix[d] = (t, p["lat"], p["lon"])
        flags = [("tamper", p.get("strap_ok")), ("low_battery", None), ("separation", p.get("phone_ok"))]
        battery = p.get("battery")
        for kind, value in flags:
            if kind == "low_battery":
                level = -1 if battery is None else 2 if battery < cfg.battery_low else 0 if battery >= cfg.battery_clear else 1
            else:
                level = -1 if value is None else 2 if value is False else 0
            if level >= 0:
                out.append((f"{kind}:{d}", self.step(f"{kind}:{d}", level, t, 0.0) or ""))
        return [(action, subject, t, p["seq"]) for subject, action in out if action]


def one_by_one(pings: list[dict[str, Any]]) -> list[tuple[str, str, float, int]]:
    reference = Reference(PROP_CFG, WORLD)
    out: list[tuple[str, str, float, int]] = []
    for p in sorted(pings, key=lambda p: p["ts"]):
        out += reference.ping(p)
    return out


def key(decisions: list[Decision]) -> list[tuple[str, str, float, int]]:
    return [(d.action, d.subject, d.ts, d.seq) for d in decisions]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.lists(ping_st, min_size=1, max_size=80), cuts=st.lists(st.integers(0, 200), max_size=8), seed=st.integers(0, 2**16))
def test_batches_decide_what_one_by_one_decides(raw: list[tuple[Any, ...]], cuts: list[int], seed: int) -> None:
    pings = sorted(stream_of(raw), key=lambda p: p["ts"])
    bounds = sorted({min(c, len(pings)) for c in cuts} | {0, len(pings)})
    rng = random.Random(seed)
    engine = Engine(PROP_CFG, WORLD)
    batched: list[Decision] = []
    for lo, hi in itertools.pairwise(bounds):
        chunk = pings[lo:hi]
        rng.shuffle(chunk)  # a batch's own order does not matter: device time does
        batched += engine.process(arrays(chunk))
    assert key(batched) == one_by_one(pings)
    # One approach is one alert: never two raises of a subject without a clear between.
    open_now: set[str] = set()
    for d in batched:
        if d.action == "raise":
            assert d.subject not in open_now
            open_now.add(d.subject)
        else:
            assert d.subject in open_now
            open_now.remove(d.subject)
    assert sorted(open_now) == engine.open_subjects()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.lists(ping_st, min_size=2, max_size=60), cut=st.integers(1, 100), late=st.lists(st.integers(0, 100), min_size=1, max_size=5))
def test_late_pings_change_nothing(raw: list[tuple[Any, ...]], cut: int, late: list[int]) -> None:
    pings = sorted(stream_of(raw), key=lambda p: p["ts"])
    cut = min(cut, len(pings) - 1)
    head, tail = pings[:cut], pings[cut:]
    newest = {p["device"]: p["ts"] for p in head}
    # Pings of a device older than its newest already processed, delivered with the next batch.
    stragglers = []
    for i in late:
        old = head[i % len(head)]
        if old["ts"] < newest[old["device"]]:
            stragglers.append({**old, "seq": 10_000 + i, "strap_ok": False, "lat": at(0, 0)[0], "lon": at(0, 0)[1]})
    plain, mixed = Engine(PROP_CFG, WORLD), Engine(PROP_CFG, WORLD)
    assert plain.process(arrays(head)) == mixed.process(arrays(head))
    assert mixed.process(arrays(stragglers + tail)) == plain.process(arrays(tail))
    assert mixed.open_subjects() == plain.open_subjects()
