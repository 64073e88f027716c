"""Protective orders, court special requirements and restraining measures, their breaches and the
offender's check-ins with the police; court decisions and criminal cases on a case (DESIGN §2, §10).

An order is issued to an offender and names the persons it protects; it is linked to each of their
cases (``OrderCase``), and statistics count orders, not links.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from qorgau.core.fields import EncryptedTextField


class OrderKind(models.TextChoices):
    POLICE = "police", _("Police protective order")
    SPECIAL_REQUIREMENTS = "special_requirements", _("Special requirements for the offender's behaviour (court)")
    RESTRAINING = "restraining", _("Restraining measure in criminal proceedings")


COURT_KINDS = frozenset({OrderKind.SPECIAL_REQUIREMENTS, OrderKind.RESTRAINING})


class OrderStatus(models.TextChoices):
    ISSUED = "issued", _("Issued, not yet served")
    SERVED = "served", _("Served on the offender")
    ACTIVE = "active", _("In force")
    EXTENDED = "extended", _("Extended")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


# The statuses of an order that still binds (or will bind) the offender.
OPEN_STATUSES = frozenset({OrderStatus.ISSUED, OrderStatus.SERVED, OrderStatus.ACTIVE, OrderStatus.EXTENDED})
SERVED_STATUSES = frozenset({OrderStatus.SERVED, OrderStatus.ACTIVE, OrderStatus.EXTENDED})

BANS = ("ban_contact", "ban_seeking", "ban_weapons", "ban_alcohol", "ban_drugs", "ban_cohabitation")


class Order(models.Model):
    number = models.CharField(max_length=20, unique=True)
    kind = models.CharField(_("kind of order"), max_length=24, choices=OrderKind.choices)
    offender = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="orders_against")
    protected: models.ManyToManyField[Any, Any] = models.ManyToManyField("people.Person", through="OrderProtected", related_name="orders_protecting")
    cases: models.ManyToManyField[Any, Any] = models.ManyToManyField("cases.Case", through="OrderCase", related_name="orders")
    issuing_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField()
    starts_at = models.DateTimeField(_("in force from"))
    ends_at = models.DateTimeField(_("in force until"))
    ban_contact = models.BooleanField(_("no contact with the protected persons"), default=False)
    ban_seeking = models.BooleanField(_("no seeking out, following or approaching them"), default=False)
    ban_weapons = models.BooleanField(_("no owning or carrying weapons"), default=False)
    ban_alcohol = models.BooleanField(_("no alcohol"), default=False)
    ban_drugs = models.BooleanField(_("no drugs or other intoxicating substances"), default=False)
    ban_cohabitation = models.BooleanField(_("no living together with the victim (exceptional)"), default=False)
    reporting_per_month = models.PositiveSmallIntegerField(_("reporting to the police, times a month"), default=0)
    court_reference = models.CharField(_("court decision reference"), max_length=60, blank=True, default="")
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.ISSUED)
    served_at = models.DateTimeField(null=True, blank=True)
    served_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoke_reason = EncryptedTextField(blank=True, default="")
    expired_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["status", "ends_at"], name="order_status_ends_idx"),
            models.Index(fields=["offender"], name="order_offender_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="order_ends_after_start"),
            models.CheckConstraint(condition=Q(reporting_per_month__lte=4), name="order_reporting_at_most_4"),
            models.CheckConstraint(condition=~Q(status="revoked") | Q(revoked_at__isnull=False), name="order_revoked_has_time"),
            models.CheckConstraint(
                condition=~Q(status__in=["served", "active", "extended"]) | Q(served_at__isnull=False), name="order_served_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_court(self) -> bool:
        return self.kind in COURT_KINDS

    @property
    def in_force(self) -> bool:
        return self.status in (OrderStatus.ACTIVE, OrderStatus.EXTENDED)


class OrderProtected(models.Model):
    """A person the order protects: a victim, or a child of the household."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="protected_rows")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "person"], name="order_protected_unique")]

    def __str__(self) -> str:
        return f"person {self.person_id} protected by order {self.order_id}"


class OrderCase(models.Model):
    """The order on one of the cases of its offender and a person it protects."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="case_links")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="order_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["order", "case"], name="order_case_unique")]

    def __str__(self) -> str:
        return f"order {self.order_id} on case {self.case_id}"


class OrderExtension(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="extensions")
    from_ends_at = models.DateTimeField()
    to_ends_at = models.DateTimeField()
    reason = EncryptedTextField()
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=Q(to_ends_at__gt=F("from_ends_at")), name="order_extension_later")]

    def __str__(self) -> str:
        return f"extension of order {self.order_id}"


class BreachSource(models.TextChoices):
    VICTIM = "victim", _("She reported it")
    POLICE = "police", _("Police found it")
    MONITORING = "monitoring", _("Electronic monitoring")
    PROGRAMME = "programme", _("Correction programme non-compliance")
    OTHER = "other", _("Other")


class Breach(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="breaches")
    occurred_at = models.DateTimeField(_("when it happened"))
    what = EncryptedTextField(_("what happened"))
    evidence = EncryptedTextField(_("evidence"), blank=True, default="")
    source = models.CharField(_("how it became known"), max_length=12, choices=BreachSource.choices, default=BreachSource.POLICE)
    reported_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["order", "recorded_at"], name="breach_order_recorded_idx")]

    def __str__(self) -> str:
        return f"breach {self.pk} of order {self.order_id}"


class CheckIn(models.Model):
    """One date on which the offender must report to the police (special requirements)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="checkins")
    due_on = models.DateField()
    attended_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    missed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)  # the order was revoked before this date

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "due_on"], name="checkin_unique_day"),
            models.CheckConstraint(condition=Q(attended_at__isnull=True) | Q(missed_at__isnull=True), name="checkin_attended_or_missed"),
        ]
        indexes = [
            models.Index(fields=["due_on"], name="checkin_due_idx"),
            # The sweep's "open check-ins whose day has passed", every minute: only the open few are indexed.
            models.Index(fields=["due_on"], name="checkin_open_due_idx",
                         condition=Q(attended_at__isnull=True, missed_at__isnull=True, cancelled_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"check-in of order {self.order_id} on {self.due_on}"


class DecisionKind(models.TextChoices):
    ADMINISTRATIVE_PENALTY = "administrative_penalty", _("Administrative penalty")
    SPECIAL_REQUIREMENTS = "special_requirements", _("Special requirements set")
    CRIMINAL_CONVICTION = "criminal_conviction", _("Criminal conviction")
    ACQUITTAL = "acquittal", _("Acquittal")
    OTHER = "other", _("Other decision")


class CourtDecision(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="court_decisions")
    court_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("decision"), max_length=24, choices=DecisionKind.choices)
    decided_on = models.DateField(_("decided on"))
    reference = models.CharField(_("reference number"), max_length=60)
    article = models.CharField(_("article"), max_length=60, blank=True, default="")
    sentence = EncryptedTextField(_("sentence or measures"), blank=True, default="")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions")
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["case", "court_unit", "reference"], name="court_decision_unique_ref")]

    def __str__(self) -> str:
        return f"court decision {self.reference}"


class CriminalCaseStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered (ERDR)")
    IN_COURT = "in_court", _("Sent to court")
    CONVICTED = "convicted", _("Conviction")
    ACQUITTED = "acquitted", _("Acquittal")
    DISCONTINUED = "discontinued", _("Discontinued")


class CriminalCase(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="criminal_cases")
    number = models.CharField(_("registration number"), max_length=40)
    registered_on = models.DateField(_("registered on"))
    article = models.CharField(_("article of the Criminal Code"), max_length=60)
    status = models.CharField(max_length=12, choices=CriminalCaseStatus.choices, default=CriminalCaseStatus.REGISTERED)
    # The date of the last change of status (sent to court, verdict, discontinued), as the papers say.
    status_on = models.DateField(null=True, blank=True)
    # The verdict: a conviction (with the sentence) or an acquittal recorded as a court decision.
    decision = models.ForeignKey(CourtDecision, on_delete=models.PROTECT, null=True, blank=True, related_name="criminal_cases")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    changed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-registered_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="criminal_case_unique_number"),
            models.CheckConstraint(condition=~Q(status="convicted") | Q(decision__isnull=False), name="criminal_case_conviction_has_decision"),
        ]
        indexes = [models.Index(fields=["status"], name="criminal_case_status_idx")]

    def __str__(self) -> str:
        return self.number


class SpecialisedCourt(models.Model):
    """A court unit that is a specialised inter-district court for family and juvenile matters."""

    unit = models.OneToOneField("accounts.Unit", on_delete=models.PROTECT, primary_key=True, related_name="specialised_court")
    since = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"specialised court {self.unit_id}"


class HearingKind(models.TextChoices):
    SPECIAL_REQUIREMENTS = "special_requirements", _("Special requirements")
    EXTENSION = "extension", _("Extension of special requirements")
    ADMINISTRATIVE = "administrative", _("Administrative offence")
    CRIMINAL_TRIAL = "criminal_trial", _("Criminal trial")
    OTHER = "other", _("Other hearing")


class HearingStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    ADJOURNED = "adjourned", _("Adjourned to a new date")
    CANCELLED = "cancelled", _("Cancelled")


# A hearing still to come: scheduled, or adjourned to a new date.
UPCOMING_HEARING = frozenset({HearingStatus.SCHEDULED, HearingStatus.ADJOURNED})


class CourtHearing(models.Model):
    """A hearing of a court on a case: what it is about, when, and what came of it."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="court_hearings")
    court_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    scheduled_for = models.DateTimeField(_("date and time"))
    kind = models.CharField(_("hearing"), max_length=24, choices=HearingKind.choices)
    status = models.CharField(max_length=10, choices=HearingStatus.choices, default=HearingStatus.SCHEDULED)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, null=True, blank=True, related_name="hearings")
    criminal_case = models.ForeignKey(CriminalCase, on_delete=models.PROTECT, null=True, blank=True, related_name="hearings")
    decision = models.ForeignKey(CourtDecision, on_delete=models.PROTECT, null=True, blank=True, related_name="hearings")
    outcome = EncryptedTextField(_("outcome"), blank=True, default="")  # may name people: encrypted
    scheduled_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField()
    changed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["scheduled_for", "id"]
        indexes = [
            models.Index(fields=["court_unit", "scheduled_for"], name="hearing_court_when_idx"),
            models.Index(fields=["case", "scheduled_for"], name="hearing_case_when_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(decision__isnull=True) | Q(status="held"), name="hearing_decision_when_held"),
        ]

    def __str__(self) -> str:
        return f"hearing {self.pk} on case {self.case_id}"

    @property
    def upcoming(self) -> bool:
        return self.status in UPCOMING_HEARING
