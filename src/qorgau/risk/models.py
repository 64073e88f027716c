"""Risk assessment (DESIGN §2, §10): instruments as versioned data, assessments, the case's level,
the measures each level requires, reassessment and the victim's safety plan.

An instrument version is shipped as a file (``risk/instruments/*.json``), imported as rows and, once
published, never changed: a re-weighting is a new version. Answers are the one JSON column (the
versioned questionnaire's answers, DESIGN §3); everything else is typed.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from qorgau.cases.models import Relationship
from qorgau.core.fields import EncryptedTextField
from qorgau.core.models import LocalisedName


class Level(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


LEVEL_RANK = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2, Level.CRITICAL: 3}


class Answer(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Not known")


def _localised(obj: object, stem: str) -> str:
    lang = (get_language() or "ru")[:2]
    return str(getattr(obj, f"{stem}_{lang}", "") or getattr(obj, f"{stem}_ru"))


class InstrumentKind(models.TextChoices):
    ACTUARIAL = "actuarial", _("Actuarial score")
    CHECKLIST = "checklist", _("Structured checklist")


class Instrument(LocalisedName):
    code = models.SlugField(unique=True, max_length=40)
    kind = models.CharField(max_length=12, choices=InstrumentKind.choices)

    class Meta:
        ordering = ["code"]


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class InstrumentVersion(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    description_kk = models.TextField(blank=True, default="")
    description_ru = models.TextField(blank=True, default="")
    description_en = models.TextField(blank=True, default="")
    flag_name_kk = models.CharField(max_length=200, blank=True, default="")
    flag_name_ru = models.CharField(max_length=200, blank=True, default="")
    flag_name_en = models.CharField(max_length=200, blank=True, default="")
    source_sha256 = models.CharField(max_length=64, blank=True, default="")  # of the shipped file, if any
    # A draft proposed by the validation report carries the version it re-weights.
    derived_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["instrument__code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="instrument_version_unique"),
            models.UniqueConstraint(
                fields=["instrument"], condition=Q(status="published"), name="instrument_one_published_version"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False), name="instrument_version_published_at"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.code} v{self.number}"

    @property
    def description(self) -> str:
        return _localised(self, "description")

    @property
    def flag_name(self) -> str:
        return _localised(self, "flag_name")


class VersionRelationship(models.Model):
    """A relationship the version applies to, and whether it is the primary instrument for it (§10)."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="relationships")
    relationship = models.CharField(max_length=16, choices=Relationship.choices)
    primary = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "relationship"], name="version_relationship_unique")]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.relationship}"


class LevelCutoff(models.Model):
    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="cutoffs")
    level = models.CharField(max_length=10, choices=Level.choices)
    min_score = models.PositiveIntegerField()

    class Meta:
        ordering = ["min_score"]
        constraints = [models.UniqueConstraint(fields=["version", "level"], name="level_cutoff_unique")]

    def __str__(self) -> str:
        return f"{self.level} from {self.min_score}"


class FlagEscalation(models.Model):
    """With the version's flag raised, a computed ``from_level`` becomes ``to_level``."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="escalations")
    from_level = models.CharField(max_length=10, choices=Level.choices)
    to_level = models.CharField(max_length=10, choices=Level.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "from_level"], name="flag_escalation_unique")]

    def __str__(self) -> str:
        return f"{self.from_level} -> {self.to_level}"


class Section(models.Model):
    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="sections")
    code = models.SlugField(max_length=40)
    position = models.PositiveIntegerField()
    title_kk = models.CharField(max_length=200)
    title_ru = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="section_unique")]

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        return _localised(self, "title")


class Item(models.Model):
    """One question; "yes" scores its weight, "no" and "not known" score nothing."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="items")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(max_length=40)
    position = models.PositiveIntegerField()
    question_kk = models.TextField()
    question_ru = models.TextField()
    question_en = models.TextField()
    help_kk = models.TextField(blank=True, default="")
    help_ru = models.TextField(blank=True, default="")
    help_en = models.TextField(blank=True, default="")
    weight = models.PositiveIntegerField(default=1)
    # What the registry may already know about this item (risk.prefill); blank for none.
    prefill = models.CharField(max_length=40, blank=True, default="")

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="item_unique")]

    def __str__(self) -> str:
        return self.code

    @property
    def question(self) -> str:
        return _localised(self, "question")

    @property
    def help(self) -> str:
        return _localised(self, "help")


class FlagRule(models.Model):
    """Fires when every item of ``all_items`` is "yes" and, if any are named, one of ``any_items``."""

    version = models.ForeignKey(InstrumentVersion, on_delete=models.CASCADE, related_name="flag_rules")
    code = models.SlugField(max_length=40)
    position = models.PositiveIntegerField()
    label_kk = models.CharField(max_length=300)
    label_ru = models.CharField(max_length=300)
    label_en = models.CharField(max_length=300)
    all_items = models.ManyToManyField(Item, related_name="+")
    any_items = models.ManyToManyField(Item, related_name="+", blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="flag_rule_unique")]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        return _localised(self, "label")


# --- what each level requires ------------------------------------------------------------------------


class Measure(models.TextChoices):
    PROTECTIVE_ORDER = "protective_order", _("Protective order")
    PATROL_VISITS = "patrol_visits", _("Patrol visits")
    SAFETY_PLAN = "safety_plan", _("Safety plan with her")
    SUPPORT_REFERRAL = "support_referral", _("Referral to a family support centre")
    SHELTER_REFERRAL = "shelter_referral", _("Offer of a shelter place")
    MONITORING_PROPOSAL = "monitoring_proposal", _("Proposal of electronic monitoring")
    CASE_CONFERENCE = "case_conference", _("Multi-agency case conference")


class LevelPolicy(models.Model):
    """Configuration per level (``risk/policy.json``): when to reassess, which measures are mandatory."""

    level = models.CharField(primary_key=True, max_length=10, choices=Level.choices)
    reassess_days = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.level


class LevelMeasure(models.Model):
    policy = models.ForeignKey(LevelPolicy, on_delete=models.CASCADE, related_name="measures")
    measure = models.CharField(max_length=24, choices=Measure.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["policy", "measure"], name="level_measure_unique")]

    def __str__(self) -> str:
        return f"{self.policy_id}: {self.measure}"


# --- assessments ---------------------------------------------------------------------------------------


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")


class Assessment(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="assessments")
    version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(max_length=8, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT)
    # The index incident: the case's latest when the assessment was started.
    incident = models.ForeignKey("cases.Incident", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    answers = models.JSONField(default=dict)  # {item code: "yes" | "no" | "unknown"}
    prefill = models.JSONField(default=dict)  # {item code: "yes" | "no"}: what the registry proposed
    score = models.PositiveIntegerField(null=True, blank=True)
    computed_level = models.CharField(max_length=10, choices=Level.choices, blank=True, default="")
    flag = models.BooleanField(default=False)
    final_level = models.CharField(max_length=10, choices=Level.choices, blank=True, default="")
    # Why the final level differs from the computed one (an officer raising it, a supervisor lowering it).
    level_reason = EncryptedTextField(blank=True, default="")
    language = models.CharField(max_length=2, default="ru")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    assessed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    row_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "status", "signed_at"], name="assessment_case_signed_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft")
                | (Q(score__isnull=False) & ~Q(computed_level="") & ~Q(final_level="") & Q(signed_at__isnull=False)),
                name="assessment_signed_is_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"assessment {self.pk} on case {self.case_id}"


class LevelChange(models.Model):
    """A supervisor's change of a signed assessment's final level (lowering needs one), with the reason."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="level_changes")
    from_level = models.CharField(max_length=10, choices=Level.choices)
    to_level = models.CharField(max_length=10, choices=Level.choices)
    reason = EncryptedTextField()
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"level change {self.pk} on assessment {self.assessment_id}"


class CaseRisk(models.Model):
    """The case's current level (§10: the primary instrument's latest signed final level, raised by the
    actuarial one) and when it must be reassessed; kept by the services in the signing transaction."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, primary_key=True, related_name="risk")
    level = models.CharField(max_length=10, choices=Level.choices)
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()
    due_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="case_risk_due_idx")]

    def __str__(self) -> str:
        return f"{self.level} risk on case {self.case_id}"


class MeasureStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    NOT_APPLIED = "not_applied", _("Not applied")


class MeasureRecord(models.Model):
    """Whether a measure the level requires was applied on the case, for the assessment that required it."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="measures")
    measure = models.CharField(max_length=24, choices=Measure.choices)
    status = models.CharField(max_length=12, choices=MeasureStatus.choices)
    note = EncryptedTextField(blank=True, default="")
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "measure"], name="measure_record_unique")]

    def __str__(self) -> str:
        return f"{self.measure} on assessment {self.assessment_id}"


# --- the victim's safety plan ----------------------------------------------------------------------------


class SafetyPlan(models.Model):
    """Her personal safety plan: practical steps, contacts, safe places, documents. Printed in her
    language. Whereabouts and contacts are encrypted and masked like her address (DESIGN §5)."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="safety_plan")
    language = models.CharField(_("her language"), max_length=2, default="ru")
    steps = EncryptedTextField(_("practical steps"), blank=True, default="")
    contacts = EncryptedTextField(_("people and numbers to call"), blank=True, default="")
    safe_places = EncryptedTextField(_("safe places to go"), blank=True, default="")
    children = EncryptedTextField(_("plan for the children"), blank=True, default="")
    doc_identity = models.BooleanField(_("identity card or passport"), default=False)
    doc_children = models.BooleanField(_("children's birth certificates"), default=False)
    doc_medical = models.BooleanField(_("medical certificates and records"), default=False)
    doc_money = models.BooleanField(_("bank cards and some cash"), default=False)
    doc_housing = models.BooleanField(_("housing and property papers"), default=False)
    doc_orders = models.BooleanField(_("copies of protective orders and reports"), default=False)
    doc_medicines = models.BooleanField(_("medicines for her and the children"), default=False)
    doc_phone = models.BooleanField(_("charged phone and important numbers on paper"), default=False)
    documents_other = EncryptedTextField(_("other things to keep ready"), blank=True, default="")
    created_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"safety plan of case {self.case_id}"
