"""Staff training: courses, which action needs which current course for which role, and completions.

A completion is never edited: a newer one for the same person and course supersedes it, and a
mistaken one is revoked with a date and a reason. Courses and requirements are configuration
(``training/courses.json``, loaded by ``qorgau load-reference``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.roles import Role
from qorgau.core.fields import EncryptedTextField
from qorgau.core.models import LocalisedName


class Action(models.TextChoices):
    """Actions a requirement may gate; the gate is called by the service that performs the action."""

    SIGN_RISK_ASSESSMENT = "sign_risk_assessment", _("Signing a risk assessment")
    ISSUE_PROTECTIVE_ORDER = "issue_protective_order", _("Issuing a protective order")


class Course(LocalisedName):
    code = models.CharField(primary_key=True, max_length=64)
    description_kk = models.TextField(blank=True, default="")
    description_ru = models.TextField(blank=True, default="")
    description_en = models.TextField(blank=True, default="")
    validity_months = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]

    @property
    def description(self) -> str:
        lang = (get_language() or "ru")[:2]
        return str(getattr(self, f"description_{lang}", None) or self.description_ru)


class Requirement(models.Model):
    """One row per action, course and role; ``enforced`` off means the rule is shipped but not applied."""

    action = models.CharField(max_length=40, choices=Action.choices)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="requirements")
    role = models.CharField(max_length=32, choices=Role.choices)
    enforced = models.BooleanField(default=False)

    class Meta:
        ordering = ["action", "course_id", "role"]
        constraints = [models.UniqueConstraint(fields=["action", "course", "role"], name="training_requirement_unique")]

    def __str__(self) -> str:
        return f"{self.action}:{self.course_id}:{self.role}"


class Completion(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_completions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    completed_on = models.DateField()
    expires_on = models.DateField()
    certificate_number = models.CharField(max_length=64, blank=True, default="")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoke_reason = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["user_id", "course_id", "-completed_on", "-id"]
        indexes = [models.Index(fields=["user", "course", "completed_on"], name="training_completion_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(expires_on__gt=models.F("completed_on")), name="training_expiry_after_completion")]

    def __str__(self) -> str:
        return f"completion {self.pk}"
