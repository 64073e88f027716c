"""The ping message (DESIGN §7, ``docs/monitoring-messages.md``): bytes from a device topic, a gateway
topic or the HTTP endpoint become validated ping dicts, or counted refusals.

A validated ping is a plain dict in the wire schema with ``ts`` as epoch seconds (float). The router
republishes validated pings to a shard as one columnar binary batch (``shard_message``), which the
shard's consumer reads and checks again column by column (``shard_decode``). No Django import at
module level: the router and the bench use this without a database.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_PAYLOAD_BYTES = 1_048_576
MAX_PINGS = 5_000
MAX_SERIAL = 32
# Nothing real was recorded before this: an epoch of 0 or a millisecond count read as seconds is a bug.
MIN_TS = dt.datetime(2000, 1, 1, tzinfo=dt.UTC).timestamp()
MAX_SEQ = 2**63 - 1
DEFAULT_FUTURE_SLACK_SECONDS = 300.0

# RejectReason values (kept as strings so this module needs no Django).
MALFORMED = "malformed"
OUT_OF_RANGE = "out_of_range"
UNKNOWN_DEVICE = "unknown_device"
UNASSIGNED = "unassigned"
FUTURE = "future"
REPLAYED = "replayed"
FOREIGN_TOPIC = "foreign_topic"

DEVICE_TOPIC_PREFIX = "qorgau/dev/"
GATEWAY_TOPIC_PREFIX = "qorgau/gw/"
SHARD_TOPIC_PREFIX = "qorgau/shard/"


def device_topic(serial: str) -> str:
    return f"{DEVICE_TOPIC_PREFIX}{serial}/pings"


def alerts_topic(serial: str) -> str:
    return f"{DEVICE_TOPIC_PREFIX}{serial}/alerts"


def gateway_topic(name: str) -> str:
    return f"{GATEWAY_TOPIC_PREFIX}{name}/pings"


def shard_topic(shard: int) -> str:
    return f"{SHARD_TOPIC_PREFIX}{shard}"


def topic_device(topic: str) -> str | None:
    """The serial a device topic belongs to (``qorgau/dev/<serial>/pings``), else None."""
    if topic.startswith(DEVICE_TOPIC_PREFIX) and topic.endswith("/pings"):
        serial = topic[len(DEVICE_TOPIC_PREFIX) : -len("/pings")]
        if serial and "/" not in serial:
            return serial
    return None


@dataclass
class Parsed:
    """Valid pings, and the refusals counted by reason; ``refused`` names the devices (serial or ``?``
    when the message named none) for the log line — never a position."""

    pings: list[dict[str, Any]] = field(default_factory=list)
    rejected: Counter[str] = field(default_factory=Counter)
    refused: Counter[tuple[str, str]] = field(default_factory=Counter)
    received_at: float | None = None  # a shard batch carries the router's receipt time
    error: str = ""  # why the whole message was refused, when it was

    def refuse(self, reason: str, serial: str, n: int = 1) -> None:
        self.rejected[reason] += n
        self.refused[(reason, serial)] += n

    def merge(self, other: Parsed) -> None:
        self.pings.extend(other.pings)
        self.rejected.update(other.rejected)
        self.refused.update(other.refused)


def _number(value: Any) -> float | None:
    """A JSON number as float; None for anything else (bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _timestamp(value: Any) -> float | None:
    """ISO-8601 with an offset, or epoch seconds; None when malformed (a naive time is malformed:
    a device clock without a zone is a device bug we will not guess about)."""
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            return None
        return parsed.timestamp()
    return _number(value)


def _serial(item: Mapping[str, Any]) -> str:
    device = item.get("device")
    return device if isinstance(device, str) and 0 < len(device) <= MAX_SERIAL else "?"


def _check(item: Any, now: float, slack: float) -> tuple[str, dict[str, Any] | None]:
    """("", ping) or (reason, None)."""
    if not isinstance(item, dict):
        return MALFORMED, None
    device = item.get("device")
    if not isinstance(device, str) or not 0 < len(device) <= MAX_SERIAL or "/" in device:
        return MALFORMED, None
    seq = item.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int):
        return MALFORMED, None
    ts = _timestamp(item.get("ts"))
    lat = _number(item.get("lat"))
    lon = _number(item.get("lon"))
    if ts is None or lat is None or lon is None:
        return MALFORMED, None
    if not 0 <= seq <= MAX_SEQ or not math.isfinite(ts) or ts < MIN_TS:
        return OUT_OF_RANGE, None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # also false for NaN
        return OUT_OF_RANGE, None
    optional: dict[str, Any] = {}
    for name, low, high in (("accuracy", 0.0, math.inf), ("battery", 0.0, 100.0)):
        raw = item.get(name)
        if raw is None:
            optional[name] = None
            continue
        value = _number(raw)
        if value is None:
            return MALFORMED, None
        if not low <= value <= high or math.isnan(value) or math.isinf(value):
            return OUT_OF_RANGE, None
        optional[name] = value
    for name in ("strap_ok", "phone_ok"):
        raw = item.get(name)
        if raw is not None and not isinstance(raw, bool):
            return MALFORMED, None
        optional[name] = raw
    if ts > now + slack:
        return FUTURE, None
    return "", {"device": device, "seq": seq, "ts": ts, "lat": lat, "lon": lon, **optional}


def validate(items: Iterable[Any], *, now: float, slack: float = DEFAULT_FUTURE_SLACK_SECONDS, topic_serial: str | None = None) -> Parsed:
    """Check each ping on its own, so one bad ping never blocks the others. ``topic_serial``: the
    message came on that device's own topic, so a ping naming another device is refused.

    The checks run over the whole batch at once (``_passing``); only the pings that fail them go
    through ``_check`` one by one, for their exact reason. The result is the same as checking each
    ping with ``_check`` (``tests/monitoring/test_messages.py`` compares the two)."""
    items = items if isinstance(items, list) else list(items)
    try:
        passing = _passing(items, now, slack)
    except (OverflowError, ValueError, TypeError):  # a number numpy cannot hold: check one by one
        passing = None
    out = Parsed()
    append = out.pings.append
    checked = passing if passing is not None else [None] * len(items)
    for item, ping in zip(items, checked, strict=True):
        if ping is None:
            reason, ping = _check(item, now, slack)
            if ping is None:
                out.refuse(reason, _serial(item) if isinstance(item, dict) else "?")
                continue
        if topic_serial is not None and ping["device"] != topic_serial:
            out.refuse(FOREIGN_TOPIC, topic_serial)
        else:
            append(ping)
    return out


VECTOR_MIN = 16
_NUMBER_TYPES = frozenset({int, float})
_OPTIONAL_NUMBER_TYPES = frozenset({int, float, type(None)})
_FLAG_TYPES = frozenset({bool, type(None)})


def _passing(items: list[Any], now: float, slack: float) -> list[dict[str, Any] | None] | None:
    """The batch's checks as column operations: for each item, its validated ping if it passes every
    check of ``_check``, else None (that item then goes through ``_check``, which gives the reason).
    None for the whole batch when it is small (numpy's per-call cost would exceed the saving) or not
    made of the plain types (a non-dict item, a string where a number belongs)."""
    import numpy as np  # the HTTP endpoint and the router import this module; numpy is cheap once loaded

    if len(items) < VECTOR_MIN or set(map(type, items)) != {dict}:
        return None
    n = len(items)
    devices = [p.get("device") for p in items]
    seqs = [p.get("seq") for p in items]
    columns = {name: [p.get(name) for p in items] for name in ("ts", "lat", "lon", "accuracy", "battery", "strap_ok", "phone_ok")}
    for name in ("lat", "lon"):
        if not set(map(type, columns[name])) <= _NUMBER_TYPES:
            return None
    for name in ("accuracy", "battery"):
        if not set(map(type, columns[name])) <= _OPTIONAL_NUMBER_TYPES:
            return None
    for name in ("strap_ok", "phone_ok"):
        if not set(map(type, columns[name])) <= _FLAG_TYPES:
            return None
    ts_raw = columns["ts"]
    if set(map(type, ts_raw)) <= _NUMBER_TYPES:
        ts_values: list[Any] = ts_raw
    else:  # ISO-8601 strings, or something malformed (nan here, refused by _check)
        ts_values = [math.nan if (t := _timestamp(v)) is None else t for v in ts_raw]
    ok = np.fromiter(
        (type(d) is str and 0 < len(d) <= MAX_SERIAL and "/" not in d and type(s) is int and 0 <= s <= MAX_SEQ for d, s in zip(devices, seqs, strict=True)),
        dtype=bool, count=n,
    )
    ts = np.array(ts_values, dtype=np.float64)
    lat = np.array(columns["lat"], dtype=np.float64)
    lon = np.array(columns["lon"], dtype=np.float64)
    accuracy = np.array(columns["accuracy"], dtype=np.float64)  # None becomes nan
    battery = np.array(columns["battery"], dtype=np.float64)
    accuracy_none = np.fromiter((v is None for v in columns["accuracy"]), dtype=bool, count=n)
    battery_none = np.fromiter((v is None for v in columns["battery"]), dtype=bool, count=n)
    with np.errstate(invalid="ignore"):
        ok &= np.isfinite(ts) & (ts >= MIN_TS) & (ts <= now + slack)
        ok &= (lat >= -90.0) & (lat <= 90.0) & (lon >= -180.0) & (lon <= 180.0)
        ok &= accuracy_none | (np.isfinite(accuracy) & (accuracy >= 0.0))
        ok &= battery_none | ((battery >= 0.0) & (battery <= 100.0))
    passes = ok.tolist()
    ts_list, lat_list, lon_list = ts.tolist(), lat.tolist(), lon.tolist()
    accuracy_list = [None if none else v for none, v in zip(accuracy_none.tolist(), accuracy.tolist(), strict=True)]
    battery_list = [None if none else v for none, v in zip(battery_none.tolist(), battery.tolist(), strict=True)]
    straps, phones = columns["strap_ok"], columns["phone_ok"]
    pings: list[dict[str, Any] | None] = [
        {
            "device": devices[i], "seq": seqs[i], "ts": ts_list[i], "lat": lat_list[i], "lon": lon_list[i],
            "accuracy": accuracy_list[i], "battery": battery_list[i], "strap_ok": straps[i], "phone_ok": phones[i],
        }
        if passes[i] else None
        for i in range(n)
    ]
    return pings


def parse(
    payload: bytes | str, *, now: float, slack: float = DEFAULT_FUTURE_SLACK_SECONDS, topic_serial: str | None = None,
    max_pings: int = MAX_PINGS,
) -> Parsed:
    """One message: a ping object, or ``{"pings": [...]}`` (optionally with ``received_at``, as the
    router republishes it). A message that is not one of these is one malformed reject; a batch over
    ``max_pings`` is refused whole (counted once per ping), since a gateway that sends it is broken."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        out = Parsed(error="too_large")
        out.refuse(MALFORMED, topic_serial or "?")
        return out
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        out = Parsed(error="not_json")
        out.refuse(MALFORMED, topic_serial or "?")
        return out
    if isinstance(body, dict) and "pings" in body:
        items = body["pings"]
        if not isinstance(items, list):
            out = Parsed(error="no_pings")
            out.refuse(MALFORMED, topic_serial or "?")
            return out
        if len(items) > max_pings:
            out = Parsed(error="too_many")
            out.refuse(MALFORMED, topic_serial or "?", len(items))
            return out
        out = validate(items, now=now, slack=slack, topic_serial=topic_serial)
        received = _number(body.get("received_at"))
        out.received_at = received if received is not None and math.isfinite(received) else None
        return out
    if isinstance(body, dict):
        return validate([body], now=now, slack=slack, topic_serial=topic_serial)
    out = Parsed(error="not_an_object")
    out.refuse(MALFORMED, topic_serial or "?")
    return out


# A shard batch (router → monitor) is binary and columnar: the ``SHARD_MAGIC`` tag, the length of a
# small JSON header (``n``, ``received_at``, the ``devices`` serials), then one little-endian array per
# column below. Encoding and decoding cost a few numpy calls per batch where JSON cost microseconds
# per ping (float text both ways), and the monitor checks the columns without building them twice.
# Only routers write shard topics (the broker's ACL), but the monitor checks every value again.
SHARD_MAGIC = b"QSB1"
_SHARD_COLUMNS = (("seq", "<i8"), ("ts", "<f8"), ("lat", "<f8"), ("lon", "<f8"), ("accuracy", "<f8"), ("battery", "<f8"),
                  ("strap_ok", "i1"), ("phone_ok", "i1"))
_FLAG_OF = {-1: None, 0: False, 1: True}


def shard_message(pings: list[dict[str, Any]], received_at: float) -> bytes:
    """What the router publishes to ``qorgau/shard/<n>``: validated pings, columnar (see SHARD_MAGIC).
    A missing accuracy or battery travels as NaN, a missing flag as -1 (a NaN or any other value
    there was refused by validation, so neither is ambiguous)."""
    import numpy as np

    nan = math.nan
    header = json.dumps({"n": len(pings), "received_at": received_at, "devices": [p["device"] for p in pings]},
                        separators=(",", ":")).encode()
    columns = []
    for name, dtype in _SHARD_COLUMNS:
        values = [p.get(name) for p in pings]
        if name in ("accuracy", "battery"):
            values = [nan if v is None else v for v in values]
        elif name in ("strap_ok", "phone_ok"):
            values = [-1 if v is None else int(v) for v in values]
        columns.append(np.array(values, dtype=dtype).tobytes())
    return b"".join([SHARD_MAGIC, len(header).to_bytes(4, "little"), header, *columns])


def shard_decode(payload: bytes, *, now: float, slack: float = DEFAULT_FUTURE_SLACK_SECONDS) -> Parsed:
    """A shard batch → validated pings (the dicts ``validate`` returns), refusals counted as
    ``validate`` counts them, and ``received_at``. Every value is checked again, column by column.
    Raises ValueError when the payload is not a shard batch at all (the caller drops it whole)."""
    import numpy as np

    if payload.startswith(b"{"):
        # A batch in the JSON form routers wrote before this format, still queued in a shard's
        # persistent session across an upgrade: read it rather than drop it.
        legacy = parse(payload, now=now, slack=slack)
        if legacy.error or legacy.received_at is None:
            raise ValueError("not a shard batch")
        return legacy
    if not payload.startswith(SHARD_MAGIC) or len(payload) < 8:
        raise ValueError("not a shard batch")
    size = int.from_bytes(payload[4:8], "little")
    header = json.loads(payload[8 : 8 + size])
    n, devices, received = header["n"], header["devices"], _number(header.get("received_at"))
    if type(n) is not int or not isinstance(devices, list) or len(devices) != n:
        raise ValueError("bad shard batch header")
    offset = 8 + size
    if len(payload) != offset + n * sum(np.dtype(dtype).itemsize for _name, dtype in _SHARD_COLUMNS):
        raise ValueError("shard batch of the wrong length")
    col: dict[str, Any] = {}
    for name, dtype in _SHARD_COLUMNS:
        col[name] = np.frombuffer(payload, dtype=dtype, count=n, offset=offset)
        offset += col[name].nbytes
    seq, ts, lat, lon, accuracy, battery = (col[k] for k in ("seq", "ts", "lat", "lon", "accuracy", "battery"))
    named = np.fromiter((type(d) is str and 0 < len(d) <= MAX_SERIAL and "/" not in d for d in devices), dtype=bool, count=n)
    flags = np.isin(col["strap_ok"], (-1, 0, 1)) & np.isin(col["phone_ok"], (-1, 0, 1))
    with np.errstate(invalid="ignore"):
        in_range = (
            (seq >= 0) & np.isfinite(ts) & (ts >= MIN_TS) & (lat >= -90.0) & (lat <= 90.0) & (lon >= -180.0) & (lon <= 180.0)
            & (np.isnan(accuracy) | (np.isfinite(accuracy) & (accuracy >= 0.0)))
            & (np.isnan(battery) | ((battery >= 0.0) & (battery <= 100.0)))
        )
        future = ts > now + slack
    ok = named & flags & in_range & ~future
    out = Parsed(received_at=received if received is not None and math.isfinite(received) else None)
    if not ok.all():
        for i in np.flatnonzero(~ok).tolist():
            reason = MALFORMED if not (named[i] and flags[i]) else OUT_OF_RANGE if not in_range[i] else FUTURE
            out.refuse(reason, devices[i] if named[i] else "?")
    keep = np.flatnonzero(ok)
    lists = {name: col[name][keep].tolist() for name, _dtype in _SHARD_COLUMNS}
    flag_of = _FLAG_OF
    out.pings = [
        {"device": devices[i], "seq": q, "ts": t, "lat": la, "lon": lo, "accuracy": None if math.isnan(a) else a,
         "battery": None if math.isnan(b) else b, "strap_ok": flag_of[so], "phone_ok": flag_of[po]}
        for i, q, t, la, lo, a, b, so, po in zip(
            keep.tolist(), lists["seq"], lists["ts"], lists["lat"], lists["lon"], lists["accuracy"], lists["battery"],
            lists["strap_ok"], lists["phone_ok"], strict=True,
        )
    ]
    return out
