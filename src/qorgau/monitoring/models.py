"""Electronic monitoring (DESIGN §7): devices, their assignment to cases, zones, pings, condition
episodes, alerts, and the leases by which monitor processes own virtual shards.

A victim's whereabouts are personal data: her device's positions and the zones around her places
are encrypted at rest (``EncryptedTextField``); an offender's positions are plain columns, because
they are what a court export shows and the engine reads back on restart.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qorgau.core.fields import EncryptedTextField


class DeviceKind(models.TextChoices):
    BRACELET = "bracelet", _("Offender's bracelet")
    OFFENDER_PHONE = "offender_phone", _("Offender's phone")
    VICTIM = "victim", _("Victim's device")


class DeviceStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    ASSIGNED = "assigned", _("Assigned")
    RETIRED = "retired", _("Retired")


class Device(models.Model):
    serial = models.CharField(_("serial number"), max_length=32, unique=True)
    kind = models.CharField(_("kind of device"), max_length=16, choices=DeviceKind.choices)
    status = models.CharField(max_length=10, choices=DeviceStatus.choices, default=DeviceStatus.IN_STOCK)
    # A victim's device that can show and sound an alert; a bracelet that reports whether his phone is near.
    can_receive = models.BooleanField(_("can receive alerts"), default=False)
    reports_phone_link = models.BooleanField(_("reports separation from his phone"), default=False)
    # Its MQTT password in the broker's own hash format (mosquitto_passwd, PBKDF2-SHA512); empty until issued.
    secret_digest = models.CharField(max_length=255, blank=True, default="")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")  # the monitoring centre holding it
    registered_at = models.DateTimeField()
    registered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["serial"]

    def __str__(self) -> str:
        return self.serial


class OffenderSet(models.Model):
    """One offender's devices and the devices of the victims linked to him: the unit of sharding,
    since proximity needs both positions in one process. ``shard`` is fixed at creation."""

    offender = models.OneToOneField("people.Person", on_delete=models.PROTECT, related_name="+")
    shard = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["shard"], name="offenderset_shard_idx")]

    def __str__(self) -> str:
        return f"offender set {self.pk}"


class Wearer(models.TextChoices):
    OFFENDER = "offender", _("Offender")
    VICTIM = "victim", _("Victim")


class Assignment(models.Model):
    """A device worn on a case under a court decision or a protective order. A bracelet on an
    offender linked to two victims has two assignments, one per case."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="assignments")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="device_assignments")
    offender_set = models.ForeignKey(OffenderSet, on_delete=models.PROTECT, related_name="assignments")
    wearer = models.CharField(max_length=10, choices=Wearer.choices)
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decision = models.ForeignKey("orders.CourtDecision", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    proximity_m = models.PositiveIntegerField(_("distance he must keep, metres"), default=500)
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")  # the monitoring centre watching
    started_at = models.DateTimeField()
    started_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["device", "case"], condition=Q(ended_at__isnull=True), name="assignment_one_active_per_case"),
            models.CheckConstraint(condition=Q(order__isnull=False) | Q(decision__isnull=False), name="assignment_has_legal_ground"),
        ]
        indexes = [models.Index(fields=["offender_set", "ended_at"], name="assignment_set_idx")]

    def __str__(self) -> str:
        return f"device {self.device_id} on case {self.case_id}"


class ZonePlace(models.TextChoices):
    HOME = "home", _("Her home")
    WORK = "work", _("Her work")
    SCHOOL = "school", _("Children's school")
    OTHER = "other", _("Other place")


class ZoneShape(models.TextChoices):
    CIRCLE = "circle", _("Circle")
    POLYGON = "polygon", _("Polygon")


class Zone(models.Model):
    """A fixed exclusion zone around one of her places. Its geometry is where she lives or works,
    so it is encrypted: JSON ``{"lat", "lon", "radius_m"}`` for a circle, ``{"ring": [[lon, lat], …]}``
    for a polygon (WGS 84)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="monitoring_zones")
    offender_set = models.ForeignKey(OffenderSet, on_delete=models.PROTECT, related_name="zones")
    place = models.CharField(_("place"), max_length=10, choices=ZonePlace.choices)
    shape = models.CharField(_("shape"), max_length=10, choices=ZoneShape.choices)
    geometry = EncryptedTextField()
    label = EncryptedTextField(_("note"), blank=True, default="")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["case", "place", "id"]
        indexes = [models.Index(fields=["offender_set", "ended_at"], name="zone_set_idx")]

    def __str__(self) -> str:
        return f"zone {self.pk}"


class Ping(models.Model):
    """One position report; ``(device, seq)`` is the replay key. Kept for the configured period."""

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    seq = models.BigIntegerField()
    ts = models.DateTimeField()  # the device's own time: out-of-order pings are ordered by it
    received_at = models.DateTimeField()
    lat = models.FloatField(null=True, blank=True)  # offender devices only
    lon = models.FloatField(null=True, blank=True)
    position = EncryptedTextField(blank=True, default="")  # victim devices: "lat,lon", encrypted
    accuracy_m = models.FloatField(null=True, blank=True)
    battery = models.PositiveSmallIntegerField(null=True, blank=True)
    strap_ok = models.BooleanField(null=True, blank=True)
    phone_ok = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "seq"], name="ping_replay_key")]
        indexes = [
            models.Index(fields=["device", "ts"], name="ping_device_ts_idx"),
            models.Index(fields=["received_at"], name="ping_received_idx"),
        ]

    def __str__(self) -> str:
        return f"ping {self.device_id}/{self.seq}"


class ConditionKind(models.TextChoices):
    ZONE = "zone", _("Entered an exclusion zone")
    PROXIMITY = "proximity", _("Came too close to her")
    TAMPER = "tamper", _("Strap opened or tampered with")
    LOW_BATTERY = "low_battery", _("Battery low")
    NO_SIGNAL = "no_signal", _("No signal")
    SEPARATION = "separation", _("Left his phone behind")


class Episode(models.Model):
    """One stretch of a condition, from the ping that raised it to the one that cleared it (zone
    entries and exits among them). Kept for good. ``subject`` names what it is about —
    ``proximity:<offender device>:<victim device>``, ``zone:<device>:<zone>``, ``tamper:<device>`` — and at
    most one episode per subject is open, which is what makes a replayed ping raise nothing twice."""

    kind = models.CharField(max_length=12, choices=ConditionKind.choices)
    subject = models.CharField(max_length=80)
    offender_set = models.ForeignKey(OffenderSet, on_delete=models.PROTECT, related_name="episodes")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    counterpart = models.ForeignKey(Device, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, null=True, blank=True, related_name="episodes")
    started_at = models.DateTimeField()  # device time of the raising ping
    started_seq = models.BigIntegerField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    min_distance_m = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["subject"], condition=Q(ended_at__isnull=True), name="episode_one_open_per_subject")]
        indexes = [models.Index(fields=["offender_set", "ended_at"], name="episode_set_idx")]

    def __str__(self) -> str:
        return f"{self.kind} episode {self.pk}"


class Severity(models.TextChoices):
    CRITICAL = "critical", _("Critical: she may be in danger")
    TECHNICAL = "technical", _("Technical")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DISPATCHED = "dispatched", _("Police dispatched")
    RESOLVED = "resolved", _("Resolved")


class AlertOutcome(models.TextChoices):
    BREACH = "breach", _("Breach confirmed")
    FALSE_ALARM = "false_alarm", _("False alarm")
    TECHNICAL = "technical", _("Technical fault dealt with")
    NO_BREACH = "no_breach", _("Checked: no breach")


class Alert(models.Model):
    """What an operator acts on: one per episode, so one approach is one alert."""

    episode = models.OneToOneField(Episode, on_delete=models.PROTECT, related_name="alert")
    kind = models.CharField(max_length=12, choices=ConditionKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    offender_set = models.ForeignKey(OffenderSet, on_delete=models.PROTECT, related_name="alerts")
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    # The victim's case it concerns (the zone's, or the victim device's); for a technical alert on a
    # bracelet, the case of its earliest active assignment.
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="monitoring_alerts")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")  # the monitoring centre
    occurred_at = models.DateTimeField()  # device time of the ping
    received_at = models.DateTimeField()  # when the ping reached Qorgau
    raised_at = models.DateTimeField()  # when the alert was stored
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatched_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    dispatch_note = EncryptedTextField(blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    outcome = models.CharField(max_length=12, choices=AlertOutcome.choices, blank=True, default="")
    resolution_note = EncryptedTextField(blank=True, default="")
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    breach = models.ForeignKey("orders.Breach", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "status", "raised_at"], name="alert_queue_idx"),
            models.Index(fields=["case", "raised_at"], name="alert_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} alert {self.pk}"


class RejectReason(models.TextChoices):
    MALFORMED = "malformed", _("Malformed message")
    OUT_OF_RANGE = "out_of_range", _("Coordinates or values out of range")
    UNKNOWN_DEVICE = "unknown_device", _("Unknown device")
    UNASSIGNED = "unassigned", _("Device not assigned to a case")
    FUTURE = "future", _("Timestamp in the future")
    REPLAYED = "replayed", _("Replayed or duplicated ping")
    FOREIGN_TOPIC = "foreign_topic", _("Published on another device's topic")


class RejectCount(models.Model):
    """Pings refused at ingestion, counted per day and reason (the log line holds no position)."""

    day = models.DateField()
    reason = models.CharField(max_length=16, choices=RejectReason.choices)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "reason"], name="reject_count_day_reason")]

    def __str__(self) -> str:
        return f"{self.reason} on {self.day}: {self.count}"


class ShardLease(models.Model):
    """A monitor process owns a virtual shard while its lease is fresh; a dead process's leases
    expire and another takes them (and, with the shard's persistent MQTT session, its queued pings)."""

    shard = models.PositiveSmallIntegerField(primary_key=True)
    owner = models.CharField(max_length=80, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    renewed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"shard {self.shard} → {self.owner or '—'}"
