"""Analytics tables: the summary tallies the dashboards read, and the national strategy the ministry enters.

No table here holds a person, a case id or a date finer than a month: tallies are counts per month,
region, district, urban/rural and one breakdown (form of violence or victim group); the strategy is
measures, money, campaigns and grants.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qorgau.core.models import LocalisedName


class Tally(models.Model):
    """One count: an indicator in a month for one place and at most one breakdown.

    ``dimension`` is ``""`` for the whole, ``"form:<flag>"`` for a form of violence or
    ``"group:<marker>"`` for a victim group. Breakdown rows are kept at region level only
    (``district`` is null): a form or group by district is too fine to publish (coarsening, see
    docs/analytics.md). ``amount`` carries a sum for averages (hours from report to first contact).
    """

    month = models.DateField()  # the first day of the month
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("core.District", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    urban = models.BooleanField(null=True)
    dimension = models.CharField(max_length=40, blank=True, default="")
    indicator = models.CharField(max_length=32)
    value = models.BigIntegerField()
    amount = models.FloatField(default=0.0)

    class Meta:
        indexes = [
            models.Index(fields=["indicator", "dimension", "month"], name="tally_ind_dim_month"),
            models.Index(fields=["indicator", "dimension", "region", "month"], name="tally_ind_dim_region_month"),
            models.Index(fields=["month"], name="tally_month"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="tally_value_not_negative"),
            models.CheckConstraint(condition=Q(dimension="") | Q(district__isnull=True), name="tally_breakdown_region_level"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator} {self.month:%Y-%m} {self.region_id}"


class RefreshMark(models.Model):
    """How far the tallies are up to date: the source rows recorded up to ``at`` are counted."""

    name = models.CharField(primary_key=True, max_length=32)
    at = models.DateTimeField()
    months = models.PositiveIntegerField(default=0)  # months recomputed by the last refresh
    rows = models.PositiveIntegerField(default=0)  # tally rows written by the last refresh

    def __str__(self) -> str:
        return f"{self.name} @ {self.at:%Y-%m-%d %H:%M}"


# --- The national strategy (DESIGN §8) ---------------------------------------------------------------


class StrategyArea(models.TextChoices):
    PREVENTION = "prevention", _("Prevention")
    EDUCATION = "education", _("Education and awareness")
    PROTECTION = "protection", _("Protection of victims")
    SUPPORT = "support", _("Support and rehabilitation")
    JUSTICE = "justice", _("Justice and offender accountability")
    COORDINATION = "coordination", _("Coordination and data")


class StrategyMeasure(LocalisedName):
    """A measure of the national strategy, with the outcome indicator it should move and its target."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    area = models.CharField(_("area"), max_length=16, choices=StrategyArea.choices)
    indicator = models.CharField(_("outcome indicator"), max_length=32)  # a code of analytics.indicators
    baseline = models.FloatField(_("baseline"), null=True, blank=True)
    target = models.FloatField(_("target"), null=True, blank=True)
    target_year = models.PositiveSmallIntegerField(_("target year"), null=True, blank=True)
    responsible = models.CharField(_("responsible body"), max_length=200, blank=True, default="")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    changed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["area", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")), name="measure_ends_after_start"),
        ]


class Financing(models.Model):
    """The budget of a measure for one year, nationally (region null) or for one region, and what was spent."""

    measure = models.ForeignKey(StrategyMeasure, on_delete=models.PROTECT, related_name="financing")
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    budget = models.DecimalField(_("budget, tenge"), max_digits=16, decimal_places=2)
    spent = models.DecimalField(_("spent, tenge"), max_digits=16, decimal_places=2, default=0)
    source = models.CharField(_("source of funds"), max_length=200, blank=True, default="")
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["measure", "year", "region"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "region", "year"], name="financing_one_line", nulls_distinct=False),
            models.CheckConstraint(condition=Q(budget__gte=0) & Q(spent__gte=0), name="financing_not_negative"),
        ]

    def __str__(self) -> str:
        return f"financing {self.measure_id} {self.year} {self.region_id or 'national'}"


class CampaignChannel(models.TextChoices):
    TELEVISION = "television", _("Television and radio")
    ONLINE = "online", _("Online and social media")
    SCHOOLS = "schools", _("Schools and universities")
    OUTREACH = "outreach", _("Outreach in communities")
    PRINT = "print", _("Print and outdoor")
    WORKPLACES = "workplaces", _("Workplaces")


class Campaign(models.Model):
    """A prevention or awareness campaign and the people it reached."""

    measure = models.ForeignKey(StrategyMeasure, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns")
    title = models.CharField(_("title"), max_length=200)
    channel = models.CharField(_("channel"), max_length=16, choices=CampaignChannel.choices)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    reach = models.PositiveIntegerField(_("people reached"), default=0)
    cost = models.DecimalField(_("cost, tenge"), max_digits=16, decimal_places=2, default=0)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")), name="campaign_ends_after_start"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="campaign_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title


class NgoGrant(models.Model):
    """A state grant (social order) to a non-governmental organisation."""

    measure = models.ForeignKey(StrategyMeasure, on_delete=models.PROTECT, null=True, blank=True, related_name="grants")
    grantee = models.CharField(_("organisation"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=300)
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    amount = models.DecimalField(_("amount, tenge"), max_digits=16, decimal_places=2)
    awarded_on = models.DateField(_("awarded on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-awarded_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="grant_amount_positive"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("awarded_on")), name="grant_ends_after_award"),
        ]

    def __str__(self) -> str:
        return self.grantee
