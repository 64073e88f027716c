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

    def __str__(self) -> str:
        return f"person {self.pk}"


class SafeContact(models.Model):
    """How and when the victim may be contacted; shown before anyone contacts her (issue 3)."""

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="safe_contact")
    may_call = models.BooleanField(_("may we call her?"), default=False)
    call_times = models.CharField(_("when to call"), max_length=120, blank=True, default="")
    phone = EncryptedTextField(_("safe number"), null=True, blank=True)
    may_leave_message = models.BooleanField(_("may we leave a message?"), default=False)
    code_word = EncryptedTextField(_("code word"), null=True, blank=True)
    updated_at = models.DateTimeField()
    version = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"safe contact of person {self.person_id}"
