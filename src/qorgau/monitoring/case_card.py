"""The case page's card of electronic monitoring: the devices on the case, its zones (her places:
only for whom the mask layer lets see her whereabouts), its alerts, and the actions of court staff
and police holding a full grant."""

from __future__ import annotations

from typing import Any

from qorgau.accounts.masks import Viewer
from qorgau.accounts.models import User
from qorgau.cases.models import Case
from qorgau.monitoring import permissions, selectors


def monitoring_context(user: User, case: Case, viewer: Viewer) -> dict[str, Any]:
    assignments = selectors.case_assignments(case)
    zones = selectors.case_zones(case)
    can_assign = permissions.may_assign(user, viewer.scope) and case.merged_into_id is None
    can_set_zones = permissions.may_set_zones(user, viewer) and case.merged_into_id is None
    zones_visible = permissions.may_see_zones(viewer)
    alerts = selectors.case_alerts(case) if assignments else []
    return {
        "monitoring_shown": bool(assignments) or bool(zones) or can_assign,
        "monitoring_assignments": assignments,
        "monitoring_zones_visible": zones_visible,
        "monitoring_zones": [(z, selectors.zone_geometry(z)) for z in zones] if zones_visible else [],
        "monitoring_zone_count": len(zones),
        "monitoring_alerts": alerts,
        "monitoring_can_assign": can_assign,
        "monitoring_can_set_zones": can_set_zones,
        "monitoring_can_export": bool(assignments) and permissions.may_export(user, viewer.scope),
    }
