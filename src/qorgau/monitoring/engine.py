"""The monitoring engine (DESIGN §7): decoded ping arrays in, condition raises and clears out.

Pure numpy and shapely; it knows nothing of Django, the database or MQTT, so ingestion can feed it
from any transport and the benchmark can measure it alone. A ``ShardProcessor`` (ingest.py) holds
one engine per virtual shard and turns its decisions into episodes and alerts.

How a batch is checked:

* Every ping's device time orders it. Per device, a ping no newer than the last one processed
  (a replay, a duplicate, a late arrival) changes nothing: the ingestion stored it, the engine
  ignores it.
* The geometry is vectorised over the whole batch: zone membership for every (offender-device
  fix, zone of his set) pair, and the distance for every (fix, linked counterpart) pair, using the
  counterpart's latest fix before this one in the batch or, failing that, in memory. Each pair
  yields an event: 2 = in the condition, 1 = in the hysteresis band, 0 = clearly out.
* The state machine then runs in Python only for the subjects that have an event 2 in the batch
  or are already open — rare, since almost every ping is far from everything. So a batch decides
  exactly what processing its pings one by one in device-time order would decide (the tests prove
  it with Hypothesis), at the cost of a few numpy passes.

Hysteresis: a condition is raised once, on the first fix inside (zone) or closer than the pair's
distance (proximity), and clears only after ``clear_seconds`` continuously beyond the outer limit
(``clear_factor`` × the distance; zones grown by the same factor of their size, at least 50 m).
A fix whose reported accuracy is worse than ``max_accuracy_m`` is no fix at all: it neither raises,
nor counts towards a clear, nor serves as a counterpart position. A fix with no accuracy reported
is used (many devices never report one; refusing them would silence the bracelet).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qorgau.monitoring.geometry import ZoneIndex, distance_m

OFFENDER_KINDS = ("bracelet", "offender_phone")

# Event levels of the state machine.
_OUT, _BAND, _IN = 0, 1, 2

# Subject families; the order also orders the decisions one ping produces.
_ZONE, _PROXIMITY, _TAMPER, _LOW_BATTERY, _SEPARATION = "zone", "proximity", "tamper", "low_battery", "separation"
_FLAG_KINDS = (_TAMPER, _LOW_BATTERY, _SEPARATION)
_KIND_RANK = {_ZONE: 0, _PROXIMITY: 1, _TAMPER: 2, _LOW_BATTERY: 3, _SEPARATION: 4}


@dataclass(frozen=True)
class EngineConfig:
    proximity_m: float = 500.0  # used when a pair carries no distance of its own
    clear_factor: float = 1.25
    clear_seconds: float = 120.0
    max_accuracy_m: float = 250.0
    stale_seconds: float = 300.0
    battery_low: float = 15.0
    battery_clear: float = 25.0

    @classmethod
    def from_settings(cls) -> EngineConfig:
        from django.conf import settings

        m: dict[str, Any] = settings.QORGAU_MONITORING
        return cls(
            proximity_m=float(m["PROXIMITY_M"]),
            clear_factor=float(m["CLEAR_FACTOR"]),
            clear_seconds=float(m["CLEAR_SECONDS"]),
            max_accuracy_m=float(m["MAX_ACCURACY_M"]),
            stale_seconds=float(m["STALE_SECONDS"]),
            battery_low=float(m["BATTERY_LOW"]),
            battery_clear=float(m["BATTERY_CLEAR"]),
        )


@dataclass
class PingArrays:
    """A batch of decoded pings as equal-length arrays (see ``of`` for the dtypes and defaults)."""

    device: NDArray[np.int64]
    seq: NDArray[np.int64]
    ts: NDArray[np.float64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    accuracy: NDArray[np.float32]
    battery: NDArray[np.float32]
    strap_ok: NDArray[np.int8]
    phone_ok: NDArray[np.int8]

    def __len__(self) -> int:
        return len(self.device)

    @classmethod
    def of(
        cls,
        device: Any,
        seq: Any,
        ts: Any,
        lat: Any,
        lon: Any,
        accuracy: Any = None,
        battery: Any = None,
        strap_ok: Any = None,
        phone_ok: Any = None,
    ) -> PingArrays:
        """Coerce to the engine's dtypes; a missing column means unknown for every ping."""
        dev = np.asarray(device, dtype=np.int64)
        n = len(dev)

        def col(values: Any, dtype: Any, unknown: float) -> Any:
            if values is None:
                return np.full(n, unknown, dtype=dtype)
            return np.asarray(values, dtype=dtype)

        return cls(
            device=dev,
            seq=np.asarray(seq, dtype=np.int64),
            ts=np.asarray(ts, dtype=np.float64),
            lat=np.asarray(lat, dtype=np.float64),
            lon=np.asarray(lon, dtype=np.float64),
            accuracy=col(accuracy, np.float32, np.nan),
            battery=col(battery, np.float32, np.nan),
            strap_ok=col(strap_ok, np.int8, -1),
            phone_ok=col(phone_ok, np.int8, -1),
        )

    def take(self, index: Any) -> PingArrays:
        return PingArrays(
            self.device[index], self.seq[index], self.ts[index], self.lat[index], self.lon[index],
            self.accuracy[index], self.battery[index], self.strap_ok[index], self.phone_ok[index],
        )  # fmt: skip


@dataclass(frozen=True)
class DeviceInfo:
    pk: int
    kind: str  # "bracelet" | "offender_phone" | "victim"
    offender_set: int


@dataclass(frozen=True)
class PairInfo:
    offender_device: int
    victim_device: int
    proximity_m: float


@dataclass(frozen=True)
class ZoneInfo:
    pk: int
    offender_set: int
    shape: str  # "circle" | "polygon"
    geometry: dict[str, Any]


@dataclass
class Topology:
    devices: dict[int, DeviceInfo] = field(default_factory=dict)
    pairs: list[PairInfo] = field(default_factory=list)
    zones: list[ZoneInfo] = field(default_factory=list)


@dataclass(frozen=True)
class Fix:
    device: int
    ts: float
    lat: float
    lon: float
    seq: int


@dataclass(frozen=True)
class Decision:
    """A condition raised or cleared by one ping. For proximity, ``device`` is the offender's
    device and ``counterpart`` the victim's whichever of the two pinged; ``ts`` and ``seq`` are the
    deciding ping's."""

    action: str  # "raise" | "clear"
    kind: str  # ConditionKind value
    subject: str
    device: int
    counterpart: int | None
    zone: int | None
    ts: float
    seq: int
    distance_m: float | None


def subject_of(kind: str, device: int, other: int | None = None) -> str:
    """The episode subject string (``other`` is the zone or the victim's device)."""
    return f"{kind}:{device}" if other is None else f"{kind}:{device}:{other}"


_EMPTY_I = np.zeros(0, dtype=np.int64)


def _csr(keys: NDArray[np.int64], values: NDArray[np.int64], size: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Group ``values`` by ``keys`` in 0..size-1: (start offsets of length size+1, values sorted by key)."""
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=size) if len(keys) else np.zeros(size, dtype=np.int64)
    start = np.zeros(size + 1, dtype=np.int64)
    np.cumsum(counts, out=start[1:])
    return start, values[order].astype(np.int64)


def _expand(start: NDArray[np.int64], items: NDArray[np.int64], keys: NDArray[np.int64]) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """For each position i of ``keys``, every item of its CSR row: (i repeated, item)."""
    counts = start[keys + 1] - start[keys]
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.intp), _EMPTY_I
    rep = np.repeat(np.arange(len(keys)), counts)
    row_first = np.cumsum(counts) - counts
    offset = np.arange(total) - row_first[rep]
    return rep, items[start[keys][rep] + offset]


class Engine:
    """Condition state of a set of devices, kept in memory between batches (see the module doc)."""

    def __init__(self, config: EngineConfig, topology: Topology) -> None:
        self.config = config
        self._pks = _EMPTY_I
        self._last_ts = np.zeros(0)
        self._last_seq = _EMPTY_I
        self._fix_ts = np.zeros(0)
        self._fix_lat = np.zeros(0)
        self._fix_lon = np.zeros(0)
        self._fix_seq = _EMPTY_I
        # Open subjects in index space: code -> the device time since which the subject has been
        # continuously clear (nan while it is not).
        self._open: dict[str, dict[int, float]] = {k: {} for k in _KIND_RANK}
        self._zone_pks = _EMPTY_I
        self._pair_list: list[tuple[int, int]] = []
        self.set_topology(topology)

    # --- topology ------------------------------------------------------------------------------

    def set_topology(self, topology: Topology) -> None:
        """Install a new topology, keeping the state of every device, pair and zone still in it."""
        kept_open = self._open_keys()
        old_pks = self._pks
        old = (self._last_ts, self._last_seq, self._fix_ts, self._fix_lat, self._fix_lon, self._fix_seq)

        self.topology = topology
        pks = np.array(sorted(topology.devices), dtype=np.int64)
        n = len(pks)
        self._pks = pks
        self._kind = [topology.devices[int(p)].kind for p in pks]
        # pk -> dense index through a table when pks are compact enough, else binary search.
        max_pk = int(pks.max()) if n else -1
        self._table: NDArray[np.int64] | None = None
        if max_pk < 4 * n + 1_000_000:
            table = np.full(max_pk + 2, -1, dtype=np.int64)
            table[pks] = np.arange(n)
            self._table = table

        self._last_ts = np.full(n, -np.inf)
        self._last_seq = np.full(n, -1, dtype=np.int64)
        self._fix_ts = np.full(n, np.nan)
        self._fix_lat = np.full(n, np.nan)
        self._fix_lon = np.full(n, np.nan)
        self._fix_seq = np.full(n, -1, dtype=np.int64)
        if len(old_pks) and n:
            pos = np.searchsorted(pks, old_pks)
            pos_c = np.minimum(pos, n - 1)
            hit = pks[pos_c] == old_pks
            src, dst = np.flatnonzero(hit), pos_c[hit]
            for new_arr, old_arr in zip(
                (self._last_ts, self._last_seq, self._fix_ts, self._fix_lat, self._fix_lon, self._fix_seq), old, strict=True
            ):
                new_arr[dst] = old_arr[src]

        is_offender = np.array([k in OFFENDER_KINDS for k in self._kind], dtype=bool)
        self._is_offender = is_offender

        # Zones: those of each offender device's own set, as CSR rows by device index.
        zones = list(topology.zones)
        self._zone_pks = np.array([z.pk for z in zones], dtype=np.int64)
        self._zones = ZoneIndex([(z.shape, z.geometry) for z in zones], self.config.clear_factor)
        by_set: dict[int, list[int]] = {}
        for zi, z in enumerate(zones):
            by_set.setdefault(z.offender_set, []).append(zi)
        zkeys: list[int] = []
        zvals: list[int] = []
        for di, p in enumerate(pks):
            if is_offender[di]:
                for zi in by_set.get(topology.devices[int(p)].offender_set, ()):
                    zkeys.append(di)
                    zvals.append(zi)
        self._zone_start, self._zone_items = _csr(np.array(zkeys, dtype=np.int64), np.array(zvals, dtype=np.int64), n)
        self._has_zone = (self._zone_start[1:] - self._zone_start[:-1]) > 0

        # Pairs: one per (offender device, victim device); the strictest distance wins if two
        # cases pair the same devices.
        dist: dict[tuple[int, int], float] = {}
        for pr in topology.pairs:
            if pr.offender_device in topology.devices and pr.victim_device in topology.devices:
                key = (pr.offender_device, pr.victim_device)
                d = float(pr.proximity_m) if pr.proximity_m else self.config.proximity_m
                dist[key] = max(d, dist.get(key, 0.0))
        pair_keys = sorted(dist)
        self._pair_list = pair_keys
        self._pair_index = {k: i for i, k in enumerate(pair_keys)}
        self._pair_off = self._index(np.array([k[0] for k in pair_keys], dtype=np.int64))
        self._pair_vic = self._index(np.array([k[1] for k in pair_keys], dtype=np.int64))
        self._pair_near = np.array([dist[k] for k in pair_keys], dtype=np.float64)
        self._pair_far = self._pair_near * self.config.clear_factor
        npairs = len(pair_keys)
        both = np.concatenate((self._pair_off, self._pair_vic))
        pidx = np.concatenate((np.arange(npairs), np.arange(npairs))).astype(np.int64)
        self._pair_start, self._pair_items = _csr(both, pidx, n)
        self._has_pair = (self._pair_start[1:] - self._pair_start[:-1]) > 0

        self._open = {k: {} for k in _KIND_RANK}
        for key, since in kept_open:
            self._open_set(key, since)

    def _index(self, device_pks: NDArray[np.int64]) -> NDArray[np.int64]:
        """Dense indices of device pks; -1 for a device not in the topology."""
        n = len(self._pks)
        if not n or not len(device_pks):
            return np.full(len(device_pks), -1, dtype=np.int64)
        if self._table is not None:
            safe = np.clip(device_pks, 0, len(self._table) - 1)
            idx = self._table[safe]
            return np.where((device_pks >= 0) & (device_pks < len(self._table)), idx, -1)
        pos = np.minimum(np.searchsorted(self._pks, device_pks), n - 1)
        return np.where(self._pks[pos] == device_pks, pos, -1)

    # --- open subjects in pk space (restore, topology changes) -----------------------------------

    def _open_keys(self) -> list[tuple[tuple[Any, ...], float]]:
        keys: list[tuple[tuple[Any, ...], float]] = []
        nz = max(len(self._zone_pks), 1)
        pair_keys = self._pair_list
        for kind, codes in self._open.items():
            for code, since in codes.items():
                if kind == _ZONE:
                    keys.append(((kind, int(self._pks[code // nz]), int(self._zone_pks[code % nz])), since))
                elif kind == _PROXIMITY:
                    keys.append(((kind, *pair_keys[code]), since))
                else:
                    keys.append(((kind, int(self._pks[code])), since))
        return keys

    def _open_set(self, key: tuple[Any, ...], since: float) -> bool:
        kind = key[0]
        if kind == _ZONE:
            dev = self._index(np.array([key[1]], dtype=np.int64))[0]
            zhit = np.flatnonzero(self._zone_pks == key[2])
            if dev < 0 or not len(zhit):
                return False
            self._open[kind][int(dev) * max(len(self._zone_pks), 1) + int(zhit[0])] = since
        elif kind == _PROXIMITY:
            k = self._pair_index.get((key[1], key[2]))
            if k is None:
                return False
            self._open[kind][k] = since
        elif kind in _FLAG_KINDS:
            dev = self._index(np.array([key[1]], dtype=np.int64))[0]
            if dev < 0:
                return False
            self._open[kind][int(dev)] = since
        else:
            return False
        return True

    def open_subjects(self) -> list[str]:
        return sorted(subject_of(*key) for key, _ in self._open_keys())

    def restore(self, open_subjects: Iterable[str], fixes: Iterable[Fix]) -> None:
        """Resume from the database: the subjects of open episodes (no_signal ones and those
        outside this topology are ignored) and each device's last known position."""
        for subject in open_subjects:
            parts = subject.split(":")
            try:
                key = (parts[0], *(int(p) for p in parts[1:]))
            except ValueError:
                continue
            self._open_set(key, math.nan)
        for fx in fixes:
            i = int(self._index(np.array([fx.device], dtype=np.int64))[0])
            if i < 0:
                continue
            if fx.ts > self._last_ts[i]:
                self._last_ts[i], self._last_seq[i] = fx.ts, fx.seq
            if not fx.ts <= self._fix_ts[i]:  # also when no fix is held yet (nan)
                self._fix_ts[i], self._fix_lat[i], self._fix_lon[i], self._fix_seq[i] = fx.ts, fx.lat, fx.lon, fx.seq

    def last_fix(self, device: int) -> Fix | None:
        i = int(self._index(np.array([device], dtype=np.int64))[0])
        if i < 0 or math.isnan(self._fix_ts[i]):
            return None
        return Fix(device, float(self._fix_ts[i]), float(self._fix_lat[i]), float(self._fix_lon[i]), int(self._fix_seq[i]))

    # --- processing ---------------------------------------------------------------------------------

    def process(self, batch: PingArrays) -> list[Decision]:
        if not len(batch):
            return []
        cfg = self.config
        dev_all = self._index(batch.device)
        order = np.argsort(batch.ts, kind="stable")
        order = order[dev_all[order] >= 0]
        if not len(order):
            return []
        dev = dev_all[order]
        ts = batch.ts[order]
        seq = batch.seq[order]

        # Per device, only pings newer than everything processed before count. Grouping by device
        # keeps each group in device-time order, so "newer" is "newer than the previous in the
        # group and than the last one in memory".
        grp = np.argsort(dev, kind="stable")
        dg, tg, sg = dev[grp], ts[grp], seq[grp]
        prev = np.empty_like(tg)
        prev[0] = -np.inf
        prev[1:] = tg[:-1]
        first = np.ones(len(dg), dtype=bool)
        first[1:] = dg[1:] != dg[:-1]
        prev[first] = -np.inf
        ok_g = (tg > np.maximum(prev, self._last_ts[dg])) & (sg != self._last_seq[dg])
        accepted = np.zeros(len(dg), dtype=bool)
        accepted[grp] = ok_g
        if not accepted.any():
            return []
        # Remember the newest accepted ping of each device (the last of its group).
        acc_last = np.flatnonzero(ok_g)
        da = dg[acc_last]
        keep = np.ones(len(da), dtype=bool)
        keep[:-1] = da[1:] != da[:-1]
        sel = acc_last[keep]
        self._last_ts[dg[sel]] = tg[sel]
        self._last_seq[dg[sel]] = sg[sel]

        take = order[accepted]
        p = batch.take(take)
        a_dev = dev[accepted]
        n = len(take)
        # The accepted pings (rows of ``p``) grouped by device, each group in device-time order:
        # what the counterpart search and the last-fix update need, without sorting again.
        row_of = np.cumsum(accepted) - 1
        by_device = row_of[grp[ok_g]]
        out: list[tuple[int, int, Decision]] = []  # (ping row, kind rank, decision)

        # A usable fix: a position, with an accuracy no worse than the limit (or none reported).
        acc = p.accuracy
        usable = np.isfinite(p.lat) & np.isfinite(p.lon) & ~(acc > cfg.max_accuracy_m)

        # --- zones
        zsel = np.flatnonzero(usable & self._has_zone[a_dev])
        if len(zsel):
            rep, zone = _expand(self._zone_start, self._zone_items, a_dev[zsel])
            ev_i = zsel[rep]
            level = self._zones.classify(zone, p.lat[ev_i], p.lon[ev_i])
            nz = max(len(self._zone_pks), 1)
            codes = a_dev[ev_i] * nz + zone
            for code, i, action, _row in self._machine(_ZONE, codes, level, ev_i, p.ts, cfg.clear_seconds):
                d_pk = int(self._pks[code // nz])
                z_pk = int(self._zone_pks[code % nz])
                decision = Decision(action, _ZONE, subject_of(_ZONE, d_pk, z_pk), d_pk, None, z_pk, float(p.ts[i]), int(p.seq[i]), None)
                out.append((i, _KIND_RANK[_ZONE], decision))

        # --- proximity: each fix against the latest earlier fix of every linked counterpart
        fsel = np.flatnonzero(usable & self._has_pair[a_dev])
        if len(fsel):
            f_dev = a_dev[fsel]
            rep, k = _expand(self._pair_start, self._pair_items, f_dev)
            ev_i = fsel[rep]
            me = f_dev[rep]
            other = np.where(self._pair_off[k] == me, self._pair_vic[k], self._pair_off[k])
            # The counterpart's latest fix earlier in this batch: search (device, row) keys, which
            # are sorted in the device-grouped order.
            fixes = by_device[usable[by_device] & self._has_pair[a_dev[by_device]]]
            keys = a_dev[fixes] * (n + 1) + fixes
            j = np.searchsorted(keys, other * (n + 1) + ev_i) - 1
            src = fixes[np.maximum(j, 0)]
            in_batch = (j >= 0) & (a_dev[src] == other)
            c_ts = np.where(in_batch, p.ts[src], self._fix_ts[other])
            c_lat = np.where(in_batch, p.lat[src], self._fix_lat[other])
            c_lon = np.where(in_batch, p.lon[src], self._fix_lon[other])
            t = p.ts[ev_i]
            fresh = np.abs(t - c_ts) <= cfg.stale_seconds  # false for a counterpart never seen (nan)
            if not fresh.all():
                ev_i, k, c_lat, c_lon = ev_i[fresh], k[fresh], c_lat[fresh], c_lon[fresh]
            if len(ev_i):
                dist = distance_m(p.lat[ev_i], p.lon[ev_i], c_lat, c_lon)
                level = np.where(dist < self._pair_near[k], _IN, np.where(dist > self._pair_far[k], _OUT, _BAND)).astype(np.int8)
                for code, i, action, row in self._machine(_PROXIMITY, k, level, ev_i, p.ts, cfg.clear_seconds):
                    o_pk, v_pk = self._pair_list[code]
                    subject = subject_of(_PROXIMITY, o_pk, v_pk)
                    decision = Decision(action, _PROXIMITY, subject, o_pk, v_pk, None, float(p.ts[i]), int(p.seq[i]), float(dist[row]))
                    out.append((i, _KIND_RANK[_PROXIMITY], decision))
        # Remember each device's latest usable fix (after the lookups above used the old ones).
        self._remember_fixes(a_dev, by_device[usable[by_device]], p)

        # --- device flags: strap, battery, phone link
        for kind, level_all in (
            (_TAMPER, _flag_level(p.strap_ok)),
            (_LOW_BATTERY, _battery_level(p.battery, cfg.battery_low, cfg.battery_clear)),
            (_SEPARATION, _flag_level(p.phone_ok)),
        ):
            known = np.flatnonzero(level_all >= 0)
            if not len(known):
                continue
            for code, i, action, _row in self._machine(kind, a_dev[known], level_all[known], known, p.ts, 0.0):
                d_pk = int(self._pks[code])
                decision = Decision(action, kind, subject_of(kind, d_pk), d_pk, None, None, float(p.ts[i]), int(p.seq[i]), None)
                out.append((i, _KIND_RANK[kind], decision))
        out.sort(key=lambda r: (r[0], r[1], r[2].subject))
        return [r[2] for r in out]

    def _remember_fixes(self, a_dev: NDArray[np.int64], rows: NDArray[np.int64], p: PingArrays) -> None:
        """Keep each device's latest usable fix; ``rows`` are the usable rows grouped by device in
        device-time order, so a device's latest is the last of its run."""
        if not len(rows):
            return
        d = a_dev[rows]
        last = np.ones(len(d), dtype=bool)
        last[:-1] = d[1:] != d[:-1]
        sel = rows[last]
        dd = d[last]
        self._fix_ts[dd] = p.ts[sel]
        self._fix_lat[dd] = p.lat[sel]
        self._fix_lon[dd] = p.lon[sel]
        self._fix_seq[dd] = p.seq[sel]

    def _machine(
        self,
        kind: str,
        codes: NDArray[np.int64],
        level: NDArray[np.int8],
        ping: NDArray[Any],
        ts: NDArray[np.float64],
        clear_seconds: float,
    ) -> list[tuple[int, int, str, int]]:
        """Run the raise/clear machine over each subject's events in batch order and return
        (code, ping row, action, event row) per transition. Only subjects with an event inside, or
        already open, can change, so only they reach Python."""
        opened = self._open[kind]
        cand = codes[level == _IN]
        if opened:
            cand = np.concatenate((cand, np.fromiter(opened, dtype=np.int64, count=len(opened))))
        if not len(cand):
            return []
        rows = np.flatnonzero(np.isin(codes, cand))
        if not len(rows):
            return []
        rows = rows[np.lexsort((ping[rows], codes[rows]))]
        hits: list[tuple[int, int, str, int]] = []
        c_l = codes[rows].tolist()
        lv_l = level[rows].tolist()
        i_l = ping[rows].tolist()
        t_l = ts[ping[rows]].tolist()
        r_l = rows.tolist()
        for code, lv, i, t, r in zip(c_l, lv_l, i_l, t_l, r_l, strict=True):
            since = opened.get(code)
            if since is None:
                if lv == _IN:
                    opened[code] = math.nan
                    hits.append((code, i, "raise", r))
            elif lv == _OUT:
                if math.isnan(since):
                    opened[code] = since = t
                if t - since >= clear_seconds:
                    del opened[code]
                    hits.append((code, i, "clear", r))
            elif not math.isnan(since):
                opened[code] = math.nan
        return hits


def _flag_level(values: NDArray[np.int8]) -> NDArray[np.int8]:
    """0 (sensor says not ok) raises, 1 clears, -1 unknown is no event."""
    return np.where(values == 0, _IN, np.where(values == 1, _OUT, -1)).astype(np.int8)


def _battery_level(battery: NDArray[np.float32], low: float, clear: float) -> NDArray[np.int8]:
    return np.where(battery < low, _IN, np.where(battery >= clear, _OUT, np.where(np.isnan(battery), -1, _BAND))).astype(np.int8)


__all__: Sequence[str] = [
    "Decision", "DeviceInfo", "Engine", "EngineConfig", "Fix", "PairInfo", "PingArrays", "Topology", "ZoneInfo", "subject_of",
]  # fmt: skip
