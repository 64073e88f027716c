"""Offender programmes (issue 7): the catalogue, enrolments from a court decision, sessions.

An enrolment is offender-facing: its provider unit never sees the victim (DESIGN §5), so nothing
here points at her — only the case (for the court and police who hold it) and the offender.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from qorgau.core.fields import EncryptedTextField


class ProgrammeKind(models.TextChoices):
    PSYCHOLOGICAL = "psychological", _("Psychological correction")
    ANGER = "anger", _("Anger management")
    SUBSTANCE = "substance", _("Alcohol or drug treatment")
    PARENTING = "parenting", _("Parenting")
    OTHER = "other", _("Other programme")


class Programme(models.Model):
    """A programme offered by a unit of kind correction_programme or probation."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="programmes")
    kind = models.CharField(_("kind of programme"), max_length=16, choices=ProgrammeKind.choices)
    name_kk = models.CharField(_("name in Kazakh"), max_length=160)
    name_ru = models.CharField(_("name in Russian"), max_length=160)
    name_en = models.CharField(_("name in English"), max_length=160)
    sessions_required = models.PositiveSmallIntegerField(_("sessions required"), default=12)
    lang_kk = models.BooleanField(_("Kazakh"), default=True)
    lang_ru = models.BooleanField(_("Russian"), default=True)
    lang_en = models.BooleanField(_("English"), default=False)
    lang_other = models.BooleanField(_("other languages"), default=False)
    serves_migrants = models.BooleanField(_("migrants"), default=False)
    serves_ethnic = models.BooleanField(_("ethnic communities"), default=False)
    serves_disabilities = models.BooleanField(_("people with disabilities"), default=False)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["region_id", "unit_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(sessions_required__gte=1) & Q(sessions_required__lte=200), name="programme_sessions_range"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        lang = (get_language() or "ru")[:2]
        return str(getattr(self, f"name_{lang}", "") or self.name_ru)

    @property
    def languages(self) -> list[str]:
        return [code for code in ("kk", "ru", "en", "other") if getattr(self, f"lang_{code}")]


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("Enrolled")
    ATTENDING = "attending", _("Attending")
    COMPLETED = "completed", _("Completed")
    NONCOMPLIANT = "noncompliant", _("Non-compliant")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (EnrolmentStatus.ENROLLED, EnrolmentStatus.ATTENDING)


class NoncomplianceCause(models.TextChoices):
    ABSENCES = "absences", _("Too many unexcused absences")
    DEADLINE = "deadline", _("The deadline passed without completion")
    PROVIDER = "provider", _("Recorded by the provider")


class Enrolment(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    offender = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    decision = models.ForeignKey("orders.CourtDecision", on_delete=models.PROTECT, related_name="+", verbose_name=_("court decision"))
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("programme"))
    provider = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    sessions_required = models.PositiveSmallIntegerField(_("sessions required"))
    allowed_absences = models.PositiveSmallIntegerField(_("unexcused absences allowed"), default=2)
    enrolled_on = models.DateField(_("enrolled on"))
    deadline = models.DateField(_("deadline"))
    breach_counts = models.BooleanField(_("non-compliance counts as a breach of the decision's order"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ENROLLED)
    enrolled_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    ended_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cause = models.CharField(_("cause of non-compliance"), max_length=12, choices=NoncomplianceCause.choices, blank=True, default="")
    reason = EncryptedTextField(_("reason"), blank=True, default="")
    breach = models.ForeignKey("orders.Breach", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(deadline__gt=F("enrolled_on")), name="enrolment_deadline_after_start"),
            models.CheckConstraint(condition=Q(sessions_required__gte=1), name="enrolment_sessions_positive"),
        ]
        indexes = [
            models.Index(fields=["provider", "status"], name="enrolment_provider_status_idx"),
            models.Index(fields=["status", "deadline"], name="enrolment_status_deadline_idx"),
            models.Index(fields=["case"], name="enrolment_case_idx"),
        ]

    def __str__(self) -> str:
        return f"enrolment #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Attendance(models.TextChoices):
    ATTENDED = "attended", _("Attended")
    EXCUSED = "excused", _("Absent, excused")
    ABSENT = "absent", _("Absent without excuse")


class Session(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="sessions")
    held_on = models.DateField(_("date of the session"))
    attendance = models.CharField(_("attendance"), max_length=10, choices=Attendance.choices)
    note = EncryptedTextField(_("note"), blank=True, default="")
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["held_on", "id"]
        constraints = [models.UniqueConstraint(fields=["enrolment", "held_on"], name="session_one_per_day")]

    def __str__(self) -> str:
        return f"session of enrolment {self.enrolment_id} on {self.held_on}"
