"""Agencies, units, users, tokens, login throttles and in-app notifications."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.accounts import shared_cache
from qorgau.accounts.roles import Capability, Role
from qorgau.core import clock
from qorgau.core.fields import EncryptedTextField
from qorgau.core.models import District, LocalisedName, Region


class AgencyKind(LocalisedName):
    """Police unit, family support centre, crisis centre, clinic, school, court, … (reference data)."""

    code = models.SlugField(primary_key=True, max_length=40)

    class Meta:
        ordering = ["code"]


class ServiceArea(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")
    MIXED = "mixed", _("Urban and rural")


class SharedCacheCoherent(models.QuerySet[Any]):
    """A queryset of rows the shared cache keeps (users, units): every write drops what it changed.

    ``update`` and ``delete`` here, ``save`` and ``delete`` on the models: no ORM write can miss it
    (accounts.shared_cache). A write to users drops those users (read first, only with a shared
    cache); a write to units drops every cached user.
    """

    def _forget(self) -> None:
        if not shared_cache.enabled():
            return
        if getattr(self.model, "CACHED_PER_USER", False):
            shared_cache.forget(self.values_list("pk", flat=True)[: shared_cache.MANY + 1])
        else:
            shared_cache.forget()

    def update(self, **kwargs: Any) -> int:
        self._forget()
        return super().update(**kwargs)

    update.alters_data = True  # type: ignore[attr-defined]

    def delete(self) -> tuple[int, dict[str, int]]:
        self._forget()
        return super().delete()

    delete.alters_data = True  # type: ignore[attr-defined]


class CoherentModel(models.Model):
    CACHED_PER_USER = False  # True: a write drops this row's user only; False: every cached user

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._forget()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        self._forget()
        return super().delete(*args, **kwargs)

    def _forget(self) -> None:
        if self.CACHED_PER_USER:
            if self.pk is not None:
                shared_cache.forget([self.pk])
        else:
            shared_cache.forget()


class Unit(LocalisedName, CoherentModel):
    """A concrete organisation, e.g. the police department of Almaly district, Almaty."""

    kind = models.ForeignKey(AgencyKind, on_delete=models.PROTECT, related_name="units")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="units")
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True, blank=True, related_name="units")
    service_area = models.CharField(max_length=8, choices=ServiceArea.choices, default=ServiceArea.MIXED)
    timezone = models.CharField(max_length=40)
    is_active = models.BooleanField(default=True)

    objects = SharedCacheCoherent.as_manager()

    class Meta:
        ordering = ["region_id", "name_ru"]
        constraints = [models.UniqueConstraint(fields=["kind", "region", "name_ru"], name="unit_unique_name")]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager.from_queryset(SharedCacheCoherent)):  # type: ignore[misc]
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("date_joined", clock.now())
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_staff", True)
        extra.setdefault("role", Role.ADMINISTRATOR)
        return self.create_user(username, password, **extra)


class User(CoherentModel, AbstractBaseUser, PermissionsMixin):
    """A staff member. Name and IIN are encrypted, with blind indexes so that a case whose offender
    is staff can be recognised (DESIGN §5, restricted cases)."""

    username = models.CharField(_("username"), max_length=64, unique=True)
    full_name = EncryptedTextField(_("full name"), blank=True, default="")
    iin = EncryptedTextField(_("IIN"), null=True, blank=True)
    iin_bidx = models.CharField(max_length=64, blank=True, default="", db_index=True)
    name_bidx = models.CharField(max_length=64, blank=True, default="", db_index=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="users")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    language = models.CharField(_("language"), max_length=2, default="ru")
    # Work contacts for notifications by e-mail and SMS (issue 6); encrypted like other personal fields.
    email = EncryptedTextField(_("work e-mail"), blank=True, default="")
    phone = EncryptedTextField(_("work phone"), blank=True, default="")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Administrators; reserved for an admin site (none is installed).")
    date_joined = models.DateTimeField()
    # Bumped by "log out everywhere": sessions carrying an older epoch are ended.
    session_epoch = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)

    objects = UserManager()
    CACHED_PER_USER = True

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        permissions = [(c.value, c.value.replace("_", " ")) for c in Capability]  # labels are translated in the UI

    def __str__(self) -> str:
        return self.username

    def can(self, capability: Capability) -> bool:
        return self.is_active and self.has_perm(f"accounts.{capability.value}")


class ApiToken(models.Model):
    """A personal API token, issued after two-factor login, expiring; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"qgp_{self.prefix}"


class MachineToken(models.Model):
    """A machine client's credential (device gateway, import job); hashed, revocable."""

    class Purpose(models.TextChoices):
        DEVICE_GATEWAY = "device_gateway", _("Device gateway")
        IMPORT = "import", _("Data import")

    name = models.CharField(max_length=80, unique=True)
    purpose = models.CharField(max_length=24, choices=Purpose.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="machine_tokens")
    # An import client registers reports on behalf of one staff account of its unit (a service
    # account), so every report it sends has a registering user, grants and audit rows like any other.
    acts_for = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"qgm_{self.prefix}"


class LoginThrottle(models.Model):
    """Failures per account and per client address; each failure past the free ones doubles the wait.

    Keys are keyed hashes, so the table holds neither user names typed wrong nor addresses.
    The API rate limit (``accounts.rate_limit``) keeps its windows here too: for its scopes
    ``failures`` is the requests counted in the window that starts at ``last_failure_at``, and
    ``blocked_until`` the end of a window in which the limit was passed (audited once).
    """

    class Scope(models.TextChoices):
        ACCOUNT = "account", _("Account")
        CLIENT = "client", _("Client address")
        API_PRINCIPAL = "api_user", _("API requests of a user or machine token")
        API_CLIENT = "api_addr", _("API requests from a client address")

    scope = models.CharField(max_length=8, choices=Scope.choices)
    key = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    blocked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="login_throttle_unique")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key[:12]}"


class NotificationKind(models.TextChoices):
    WELCOME = "welcome", _("Welcome to Qorgau")
    TOKEN_ISSUED = "token_issued", _("A personal API token was issued")
    LOGGED_OUT_EVERYWHERE = "logout_everywhere", _("You were signed out everywhere")
    BREAK_GLASS = "break_glass", _("Break-glass access in your unit")
    CASE_SHARED = "case_shared", _("A case was shared with your unit")
    TASK_ASSIGNED = "task_assigned", _("A task was given to your unit")
    TASK_OVERDUE = "task_overdue", _("A task is overdue and was escalated")
    TASK_DECLINED = "task_declined", _("A unit declined a task")
    ORDER_BREACHED = "order_breached", _("A protective order was breached")
    ORDER_EXPIRING = "order_expiring", _("A protective order is about to expire")
    CONFERENCE_PROPOSED = "conference_proposed", _("A case conference was proposed")
    CONFERENCE_SCHEDULED = "conference_scheduled", _("A case conference was scheduled")
    HEARING_SCHEDULED = "hearing_scheduled", _("A court hearing was scheduled")
    TASK_ROUTED = "task_routed", _("A task was routed to your unit by hand")
    VICTIM_CONTACT_WITHHELD = "victim_withheld", _("A message to her was withheld: contact her safely")
    RECORD_SHARED = "record_shared", _("An anonymous record was shared with your unit with her consent")
    SUPPORT_REFERRAL = "support_referral", _("She was referred to your programme of support")
    SUPPORT_ENDED = "support_ended", _("A referral of support to your unit was withdrawn or she refused it")
    PROGRAMME_ENROLLED = "programme_enrolled", _("An offender was enrolled in your programme")
    PROGRAMME_NONCOMPLIANCE = "programme_noncompliance", _("An offender did not comply with a court-ordered programme")
    MONITORING_ALERT = "monitoring_alert", _("A monitoring alert: an offender came too close or entered a zone")
    MONITORING_ESCALATED = "monitoring_escalated", _("A monitoring alert was not acknowledged in time")
    ACCESS_ALERT = "access_alert", _("Unusual access by a user: review the alert")
    ACCESS_REVIEW_DUE = "access_review_due", _("The monthly access review of your unit is due")


class Notification(models.Model):
    """An in-app notification. The text comes from the kind, in the reader's language; no personal
    data is stored in it — only a pointer to the record it concerns."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    target_type = models.CharField(max_length=40, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


# --- e-mail and SMS (issue 6): preferences and the delivery trail ------------------------------------


class NotificationPreference(models.Model):
    """Which channels besides the app one user wants for one kind of notification. No row: the
    defaults of ``accounts.delivery.DEFAULT_CHANNELS``; saving the settings page writes every kind."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    email = models.BooleanField(default=False)
    sms = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_unique")]

    def __str__(self) -> str:
        return f"{self.kind} of user {self.user_id}"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    WITHHELD = "withheld", _("Withheld")


class WithheldReason(models.TextChoices):
    NO_MESSAGE_CONSENT = "no_message_consent", _("She did not agree that messages may be left")
    NO_SAFE_PHONE = "no_safe_phone", _("No safe number is recorded")
    PHONE_UNUSABLE = "phone_unusable", _("The safe number is not a usable phone number")
    NO_ADDRESS = "no_address", _("No address for this channel")
    INACTIVE = "inactive", _("The account is no longer active")


class VictimNoticeKind(models.TextChoices):
    """Messages to a victim. Each text is the whole message: it names nobody and no place."""

    ORDER_ISSUED = "order_issued", _("Qorgau: a protective order for your safety was issued. In danger, call 102.")
    ORDER_SERVED = "order_served", _("Qorgau: the protective order was handed over and is now in force. In danger, call 102.")
    ORDER_EXPIRING = "order_expiring", _("Qorgau: your protective order ends soon. To discuss an extension, call 102 or 150.")
    HEARING_SCHEDULED = "hearing", _("Qorgau: a court hearing was scheduled. Your case worker will contact you. Hotline: 150.")


class Delivery(models.Model):
    """One message by e-mail or SMS: a notification to a staff member, or a message to a victim.

    The trail of what was sent, failed (and retried) or withheld and why. No address, phone number
    or text is stored: the address is read when sending, the text comes from the kind.
    """

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    victim_kind = models.CharField(max_length=16, choices=VictimNoticeKind.choices, blank=True, default="")
    # Names the event a victim message is about (e.g. ``order_served:17``): one message per event.
    key = models.CharField(max_length=80, blank=True, default="")
    channel = models.CharField(max_length=8, choices=DeliveryChannel.choices)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    reason = models.CharField(max_length=20, choices=WithheldReason.choices, blank=True, default="")
    language = models.CharField(max_length=2, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=64, blank=True, default="")
    provider_id = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(notification__isnull=False, case__isnull=True, victim_kind=""))
                | (models.Q(notification__isnull=True, case__isnull=False) & ~models.Q(victim_kind="") & ~models.Q(key="")),
                name="delivery_notification_or_victim_message",
            ),
            models.CheckConstraint(condition=models.Q(case__isnull=True) | models.Q(channel="sms"), name="delivery_victim_by_sms_only"),
            models.UniqueConstraint(
                fields=["notification", "channel"], condition=models.Q(notification__isnull=False), name="delivery_once_per_channel"
            ),
            models.UniqueConstraint(fields=["case", "key"], condition=models.Q(case__isnull=False), name="delivery_victim_once_per_event"),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} delivery #{self.pk}"
