"""Header and navigation for every page: the user's unit, language and the menu of their role."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qorgau.accounts.roles import Capability
from qorgau.accounts.selectors import unread_count

# (capability or None for everyone, url name, label)
MENU = [
    (None, "accounts:home", _("Home")),
    (Capability.REGISTER_REPORT, "cases:register", _("Register a report")),
    (Capability.WORK_CASES, "cases:list", _("Cases")),
    (Capability.WORK_CASES, "cases:search", _("Search")),
    (Capability.WORK_CASES, "protocols:queue", _("Work queue")),
    (Capability.ASSESS_RISK, "risk:due", _("Reassessments due")),
    (Capability.PLACE_IN_SHELTER, "shelters:registry", _("Shelters")),
    (Capability.SHELTER_INTAKE, "shelters:registry", _("Shelters")),
    (Capability.SHELTER_INTAKE, "intake:records", _("Anonymous records")),
    (Capability.SUPPORT_VICTIMS, "intake:records", _("Anonymous records")),
    (Capability.WORK_CASES, "intake:shared_list", _("Shared with my unit")),
    (Capability.SUPPORT_VICTIMS, "support:queue", _("Support referrals")),
    (Capability.WORK_CASES, "support:queue", _("Support referrals")),
    (Capability.RUN_PROGRAMMES, "programmes:index", _("Offender programmes")),
    (Capability.MONITOR_DEVICES, "monitoring:operator", _("Monitoring")),
    (Capability.MONITOR_DEVICES, "monitoring:alerts", _("Monitoring alerts")),
    (Capability.MONITOR_DEVICES, "monitoring:devices", _("Monitoring devices")),
    (Capability.SUPERVISE_UNIT, "cases:import", _("Import reports")),
    (Capability.REVIEW_MATCHES, "cases:review", _("Review matches")),
    (Capability.COURT_DECISIONS, "orders:docket", _("Court docket")),
    (Capability.RUN_CONFERENCES, "protocols:conferences", _("Case conferences")),
    (Capability.SUPERVISE_UNIT, "training:unit", _("Training")),
    (Capability.VIEW_AGGREGATES, "analytics:dashboard", _("Analytics")),
    (Capability.VIEW_AGGREGATES, "training:coverage", _("Training coverage")),
    (Capability.VIEW_AGGREGATES, "shelters:coverage", _("Shelter coverage")),
    (Capability.PLACE_IN_SHELTER, "shelters:coverage", _("Shelter coverage")),
    (Capability.VIEW_AGGREGATES, "support:figures", _("Support figures")),
    (Capability.HANDLE_PRIVACY_REQUESTS, "privacy:requests", _("Privacy requests")),
    (None, "accounts:notifications", _("Notifications")),
    (Capability.MANAGE_USERS, "accounts:staff", _("Staff and units")),
    (Capability.SUPERVISE_UNIT, "watch:alerts", _("Access alerts")),
    (Capability.OVERSEE_RESTRICTED, "watch:alerts", _("Access alerts")),
    (Capability.SUPERVISE_UNIT, "watch:review", _("Access review")),
    (Capability.OVERSEE_RESTRICTED, "watch:review", _("Access review")),
    (Capability.MANAGE_REFERENCE, "risk:instruments", _("Risk instruments")),
    (Capability.MANAGE_REFERENCE, "protocols:admin_versions", _("Protocols")),
    (Capability.MANAGE_REFERENCE, "protocols:unrouted", _("Unrouted tasks")),
    (Capability.MANAGE_REFERENCE, "shelters:coverage", _("Shelter coverage")),
    (Capability.MANAGE_REFERENCE, "support:programmes", _("Support programmes")),
    (Capability.MANAGE_REFERENCE, "programmes:catalogue", _("Programme catalogue")),
    (None, "accounts:security", _("Security")),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    # Requests that bypass the middleware (the development static handler's 404) have no user.
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items, seen = [], set()
    for cap, name, label in MENU:
        if (cap is None or user.can(cap)) and name not in seen:  # one entry per page, whichever capability opens it
            seen.add(name)
            url = reverse(name)
            items.append({"url": url, "label": label, "active": request.path == url})
    return {"nav_items": items, "unread_notifications": unread_count(user)}
