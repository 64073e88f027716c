"""Raw pings are kept for ``PING_RETENTION_DAYS`` (DESIGN §7); episodes and alerts are kept for good,
so pruning never touches them (an episode names devices and times, not pings)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction

from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction
from qorgau.monitoring.models import Ping

CHUNK = 5_000


def pings_prune(now: dt.datetime | None = None, *, chunk: int = CHUNK) -> int:
    """Delete the pings received before ``now`` − PING_RETENTION_DAYS, a chunk per transaction so a
    long backlog never holds a lock on the table for long. Returns how many were deleted."""
    conf: Mapping[str, Any] = settings.QORGAU_MONITORING
    days = int(conf["PING_RETENTION_DAYS"])
    cutoff = (now or clock.now()) - dt.timedelta(days=days)
    total = 0
    while True:
        with transaction.atomic():
            ids = list(Ping.objects.filter(received_at__lt=cutoff).order_by("received_at", "pk").values_list("pk", flat=True)[:chunk])
            if not ids:
                break
            deleted, _ = Ping.objects.filter(pk__in=ids).delete()
            audit_record(actor=None, action=AuditAction.WRITE, target_type="monitoring_ping_prune", count=deleted)
        total += deleted
        if len(ids) < chunk:
            break
    return total
