"""Anonymous intake (issue 7): a crisis centre's own record of a woman it took in without identity
(or under an alias), and what it shares of her record with another unit on her recorded consent.

The record is never linked into ``people`` or ``cases``: her name, IIN and phone, if she gives them,
are encrypted columns of this record only — no blind index, no repeat flags, no search. Its holding
unit's staff alone read it (``selectors.record_get_for``); another unit sees a ``RecordShare`` of it,
through the mask layer, and only the kinds of data her consent covers.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from qorgau.core.fields import EncryptedTextField
from qorgau.protocols.models import ConsentHow

__all__ = ["AgeBand", "AnonymousRecord", "ConsentHow", "RecordOutcome", "RecordShare"]


class AgeBand(models.TextChoices):
    UNDER_18 = "under_18", _("under 18")
    A18_29 = "18_29", _("18–29")
    A30_44 = "30_44", _("30–44")
    A45_59 = "45_59", _("45–59")
    A60_PLUS = "60_plus", _("60 and over")


class RecordOutcome(models.TextChoices):
    SAFE_HOUSING = "safe_housing", _("Safe housing found")
    RELATIVES = "relatives", _("Moved to relatives or friends")
    RETURNED = "returned", _("Returned to the shared home")
    REPORTED = "reported", _("She reported to the police herself")
    REFERRED = "referred", _("Referred to another service")
    LOST_CONTACT = "lost_contact", _("Contact lost")
    OTHER = "other", _("Other")


class AnonymousRecord(models.Model):
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")  # the holding centre
    number = models.CharField(_("record number"), max_length=20, unique=True, null=True, blank=True)
    alias = EncryptedTextField(_("alias"), blank=True, default="")  # blank: fully anonymous
    full_name = EncryptedTextField(_("real name"), blank=True, default="")
    iin = EncryptedTextField(_("IIN"), blank=True, default="")
    phone = EncryptedTextField(_("phone"), blank=True, default="")
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices, blank=True, default="")
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    district = models.ForeignKey("core.District", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("district"))
    children = models.PositiveSmallIntegerField(_("children with her"), default=0)
    physical = models.BooleanField(_("physical violence"), default=False)
    psychological = models.BooleanField(_("psychological violence"), default=False)
    economic = models.BooleanField(_("economic violence"), default=False)
    sexual = models.BooleanField(_("sexual violence"), default=False)
    narrative = EncryptedTextField(_("what happened"), blank=True, default="")
    gave_psychologist = models.BooleanField(_("psychologist"), default=False)
    gave_lawyer = models.BooleanField(_("lawyer"), default=False)
    gave_medical = models.BooleanField(_("medical care"), default=False)
    gave_social = models.BooleanField(_("social support"), default=False)
    taken_in_at = models.DateTimeField(_("taken in at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=RecordOutcome.choices, blank=True, default="")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-taken_in_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("taken_in_at")),
                                   name="anonrecord_closed_after_taken_in"),
        ]
        indexes = [models.Index(fields=["unit", "closed_at"], name="anonrecord_unit_idx")]

    def __str__(self) -> str:
        return self.number or f"record #{self.pk}"

    @property
    def forms(self) -> list[str]:
        return [f for f in ("physical", "psychological", "economic", "sexual") if getattr(self, f)]

    @property
    def services(self) -> list[str]:
        return [s for s in ("psychologist", "lawyer", "medical", "social") if getattr(self, f"gave_{s}")]


class RecordShare(models.Model):
    """What she agreed to share of the record with one unit, for one purpose. Nothing is deleted:
    a withdrawal is dated and ends the share at once."""

    record = models.ForeignKey(AnonymousRecord, on_delete=models.PROTECT, related_name="shares")
    to_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    purpose = EncryptedTextField()  # free text may name people: encrypted
    how = models.CharField(max_length=10, choices=ConsentHow.choices)
    shares_identity = models.BooleanField(default=False)
    shares_contact = models.BooleanField(default=False)
    shares_whereabouts = models.BooleanField(default=False)
    shares_narrative = models.BooleanField(default=False)
    given_at = models.DateTimeField()
    given_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-given_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["record", "to_unit"], condition=Q(withdrawn_at__isnull=True), name="recordshare_one_live_per_unit"),
            models.CheckConstraint(
                condition=Q(shares_identity=True) | Q(shares_contact=True) | Q(shares_whereabouts=True) | Q(shares_narrative=True),
                name="recordshare_shares_something",
            ),
            models.CheckConstraint(condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=F("given_at")),
                                   name="recordshare_withdrawn_after_given"),
        ]

    def __str__(self) -> str:
        return f"share #{self.pk}"
