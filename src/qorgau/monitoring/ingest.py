"""Ingestion (DESIGN §7): the router sends each ping to the virtual shard of every offender set that
holds its device; a ``ShardProcessor`` owns one shard's engine and turns a batch of pings into stored
pings, episodes and alerts in one transaction — so a crash before the commit means the message comes
again (it is acknowledged after the commit) and a replayed ping raises nothing twice.

Refused pings are counted per day and reason (``RejectCount``) and logged with the reason and the
device serial only: a position never reaches a log line.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, F, Max, OuterRef, Subquery, Sum

from qorgau.core import clock, crypto
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction
from qorgau.monitoring import alerts, messages
from qorgau.monitoring.engine import Decision, Engine, EngineConfig, PingArrays
from qorgau.monitoring.geometry import haversine_m
from qorgau.monitoring.models import Assignment, ConditionKind, Device, Episode, Ping, RejectCount
from qorgau.monitoring.topology import ShardState, epoch_to_datetime, shard_stamp, shard_state_load

log = logging.getLogger(__name__)

STAMP_EVERY_SECONDS = 2.0
UNKNOWN_RECHECK_SECONDS = 0.2
TECHNICAL_KINDS = frozenset({ConditionKind.TAMPER.value, ConditionKind.LOW_BATTERY.value, ConditionKind.SEPARATION.value})
INSERT_ROWS = 500
# Up to this many devices in a batch, their no-signal episodes are looked up by subject; above, by shard.
SUBJECT_LOOKUP_MAX = 200


def _conf() -> Mapping[str, Any]:
    return settings.QORGAU_MONITORING


def future_slack() -> float:
    return float(_conf().get("FUTURE_SLACK_SECONDS", messages.DEFAULT_FUTURE_SLACK_SECONDS))


# --- refusals ------------------------------------------------------------------------------------


def rejects_record(refused: Mapping[tuple[str, str], int], *, day: dt.date | None = None) -> int:
    """Count refusals (one row per day and reason, incremented with F() so concurrent routers and
    shard processes never lose a count) and log one line per reason and device — never a position."""
    if not refused:
        return 0
    day = day or clock.now().date()
    per_reason: Counter[str] = Counter()
    replayed_devices = 0
    for (reason, serial), n in refused.items():
        per_reason[reason] += n
        if reason == messages.REPLAYED:
            replayed_devices += 1  # a redelivered message is routine: one line, not one per device
        else:
            log.warning("monitoring: refused %d ping(s) from device %s: %s", n, serial, reason)
    if replayed_devices:
        log.info("monitoring: dropped %d replayed ping(s) from %d device(s)", per_reason[messages.REPLAYED], replayed_devices)
    for reason, n in per_reason.items():
        if RejectCount.objects.filter(day=day, reason=reason).update(count=F("count") + n):
            continue
        try:
            with transaction.atomic():
                RejectCount.objects.create(day=day, reason=reason, count=n)
        except IntegrityError:  # another process created today's row in between
            RejectCount.objects.filter(day=day, reason=reason).update(count=F("count") + n)
    return sum(per_reason.values())


# --- routing -------------------------------------------------------------------------------------


class _RouteTable:
    """serial → the shards of the offender sets holding the device (through active assignments),
    reloaded when assignments or devices change (a stamp query at most every few seconds)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stamp: tuple[Any, ...] | None = None
        self.checked = -math.inf
        self.shards: dict[str, tuple[int, ...]] = {}
        self.known: frozenset[str] = frozenset()

    @staticmethod
    def _stamp() -> tuple[Any, ...]:
        a = Assignment.objects.aggregate(n=Count("id"), started=Max("started_at"), ended=Max("ended_at"), v=Sum("version"), last=Max("id"))
        d = Device.objects.aggregate(n=Count("id"), last=Max("id"))
        return (a["n"], a["started"], a["ended"], a["v"], a["last"], d["n"], d["last"])

    def refresh(self, *, force: bool = False, every: float = STAMP_EVERY_SECONDS) -> None:
        with self.lock:
            if not force and time.monotonic() - self.checked < every:
                return
            stamp = self._stamp()
            self.checked = time.monotonic()
            if stamp == self.stamp and not force:
                return
            table: dict[str, set[int]] = {}
            for serial, shard in Assignment.objects.filter(ended_at__isnull=True).values_list("device__serial", "offender_set__shard"):
                table.setdefault(serial, set()).add(shard)
            self.shards = {serial: tuple(sorted(s)) for serial, s in table.items()}
            self.known = frozenset(Device.objects.values_list("serial", flat=True))
            self.stamp = stamp


_routes = _RouteTable()


def route_reset() -> None:
    """Forget the cached table (tests: a new database under the same process)."""
    global _routes
    _routes = _RouteTable()


def route_due(pings: list[dict[str, Any]]) -> bool:
    """Whether routing ``pings`` would read the database: the table's stamp is due for a check, or
    a serial is not in the table (a device assigned a moment ago must not be refused for the next
    two seconds, so an unknown serial checks the stamp sooner — still rate-limited, so a flood of
    unknown serials costs one small query per interval)."""
    since = time.monotonic() - _routes.checked
    if since >= STAMP_EVERY_SECONDS:
        return True
    if since < UNKNOWN_RECHECK_SECONDS:
        return False
    table = _routes.shards
    return any(p.get("device") not in table for p in pings)


def route_refresh(pings: list[dict[str, Any]]) -> None:
    """Bring the table up to date for ``pings`` (a query at most every few seconds; see route_due)."""
    _routes.refresh()
    table = _routes.shards
    if any(not isinstance(p.get("device"), str) or p["device"] not in table for p in pings):
        _routes.refresh(every=UNKNOWN_RECHECK_SECONDS)


def route_split(pings: list[dict[str, Any]]) -> tuple[dict[int, list[dict[str, Any]]], Counter[tuple[str, str]]]:
    """The shard batches of ``pings`` from the table in memory (no database), and what it refused."""
    table = _routes.shards
    known = _routes.known
    out: dict[int, list[dict[str, Any]]] = {}
    refused: Counter[tuple[str, str]] = Counter()
    for ping in pings:
        serial = ping.get("device")
        shards = table.get(serial) if isinstance(serial, str) else None
        if shards is None:
            reason = messages.UNASSIGNED if serial in known else messages.UNKNOWN_DEVICE
            refused[(reason, serial if isinstance(serial, str) else "?")] += 1
            continue
        for shard in shards:
            out.setdefault(shard, []).append(ping)
    return out, refused


def route_refused(pings: list[dict[str, Any]]) -> tuple[dict[int, list[dict[str, Any]]], Counter[tuple[str, str]]]:
    """``route`` that also returns what it refused, by (reason, serial); the HTTP endpoint reports it
    to the gateway."""
    route_refresh(pings)
    out, refused = route_split(pings)
    rejects_record(refused)
    return out, refused


def route(pings: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """The shard batches of ``pings``: each ping goes to the shard of every offender set holding its
    device (a victim's device linked to two offenders goes to both sets' shards). Unknown and
    unassigned devices are refused and counted here."""
    return route_refused(pings)[0]


# --- a shard's processing ------------------------------------------------------------------------


@dataclass
class IngestResult:
    accepted: int = 0
    replayed: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    opened: list[int] = field(default_factory=list)  # episodes opened (each with its alert)
    closed: int = 0  # episodes closed
    alerts: list[int] = field(default_factory=list)
    unalerted: list[int] = field(default_factory=list)  # episodes whose alert could not be raised

    def merge(self, other: IngestResult) -> None:
        self.accepted += other.accepted
        self.replayed += other.replayed
        self.rejected.update(other.rejected)
        self.opened.extend(other.opened)
        self.closed += other.closed
        self.alerts.extend(other.alerts)
        self.unalerted.extend(other.unalerted)


def _bool_code(values: list[bool | None]) -> np.ndarray:
    return np.fromiter((-1 if v is None else int(v) for v in values), dtype=np.int8, count=len(values))


def ping_arrays(rows: list[tuple[int, dict[str, Any]]]) -> PingArrays:
    """(device pk, validated ping) rows → the engine's arrays."""
    n = len(rows)
    pings = [p for _d, p in rows]
    nan = math.nan
    return PingArrays(
        device=np.fromiter((d for d, _p in rows), dtype=np.int64, count=n),
        seq=np.fromiter((p["seq"] for p in pings), dtype=np.int64, count=n),
        ts=np.fromiter((p["ts"] for p in pings), dtype=np.float64, count=n),
        lat=np.fromiter((p["lat"] for p in pings), dtype=np.float64, count=n),
        lon=np.fromiter((p["lon"] for p in pings), dtype=np.float64, count=n),
        accuracy=np.fromiter((nan if p["accuracy"] is None else p["accuracy"] for p in pings), dtype=np.float32, count=n),
        battery=np.fromiter((nan if p["battery"] is None else p["battery"] for p in pings), dtype=np.float32, count=n),
        strap_ok=_bool_code([p["strap_ok"] for p in pings]),
        phone_ok=_bool_code([p["phone_ok"] for p in pings]),
    )


_PING_COLUMNS = ("device", "seq", "ts", "received_at", "lat", "lon", "position", "accuracy_m", "battery", "strap_ok", "phone_ok")


def _pings_insert(rows: list[tuple[int, dict[str, Any]]], received_at: dt.datetime, victims: frozenset[int]) -> None:
    """Store the new pings with COPY (PostgreSQL) or executemany (SQLite): the ORM's bulk_create
    spends most of a 5,000-ping batch preparing values field by field. Victim positions still go
    through the field's own encryption (``get_db_prep_save``), so nothing reaches the table in the
    clear. Only the model's own table and column names go into the statement; values are parameters."""
    position = Ping._meta.get_field("position")
    ops = connection.ops
    table = ops.quote_name(Ping._meta.db_table)
    column_of = {f.name: f.column for f in Ping._meta.concrete_fields}
    columns = ", ".join(ops.quote_name(column_of[name]) for name in _PING_COLUMNS)
    pg = connection.vendor == "postgresql"
    # SQLite keeps a datetime as Django writes it: naive UTC in ``str`` form (what
    # ``adapt_datetimefield_value`` returns for an aware UTC value, without its per-call overhead).
    received = received_at if pg else ops.adapt_datetimefield_value(received_at)
    # An offender's ping has no position, but the column holds an encrypted empty string like any
    # row the ORM writes; one ciphertext copied to each row (copying is not nonce reuse).
    empty = position.get_db_prep_save("", connection)
    # The field's own encryption (``EncryptedTextField.get_prep_value`` is ``crypto.encrypt`` with the
    # column's context), called directly: Django's per-value layers cost more than AES-GCM itself.
    context = position.crypto_context
    encrypt = crypto.encrypt
    values = []
    for d, p in rows:
        victim = d in victims
        ts = dt.datetime.fromtimestamp(p["ts"], tz=dt.UTC)
        values.append((
            d, p["seq"], ts if pg else str(ts.replace(tzinfo=None)), received,
            None if victim else p["lat"], None if victim else p["lon"],
            encrypt(f"{p['lat']:.6f},{p['lon']:.6f}", context=context) if victim else empty,
            p["accuracy"], None if p["battery"] is None else round(p["battery"]), p["strap_ok"], p["phone_ok"],
        ))
    with connection.cursor() as cursor:
        if pg:
            # psycopg parses a multi-row INSERT's placeholders slower than COPY sends the rows, and
            # its executemany is a round trip per row.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values_row in values:
                    copy.write_row(values_row)
        else:
            placeholders = ", ".join(["%s"] * len(_PING_COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values)  # noqa: S608



class ShardProcessor:
    """One virtual shard's engine, loaded from the database and kept in step with it."""

    def __init__(self, shard: int) -> None:
        self.shard = shard
        self.config = EngineConfig.from_settings()
        self.lock = threading.Lock()
        self.state: ShardState
        self.engine: Engine
        self.checked = -math.inf
        self.stale = False
        # Per device, the highest seq stored: a ping above it cannot be a replay, so only pings at or
        # below it (late or repeated ones) are looked up. Filled lazily, cleared on every rebuild.
        self.high: dict[int, int] = {}
        self.reload()

    def reload(self) -> None:
        """Rebuild the engine from the database: topology, open conditions, last positions."""
        self.state = shard_state_load(self.shard)
        self.engine = Engine(self.config, self.state.topology)
        self.engine.restore(self.state.open_subjects, self.state.fixes)
        self.checked = time.monotonic()
        self.stale = False
        self.high = {}

    def refresh(self, *, force: bool = False) -> bool:
        """Take up assignment and zone changes (at most every STAMP_EVERY_SECONDS); True if it did."""
        if not force and time.monotonic() - self.checked < STAMP_EVERY_SECONDS:
            return False
        stamp = shard_stamp(self.shard)
        self.checked = time.monotonic()
        if stamp == self.state.stamp:
            return False
        fresh = shard_state_load(self.shard)
        self.engine.set_topology(fresh.topology)
        self.state = fresh
        return True

    def process(
        self, pings: list[dict[str, Any]], received_at: dt.datetime, *, checked: Counter[tuple[str, str]] | None = None,
    ) -> IngestResult:
        """Validate, drop replays, store, run the engine, open and close episodes, raise alerts — one
        transaction. Bad pings are counted and skipped, never raised; a database error is raised
        (the message is then not acknowledged) after the engine is rebuilt from what was committed.
        ``checked``: the pings were validated already (a shard batch, by ``messages.shard_decode``),
        and these are the refusals it counted."""
        with self.lock:
            if self.stale:  # the last rebuild failed too (the database was down): no batch before it
                self.reload()
            self.refresh()
            try:
                with transaction.atomic():
                    return self._process(pings, received_at, checked)
            except Exception:
                # The engine has moved on in memory; what was not committed must be seen again.
                self.stale = True
                log.exception("monitoring: shard %s batch failed; rebuilding the engine from the database", self.shard)
                try:
                    self.reload()
                except Exception:
                    log.exception("monitoring: shard %s could not rebuild now; it will before the next batch", self.shard)
                raise

    def _process(self, pings: list[dict[str, Any]], received_at: dt.datetime, checked: Counter[tuple[str, str]] | None) -> IngestResult:
        result = IngestResult()
        if checked is None:
            parsed = messages.validate(pings, now=clock.now().timestamp(), slack=future_slack())
        else:
            parsed = messages.Parsed(pings=pings, refused=Counter(checked))
        refused = parsed.refused
        serials = self.state.serials
        rows: list[tuple[int, dict[str, Any]]] = []
        seen: set[tuple[int, int]] = set()
        for ping in parsed.pings:
            pk = serials.get(ping["device"])
            if pk is None:  # routed before an assignment ended, or sent to the wrong shard
                refused[(messages.UNASSIGNED, ping["device"])] += 1
                continue
            key = (pk, ping["seq"])
            if key in seen:
                refused[(messages.REPLAYED, ping["device"])] += 1
                continue
            seen.add(key)
            rows.append((pk, ping))
        if rows:
            rows = self._fresh(rows, refused)
        for (reason, _serial), n in refused.items():
            result.rejected[reason] += n
        result.replayed = result.rejected.get(messages.REPLAYED, 0)
        rejects_record(refused)
        if not rows:
            return result
        _pings_insert(rows, received_at, self.state.victims)
        result.accepted = len(rows)
        decisions = self.engine.process(ping_arrays(rows))
        result.closed += self._signal_back(rows)
        self._episodes(decisions, received_at, result)
        self._closest(rows)
        audit_record(actor=None, action=AuditAction.WRITE, target_type="monitoring_shard", target_id=self.shard, count=len(rows))
        return result

    def _fresh(self, rows: list[tuple[int, dict[str, Any]]], refused: Counter[tuple[str, str]]) -> list[tuple[int, dict[str, Any]]]:
        """Drop pings already stored. The database is asked only about devices seen for the first time
        since the last rebuild (their highest seq, one index probe each) and about pings at or below a
        device's highest stored seq; a steady stream of new pings costs no query at all."""
        high = self.high
        unknown = {d for d, _p in rows}.difference(high)
        if unknown:
            last = Ping.objects.filter(device_id=OuterRef("pk")).order_by("-seq").values("seq")[:1]
            for pk, top in Device.objects.filter(pk__in=unknown).annotate(top=Subquery(last)).values_list("pk", "top"):
                high[pk] = -1 if top is None else top
        doubtful = [(d, p["seq"]) for d, p in rows if p["seq"] <= high[d]]
        if doubtful:
            stored = set(
                Ping.objects.filter(device_id__in={d for d, _s in doubtful}, seq__in={q for _d, q in doubtful}).values_list("device_id", "seq")
            )
            kept = []
            for d, p in rows:
                if (d, p["seq"]) in stored:
                    refused[(messages.REPLAYED, p["device"])] += 1
                else:
                    kept.append((d, p))
            rows = kept
        for d, p in rows:
            if p["seq"] > high[d]:
                high[d] = p["seq"]
        return rows

    def _signal_back(self, rows: list[tuple[int, dict[str, Any]]]) -> int:
        """A device that pings again ends its no-signal episode, at its earliest new ping."""
        first: dict[int, float] = {}
        for d, p in rows:
            if d not in first or p["ts"] < first[d]:
                first[d] = p["ts"]
        kind = ConditionKind.NO_SIGNAL.value
        if len(first) <= SUBJECT_LOOKUP_MAX:
            silent = Episode.objects.filter(subject__in=[f"{kind}:{d}" for d in first], ended_at__isnull=True)
        else:
            # Many devices: the shard's few open no-signal episodes in one query instead of thousands
            # of subjects. An open episode's set always holds its device (ending an assignment ends
            # the device's episodes in that set), so its shard receives the device's pings.
            silent = Episode.objects.filter(offender_set__shard=self.shard, kind=kind, ended_at__isnull=True)
        closed = 0
        for pk, device_id, started_at in silent.values_list("pk", "device_id", "started_at"):
            if device_id not in first:
                continue
            ended = max(epoch_to_datetime(first[device_id]), started_at)
            closed += Episode.objects.filter(pk=pk, ended_at__isnull=True).update(ended_at=ended)
        return closed

    def _episodes(self, decisions: list[Decision], received_at: dt.datetime, result: IngestResult) -> None:
        if not decisions:
            return
        devices = self.state.topology.devices
        subjects = {d.subject for d in decisions}
        open_eps = {e.subject: e for e in Episode.objects.filter(subject__in=list(subjects), ended_at__isnull=True)}
        to_close: list[Episode] = []
        to_create: list[Episode] = []
        for d in decisions:  # in the engine's (device-time) order
            at = epoch_to_datetime(d.ts)
            if d.action == "raise":
                if d.subject in open_eps:  # already open (raised before a restart, or by another path)
                    continue
                if d.kind in TECHNICAL_KINDS and d.device not in self.state.owned:
                    # Her device linked to offenders on two shards: its technical conditions belong
                    # to one of them (its first set's), or both would raise the same subject.
                    continue
                info = devices.get(d.device)
                if info is None:
                    log.error("monitoring: decision for device %s outside shard %s", d.device, self.shard)
                    continue
                episode = Episode(
                    kind=d.kind, subject=d.subject, offender_set_id=info.offender_set, device_id=d.device,
                    counterpart_id=d.counterpart, zone_id=d.zone, started_at=at, started_seq=d.seq,
                    min_distance_m=d.distance_m,
                )
                open_eps[d.subject] = episode
                to_create.append(episode)
            elif d.action == "clear":
                closing = open_eps.pop(d.subject, None)
                if closing is None:
                    continue
                episode = closing
                episode.ended_at = max(at, episode.started_at)
                if episode.pk is not None:
                    to_close.append(episode)
        for episode in to_close:
            Episode.objects.filter(pk=episode.pk, ended_at__isnull=True).update(ended_at=episode.ended_at)
        result.closed += len(to_close) + sum(1 for e in to_create if e.ended_at is not None)
        if not to_create:
            return
        # Closed-in-this-batch episodes first, so an open one never meets an open one of its subject.
        to_create.sort(key=lambda e: e.ended_at is None)
        created = Episode.objects.bulk_create(to_create)
        if any(e.pk is None for e in created):  # a backend that returns no keys
            created = [Episode.objects.get(subject=e.subject, started_at=e.started_at, started_seq=e.started_seq) for e in to_create]
        for episode in sorted(created, key=lambda e: (e.started_at, e.pk)):
            result.opened.append(episode.pk)
            try:
                with transaction.atomic():
                    alert = alerts.alert_raise(episode=episode, received_at=received_at)
            except DatabaseError:
                raise  # the whole batch is retried
            except Exception:
                # A fault in raising one alert must not hold back the shard's other offenders: the
                # episode stays stored (and open), so the alert can be raised from it later.
                log.exception("monitoring: episode %s (%s) stored without an alert", episode.pk, episode.kind)
                result.unalerted.append(episode.pk)
                continue
            result.alerts.append(alert.pk)

    def _closest(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        """Keep the closest distance of open proximity episodes touched by this batch (from the two
        devices' last fixes: cheap, and enough for the operator and the court)."""
        # Proximity episodes are opened and closed by this shard's engine alone (and restored into it
        # on a rebuild), so the pairs with an open episode are among those it holds open: almost none.
        prefix = f"{ConditionKind.PROXIMITY.value}:"
        open_now = {s for s in self.engine.open_subjects() if s.startswith(prefix)}
        if not open_now:
            return
        touched = {d for d, _p in rows}
        names = {
            name: p for p in self.state.topology.pairs
            if (p.offender_device in touched or p.victim_device in touched)
            and (name := f"{prefix}{p.offender_device}:{p.victim_device}") in open_now
        }
        if not names:
            return
        for pk, subject, closest in Episode.objects.filter(subject__in=list(names), ended_at__isnull=True).values_list(
            "pk", "subject", "min_distance_m"
        ):
            pair = names[subject]
            a, b = self.engine.last_fix(pair.offender_device), self.engine.last_fix(pair.victim_device)
            if a is None or b is None:
                continue
            distance = haversine_m(a.lat, a.lon, b.lat, b.lon)
            if closest is None or distance < closest:
                Episode.objects.filter(pk=pk).update(min_distance_m=distance)


# --- in-process use (the HTTP endpoint with INLINE on, the simulator, tests) --------------------

_processors: dict[int, ShardProcessor] = {}
_processors_lock = threading.Lock()


def processor_for(shard: int) -> ShardProcessor:
    with _processors_lock:
        found = _processors.get(shard)
        if found is None:
            found = _processors[shard] = ShardProcessor(shard)
        return found


def processors_reset() -> None:
    """Drop every in-process engine (tests: a new database; the demo: after a reset)."""
    with _processors_lock:
        _processors.clear()
    route_reset()


def process_inline(batches: Mapping[int, list[dict[str, Any]]], received_at: dt.datetime) -> IngestResult:
    total = IngestResult()
    for shard in sorted(batches):
        total.merge(processor_for(shard).process(batches[shard], received_at))
    return total


def shard_messages(batches: Mapping[int, list[dict[str, Any]]], received_at: dt.datetime) -> list[tuple[str, bytes | str]]:
    stamp = received_at.timestamp()
    return [(messages.shard_topic(shard), messages.shard_message(pings, stamp)) for shard, pings in sorted(batches.items())]


def shard_batch_decode(payload: bytes) -> tuple[list[dict[str, Any]], dt.datetime, Counter[tuple[str, str]]]:
    """A ``qorgau/shard/<n>`` message → its pings and the router's receipt time (the consumer's own
    clock when the router gave none). Its refusals come back for counting; ValueError when the
    payload is not a shard batch."""
    parsed = messages.shard_decode(payload, now=clock.now().timestamp(), slack=future_slack())
    received = epoch_to_datetime(parsed.received_at) if parsed.received_at is not None else clock.now()
    return parsed.pings, received, parsed.refused
