"""Reports, incidents, cases (one victim–offender pair each), parties, grants and the timeline."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.masks import Scope
from qorgau.core.fields import EncryptedTextField
from qorgau.core.models import LocalisedName


class Channel(models.TextChoices):
    VICTIM = "victim", _("The victim herself")
    RELATIVE = "relative", _("A relative")
    NEIGHBOUR = "neighbour", _("A neighbour")
    SCHOOL = "school", _("A school")
    HOSPITAL = "hospital", _("A hospital or clinic")
    HOTLINE_150 = "hotline_150", _("Hotline 150")
    HOTLINE_111 = "hotline_111", _("Contact centre 111")
    POLICE_102 = "police_102", _("Police call 102")
    PATROL = "patrol", _("Police patrol")
    ONLINE = "online", _("Online")


class Relationship(models.TextChoices):
    """What the offender is to the victim."""

    SPOUSE = "spouse", _("Spouse")
    EX_SPOUSE = "ex_spouse", _("Former spouse")
    PARTNER = "partner", _("Partner")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Son or daughter")
    SIBLING = "sibling", _("Brother or sister")
    OTHER_RELATIVE = "other_relative", _("Other relative")
    HOUSEHOLD = "household", _("Other household member")


class Marker(LocalisedName):
    """A vulnerability marker (DESIGN §8): pregnant, disabled, elderly, … (reference data)."""

    code = models.SlugField(primary_key=True, max_length=40)

    class Meta:
        ordering = ["code"]


class Incident(models.Model):
    occurred_at = models.DateTimeField(_("when it happened"))
    region = models.ForeignKey("core.Region", on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey("core.District", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    locality = models.CharField(_("locality"), max_length=120, blank=True, default="")
    urban = models.BooleanField(_("urban"))
    physical = models.BooleanField(_("physical violence"), default=False)
    psychological = models.BooleanField(_("psychological violence"), default=False)
    economic = models.BooleanField(_("economic violence"), default=False)
    sexual = models.BooleanField(_("sexual violence"), default=False)
    neglect = models.BooleanField(_("neglect"), default=False)
    injuries = models.BooleanField(_("injuries"), default=False)
    weapon = models.BooleanField(_("weapon used or threatened"), default=False)
    strangulation = models.BooleanField(_("strangulation"), default=False)
    alcohol = models.BooleanField(_("alcohol involved"), default=False)
    drugs = models.BooleanField(_("drugs involved"), default=False)
    children_present = models.BooleanField(_("children present"), default=False)
    children_harmed = models.BooleanField(_("children harmed"), default=False)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(physical=True) | Q(psychological=True) | Q(economic=True) | Q(sexual=True) | Q(neglect=True),
                name="incident_has_a_form_of_violence",
            )
        ]

    def __str__(self) -> str:
        return f"incident {self.pk}"


class Report(models.Model):
    number = models.CharField(max_length=20, unique=True)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="reports")
    channel = models.CharField(_("reported by"), max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField(_("received at"))
    narrative = EncryptedTextField(_("what happened"), blank=True, default="")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    registered_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    registered_at = models.DateTimeField()
    # The import batch and line it came from, so a re-run of the same file adds nothing.
    import_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # The narrative was removed by the retention policy (every case of its incident had passed it).
    personal_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The analytics refresh asks "what was registered since the last refresh?" every few minutes.
        indexes = [models.Index(fields=["registered_at"], name="report_registered_idx")]

    def __str__(self) -> str:
        return self.number


class CaseState(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUPERVISED = "supervised", _("Supervised")
    CLOSED = "closed", _("Closed")


class Case(models.Model):
    """One victim–offender pair followed over time (DESIGN §10)."""

    number = models.CharField(max_length=20, unique=True)
    victim = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="cases_as_victim")
    offender = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="cases_as_offender")
    relationship = models.CharField(_("what the offender is to her"), max_length=16, choices=Relationship.choices)
    markers = models.ManyToManyField(Marker, blank=True, related_name="+")
    state = models.CharField(max_length=12, choices=CaseState.choices, default=CaseState.ACTIVE)
    state_reason = EncryptedTextField(blank=True, default="")
    restricted = models.BooleanField(default=False, help_text="The offender is police or other staff.")
    holding_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    incidents = models.ManyToManyField(Incident, related_name="cases")
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    # A confirmed person link showed this is the same pair as another case: that one carries on,
    # with this case's incidents; undoing the link clears this (cases.identity).
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_cases")
    # When the retention policy removed the case's decryptable personal fields (cases.retention).
    personal_removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["victim", "offender"], name="case_one_per_pair"),
            models.CheckConstraint(condition=~Q(victim=F("offender")), name="case_victim_is_not_offender"),
        ]
        # Restricted cases are few; the review queue and the staff check read them by this index
        # instead of scanning every case (docs/query-discipline.md).
        indexes = [models.Index(fields=["id"], condition=Q(restricted=True), name="case_restricted_idx")]

    def __str__(self) -> str:
        return self.number


class PartyRole(models.TextChoices):
    VICTIM = "victim", _("Victim")
    OFFENDER = "offender", _("Offender")
    CHILD_WITNESS = "child_witness", _("Child who witnessed")
    WITNESS = "witness", _("Witness")


class Party(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="parties")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(max_length=16, choices=PartyRole.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "person", "role"], name="party_unique")]

    def __str__(self) -> str:
        return f"{self.role} in incident {self.incident_id}"


class GrantReason(models.TextChoices):
    REGISTERED = "registered", _("Registered the report")
    HOLDS = "holds", _("Holds the case")
    TASK = "task", _("Holds a task")
    REFERRAL = "referral", _("Holds a referral")
    SUPERVISOR = "supervisor", _("Added by a supervisor")
    OVERSIGHT = "oversight", _("Internal oversight")
    BREAK_GLASS = "break_glass", _("Emergency access (break-glass)")
    MERGED = "merged", _("Worked on a case merged into this one")


class Grant(models.Model):
    """Need-to-know access of one unit to one case (DESIGN §5)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="grants")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="grants")
    reason = models.CharField(max_length=16, choices=GrantReason.choices)
    scope = models.CharField(max_length=8, choices=[(s.value, s.value) for s in Scope])
    granted_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    since = models.DateTimeField()
    until = models.DateTimeField(null=True, blank=True)
    justification = EncryptedTextField(blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["unit", "case"], name="grant_unit_case_idx")]

    def __str__(self) -> str:
        return f"grant {self.reason} of unit {self.unit_id} on case {self.case_id}"


class EventKind(models.TextChoices):
    OPENED = "opened", _("Case opened")
    REPORT_ADDED = "report_added", _("Report added")
    REOPENED = "reopened", _("Case reopened by a new report")
    STATE_CHANGED = "state_changed", _("State changed")
    EDITED = "edited", _("Case details corrected")
    GRANT_ADDED = "grant_added", _("Access granted")
    BREAK_GLASS = "break_glass", _("Emergency access (break-glass)")
    SAFE_CONTACT = "safe_contact", _("Safe-contact preferences updated")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    MERGED = "merged", _("Same pair: cases merged")
    SPLIT = "split", _("Merge undone: cases separated")
    RISK_ASSESSED = "risk_assessed", _("Risk assessed")
    RISK_LEVEL = "risk_level", _("Risk level changed by a supervisor")
    MEASURE = "measure", _("Protection measure recorded")
    SAFETY_PLAN = "safety_plan", _("Safety plan updated")
    ORDER_ISSUED = "order_issued", _("Protective order issued")
    ORDER_CHANGED = "order_changed", _("Protective order changed")
    BREACH = "breach", _("Breach of an order recorded")
    CHECKIN_MISSED = "checkin_missed", _("Check-in with the police missed")
    COURT_DECISION = "court_decision", _("Court decision recorded")
    TASK_CREATED = "task_created", _("Task given to a unit")
    TASK_CHANGED = "task_changed", _("Task accepted, done or declined")
    TASK_ESCALATED = "task_escalated", _("Task overdue: escalated")
    TASK_ROUTED = "task_routed", _("Task routed to a unit by hand")
    CONFERENCE = "conference", _("Case conference proposed, scheduled or held")
    CRIMINAL_CASE = "criminal_case", _("Criminal case recorded or changed")
    HEARING = "hearing", _("Court hearing scheduled")
    VICTIM_NOTICE = "victim_notice", _("Message to her sent or withheld")
    PLACEMENT = "placement", _("Shelter placement requested, admitted or ended")
    SUPPORT = "support", _("Socio-economic support referred or changed")
    PROGRAMME = "programme", _("Offender programme enrolment, attendance or outcome")
    MONITORING = "monitoring", _("Electronic monitoring: device, zone or alert")


class CaseEvent(models.Model):
    """The case's timeline: what happened on it, when and by which unit."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    from_state = models.CharField(max_length=12, blank=True, default="")
    to_state = models.CharField(max_length=12, blank=True, default="")
    reason = EncryptedTextField(blank=True, default="")  # free text may name people: encrypted

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on case {self.case_id}"


class AttachmentKind(models.TextChoices):
    INJURY_PHOTO = "injury_photo", _("Photo of injuries")
    MEDICAL_CERTIFICATE = "medical_certificate", _("Medical certificate")
    STATEMENT = "statement", _("Statement")
    OTHER = "other", _("Other document")


class Attachment(models.Model):
    """A file on a case (photo, certificate, statement). The bytes live encrypted outside the
    database under a random name (cases.attachments); this row holds what is needed to find, decrypt
    and check them. Nothing is deleted."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(_("kind of document"), max_length=20, choices=AttachmentKind.choices)
    filename = EncryptedTextField(_("file name"))  # a file name may name her: encrypted
    content_type = models.CharField(max_length=40)  # from the file's own first bytes, never the client
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)  # of the plaintext, checked on every open
    storage_key = models.UUIDField(unique=True)
    key_id = models.CharField(max_length=32)
    uploaded_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()
    # The retention policy deleted the file and emptied its name; the row stays for the record.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(content_type__in=["image/jpeg", "image/png", "application/pdf"]),
                name="attachment_allowed_type",
            ),
            models.CheckConstraint(condition=Q(size__gt=0), name="attachment_not_empty"),
        ]

    def __str__(self) -> str:
        return f"attachment {self.pk} on case {self.case_id}"
