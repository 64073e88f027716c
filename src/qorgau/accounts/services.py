"""Writes for accounts: roles, units, users, language, sign-out everywhere, notifications.

Every write takes ``actor=`` and records its audit row in the same transaction (DESIGN §3).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from qorgau.accounts import normalise, shared_cache
from qorgau.accounts.delivery import deliveries_enqueue, deliveries_plan
from qorgau.accounts.models import AgencyKind, Notification, NotificationKind, ServiceArea, Unit, User
from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role
from qorgau.core import clock, crypto
from qorgau.core import iin as iin_rules
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Invalid
from qorgau.core.localised import localised_rows_load
from qorgau.core.models import AuditAction, District, Region

AGENCY_KINDS_FILE = Path(__file__).resolve().parent / "agency_kinds.json"
SUPPORTED_LANGUAGES = ("ru", "kk", "en")


def roles_sync() -> int:
    """Create or update one Django group per role holding its capabilities. Idempotent."""
    perms = {p.codename: p for p in Permission.objects.filter(content_type__app_label="accounts")}
    missing = [c for c in Capability if c.value not in perms]
    if missing:
        # A capability added in code before the migration that lists it (post_migrate creates
        # permissions from the migrated model state): create its row here, so roles stay in step.
        from django.contrib.contenttypes.models import ContentType

        ct = ContentType.objects.get_for_model(User)
        for c in missing:
            perms[c.value], _new = Permission.objects.get_or_create(content_type=ct, codename=c.value, defaults={"name": c.value.replace("_", " ")})
    for role, caps in ROLE_CAPABILITIES.items():
        group, _created = Group.objects.get_or_create(name=role.value)
        group.permissions.set([perms[c.value] for c in caps])
    shared_cache.forget()  # the cached users carry their capabilities
    return len(ROLE_CAPABILITIES)


def agency_kinds_load() -> int:
    return localised_rows_load(AgencyKind, AGENCY_KINDS_FILE)


@transaction.atomic
def unit_create(
    *,
    actor: User | None,
    kind: AgencyKind,
    region: Region,
    name_ru: str,
    name_kk: str,
    name_en: str,
    district: District | None = None,
    service_area: str = ServiceArea.MIXED,
) -> Unit:
    if district is not None and district.region_id != region.iso:
        raise Invalid(fields={"district": [_("The district is not in the chosen region.")]})
    unit = Unit(
        kind=kind,
        region=region,
        district=district,
        service_area=service_area,
        timezone=region.timezone,
        name_ru=name_ru,
        name_kk=name_kk,
        name_en=name_en,
    )
    _full_clean(unit)
    unit.save()
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="unit", target_id=unit.pk)
    return unit


def _full_clean(obj: object, exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude))  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise Invalid(fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from exc


def _staff_identity(user: User, *, full_name: str, iin: str | None) -> None:
    if iin:
        if not iin_rules.is_valid(iin):
            raise Invalid(fields={"iin": [_("This IIN is not valid: check the 12 digits.")]})
        user.iin = iin
        user.iin_bidx = crypto.blind_index("staff_iin", normalise.iin_key(iin))
    user.full_name = full_name
    user.name_bidx = staff_name_bidx(full_name, user.iin)


def staff_name_bidx(full_name: str, iin: str | None) -> str:
    key = normalise.staff_match_key(full_name, iin)
    return crypto.blind_index("staff_person", key) if key else ""


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: Role | str,
    unit: Unit,
    full_name: str = "",
    iin: str | None = None,
    language: str = "ru",
) -> User:
    if language not in SUPPORTED_LANGUAGES:
        raise Invalid(fields={"language": [_("Choose Kazakh, Russian or English.")]})
    user = User(username=username, role=Role(role), unit=unit, language=language, date_joined=clock.now())
    user.is_staff = user.role == Role.ADMINISTRATOR
    _staff_identity(user, full_name=full_name, iin=iin)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid(fields={"password": [str(m) for m in exc.messages]}) from exc
    user.set_password(password)
    _full_clean(user, exclude=["password"])
    user.save()
    user.groups.set([Group.objects.get_or_create(name=user.role)[0]])
    shared_cache.forget([user.pk])  # the group (capabilities) is not a column of the user
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="user", target_id=user.pk)
    notify(recipients=[user], kind=NotificationKind.WELCOME, target_type="user", target_id=user.pk)
    return user


@transaction.atomic
def user_update_profile(*, actor: User, user: User, version: int, full_name: str, iin: str | None) -> User:
    """Change a staff member's name and IIN; a stale ``version`` is a conflict, not an overwrite."""
    updated = User.objects.filter(pk=user.pk, version=version).update(version=version + 1)
    if not updated:
        raise Conflict()
    user.refresh_from_db()
    _staff_identity(user, full_name=full_name, iin=iin)
    user.save(update_fields=["full_name", "iin", "iin_bidx", "name_bidx"])
    audit_record(actor=actor, action=AuditAction.WRITE, target_type="user", target_id=user.pk)
    return user


@transaction.atomic
def user_set_language(*, actor: User, language: str) -> None:
    if language not in SUPPORTED_LANGUAGES:
        raise Invalid(fields={"language": [_("Choose Kazakh, Russian or English.")]})
    User.objects.filter(pk=actor.pk).update(language=language)
    actor.language = language
    audit_record(actor=actor, action=AuditAction.LANGUAGE_CHANGED, target_type="user", target_id=actor.pk)


@transaction.atomic
def user_logout_everywhere(*, actor: User) -> None:
    """End every session of the user and revoke their personal API tokens."""
    from django.db.models import F

    User.objects.filter(pk=actor.pk).update(session_epoch=F("session_epoch") + 1)
    actor.refresh_from_db(fields=["session_epoch"])
    actor.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=clock.now())
    audit_record(actor=actor, action=AuditAction.LOGOUT_EVERYWHERE, target_type="user", target_id=actor.pk)
    notify(recipients=[actor], kind=NotificationKind.LOGGED_OUT_EVERYWHERE, target_type="user", target_id=actor.pk)


def notify(*, recipients: Iterable[User], kind: NotificationKind, target_type: str = "", target_id: object = "") -> int:
    """In-app notifications, and e-mail or SMS where each recipient chose them (accounts.delivery:
    the deliveries are written here, in the caller's transaction, and sent after it commits). The
    text comes from the kind, in the reader's language."""
    at = clock.now()
    rows = [
        Notification(recipient=u, kind=kind, target_type=target_type, target_id=str(target_id or ""), created_at=at)
        for u in recipients
    ]
    Notification.objects.bulk_create(rows)
    deliveries_enqueue(deliveries_plan(rows))
    return len(rows)


@transaction.atomic
def notification_mark_read(*, actor: User, notification_id: int | None = None) -> int:
    """Mark one of the actor's notifications read, or all of them when no id is given."""
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=clock.now())


def staff_blind_indexes_rebuild() -> int:
    """Recompute staff blind indexes under the active blind-index key (after a key rotation).

    Each row is locked and rewritten from its decrypted fields in a transaction of its own, so it is
    idempotent, can be interrupted, and never replaces indexes a concurrent change just wrote.
    """
    rebuilt, last = 0, 0
    while batch := list(User.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:500]):
        for pk in batch:
            # Locked while recomputed: a profile change landing meanwhile keeps its own indexes.
            with transaction.atomic():
                user = User.objects.select_for_update().only("id", "full_name", "iin").filter(pk=pk).first()
                if user is None:
                    continue
                iin_bidx = crypto.blind_index("staff_iin", normalise.iin_key(user.iin)) if user.iin else ""
                name_bidx = staff_name_bidx(user.full_name or "", user.iin)
                rebuilt += User.objects.filter(pk=user.pk).exclude(iin_bidx=iin_bidx, name_bidx=name_bidx).update(
                    iin_bidx=iin_bidx, name_bidx=name_bidx
                )
        last = batch[-1]
    return rebuilt
