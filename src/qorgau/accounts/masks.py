"""The one mask layer (DESIGN §5, §10): which fields a viewer may see.

Every template, API schema and export asks this module, through ``mask()``, and never decides field
visibility itself. A field is declared once with its sensitivity and whose data it is; the decision
depends on the viewer's role, the grant scope they hold, and their relation to the record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from qorgau.accounts.roles import AGGREGATE_ONLY_ROLES, OFFENDER_FACING_ROLES, Capability, Role


class Sensitivity(StrEnum):
    PUBLIC = "public"  # codes, dates of events, region — no person behind them
    IDENTITY = "identity"  # name, IIN, birth date
    CONTACT = "contact"  # phone, e-mail
    WHEREABOUTS = "whereabouts"  # home address, workplace, position
    NARRATIVE = "narrative"  # free text about what happened
    SHELTER_ADDRESS = "shelter_address"


class Subject(StrEnum):
    VICTIM = "victim"
    OFFENDER = "offender"
    CHILD = "child"
    WITNESS = "witness"
    STAFF = "staff"
    SHELTER = "shelter"


class Scope(StrEnum):
    FULL = "full"
    WORKER = "worker"
    CONSENT = "consent"


class Relation(StrEnum):
    SHELTER_STAFF = "shelter_staff"  # works in the shelter where she stays
    PLACING_COORDINATOR = "placing_coordinator"  # placed someone in that shelter
    OPEN_ALERT = "open_alert"  # a monitoring alert on the case is open
    HOLDS_ANONYMOUS_RECORD = "holds_anonymous_record"


@dataclass(frozen=True)
class FieldRule:
    sensitivity: Sensitivity
    subject: Subject


@dataclass(frozen=True)
class Viewer:
    role: Role
    scope: Scope | None = None  # None: no grant on the record
    relations: frozenset[Relation] = frozenset()
    consented: frozenset[Sensitivity] = frozenset()  # what her consent covers, for the consent scope
    capabilities: frozenset[Capability] = field(default_factory=frozenset)


class Masked:
    """Stands in for a hidden value; renders as a neutral placeholder in the user's language."""

    _instance: Masked | None = None

    def __new__(cls) -> Masked:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __str__(self) -> str:
        return str(_("hidden"))

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "MASKED"


MASKED = Masked()
_PROTECTED_PEOPLE = {Subject.VICTIM, Subject.CHILD, Subject.WITNESS}


def can_see(viewer: Viewer, rule: FieldRule) -> bool:
    s, subj = rule.sensitivity, rule.subject
    if s is Sensitivity.PUBLIC:
        return True
    if viewer.role in AGGREGATE_ONLY_ROLES:
        return False
    if s is Sensitivity.SHELTER_ADDRESS:
        return bool(viewer.relations & {Relation.SHELTER_STAFF, Relation.PLACING_COORDINATOR})
    if subj is Subject.STAFF:
        return bool(viewer.capabilities & {Capability.MANAGE_USERS, Capability.OVERSEE_RESTRICTED})
    if viewer.scope is None:
        return False
    hides_whereabouts = s in (Sensitivity.WHEREABOUTS, Sensitivity.CONTACT) and subj in _PROTECTED_PEOPLE
    if hides_whereabouts and viewer.role in OFFENDER_FACING_ROLES:
        return viewer.role == Role.MONITORING_OPERATOR and Relation.OPEN_ALERT in viewer.relations
    if viewer.scope is Scope.CONSENT:
        return s in viewer.consented
    if viewer.scope is Scope.WORKER and hides_whereabouts:
        return Relation.SHELTER_STAFF in viewer.relations
    return True


def mask(viewer: Viewer, values: Mapping[str, Any], policy: Mapping[str, FieldRule]) -> dict[str, Any]:
    """The values a viewer may see; hidden ones become ``MASKED``. A field missing from the policy is
    an error: every field of a personal record must be classified."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        rule = policy.get(name)
        if rule is None:
            raise KeyError(f"field {name!r} has no rule in the mask policy")
        out[name] = value if can_see(viewer, rule) else MASKED
    return out


def visible_fields(viewer: Viewer, policy: Mapping[str, FieldRule], names: Iterable[str] | None = None) -> list[str]:
    return [n for n in (names or policy) if can_see(viewer, policy[n])]


STAFF_POLICY: dict[str, FieldRule] = {
    "id": FieldRule(Sensitivity.PUBLIC, Subject.STAFF),
    "username": FieldRule(Sensitivity.PUBLIC, Subject.STAFF),
    "role": FieldRule(Sensitivity.PUBLIC, Subject.STAFF),
    "unit": FieldRule(Sensitivity.PUBLIC, Subject.STAFF),
    "full_name": FieldRule(Sensitivity.IDENTITY, Subject.STAFF),
    "iin": FieldRule(Sensitivity.IDENTITY, Subject.STAFF),
}
