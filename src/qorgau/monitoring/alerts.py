"""Alerts (DESIGN §7): raised by ingestion inside its transaction, one per episode, then
acknowledged, dispatched and resolved by the monitoring centre's operator; escalated by the sweep
when nobody acknowledges them; the sweep also raises "no signal" for silent devices.

Proximity and zone alerts are critical: the protocol trigger ``monitoring_alert`` gives the police
their task at once, and her device (where it can receive) is told to keep her distance — never a
position in that message. Technical alerts (battery, tamper, separation, no signal) go to the
operator first. Every step is timed (``*_at``/``*_by``) and audited in its transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from qorgau.accounts.models import NotificationKind, User
from qorgau.accounts.recipients import unit_staff
from qorgau.accounts.roles import Capability
from qorgau.accounts.services import notify
from qorgau.cases.access import grants_in_force
from qorgau.cases.ledger import event_add
from qorgau.cases.models import Case, EventKind
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.monitoring import permissions
from qorgau.monitoring.models import (
    Alert,
    AlertOutcome,
    AlertStatus,
    Assignment,
    ConditionKind,
    Device,
    DeviceKind,
    Episode,
    Ping,
    Severity,
    Wearer,
)
from qorgau.orders.models import Breach, BreachSource, Order

log = logging.getLogger(__name__)

CRITICAL_KINDS = frozenset({ConditionKind.ZONE, ConditionKind.PROXIMITY})
NOTE_MAX = 4000
ALERT_TARGET = "monitoring_alert"


def _assignment_for(episode: Episode) -> Assignment | None:
    """The assignment whose case the alert concerns: the zone's case, the victim device's, or the
    offender device's earliest active one. An assignment ended while ingestion still held the old
    topology (a few seconds) still names its case: an alert is never lost for that."""
    in_set = Assignment.objects.filter(offender_set_id=episode.offender_set_id)
    if episode.zone_id is not None:
        rule = in_set.filter(case_id=episode.zone.case_id)  # type: ignore[union-attr]
    elif episode.counterpart_id is not None:
        rule = in_set.filter(device_id=episode.counterpart_id, wearer=Wearer.VICTIM)
    else:
        rule = in_set.filter(device_id=episode.device_id)
    return (rule.filter(ended_at__isnull=True).order_by("started_at", "pk").first()
            or rule.order_by("-started_at", "-pk").first()
            or in_set.order_by("-started_at", "-pk").first())


def _victim_devices(alert: Alert, episode: Episode) -> list[Device]:
    """Her device(s) to warn: the counterpart of a proximity alert, her devices on the zone's case."""
    if alert.severity != Severity.CRITICAL:
        return []
    if episode.counterpart_id is not None:
        ids: list[int] = [episode.counterpart_id]
    else:
        ids = list(Assignment.objects.filter(case_id=int(alert.case_id or 0), wearer=Wearer.VICTIM, ended_at__isnull=True)
                   .values_list("device_id", flat=True))
    return list(Device.objects.filter(pk__in=ids, kind=DeviceKind.VICTIM, can_receive=True).order_by("pk"))


# --- telling her device --------------------------------------------------------------------------------


def broker_configured() -> bool:
    """A broker is configured when the service account has a password: set in the environment, or
    written beside the demo broker's configuration (``qorgau mqtt-config``)."""
    from qorgau.monitoring.broker import SERVICE_SECRET_FILE, mqtt_dir

    return bool(settings.QORGAU_MONITORING["MQTT_PASSWORD"]) or (mqtt_dir() / SERVICE_SECRET_FILE).exists()


def alert_payload(alert: Alert) -> bytes:
    """What her device shows: which alert, of what kind, and to keep her distance — no positions."""
    return json.dumps({"alert": alert.pk, "kind": alert.kind, "severity": alert.severity, "action": "keep_distance"}).encode()


def _publish(messages: list[tuple[str, bytes | str]]) -> None:
    from qorgau.monitoring import mqtt

    try:
        endpoint = mqtt.Endpoint.from_settings()
        client = mqtt.client_create(endpoint)
        mqtt.connect_wait(client, endpoint, timeout=5.0)
        try:
            mqtt.publish_all(client, messages, timeout=5.0)
        finally:
            mqtt.disconnect(client)
    except Exception as exc:  # the alert is stored: a lost warning to her device is logged, never raised
        log.warning("monitoring: could not publish %d alert message(s) to victim devices: %s", len(messages), type(exc).__name__)


def victim_devices_tell(messages: list[tuple[str, bytes | str]]) -> None:
    """After commit: publish (QoS 1) off the ingestion thread, so a slow broker never delays the
    next batch. Skipped, with a log line, when no broker is configured."""
    if not messages:
        return
    if not broker_configured():
        log.debug("monitoring: no broker configured; %d alert message(s) to victim devices not sent", len(messages))
        return
    threading.Thread(target=_publish, args=(messages,), name="qorgau-alert-publish", daemon=True).start()


# --- raise ---------------------------------------------------------------------------------------------


def _operators(unit_id: int) -> list[User]:
    return unit_staff([unit_id], capability=Capability.MONITOR_DEVICES)


def alert_raise(*, episode: Episode, received_at: dt.datetime) -> Alert:
    """One alert per episode (idempotent through the one-to-one). Called inside the caller's
    transaction (ingestion's, or the sweep's)."""
    existing = Alert.objects.filter(episode=episode).first()
    if existing is not None:
        return existing
    assignment = _assignment_for(episode)
    if assignment is None:
        raise ValueError(f"episode {episode.pk} has no assignment")
    alert = Alert.objects.create(
        episode=episode, kind=episode.kind,
        severity=Severity.CRITICAL if episode.kind in CRITICAL_KINDS else Severity.TECHNICAL,
        offender_set_id=episode.offender_set_id, device_id=episode.device_id, case_id=assignment.case_id,
        unit_id=assignment.unit_id, occurred_at=episode.started_at, received_at=received_at, raised_at=clock.now(),
    )
    case = assignment.case
    event_add(case, EventKind.MONITORING, None)
    notify(recipients=_operators(alert.unit_id), kind=NotificationKind.MONITORING_ALERT, target_type=ALERT_TARGET, target_id=alert.pk)
    audit_record(actor=None, action=AuditAction.WRITE, target_type=ALERT_TARGET, target_id=alert.pk)
    if alert.severity == Severity.CRITICAL:
        from qorgau.protocols.engine import fire

        fire(trigger="monitoring_alert", case=case, actor=None, key=f"alert:{alert.pk}")
        messages: list[tuple[str, bytes | str]] = [(f"qorgau/dev/{d.serial}/alerts", alert_payload(alert)) for d in _victim_devices(alert, episode)]
        if messages:
            transaction.on_commit(lambda: victim_devices_tell(messages))
    return alert


# --- the operator's steps ------------------------------------------------------------------------------


def _gate(actor: User, alert: Alert) -> None:
    if not permissions.may_monitor(actor) or actor.unit_id != alert.unit_id:
        raise NotFound()


def _locked(alert: Alert, version: int | None) -> Alert:
    """The alert as stored now, locked; a request made on an older version is a conflict."""
    current = Alert.objects.select_for_update().get(pk=alert.pk)
    if version is None or current.version != version:
        raise Conflict()
    return current


def _note(name: str, value: str) -> str:
    if len(value) > NOTE_MAX:
        raise Invalid.field(name, _("This value is too long."))
    return value.strip()


def _step_done(actor: User, alert: Alert) -> Alert:
    if alert.case_id is not None:
        event_add(Case.objects.get(pk=alert.case_id), EventKind.MONITORING, actor)
    audit_record(actor=actor, action=AuditAction.WRITE, target_type=ALERT_TARGET, target_id=alert.pk)
    alert.refresh_from_db()
    return alert


@transaction.atomic
def alert_acknowledge(*, actor: User, alert: Alert, version: int | None) -> Alert:
    _gate(actor, alert)
    current = _locked(alert, version)
    if current.status != AlertStatus.OPEN:
        raise Invalid.field("__all__", _("This alert has already been acknowledged."))
    Alert.objects.filter(pk=alert.pk).update(status=AlertStatus.ACKNOWLEDGED, acknowledged_at=clock.now(), acknowledged_by=actor,
                                             version=F("version") + 1)
    return _step_done(actor, current)


@transaction.atomic
def alert_dispatch(*, actor: User, alert: Alert, version: int | None, note: str = "") -> Alert:
    """The police are sent (an unacknowledged alert is acknowledged by the same step)."""
    _gate(actor, alert)
    current = _locked(alert, version)
    if current.status not in (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED):
        raise Invalid.field("__all__", _("The police have already been dispatched or the alert is resolved."))
    now = clock.now()
    changes = {"status": AlertStatus.DISPATCHED, "dispatched_at": now, "dispatched_by": actor, "dispatch_note": _note("note", note)}
    if current.acknowledged_at is None:
        changes.update(acknowledged_at=now, acknowledged_by=actor)
    Alert.objects.filter(pk=alert.pk).update(version=F("version") + 1, **changes)
    return _step_done(actor, current)


def breach_text(alert: Alert) -> str:
    """The breach's description, from the alert's kind and times — never a position."""
    fmt = "%Y-%m-%d %H:%M:%S UTC"
    return _("Electronic monitoring: %(kind)s at %(at)s (alert %(pk)d, received %(received)s, resolved as a breach).") % {
        "kind": ConditionKind(alert.kind).label, "at": alert.occurred_at.astimezone(clock.UTC).strftime(fmt), "pk": alert.pk,
        "received": alert.received_at.astimezone(clock.UTC).strftime(fmt),
    }


def _order_of(alert: Alert) -> Order | None:
    """The order of the assignment the alert is about: its own, or its court decision's."""
    assignments = Assignment.objects.filter(offender_set_id=alert.offender_set_id, case_id=int(alert.case_id or 0)).select_related("order", "decision__order")
    for a in assignments.order_by("ended_at", "-started_at"):
        if a.order is not None:
            return a.order
        if a.decision is not None and a.decision.order is not None:
            return a.decision.order
    return None


def _breach(actor: User, order: Order, alert: Alert) -> Breach:
    """Through ``orders.services.breach_record``. The operator holds no grant on the case (the alert
    of their centre is their standing, checked by ``_gate``), hence ``authorised``."""
    from qorgau.orders import services as orders

    return orders.breach_record(actor=actor, order=order, occurred_at=alert.occurred_at, what=breach_text(alert),
                                source=BreachSource.MONITORING, authorised=True)


@transaction.atomic
def alert_resolve(*, actor: User, alert: Alert, version: int | None, outcome: str, note: str = "") -> Alert:
    """Close the alert with its outcome; "breach" records a breach on the order (when there is one:
    otherwise the alert is resolved and the note says why nothing was recorded)."""
    _gate(actor, alert)
    current = _locked(alert, version)
    if current.status == AlertStatus.RESOLVED:
        raise Invalid.field("__all__", _("This alert is already resolved."))
    if outcome not in AlertOutcome.values:
        raise Invalid.field("outcome", _("Choose one of the offered values."))
    text = _note("note", note)
    breach = None
    if outcome == AlertOutcome.BREACH:
        order = _order_of(current)
        if order is not None:
            breach = _breach(actor, order, current)
        else:
            missing = _("No protective order stands behind this assignment: the breach could not be recorded on an order.")
            text = f"{text}\n{missing}".strip()
    now = clock.now()
    changes = {"status": AlertStatus.RESOLVED, "resolved_at": now, "resolved_by": actor, "outcome": outcome,
               "resolution_note": text, "breach": breach}
    if current.acknowledged_at is None:
        changes.update(acknowledged_at=now, acknowledged_by=actor)
    Alert.objects.filter(pk=alert.pk).update(version=F("version") + 1, **changes)
    return _step_done(actor, current)


# --- the sweep -----------------------------------------------------------------------------------------


def _police_units(case_id: int | None) -> list[int]:
    if case_id is None:
        return []
    return list(grants_in_force().filter(case_id=int(case_id), unit__kind_id="police").values_list("unit_id", flat=True).distinct())


def alerts_escalate_due() -> int:
    """New alerts nobody acknowledged within ACK_MINUTES go one level up, then again every
    ACK_MINUTES: the monitoring centre's staff and the police units of the case are told. A
    conditional update makes two runs at the same moment escalate once."""
    now = clock.now()
    conf: dict[str, Any] = settings.QORGAU_MONITORING
    minutes = int(conf["ACK_MINUTES"])
    wait = timedelta(minutes=minutes)
    done = 0
    candidates = Alert.objects.filter(status=AlertStatus.OPEN, raised_at__lte=now - wait).order_by("raised_at", "pk")
    for alert in candidates.iterator():
        last = alert.escalated_at or alert.raised_at
        if last + wait > now:
            continue
        with transaction.atomic():
            moved = Alert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN, escalation_level=alert.escalation_level).update(
                escalation_level=F("escalation_level") + 1, escalated_at=now, version=F("version") + 1)
            if not moved:
                continue
            recipients = unit_staff([alert.unit_id])
            police = _police_units(alert.case_id)
            if police:
                recipients += unit_staff(police, capability=Capability.WORK_CASES)
            notify(recipients=recipients, kind=NotificationKind.MONITORING_ESCALATED, target_type=ALERT_TARGET, target_id=alert.pk)
            if alert.case_id is not None:
                event_add(Case.objects.get(pk=alert.case_id), EventKind.MONITORING, None)
            audit_record(actor=None, action=AuditAction.WRITE, target_type=ALERT_TARGET, target_id=alert.pk)
        done += 1
    return done


def episodes_silent_raise() -> int:
    """Devices on an active assignment with no ping received for NO_SIGNAL_MINUTES (or none since
    the assignment began that long ago) get one ``no_signal:<device>`` episode and its alert.
    Ingestion closes the episode when the device is heard again."""
    now = clock.now()
    conf: dict[str, Any] = settings.QORGAU_MONITORING
    minutes = int(conf["NO_SIGNAL_MINUTES"])
    cutoff = now - timedelta(minutes=minutes)
    heard = Ping.objects.filter(received_at__gte=cutoff).values("device_id")
    active = (Assignment.objects.filter(ended_at__isnull=True, started_at__lte=cutoff, device__status="assigned")
              .exclude(device_id__in=heard).order_by("device_id", "started_at", "pk"))
    raised = 0
    seen: set[int] = set()
    for a in active:
        if a.device_id in seen:
            continue
        seen.add(a.device_id)
        subject = f"{ConditionKind.NO_SIGNAL}:{a.device_id}"
        if Episode.objects.filter(subject=subject, ended_at__isnull=True).exists():
            continue
        try:
            with transaction.atomic():
                episode = Episode.objects.create(kind=ConditionKind.NO_SIGNAL, subject=subject, offender_set_id=a.offender_set_id,
                                                 device_id=a.device_id, started_at=now)
                alert_raise(episode=episode, received_at=now)
        except IntegrityError:
            continue  # ingestion or another sweep opened it meanwhile
        raised += 1
    return raised


def episodes_unalerted_raise() -> int:
    """An open episode whose alert ingestion failed to make (it logged the failure and kept the
    pings) gets its alert here, so a bug in one side effect never swallows an approach."""
    made = 0
    for episode in Episode.objects.filter(alert__isnull=True, ended_at__isnull=True).select_related("zone").order_by("pk")[:500]:
        try:
            with transaction.atomic():
                alert_raise(episode=episode, received_at=episode.started_at)
            made += 1
        except Exception:
            log.exception("monitoring: the alert of episode %s could not be made; the next sweep retries", episode.pk)
    return made
