"""Which notifications a staff member also gets by e-mail or SMS, and their work contacts.

Every notification is in the app; e-mail and SMS are extra channels chosen per kind. Until a user
saves the settings page, ``DEFAULT_CHANNELS`` apply: the urgent kinds by e-mail, a breached order
also by SMS. A channel is used only when the user has an address for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from qorgau.accounts.models import NotificationKind, NotificationPreference, User
from qorgau.accounts.sms import phone_normalise
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Invalid
from qorgau.core.models import AuditAction


@dataclass(frozen=True)
class Channels:
    email: bool = False
    sms: bool = False


NONE = Channels()
DEFAULT_CHANNELS: dict[str, Channels] = {
    NotificationKind.TASK_ASSIGNED: Channels(email=True),
    NotificationKind.TASK_OVERDUE: Channels(email=True),
    NotificationKind.TASK_ROUTED: Channels(email=True),
    NotificationKind.ORDER_BREACHED: Channels(email=True, sms=True),
    NotificationKind.ORDER_EXPIRING: Channels(email=True),
    NotificationKind.VICTIM_CONTACT_WITHHELD: Channels(email=True),
    NotificationKind.CONFERENCE_SCHEDULED: Channels(email=True),
    NotificationKind.HEARING_SCHEDULED: Channels(email=True),
}
# The welcome note is for the app only: a new account has no contacts yet.
CONFIGURABLE_KINDS: tuple[NotificationKind, ...] = tuple(k for k in NotificationKind if k != NotificationKind.WELCOME)
EMAIL_MAX = 254
PHONE_MAX = 40


def channels_for(users: Iterable[User], kind: str) -> dict[int, Channels]:
    """The channels each user chose for ``kind`` (defaults where they chose nothing), one query."""
    ids = [u.pk for u in users]
    chosen = {
        user_id: Channels(email=email, sms=sms)
        for user_id, email, sms in NotificationPreference.objects.filter(user_id__in=ids, kind=kind).values_list("user_id", "email", "sms")
    }
    default = DEFAULT_CHANNELS.get(kind, NONE) if kind != NotificationKind.WELCOME else NONE
    return {pk: chosen.get(pk, default) for pk in ids}


def preferences_of(user: User) -> dict[str, Channels]:
    chosen = {p.kind: Channels(email=p.email, sms=p.sms) for p in NotificationPreference.objects.filter(user=user)}
    return {k.value: chosen.get(k.value, DEFAULT_CHANNELS.get(k, NONE)) for k in CONFIGURABLE_KINDS}


def _clean_contacts(email: str, phone: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    email = email.strip()
    phone = phone.strip()
    if "\x00" in email or "\x00" in phone:
        errors["email" if "\x00" in email else "phone"] = [_("The text contains characters that are not allowed.")]
    elif len(email) > EMAIL_MAX:
        errors["email"] = [_("This value is too long.")]
    elif email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    if "phone" not in errors and phone:
        normalised = phone_normalise(phone) if len(phone) <= PHONE_MAX else ""
        if not normalised:
            errors["phone"] = [_("Enter a phone number with its country code, such as +7 701 123 45 67.")]
        phone = normalised
    if errors:
        raise Invalid(fields=errors)
    return email, phone


@transaction.atomic
def notification_settings_save(
    *, actor: User, version: int, email: str, phone: str, channels: Mapping[str, Channels]
) -> User:
    """Save the actor's work e-mail and phone and their channel per notification kind (every
    configurable kind; a kind left out gets no e-mail and no SMS). A stale ``version`` is a conflict."""
    email, phone = _clean_contacts(email, phone)
    unknown = set(channels) - {k.value for k in CONFIGURABLE_KINDS}
    if unknown:
        raise Invalid(fields={"__all__": [_("Choose one of the offered values.")]})
    if not User.objects.filter(pk=actor.pk, version=version).update(version=version + 1):
        raise Conflict()
    actor.refresh_from_db(fields=["version"])
    actor.email = email
    actor.phone = phone
    actor.save(update_fields=["email", "phone"])
    NotificationPreference.objects.filter(user=actor).delete()
    NotificationPreference.objects.bulk_create(
        NotificationPreference(user=actor, kind=k.value, email=channels.get(k.value, NONE).email, sms=channels.get(k.value, NONE).sms)
        for k in CONFIGURABLE_KINDS
    )
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="notification_settings", target_id=actor.pk)
    return actor
