"""Victim socio-economic support: the programme catalogue and referrals (issue 7, DESIGN §10).

Employment, vocational training, social housing, benefits and legal aid are *referrals*: a service
she may accept or refuse. A referral is made only with her recorded consent; the provider unit gets
a grant of scope ``consent`` for as long as the referral runs.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qorgau.core.fields import EncryptedTextField
from qorgau.core.models import LocalisedName


class SupportKind(models.TextChoices):
    EMPLOYMENT = "employment", _("Employment")
    TRAINING = "vocational_training", _("Vocational training")
    HOUSING = "social_housing", _("Temporary social housing")
    BENEFITS = "benefits", _("Benefits")
    LEGAL_AID = "legal_aid", _("Legal aid")


# Kinds counted as economic support by ``repeat_after_support`` (legal aid is not).
ECONOMIC_KINDS = (SupportKind.EMPLOYMENT, SupportKind.TRAINING, SupportKind.HOUSING, SupportKind.BENEFITS)

# Agency kinds whose units may offer a programme (accounts/agency_kinds.json).
PROVIDER_KINDS = ("social_protection", "akimat", "crisis_centre", "family_support")


class SupportStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("support", "Requested")
    ACCEPTED = "accepted", pgettext_lazy("support", "Accepted")
    STARTED = "started", pgettext_lazy("support", "Started")
    COMPLETED = "completed", pgettext_lazy("support", "Completed")
    DECLINED = "declined", pgettext_lazy("support", "Declined")
    WITHDRAWN = "withdrawn", _("Consent withdrawn")


LIVE_STATUSES = (SupportStatus.REQUESTED, SupportStatus.ACCEPTED, SupportStatus.STARTED)
END_STATUSES = (SupportStatus.COMPLETED, SupportStatus.DECLINED, SupportStatus.WITHDRAWN)


class SupportOutcome(models.TextChoices):
    EMPLOYED = "employed", _("Employed")
    TRAINED = "trained", _("Training finished")
    HOUSED = "housed", _("Housing given")
    BENEFIT = "benefit", _("Benefit granted")
    LEGAL_AID = "legal_aid", _("Legal aid given")
    OTHER = "other", _("Other")


# The outcome that fits each kind; "other" fits every kind.
KIND_OUTCOME = {
    SupportKind.EMPLOYMENT: SupportOutcome.EMPLOYED,
    SupportKind.TRAINING: SupportOutcome.TRAINED,
    SupportKind.HOUSING: SupportOutcome.HOUSED,
    SupportKind.BENEFITS: SupportOutcome.BENEFIT,
    SupportKind.LEGAL_AID: SupportOutcome.LEGAL_AID,
}


class DeclinedBy(models.TextChoices):
    PROVIDER = "provider", _("The provider")
    VICTIM = "victim", _("She refused")


class SupportProgramme(LocalisedName):
    """A service offered by a unit (social protection, akimat, crisis or family support centre)."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="support_programmes")
    kind = models.CharField(_("kind of support"), max_length=20, choices=SupportKind.choices)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    lang_kk = models.BooleanField(_("Kazakh"), default=True)
    lang_ru = models.BooleanField(_("Russian"), default=True)
    lang_en = models.BooleanField(_("English"), default=False)
    lang_other = models.BooleanField(_("other languages"), default=False)
    serves_migrants = models.BooleanField(_("migrants"), default=False)
    serves_ethnic = models.BooleanField(_("ethnic communities"), default=False)
    serves_disabilities = models.BooleanField(_("women with disabilities"), default=False)
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["region_id", "kind", "name_ru", "id"]
        constraints = [models.UniqueConstraint(fields=["unit", "kind", "name_ru"], name="support_programme_unique_name")]

    @property
    def languages(self) -> list[str]:
        return [code for code in ("kk", "ru", "en", "other") if getattr(self, f"lang_{code}")]


class ConsentWay(models.TextChoices):
    """How she gave her consent (the same codes as protocols.ConsentHow)."""

    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("By phone")
    WRITTEN = "written", _("In writing")


class SupportReferral(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="support_referrals")
    programme = models.ForeignKey(SupportProgramme, on_delete=models.PROTECT, related_name="referrals")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")  # the provider (the programme's)
    status = models.CharField(max_length=12, choices=SupportStatus.choices, default=SupportStatus.REQUESTED)
    requested_on = models.DateField(_("requested on"))
    accepted_on = models.DateField(_("accepted on"), null=True, blank=True)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)  # declined or withdrawn
    declined_by = models.CharField(_("declined by"), max_length=8, choices=DeclinedBy.choices, blank=True, default="")
    outcome = models.CharField(_("outcome"), max_length=12, choices=SupportOutcome.choices, blank=True, default="")
    note = EncryptedTextField(_("note"), blank=True, default="")  # free text may name people: encrypted
    # Her consent (DESIGN §5: recorded per referral and per purpose).
    consent_how = models.CharField(_("how she gave her consent"), max_length=10, choices=ConsentWay.choices)
    shares_identity = models.BooleanField(_("her identity"), default=True)
    shares_contact = models.BooleanField(_("her contact details"), default=False)
    consent_at = models.DateTimeField()
    grant = models.ForeignKey("cases.Grant", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    referred_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    referring_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-requested_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(shares_identity=True), name="support_referral_shares_identity"),
            models.CheckConstraint(condition=Q(status="completed") | Q(outcome=""), name="support_referral_outcome_when_completed"),
        ]
        indexes = [models.Index(fields=["unit", "status"], name="support_referral_queue_idx")]

    def __str__(self) -> str:
        return f"support referral #{self.pk}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES
