"""The person registry: victims, offenders, children and witnesses (DESIGN §2, §6).

Names, IIN, phone, address and workplace are encrypted; search goes through blind indexes. A person
is only ever read through a case the reader may see (cases.access).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from qorgau.core.fields import EncryptedTextField


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    UNKNOWN = "U", _("Not known")


class IinStatus(models.TextChoices):
    NONE = "none", _("No IIN")
    VALID = "valid", _("Valid")
    UNVERIFIED = "unverified", _("Unverified (failed the check, kept as entered)")


class Person(models.Model):
    full_name = EncryptedTextField(_("full name"))
    iin = EncryptedTextField(_("IIN"), null=True, blank=True)
    iin_status = models.CharField(max_length=12, choices=IinStatus.choices, default=IinStatus.NONE)
    iin_bidx = models.CharField(max_length=64, blank=True, default="", db_index=True)
    name_bidx = models.CharField(max_length=64, blank=True, default="", db_index=True)
    name_dob_bidx = models.CharField(max_length=64, blank=True, default="", db_index=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = EncryptedTextField(_("phone"), null=True, blank=True)
    address = EncryptedTextField(_("address"), null=True, blank=True)
    workplace = EncryptedTextField(_("workplace"), null=True, blank=True)
    created_at = models.DateTimeField()
    created_by_unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    # Identity: each record keeps the person as one report entered her; confirmed links join records
    # into a cluster (a tree through ``merged_into``; ``cluster_id`` is its root, own id for a root).
    # A link is undone by cutting one edge, so every record and its history survive (DESIGN §10).
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_records")
    cluster_id = models.PositiveBigIntegerField(null=True, db_index=True)
    # The retention policy removed this record's personal fields; its keys still link (DESIGN §10).
    personal_removed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"person {self.pk}"


class PersonKey(models.Model):
    """A blocking key of a person record: a blind index (keyed HMAC) of a normalised name, birth
    date or phone combination (people.matching.KeyKind), so candidates are found without decrypting
    the registry. Carries the normaliser version that produced it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="keys")
    kind = models.CharField(max_length=2)
    normaliser = models.PositiveSmallIntegerField()
    bidx = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(fields=["normaliser"], name="personkey_normaliser_idx"),
            # The registry's probe counts the records of a key's block (people.registry.probe_ids):
            # with the record's id in the index, PostgreSQL answers from the index alone instead of
            # visiting a table page for each of the block's thousands of keys (SQLite ignores INCLUDE).
            models.Index(fields=["bidx"], include=["person_id"], name="personkey_bidx_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} key of person {self.person_id}"


class LinkHow(models.TextChoices):
    AUTO = "auto", _("Linked automatically")
    REVIEW = "review", _("Confirmed in the review queue")


class PersonLink(models.Model):
    """One confirmed link: the cluster rooted at ``merged`` joined the cluster rooted at ``survivor``.
    ``case_merges`` records exactly what merging the pair's cases changed, so the link can be undone."""

    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    how = models.CharField(max_length=8, choices=LinkHow.choices)
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField()
    case_merges = models.JSONField(default=list)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    undo_reason = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"link of person {self.merged_id} into {self.survivor_id}"


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Waiting for review")
    LINKED = "linked", _("Same person: linked")
    REJECTED = "rejected", _("Different people")
    SETTLED = "settled", _("Settled by another decision")


class MatchReview(models.Model):
    """A possible match the engine was not sure of: a person with the data-quality role decides."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    candidate = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    link = models.ForeignKey(PersonLink, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-score", "created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "candidate"], name="review_unique_pair")]
        indexes = [models.Index(fields=["status", "-score"], name="review_status_score_idx")]

    def __str__(self) -> str:
        return f"review of persons {self.person_id} and {self.candidate_id}"


class SafeContact(models.Model):
    """How and when the victim may be contacted; shown before anyone contacts her (issue 3)."""

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="safe_contact")
    may_call = models.BooleanField(_("may we call her?"), default=False)
    call_times = models.CharField(_("when to call"), max_length=120, blank=True, default="")
    phone = EncryptedTextField(_("safe number"), null=True, blank=True)
    may_leave_message = models.BooleanField(_("may we leave a message?"), default=False)
    code_word = EncryptedTextField(_("code word"), null=True, blank=True)
    # The language of messages to her (kk, ru, en); blank: the installation's default.
    language = models.CharField(_("language of messages"), max_length=2, blank=True, default="")
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"safe contact of person {self.person_id}"
