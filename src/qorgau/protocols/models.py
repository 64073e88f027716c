"""Inter-agency response protocols as versioned data, and the tasks they give units (DESIGN §2, §10).

A protocol version is shipped as a file (``protocols/files/*.json``), imported as typed rows and,
once published, never changed: new duties are a new version. Each duty says on which trigger (and
risk level) which agency kind must do what, as a ``duty`` or a ``referral``, within how many hours,
and whom to tell, step by step, when the deadline passes. Tasks are the duties given to units.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from qorgau.core.fields import EncryptedTextField
from qorgau.core.models import LocalisedName


def _localised(obj: object, stem: str) -> str:
    lang = (get_language() or "ru")[:2]
    return str(getattr(obj, f"{stem}_{lang}", "") or getattr(obj, f"{stem}_ru"))


class Trigger(models.TextChoices):
    REPORT_REGISTERED = "report_registered", _("A report was registered")
    LEVEL_SET = "level_set", _("The risk level was set")
    LEVEL_RAISED = "level_raised", _("The risk level was raised")
    CHILD_INVOLVED = "child_involved", _("A child is involved")
    ORDER_ISSUED = "order_issued", _("A protective order was issued")
    ORDER_BREACHED = "order_breached", _("A protective order was breached")
    ORDER_EXPIRING = "order_expiring", _("A protective order is about to expire")
    CHECKIN_MISSED = "checkin_missed", _("A check-in with the police was missed")
    CASE_CLOSING = "case_closing", _("The case is being closed")
    PLACEMENT_REQUESTED = "placement_requested", _("A shelter placement was requested")
    PROGRAMME_NONCOMPLIANCE = "programme_noncompliance", _("An offender did not comply with a correction programme")
    MONITORING_ALERT = "monitoring_alert", _("A monitored offender came too close or entered a zone")
    # Not for protocol files: tasks that a case conference's decisions give units (no duty).
    CONFERENCE_DECISION = "conference_decision", _("A case conference decided an action")


# The triggers a protocol file may name (a conference decision's task has no duty).
FILE_TRIGGERS = tuple(t for t in Trigger.values if t != Trigger.CONFERENCE_DECISION)


class Mode(models.TextChoices):
    # A state body acting within its legal obligations: no consent needed, grant scope "worker".
    DUTY = "duty", _("Duty")
    # Hands her to another agency's service: her recorded consent is needed first (grant scope "consent").
    REFERRAL = "referral", _("Referral")


class EscalateTo(models.TextChoices):
    SUPERVISORS = "supervisors", _("The unit's supervisors")
    REGIONAL = "regional", _("The regional unit of the same agency")
    NATIONAL = "national", _("The national unit of the same agency")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class Protocol(LocalisedName):
    code = models.SlugField(unique=True, max_length=40)

    class Meta:
        ordering = ["code"]


class ProtocolVersion(models.Model):
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=VersionStatus.choices)
    description_kk = models.TextField(blank=True, default="")
    description_ru = models.TextField(blank=True, default="")
    description_en = models.TextField(blank=True, default="")
    source_sha256 = models.CharField(max_length=64)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["protocol__code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "number"], name="protocol_version_unique"),
            models.UniqueConstraint(fields=["protocol"], condition=Q(status="published"), name="protocol_one_published"),
        ]

    def __str__(self) -> str:
        return f"{self.protocol.code} v{self.number}"

    @property
    def description(self) -> str:
        return _localised(self, "description")


class Duty(models.Model):
    version = models.ForeignKey(ProtocolVersion, on_delete=models.PROTECT, related_name="duties")
    code = models.SlugField(max_length=60)
    position = models.PositiveIntegerField()
    trigger = models.CharField(max_length=24, choices=Trigger.choices)
    # Applies only when the case's risk level is at least this one; blank: at any level.
    min_level = models.CharField(max_length=10, blank=True, default="")
    agency_kind = models.ForeignKey("accounts.AgencyKind", on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(max_length=10, choices=Mode.choices)
    hours = models.PositiveIntegerField()
    # The risk level's protection measure (risk/policy.json) that this duty carries out, if any: when
    # its task is done, the measure is recorded as applied on the case's latest assessment.
    measure = models.CharField(max_length=24, blank=True, default="")
    title_kk = models.CharField(max_length=200)
    title_ru = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    instructions_kk = models.TextField()
    instructions_ru = models.TextField()
    instructions_en = models.TextField()

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="duty_code_unique")]

    def __str__(self) -> str:
        return f"{self.version} {self.code}"

    @property
    def title(self) -> str:
        return _localised(self, "title")

    @property
    def instructions(self) -> str:
        return _localised(self, "instructions")


class EscalationStep(models.Model):
    """Step ``step`` (1, 2, …) of a duty's chain: ``after_hours`` past the deadline, tell ``to``."""

    duty = models.ForeignKey(Duty, on_delete=models.PROTECT, related_name="chain")
    step = models.PositiveSmallIntegerField()
    after_hours = models.PositiveIntegerField()
    to = models.CharField(max_length=12, choices=EscalateTo.choices)

    class Meta:
        ordering = ["duty", "step"]
        constraints = [models.UniqueConstraint(fields=["duty", "step"], name="escalation_step_unique")]

    def __str__(self) -> str:
        return f"{self.duty} step {self.step}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    ESCALATED = "escalated", _("Overdue, escalated")
    DONE = "done", _("Done")
    DECLINED = "declined", _("Declined")
    AWAITING_CONSENT = "awaiting_consent", _("Awaiting her consent")


# Statuses in which a unit still has to act: the queue shows them, the sweep escalates them.
LIVE_STATUSES = (TaskStatus.OPEN, TaskStatus.ACCEPTED, TaskStatus.ESCALATED)


class Task(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="tasks")
    # Null for a task that a case conference decided (it has its own title and instructions).
    duty = models.ForeignKey(Duty, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks")
    title = EncryptedTextField(blank=True, default="")  # conference tasks only: may name people
    instructions = EncryptedTextField(blank=True, default="")
    # Null: no unit of the agency kind was found; the administrator routes it (selectors.tasks_unrouted).
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="tasks")
    key = models.CharField(max_length=120)  # what fired it, e.g. "report:12"; with duty and case, fires once
    trigger = models.CharField(max_length=24, choices=Trigger.choices)
    level = models.CharField(max_length=10, blank=True, default="")
    mode = models.CharField(max_length=10, choices=Mode.choices)
    status = models.CharField(max_length=16, choices=TaskStatus.choices)
    due_at = models.DateTimeField()
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    outcome = EncryptedTextField(blank=True, default="")
    decline_reason = EncryptedTextField(blank=True, default="")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["duty", "case", "key"], name="task_fires_once")]
        indexes = [
            models.Index(fields=["unit", "status", "due_at"], name="task_queue_idx"),
            models.Index(fields=["status", "due_at"], name="task_sweep_idx"),
            # The analytics refresh: tasks changed since the last refresh.
            models.Index(fields=["updated_at"], name="task_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"task {self.pk} ({self.duty.code if self.duty else 'conference'}) on case {self.case_id}"

    @property
    def heading(self) -> str:
        """What to do, in the reader's language: the duty's title, or the conference decision's."""
        return self.duty.title if self.duty is not None else self.title

    @property
    def guidance(self) -> str:
        return self.duty.instructions if self.duty is not None else self.instructions


# --- her consent to a referral, and the override (DESIGN §5, §10) ------------------------------------


class ConsentHow(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")
    WRITTEN = "written", _("In writing")


class Consent(models.Model):
    """Her consent to one referral: to which unit, for what purpose, and which kinds of her data the
    receiving unit may see (the mask layer's ``consented`` set). The grant it gave is kept so that
    withdrawing the consent ends exactly that grant. Nothing is deleted: a withdrawal is dated."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="consents")
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="consents")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")  # the receiving unit
    purpose = EncryptedTextField()  # free text may name people: encrypted
    shares_identity = models.BooleanField(default=False)
    shares_contact = models.BooleanField(default=False)
    shares_whereabouts = models.BooleanField(default=False)
    shares_narrative = models.BooleanField(default=False)
    how = models.CharField(max_length=10, choices=ConsentHow.choices)
    given_at = models.DateTimeField()
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    grant = models.ForeignKey("cases.Grant", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    withdraw_reason = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-given_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["task"], condition=Q(withdrawn_at__isnull=True), name="consent_one_live_per_task"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="consent_withdrawal_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"consent {self.pk} for task {self.task_id}"


class OverrideGround(models.TextChoices):
    CHILD = "child", _("The victim is a child")
    CRITICAL = "critical", _("The case's risk level is critical")


class ReferralOverride(models.Model):
    """A referral opened without her consent: allowed only for a child or at the critical level, with
    a written reason. The receiving unit sees her identity and contact only (enough to reach her)."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    task = models.OneToOneField(Task, on_delete=models.PROTECT, related_name="override")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    ground = models.CharField(max_length=10, choices=OverrideGround.choices)
    reason = EncryptedTextField()
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    grant = models.ForeignKey("cases.Grant", on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"override of task {self.task_id} ({self.ground})"


# Case conferences live in their own module; imported here so that Django registers the models.
from qorgau.protocols.models_conferences import (  # noqa: E402, F401
    Conference,
    ConferenceAttendee,
    ConferenceDecision,
    ConferenceGround,
)
