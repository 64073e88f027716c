"""Lawful requests of a person for the data Qorgau holds about them, and for its correction (Law of
the Republic of Kazakhstan No. 94-V "On personal data and their protection"); docs/privacy.md.

A request is recorded before anyone looks the person up; the subject is attached to it, and the
export and every correction point back at it. Reference and notes may name people: encrypted.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.core.fields import EncryptedTextField


class RequestKind(models.TextChoices):
    EXPORT = "export", _("Export of the data held")
    CORRECTION = "correction", _("Correction of the data held")


class LegalBasis(models.TextChoices):
    SUBJECT_ACCESS = "subject_access", _("The subject's own request (access to personal data)")
    SUBJECT_CORRECTION = "subject_correction", _("The subject's own request (correction of personal data)")
    REPRESENTATIVE = "representative", _("A legal representative's request, with a power of attorney")
    COURT = "court", _("A court's order")


class ExportLanguage(models.TextChoices):
    KK = "kk", _("Kazakh")
    RU = "ru", _("Russian")
    EN = "en", _("English")


class PrivacyRequest(models.Model):
    reference = EncryptedTextField(_("request reference number"))
    received_on = models.DateField(_("received on"))
    legal_basis = models.CharField(_("legal basis"), max_length=20, choices=LegalBasis.choices)
    identity_checked = models.BooleanField(_("the requester's identity was checked"))
    kind = models.CharField(_("what is asked"), max_length=12, choices=RequestKind.choices)
    language = models.CharField(_("language of the answer"), max_length=2, choices=ExportLanguage.choices)
    notes = EncryptedTextField(_("notes"), blank=True, default="")
    # The record the officer identified as the requester; the export covers its whole cluster.
    subject = models.ForeignKey("people.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"privacy request {self.pk}"


class ExportFormat(models.TextChoices):
    JSON = "json", "JSON"
    HTML = "html", "HTML"


class PrivacyExport(models.Model):
    """A download prepared for a request: each file may be taken once, before ``expires_at``. The
    content is built at download time from the registry, so no copy of it is kept."""

    request = models.ForeignKey(PrivacyRequest, on_delete=models.PROTECT, related_name="exports")
    prepared_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    json_taken_at = models.DateTimeField(null=True, blank=True)
    html_taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-prepared_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.pk} of privacy request {self.request_id}"


class PrivacyCorrection(models.Model):
    """One correction of a person record for a request: which fields changed (names only, no values)."""

    request = models.ForeignKey(PrivacyRequest, on_delete=models.PROTECT, related_name="corrections")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(default=list)
    reason = EncryptedTextField(_("reason"))
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"correction of person {self.person_id} for privacy request {self.request_id}"
