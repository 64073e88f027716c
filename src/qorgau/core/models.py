"""Core tables: geography (reference data) and the sealed audit log."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class LocalisedName(models.Model):
    name_kk = models.CharField(max_length=200)
    name_ru = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        lang = (get_language() or "ru")[:2]
        return str(getattr(self, f"name_{lang}", None) or self.name_ru)


class Region(LocalisedName):
    """One of the 20 first-level units (17 regions and 3 cities of republican significance)."""

    class Kind(models.TextChoices):
        REGION = "region", _("Region")
        CITY = "city", _("City of republican significance")

    iso = models.CharField(primary_key=True, max_length=8)
    kato_prefix = models.CharField(max_length=2, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    centre_kk = models.CharField(max_length=100)
    centre_ru = models.CharField(max_length=100)
    centre_en = models.CharField(max_length=100)
    centre_lat = models.FloatField()
    centre_lon = models.FloatField()
    population = models.PositiveIntegerField(help_text="1 January 2023, Bureau of National Statistics")
    population_urban = models.PositiveIntegerField()
    population_rural = models.PositiveIntegerField()
    timezone = models.CharField(max_length=40)
    boundary_geojson = models.TextField()

    class Meta:
        ordering = ["iso"]


class District(LocalisedName):
    """One of the 224 KATO second-level units; city districts and cities default to urban."""

    kato = models.CharField(primary_key=True, max_length=9)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="districts")
    point_lat = models.FloatField()
    point_lon = models.FloatField()
    urban_default = models.BooleanField()
    boundary_geojson = models.TextField()

    class Meta:
        ordering = ["kato"]


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGIN_DELAYED = "login_delayed", _("Login attempt during a delay")
    OTP_FAILED = "otp_failed", _("Wrong one-time code")
    OTP_ENROLLED = "otp_enrolled", _("Second factor enrolled")
    LOGOUT = "logout", _("Logout")
    LOGOUT_EVERYWHERE = "logout_everywhere", _("Logout everywhere")
    SESSION_EXPIRED = "session_expired", _("Session expired")
    READ = "read", _("Read of personal data")
    WRITE = "write", _("Write")
    SEARCH = "search", _("Search")
    EXPORT = "export", _("Export")
    DENIED = "denied", _("Access denied")
    TOKEN_ISSUED = "token_issued", _("API token issued")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    MACHINE_TOKEN_ISSUED = "machine_token_issued", _("Machine token issued")
    KEYS_ROTATED = "keys_rotated", _("Keys rotated")
    LANGUAGE_CHANGED = "language_changed", _("Language changed")
    BREAK_GLASS = "break_glass", _("Emergency access (break-glass)")
    IMPORT = "import", _("Import")
    RETENTION = "retention", _("Personal data removed under the retention policy")
    BACKUP = "backup", _("Backup made")
    RESTORE = "restore", _("Backup restored")


class AuditEvent(models.Model):
    """One append-only audit row. No personal data: ids, keyed hashes and counts only (DESIGN §5).

    ``chain_pos`` and ``mac`` are filled by the sealer, which chains rows in the order it reads
    committed rows; the id is only an insertion order with rollback gaps.
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField()
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_unit_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    target_type = models.CharField(max_length=40, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    count = models.IntegerField(null=True, blank=True)
    term_hash = models.CharField(max_length=64, blank=True, default="")
    client_hash = models.CharField(max_length=64, blank=True, default="")
    outcome = models.CharField(max_length=16, default="ok")
    chain_pos = models.BigIntegerField(null=True, blank=True, unique=True)
    mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["chain_pos"], name="audit_unsealed_idx", condition=models.Q(chain_pos__isnull=True)),
            models.Index(fields=["actor_id", "at"], name="audit_actor_at_idx"),
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.chain_pos or '-'} {self.action} {self.target_type}:{self.target_id}"


class AuditSealState(models.Model):
    """The chain's head; one row, locked by the sealer while it seals a batch."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_pos = models.BigIntegerField(default=0)
    last_mac = models.CharField(max_length=64, default="")
    sealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_seal_state_singleton")]

    def __str__(self) -> str:
        return f"sealed to {self.last_pos}"


class PeriodicJob(models.Model):
    """When the scheduler last enqueued each periodic job; a conditional update stops double runs."""

    name = models.CharField(primary_key=True, max_length=64)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
