"""What one shard's engine needs from the database: who is linked to whom (devices, pairs, zones),
which conditions are open, and each device's last known position — so a restarted process carries
on without losing or repeating an alert."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Min, OuterRef, Subquery, Sum

from qorgau.monitoring.engine import DeviceInfo, Fix, PairInfo, Topology, ZoneInfo
from qorgau.monitoring.models import Assignment, Device, DeviceKind, Episode, Ping, Wearer, Zone

log = logging.getLogger(__name__)

OFFENDER_KINDS = frozenset({DeviceKind.BRACELET.value, DeviceKind.OFFENDER_PHONE.value})


@dataclass
class ShardState:
    topology: Topology
    serials: dict[str, int] = field(default_factory=dict)  # serial → Device.pk, every device of the shard
    victims: frozenset[int] = frozenset()  # victim devices: positions go to the encrypted column
    owned: frozenset[int] = frozenset()  # devices whose technical conditions this shard raises
    open_subjects: list[str] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    stamp: tuple[Any, ...] = ()


def shard_stamp(shard: int) -> tuple[Any, ...]:
    """Changes whenever an assignment or zone of the shard starts, ends or is edited: two aggregate
    queries on indexed columns, cheap enough to run every few seconds."""
    a = Assignment.objects.filter(offender_set__shard=shard).aggregate(
        n=Count("id"), started=Max("started_at"), ended=Max("ended_at"), versions=Sum("version"), last=Max("id")
    )
    z = Zone.objects.filter(offender_set__shard=shard).aggregate(
        n=Count("id"), created=Max("created_at"), ended=Max("ended_at"), versions=Sum("version"), last=Max("id")
    )
    return (a["n"], a["started"], a["ended"], a["versions"], a["last"], z["n"], z["created"], z["ended"], z["versions"], z["last"])


def topology_load(shard: int) -> tuple[Topology, dict[str, int], frozenset[int], frozenset[int]]:
    rows = list(
        Assignment.objects.filter(offender_set__shard=shard, ended_at__isnull=True)
        .order_by("offender_set_id", "started_at", "pk")
        .values_list("device_id", "device__serial", "device__kind", "offender_set_id", "wearer", "case_id", "proximity_m")
    )
    devices: dict[int, DeviceInfo] = {}
    serials: dict[str, int] = {}
    offenders: dict[int, list[tuple[int, str]]] = {}  # set → [(device, kind)]
    victims: dict[int, dict[int, int]] = {}  # set → {victim device: proximity_m}
    for device_id, serial, kind, set_id, wearer, _case_id, proximity_m in rows:
        serials[serial] = device_id
        # A victim's device linked to two offenders of this shard appears in both sets; DeviceInfo names
        # the first, which is harmless: zones apply to offender devices only, and pairs name both.
        devices.setdefault(device_id, DeviceInfo(pk=device_id, kind=kind, offender_set=set_id))
        if wearer == Wearer.VICTIM:
            current = victims.setdefault(set_id, {}).get(device_id)
            # Two of her cases against him with different distances: the larger one is the order's intent.
            victims[set_id][device_id] = max(proximity_m, current or 0)
        elif kind in OFFENDER_KINDS:
            offenders.setdefault(set_id, [])
            if (device_id, kind) not in offenders[set_id]:
                offenders[set_id].append((device_id, kind))
    pairs: list[PairInfo] = []
    for set_id, his in offenders.items():
        # Proximity is measured from the bracelet: his phone as well would raise each approach twice.
        # A set with only a phone is measured from the phone.
        bracelets = [d for d, k in his if k == DeviceKind.BRACELET]
        sources = bracelets or [d for d, _k in his]
        for victim_device, proximity_m in victims.get(set_id, {}).items():
            pairs.extend(PairInfo(offender_device=d, victim_device=victim_device, proximity_m=float(proximity_m)) for d in sources)
    zones = []
    for pk, set_id, shape, geometry in Zone.objects.filter(offender_set__shard=shard, ended_at__isnull=True).values_list(
        "pk", "offender_set_id", "shape", "geometry"
    ):
        try:
            zones.append(ZoneInfo(pk=pk, offender_set=set_id, shape=shape, geometry=json.loads(geometry)))
        except ValueError:
            log.error("monitoring: zone %s has unreadable geometry; it is not watched", pk)
    victim_pks = frozenset(pk for pk, info in devices.items() if info.kind == DeviceKind.VICTIM)
    # A device's technical conditions (battery, tamper) belong to its earliest offender set, wherever
    # that set's shard is: her device linked to two offenders must not raise "battery low" twice.
    first_set = dict(
        Assignment.objects.filter(ended_at__isnull=True, device_id__in=victim_pks)
        .values("device_id").annotate(first=Min("offender_set_id")).values_list("device_id", "first")
    )
    shard_sets = {row[3] for row in rows}
    owned = frozenset(pk for pk in devices if pk not in victim_pks or first_set.get(pk) in shard_sets)
    for pk in victim_pks:
        if first_set.get(pk) in shard_sets:
            devices[pk] = DeviceInfo(pk=pk, kind=devices[pk].kind, offender_set=first_set[pk])
    return Topology(devices=devices, pairs=pairs, zones=zones), serials, victim_pks, owned


def open_subjects_load(shard: int) -> list[str]:
    return list(Episode.objects.filter(offender_set__shard=shard, ended_at__isnull=True).values_list("subject", flat=True))


def _position(ping: Ping) -> tuple[float, float] | None:
    if ping.lat is not None and ping.lon is not None:
        return ping.lat, ping.lon
    try:
        lat, lon = ping.position.split(",")
        return float(lat), float(lon)
    except ValueError:
        return None


def fixes_load(device_ids: list[int]) -> list[Fix]:
    """Each device's latest ping by device time: one query through the (device, ts) index."""
    if not device_ids:
        return []
    latest = Ping.objects.filter(device_id=OuterRef("pk")).order_by("-ts", "-seq").values("pk")[:1]
    pks = [pk for pk in Device.objects.filter(pk__in=device_ids).annotate(last=Subquery(latest)).values_list("last", flat=True) if pk]
    fixes = []
    for ping in Ping.objects.filter(pk__in=pks):
        where = _position(ping)
        if where is not None:
            fixes.append(Fix(device=ping.device_id, ts=ping.ts.timestamp(), lat=where[0], lon=where[1], seq=ping.seq))
    return fixes


def shard_state_load(shard: int) -> ShardState:
    stamp = shard_stamp(shard)
    topology, serials, victims, owned = topology_load(shard)
    return ShardState(
        topology=topology, serials=serials, victims=victims, owned=owned, open_subjects=open_subjects_load(shard),
        fixes=fixes_load(sorted(topology.devices)), stamp=stamp,
    )


def epoch_to_datetime(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC)
