"""The sweep's monitoring part: a silent device raises a no-signal alert, an episode whose alert
ingestion failed to make gets it, old raw pings are pruned; a second pass at the same moment does
nothing again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from qorgau.core import clock
from qorgau.monitoring.models import Alert, Assignment, ConditionKind, Episode, Ping
from qorgau.protocols.sweep import sweep

pytestmark = pytest.mark.django_db


def test_the_sweep_raises_late_and_silent_alerts_and_prunes_once(monitored):
    m = monitored
    now = clock.now()
    Assignment.objects.update(started_at=now - dt.timedelta(hours=2))  # worn for two hours
    retention = dt.timedelta(days=settings.QORGAU_MONITORING["PING_RETENTION_DAYS"])
    Ping.objects.create(device=m.bracelet, seq=1, ts=now - retention - dt.timedelta(days=1),
                        received_at=now - retention - dt.timedelta(days=1), lat=43.25, lon=76.9)
    Ping.objects.create(device=m.victim_device, seq=1, ts=now, received_at=now, position="43.2389,76.8897")
    # Ingestion stored this tamper episode but its alert failed (logged there): the sweep makes it.
    episode = Episode.objects.create(kind=ConditionKind.TAMPER, subject=f"tamper:{m.bracelet.pk}", offender_set=m.offender_set,
                                     device=m.bracelet, started_at=now)
    counts = sweep()
    assert counts["alerts_late"] == 1 and Alert.objects.get(episode=episode).kind == ConditionKind.TAMPER
    # The bracelet's only ping is older than the no-signal window: silent; her device pinged now.
    assert counts["devices_silent"] == 1
    silent = Alert.objects.get(kind=ConditionKind.NO_SIGNAL)
    assert silent.device_id == m.bracelet.pk and silent.case_id == m.case.pk
    assert counts["pings_pruned"] == 1 and list(Ping.objects.values_list("device_id", flat=True)) == [m.victim_device.pk]
    again = sweep()
    assert (again["alerts_late"], again["devices_silent"], again["pings_pruned"]) == (0, 0, 0)
    assert Alert.objects.count() == 2
