"""Case conferences (MARAC, integrated response centres; DESIGN §2): a multi-agency meeting on a
high-risk or repeat case. Proposed by the sweep's rules (or by a coordinator), scheduled by the
convening unit's coordinator, attended by the invited units; its decisions become tasks.

A proposal's grounds are events (an assessment, an incident, a breach): each event proposes at most
once per case (``conference_ground_once``), so a dismissed or held conference is proposed again only
when a new event occurs (``docs/protocols.md``, "Case conferences").
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qorgau.core.fields import EncryptedTextField


class ConferenceStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")
    DISMISSED = "dismissed", _("Dismissed")


# A case has at most one conference in these statuses (a partial unique constraint).
LIVE_CONFERENCE = (ConferenceStatus.PROPOSED, ConferenceStatus.SCHEDULED)


class ConferenceReason(models.TextChoices):
    CHECKLIST_14 = "checklist_14", _("The risk checklist scored 14 or more")
    CRITICAL = "critical", _("The case's risk level is critical")
    THIRD_INCIDENT = "third_incident_12m", _("A third incident within 12 months")
    BREACH = "breach", _("A protective order was breached")
    COORDINATOR = "coordinator", _("The coordinator's judgement")


class Conference(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="conferences")
    status = models.CharField(max_length=10, choices=ConferenceStatus.choices, default=ConferenceStatus.PROPOSED)
    # The coordinator's unit; null when no family support centre or police unit was found for the case.
    convening_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    proposed_at = models.DateTimeField()
    proposed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")  # null: the sweep
    scheduled_for = models.DateTimeField(null=True, blank=True)
    place = models.CharField(max_length=200, blank=True, default="")  # a meeting room, not personal data
    minutes = EncryptedTextField(blank=True, default="")  # what was said names people: encrypted
    held_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # dismissed or cancelled
    close_reason = EncryptedTextField(blank=True, default="")
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(status__in=["proposed", "scheduled"]), name="conference_one_live_per_case"),
            models.CheckConstraint(
                condition=~Q(status__in=["scheduled", "held"]) | Q(scheduled_for__isnull=False), name="conference_scheduled_has_time"
            ),
            models.CheckConstraint(condition=~Q(status="held") | Q(held_at__isnull=False), name="conference_held_has_time"),
        ]
        indexes = [models.Index(fields=["convening_unit", "status"], name="conference_unit_status_idx")]

    def __str__(self) -> str:
        return f"conference {self.pk} on case {self.case_id}"

    @property
    def live(self) -> bool:
        return self.status in LIVE_CONFERENCE


class ConferenceGround(models.Model):
    """One reason a conference was proposed, with the event behind it: ``source_id`` is the id of the
    assessment (``checklist_14``, ``critical``), the incident (``third_incident_12m``) or the breach
    (``breach``); null for a coordinator's proposal by hand. One event grounds one proposal per case."""

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="grounds")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=ConferenceReason.choices)
    source_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "reason", "source_id"], name="conference_ground_once")]

    def __str__(self) -> str:
        return f"{self.reason} for conference {self.conference_id}"


class ConferenceAttendee(models.Model):
    """A unit invited to the conference (the convening unit included) and whether it attended."""

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="attendees")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField()
    attended = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["conference", "unit"], name="conference_attendee_once")]

    def __str__(self) -> str:
        return f"unit {self.unit_id} at conference {self.conference_id}"


class ConferenceDecision(models.Model):
    """An action the conference decided: a unit owns it by a date; it becomes that unit's task."""

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="decisions")
    position = models.PositiveSmallIntegerField()
    text = EncryptedTextField()  # may name people: encrypted
    details = EncryptedTextField(blank=True, default="")
    owner = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    task = models.OneToOneField("protocols.Task", on_delete=models.PROTECT, related_name="conference_decision")

    class Meta:
        ordering = ["conference", "position"]
        constraints = [models.UniqueConstraint(fields=["conference", "position"], name="conference_decision_position")]

    def __str__(self) -> str:
        return f"decision {self.position} of conference {self.conference_id}"
