"""The ping message (DESIGN §7, ``docs/monitoring-messages.md``): bytes from a device topic, a gateway
topic or the HTTP endpoint become validated ping dicts, or counted refusals.

A validated ping is a plain dict in the wire schema with ``ts`` as epoch seconds (float), so the router
can republish it as it is and a shard consumer can validate it again for nothing much. No Django import
at module level: the router and the bench use this without a database.
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
    message came on that device's own topic, so a ping naming another device is refused."""
    out = Parsed()
    append = out.pings.append
    for item in items:
        reason, ping = _check(item, now, slack)
        if ping is None:
            out.refuse(reason, _serial(item) if isinstance(item, dict) else "?")
        elif topic_serial is not None and ping["device"] != topic_serial:
            out.refuse(FOREIGN_TOPIC, topic_serial)
        else:
            append(ping)
    return out


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


def shard_message(pings: list[dict[str, Any]], received_at: float) -> bytes:
    """What the router publishes to ``qorgau/shard/<n>``."""
    return json.dumps({"pings": pings, "received_at": received_at}, separators=(",", ":")).encode()
