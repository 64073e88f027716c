"""Who may do what in electronic monitoring (DESIGN §5, §7, §10).

* The monitoring centre's operators (MONITOR_DEVICES) register devices, issue device secrets and work
  the alerts of their own unit.
* Assignments and zones are set by court staff (COURT_DECISIONS) or the police (a police role
  working cases in a police unit), on a case where their unit holds a ``full`` grant: the zone
  around her home is her address, and worker or consent scopes never see or set it.
* Zones are her whereabouts, so setting or seeing one also needs the mask layer's leave to see the
  victim's whereabouts: a court clerk (an offender-facing role) assigns devices but never sees zones.
"""

from __future__ import annotations

from qorgau.accounts.masks import FieldRule, Scope, Sensitivity, Subject, Viewer, can_see
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.orders.permissions import is_investigator

# The victim's position and her zones' geometry: her whereabouts.
HER_WHEREABOUTS = FieldRule(Sensitivity.WHEREABOUTS, Subject.VICTIM)
# The offender's track: his whereabouts, not a protected person's.
HIS_TRACK = FieldRule(Sensitivity.WHEREABOUTS, Subject.OFFENDER)


def may_monitor(actor: User) -> bool:
    return actor.can(Capability.MONITOR_DEVICES)


def may_register_devices(actor: User) -> bool:
    return may_monitor(actor) and actor.unit_id is not None


def _court_or_police(actor: User) -> bool:
    return actor.can(Capability.COURT_DECISIONS) or is_investigator(actor)


def may_assign(actor: User, scope: Scope | str | None) -> bool:
    """Put a device on the case or take it off."""
    return scope == Scope.FULL and _court_or_police(actor)


def may_see_zones(viewer: Viewer) -> bool:
    return can_see(viewer, HER_WHEREABOUTS)


def may_set_zones(actor: User, viewer: Viewer) -> bool:
    return viewer.scope == Scope.FULL and _court_or_police(actor) and may_see_zones(viewer)


def may_export(actor: User, scope: Scope | str | None) -> bool:
    """The court export (offender's track and distances, never her whereabouts): whoever may assign,
    and any court staff with a working grant."""
    return may_assign(actor, scope) or (actor.can(Capability.COURT_DECISIONS) and scope in (Scope.FULL, Scope.WORKER))
