"""Writes of the centre registry: registering a centre for a unit and editing its details (issue 7).

Registration calls ``services.centre_register`` after the checks it does not make (who registers,
one centre per unit). An edit locks the row, checks the version (a stale edit is a ``Conflict``),
validates with ``full_clean`` and audits in the same transaction. The secret address is replaced
only when a new value is given; who may read it is decided by ``selectors.sees_address``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.models import Unit, User
from qorgau.accounts.roles import Capability
from qorgau.core.audit import audit_record
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction
from qorgau.shelters.models import Centre
from qorgau.shelters.services import CENTRE_KINDS, centre_register

# The fields an edit may change (not the unit, the position or the bed capacity).
FLAGS = ("shelter", "psychologist", "lawyer", "accepts_children", "disability_access", "lang_kk", "lang_ru", "lang_en", "lang_other",
         "serves_migrants", "serves_ethnic", "serves_disabilities")
TEXTS = ("ownership", "opening_hours", "phone", "locality")
EDITABLE = (*FLAGS, *TEXTS, "address")


def may_edit(user: User, centre: Centre) -> bool:
    """Administrators, and the centre's own staff."""
    if user.can(Capability.MANAGE_REFERENCE):
        return True
    return user.unit_id is not None and user.unit_id == centre.unit_id and user.can(Capability.SHELTER_INTAKE)


def registrable_units() -> list[Unit]:
    """Active units of a centre kind that have no centre yet."""
    return list(Unit.objects.filter(kind_id__in=CENTRE_KINDS, is_active=True, centre__isnull=True).select_related("region")
                .order_by("region_id", "name_ru"))


def _invalid(exc: ValidationError) -> Invalid:
    return Invalid(fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()})


def centre_create(*, actor: User, unit_id: int, values: dict[str, Any], beds: dict[str, int] | None = None) -> Centre:
    if not actor.can(Capability.MANAGE_REFERENCE):
        raise Forbidden()
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise Invalid(fields={"unit": [str(_("Choose an existing unit."))]})
    if unit.kind_id not in CENTRE_KINDS:
        raise Invalid(fields={"unit": [str(_("Only a crisis centre or a family support centre can be registered as a shelter."))]})
    unknown = set(values) - set(EDITABLE)
    assert not unknown, unknown
    with transaction.atomic():
        Unit.objects.select_for_update().filter(pk=unit.pk).first()
        if Centre.objects.filter(unit=unit).exists():
            raise Invalid(fields={"unit": [str(_("This unit already has a centre in the registry: edit that one."))]})
        try:
            return centre_register(actor=actor, unit=unit, beds=beds, **values)
        except ValidationError as exc:
            raise _invalid(exc) from exc


def centre_update(*, actor: User, centre_id: int, version: int, values: dict[str, Any]) -> Centre:
    """Change a centre's details. ``address`` is replaced only when given (None keeps it)."""
    unknown = set(values) - set(EDITABLE)
    assert not unknown, unknown
    with transaction.atomic():
        centre = Centre.objects.select_for_update().select_related("unit").filter(pk=centre_id).first()
        if centre is None:
            raise NotFound()
        if not may_edit(actor, centre):
            raise Forbidden()
        if centre.version != version:
            raise Conflict()
        changed = []
        for name, value in values.items():
            if name == "address" and value is None:
                continue
            if getattr(centre, name) != value:
                setattr(centre, name, value)
                changed.append(name)
        try:
            centre.full_clean(exclude=["unit"])
        except ValidationError as exc:
            raise _invalid(exc) from exc
        centre.version += 1
        centre.save()
        # Never the values: the address is secret.
        audit_record(actor=actor, action=AuditAction.WRITE, target_type="centre", target_id=centre.pk,
                     outcome="address_set" if "address" in changed else "edited")
    return centre
