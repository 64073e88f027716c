"""Watching the watchers (issue 11): alerts on unusual access and the units' access reviews.

An alert holds ids and figures only (who, which unit, which window, how many against which
threshold); the supervisor's review note is free text and is encrypted like every narrative.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.core.fields import EncryptedTextField


class AlertKind(models.TextChoices):
    MANY_CASES = "many_cases", _("Many cases opened in a day, well above the unit's usual pattern")
    BREAK_GLASS = "break_glass", _("Break-glass used often")
    BULK_EXPORT = "bulk_export", _("Bulk exports")
    DENIED = "denied", _("Many refused requests in an hour (probing ids)")


class AccessAlert(models.Model):
    """One finding of a detector for one user, kind and window; created once (the unique key)."""

    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # The user's unit when the audit rows were written (null for a user without a unit).
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    count = models.PositiveIntegerField(help_text="The figure that crossed the threshold (cases, uses, exports, refusals).")
    threshold = models.PositiveIntegerField(help_text="The threshold in force: the alert fires above (many cases) or at it.")
    baseline = models.FloatField(null=True, blank=True, help_text="The unit's median of distinct cases per user and day.")
    largest = models.PositiveIntegerField(null=True, blank=True, help_text="The largest single export's row count.")
    created_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    review_note = EncryptedTextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "user", "window_start"], name="access_alert_once_per_window"),
            models.CheckConstraint(condition=models.Q(window_end__gt=models.F("window_start")), name="access_alert_window_order"),
        ]
        indexes = [models.Index(fields=["unit", "reviewed_at"], name="access_alert_unit_idx")]

    def __str__(self) -> str:
        return f"{self.kind} of user {self.user_id} from {self.window_start:%Y-%m-%d %H:%M}"


class AccessReview(models.Model):
    """A supervisor (or oversight) recorded that the unit's monthly access review was done."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="access_reviews")
    period = models.DateField(help_text="The first day of the month the review is for.")
    completed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField()
    note = EncryptedTextField(blank=True, default="")
    # What the reviewer saw, so a later reader knows the size of what was signed off.
    live_grants = models.PositiveIntegerField(default=0)
    break_glass_grants = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-completed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["unit", "period"], name="access_review_once_per_month")]

    def __str__(self) -> str:
        return f"access review of unit {self.unit_id} for {self.period:%Y-%m}"
