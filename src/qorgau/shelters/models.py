"""Crisis centres and shelters: the registry, bed pools, holds and placements (issue 7, DESIGN §5).

A centre's street address is secret (encrypted; shown only through ``selectors.centre_values``);
the public sees its locality. Occupancy of a pool = live placements + live holds; it is never stored,
so it cannot drift from the rows that make it.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from qorgau.core.fields import EncryptedTextField


class Ownership(models.TextChoices):
    STATE = "state", pgettext_lazy("ownership", "State")
    NGO = "ngo", _("Non-governmental organisation")


class Centre(models.Model):
    """A crisis centre, shelter or family support centre: one unit of such an agency kind."""

    unit = models.OneToOneField("accounts.Unit", on_delete=models.PROTECT, related_name="centre")
    ownership = models.CharField(_("ownership"), max_length=8, choices=Ownership.choices)
    # services
    shelter = models.BooleanField(_("shelter beds"), default=True)
    psychologist = models.BooleanField(_("psychologist"), default=False)
    lawyer = models.BooleanField(_("lawyer"), default=False)
    accepts_children = models.BooleanField(_("children accepted"), default=False)
    disability_access = models.BooleanField(_("disability access"), default=False)
    # languages served
    lang_kk = models.BooleanField(_("Kazakh"), default=True)
    lang_ru = models.BooleanField(_("Russian"), default=True)
    lang_en = models.BooleanField(_("English"), default=False)
    lang_other = models.BooleanField(_("other languages"), default=False)
    # groups served
    serves_migrants = models.BooleanField(_("migrants"), default=False)
    serves_ethnic = models.BooleanField(_("ethnic communities"), default=False)
    serves_disabilities = models.BooleanField(_("women with disabilities"), default=False)
    opening_hours = models.CharField(_("opening hours"), max_length=120, blank=True, default="")
    phone = models.CharField(_("public contact phone"), max_length=32, blank=True, default="")
    address = EncryptedTextField(_("street address"), blank=True, default="")  # secret (DESIGN §5)
    # Blank: the unit's district (else its region's centre), named in the reader's language.
    locality = models.CharField(_("city or district"), max_length=120, blank=True, default="")
    # The centroid of the unit's district (else its region's centre): enough to order by distance
    # without storing where the shelter really is.
    lat = models.FloatField()
    lon = models.FloatField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["unit_id"]

    def __str__(self) -> str:
        return str(self.unit)

    @property
    def place(self) -> str:
        if self.locality:
            return self.locality
        unit = self.unit
        if unit.district is not None:
            return unit.district.name
        lang = (get_language() or "ru")[:2]
        return str(getattr(unit.region, f"centre_{lang}", "") or unit.region.centre_ru)


class BedKind(models.TextChoices):
    WOMEN = "women", _("Women")
    WITH_CHILDREN = "with_children", _("Women with children")
    ACCESSIBLE = "accessible", _("Accessible")


class BedPool(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="pools")
    kind = models.CharField(_("kind of bed"), max_length=16, choices=BedKind.choices)
    capacity = models.IntegerField(_("beds"), default=0)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["centre_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["centre", "kind"], name="bedpool_unique_kind"),
            models.CheckConstraint(condition=Q(capacity__gte=0), name="bedpool_capacity_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.centre_id}"


class BedHold(models.Model):
    """A bed kept for an incoming referral until ``held_until``; released on admission or lapse."""

    pool = models.ForeignKey(BedPool, on_delete=models.PROTECT, related_name="holds")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+")
    children = models.PositiveSmallIntegerField(default=0)
    held_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    held_until = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["pool", "released_at"], name="bedhold_live_idx"),
            # The sweep's "live holds whose time is up", every minute: only the live few are indexed.
            models.Index(fields=["held_until"], name="bedhold_lapse_idx", condition=Q(released_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"hold #{self.pk}"


class Outcome(models.TextChoices):
    INDEPENDENT = "independent", _("Moved to housing of her own")
    RELATIVES = "relatives", _("Moved to relatives or friends")
    OTHER_SHELTER = "other_shelter", _("Moved to another shelter")
    RETURNED = "returned", _("Returned to the shared home")
    LEFT_EARLY = "left_early", _("Left before the planned end")
    OTHER = "other", _("Other")


class Placement(models.Model):
    # A stay belongs to a case, or — an anonymous stay — to a crisis centre's anonymous record
    # (intake), never to both: the anonymous record is never linked into cases.
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    record = models.ForeignKey("intake.AnonymousRecord", on_delete=models.PROTECT, null=True, blank=True, related_name="placements")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="placements")
    pool = models.ForeignKey(BedPool, on_delete=models.PROTECT, related_name="placements")
    hold = models.OneToOneField(BedHold, on_delete=models.PROTECT, null=True, blank=True, related_name="placement")
    admitted_at = models.DateTimeField(_("admitted at"))
    children = models.PositiveSmallIntegerField(_("children with her"), default=0)
    expected_days = models.PositiveSmallIntegerField(_("expected length of stay, days"), default=30)
    gave_psychologist = models.BooleanField(_("psychologist"), default=False)
    gave_lawyer = models.BooleanField(_("lawyer"), default=False)
    gave_medical = models.BooleanField(_("medical care"), default=False)
    gave_social = models.BooleanField(_("social support"), default=False)
    discharged_at = models.DateTimeField(_("discharged at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True, default="")
    admitted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-admitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discharged_at__isnull=True) | Q(discharged_at__gte=F("admitted_at")), name="placement_discharge_after_admission"
            ),
            models.CheckConstraint(
                condition=Q(case__isnull=False, record__isnull=True) | Q(case__isnull=True, record__isnull=False),
                name="placement_case_or_record",
            ),
        ]
        indexes = [models.Index(fields=["pool", "discharged_at"], name="placement_live_idx")]

    def __str__(self) -> str:
        return f"placement #{self.pk}"
