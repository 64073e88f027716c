"""The ping message schema: every refusal reason with exact counts, the limits, topics, and (Hypothesis)
that any well-formed ping survives validation unchanged while no payload at all can make it raise."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qorgau.monitoring import messages
from qorgau.monitoring.messages import parse, topic_device, validate

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC).timestamp()


def ping(**kw):
    base = {"device": "BR-0001", "seq": 1, "ts": NOW - 60, "lat": 43.2389, "lon": 76.8897}
    base.update(kw)
    return base


def reasons(items, **kw) -> dict[str, int]:
    return dict(validate(items, now=NOW, **kw).rejected)


def test_a_full_ping_and_both_time_forms():
    iso = dt.datetime.fromtimestamp(NOW - 60, tz=dt.timezone(dt.timedelta(hours=5))).isoformat()
    out = validate(
        [ping(ts=iso, accuracy=12.5, battery=80, strap_ok=True, phone_ok=False), ping(seq=2, ts="2026-03-10T11:59:00Z")], now=NOW
    )
    assert not out.rejected
    assert out.pings[0] == {
        "device": "BR-0001", "seq": 1, "ts": NOW - 60, "lat": 43.2389, "lon": 76.8897,
        "accuracy": 12.5, "battery": 80.0, "strap_ok": True, "phone_ok": False,
    }
    assert out.pings[1]["ts"] == NOW - 60 and out.pings[1]["accuracy"] is None and out.pings[1]["strap_ok"] is None


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        ("a string", "malformed"),
        ({"seq": 1, "ts": NOW, "lat": 1, "lon": 1}, "malformed"),  # no device
        (ping(device=""), "malformed"),
        (ping(device="X" * 33), "malformed"),
        (ping(device="a/b"), "malformed"),  # would be another topic level
        (ping(seq="1"), "malformed"),
        (ping(seq=True), "malformed"),
        (ping(seq=1.5), "malformed"),
        (ping(ts="2026-03-10 11:00"), "malformed"),  # no offset: refused, not guessed
        (ping(ts="yesterday"), "malformed"),
        (ping(ts=None), "malformed"),
        (ping(lat="43.2"), "malformed"),
        (ping(lon=None), "malformed"),
        (ping(strap_ok="yes"), "malformed"),
        (ping(phone_ok=1), "malformed"),
        (ping(battery="full"), "malformed"),
        (ping(seq=-1), "out_of_range"),
        (ping(seq=2**63), "out_of_range"),
        (ping(lat=90.0001), "out_of_range"),
        (ping(lat=-91), "out_of_range"),
        (ping(lon=180.5), "out_of_range"),
        (ping(lat=math.nan), "out_of_range"),
        (ping(lon=math.inf), "out_of_range"),
        (ping(ts=0), "out_of_range"),  # 1970: a device without a clock
        (ping(ts=math.nan), "out_of_range"),
        (ping(accuracy=-1), "out_of_range"),
        (ping(battery=101), "out_of_range"),
        (ping(battery=-0.5), "out_of_range"),
        (ping(ts=NOW + 301), "future"),
        (ping(ts=(NOW + 3600) * 1000), "future"),  # milliseconds sent as seconds
    ],
)
def test_each_refusal_reason(item, reason):
    assert reasons([item, ping(seq=2)]) == {reason: 1}
    assert len(validate([item, ping(seq=2)], now=NOW).pings) == 1  # the good one still goes through


def test_the_edges_that_are_accepted():
    edges = [ping(lat=90, lon=180), ping(lat=-90, lon=-180), ping(ts=NOW + 300), ping(battery=0, accuracy=0), ping(battery=100), ping(seq=2**63 - 1)]
    assert reasons(edges) == {}


def test_foreign_topic_counts_the_topics_device():
    out = validate([ping(device="BR-0001"), ping(device="BR-0002"), ping(device="BR-0003")], now=NOW, topic_serial="BR-0001")
    assert dict(out.rejected) == {"foreign_topic": 2} and [p["device"] for p in out.pings] == ["BR-0001"]
    assert dict(out.refused) == {("foreign_topic", "BR-0001"): 2}


def test_payloads():
    assert len(parse(json.dumps(ping()).encode(), now=NOW).pings) == 1
    batch = parse(json.dumps({"pings": [ping(seq=i) for i in range(3)], "received_at": NOW}).encode(), now=NOW)
    assert len(batch.pings) == 3 and batch.received_at == NOW and not batch.error
    for payload, error in ((b"{nope", "not_json"), (b"\xff", "not_json"), (b"[]", "not_an_object"), (b"3", "not_an_object"),
                           (b'{"pings": {}}', "no_pings")):
        out = parse(payload, now=NOW)
        assert (out.error, dict(out.rejected), out.pings) == (error, {"malformed": 1}, []), payload
    too_many = parse(json.dumps({"pings": [ping(seq=i) for i in range(5001)]}).encode(), now=NOW)
    assert too_many.error == "too_many" and dict(too_many.rejected) == {"malformed": 5001} and too_many.pings == []
    exactly = parse(json.dumps({"pings": [ping(seq=i) for i in range(5000)]}).encode(), now=NOW)
    assert len(exactly.pings) == 5000
    too_large = parse(b" " * (messages.MAX_PAYLOAD_BYTES + 1), now=NOW)
    assert too_large.error == "too_large" and dict(too_large.rejected) == {"malformed": 1}


def test_topics():
    assert topic_device("qorgau/dev/BR-0001/pings") == "BR-0001"
    assert topic_device(messages.device_topic("VD-9")) == "VD-9"
    for topic in ("qorgau/dev//pings", "qorgau/dev/a/b/pings", "qorgau/gw/g1/pings", "qorgau/dev/BR-1/alerts"):
        assert topic_device(topic) is None
    assert messages.shard_topic(7) == "qorgau/shard/7" and messages.gateway_topic("g1") == "qorgau/gw/g1/pings"


def test_shard_message_round_trips():
    good = validate([ping(seq=i, battery=50, strap_ok=False) for i in range(3)], now=NOW).pings
    good += validate([ping(device="VD-7", seq=2**63 - 1, accuracy=0, phone_ok=True, ts=NOW + 300)], now=NOW).pings
    again = messages.shard_decode(messages.shard_message(good, NOW - 1), now=NOW)
    assert again.pings == good and again.received_at == NOW - 1 and not again.rejected
    empty = messages.shard_decode(messages.shard_message([], NOW), now=NOW)
    assert empty.pings == [] and empty.received_at == NOW


def test_a_shard_batch_is_checked_again_and_garbage_is_refused_whole():
    """Only routers write shard topics, but the monitor checks every value again: a bad one is counted
    with the reason ``validate`` gives it, the others go through; a payload that is not a shard batch
    at all raises ValueError (the consumer drops it and counts it malformed)."""
    good = validate([ping(seq=i) for i in range(4)], now=NOW).pings
    bad = [dict(good[0], lat=91.0), dict(good[1], ts=NOW + 3600), dict(good[2], device="a/b"), dict(good[3], battery=101.0)]
    out = messages.shard_decode(messages.shard_message([*bad, *good], NOW), now=NOW)
    assert out.pings == good
    assert dict(out.rejected) == {"out_of_range": 2, "future": 1, "malformed": 1}
    assert out.refused[("malformed", "?")] == 1 and out.refused[("future", good[1]["device"])] == 1
    legacy = messages.shard_decode(json.dumps({"pings": good, "received_at": NOW - 5}).encode(), now=NOW)  # queued before an upgrade
    assert legacy.pings == good and legacy.received_at == NOW - 5
    payload = messages.shard_message(good, NOW)
    for garbage in (b"", b"{}", json.dumps({"pings": good}).encode(), b"{nope", payload[:-1], payload + b"x", payload[:6]):
        with pytest.raises(ValueError):
            messages.shard_decode(garbage, now=NOW)


valid_pings = st.fixed_dictionaries(
    {
        "device": st.text(st.characters(codec="ascii", exclude_characters="/"), min_size=1, max_size=32),
        "seq": st.integers(0, 2**63 - 1),
        "ts": st.floats(messages.MIN_TS, NOW + 300),
        "lat": st.floats(-90, 90),
        "lon": st.floats(-180, 180),
    },
    optional={
        "accuracy": st.none() | st.floats(0, 1e6),
        "battery": st.none() | st.floats(0, 100),
        "strap_ok": st.none() | st.booleans(),
        "phone_ok": st.none() | st.booleans(),
    },
)


@settings(max_examples=300)
@given(st.lists(valid_pings, max_size=20))
def test_well_formed_pings_pass_unchanged(items):
    out = parse(json.dumps({"pings": items}).encode(), now=NOW)
    assert not out.rejected and len(out.pings) == len(items)
    for sent, got in zip(items, out.pings, strict=True):
        for key, value in sent.items():
            assert got[key] == value


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300)
@given(st.lists(json_values | valid_pings, max_size=10), st.binary(max_size=50))
def test_nothing_makes_it_raise_and_every_ping_is_accounted_for(items, junk):
    out = validate(items, now=NOW)
    assert len(out.pings) + sum(out.rejected.values()) == len(items)
    garbage = parse(junk, now=NOW)
    assert all(n > 0 for n in garbage.rejected.values()) and (garbage.pings or garbage.rejected or garbage.error == "")


def _one_by_one(items, **kw):
    """What ``validate`` must equal: ``_check`` on each item alone."""
    out = messages.Parsed()
    for item in items:
        reason, ping_ = messages._check(item, kw["now"], messages.DEFAULT_FUTURE_SLACK_SECONDS)
        if ping_ is None:
            out.refuse(reason, messages._serial(item) if isinstance(item, dict) else "?")
        else:
            out.pings.append(ping_)
    return out


@pytest.mark.parametrize("position", [0, 7, 19])
def test_a_large_batch_is_checked_in_columns_with_the_same_reasons(position):
    """From VECTOR_MIN pings on, the batch is checked column by column; each refusal reason of the
    list above must still come out exactly, wherever the bad ping sits in the batch."""
    good = [ping(seq=i, accuracy=5.0 if i % 2 else None, battery=50 if i % 3 else None, strap_ok=bool(i % 2)) for i in range(20)]
    for item, _reason in test_each_refusal_reason.pytestmark[0].args[1]:
        batch = [*good[:position], item, *good[position:]]
        got, want = validate(batch, now=NOW), _one_by_one(batch, now=NOW)
        assert (got.pings, got.rejected, got.refused) == (want.pings, want.rejected, want.refused), item


messy_pings = st.one_of(
    valid_pings,
    valid_pings.map(lambda p: {**p, "ts": p["ts"] + 10_000}),  # in the future
    st.fixed_dictionaries({"device": st.just("BR-1"), "seq": st.integers(-5, 5), "ts": st.floats(allow_nan=True) | st.integers(),
                           "lat": st.floats(-100, 100), "lon": st.floats(-200, 200), "accuracy": st.none() | st.floats(),
                           "battery": st.none() | st.floats(-10, 110)}),
    json_values,
)


@settings(max_examples=200)
@given(st.lists(messy_pings, min_size=messages.VECTOR_MIN, max_size=60))
def test_column_checks_agree_with_checking_one_by_one(items):
    got, want = validate(items, now=NOW), _one_by_one(items, now=NOW)
    assert got.pings == want.pings
    assert got.rejected == want.rejected and got.refused == want.refused
