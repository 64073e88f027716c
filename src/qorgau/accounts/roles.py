"""The roles of DESIGN §1 and what each may do.

A capability is a Django permission on ``accounts.User`` (``accounts.<codename>``); each role is a
Django group holding its capabilities, kept in step by ``roles_sync``. Views and API routes ask for a
capability, never for a role name, so that a new role is a data change here.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    POLICE_INSPECTOR = "police_inspector", _("Police inspector")
    POLICE_SUPERVISOR = "police_supervisor", _("Police supervisor")
    SOCIAL_WORKER = "social_worker", _("Family-support or social worker")
    SHELTER_WORKER = "shelter_worker", _("Crisis-centre or shelter worker")
    HEALTH_WORKER = "health_worker", _("Health worker")
    SCHOOL_WORKER = "school_worker", _("School or child-protection worker")
    JUDGE = "judge", _("Judge")
    COURT_CLERK = "court_clerk", _("Court clerk")
    PROBATION_OFFICER = "probation_officer", _("Probation officer")
    PROGRAMME_PROVIDER = "programme_provider", _("Correction-programme provider")
    MONITORING_OPERATOR = "monitoring_operator", _("Monitoring operator")
    ANALYST = "analyst", _("Analyst")
    DQ_REVIEWER = "dq_reviewer", _("Data-quality reviewer")
    PLACEMENT_COORDINATOR = "placement_coordinator", _("Placement coordinator")
    CONFERENCE_COORDINATOR = "conference_coordinator", _("Conference coordinator")
    OVERSIGHT = "oversight", _("Internal oversight")
    PRIVACY_OFFICER = "privacy_officer", _("Data-protection officer")
    ADMINISTRATOR = "administrator", _("Administrator")


class Capability(models.TextChoices):
    REGISTER_REPORT = "register_report", _("Register reports")
    WORK_CASES = "work_cases", _("Work on cases the unit holds")
    SUPERVISE_UNIT = "supervise_unit", _("Supervise the unit's caseload")
    SUPPORT_VICTIMS = "support_victims", _("Support victims and plan safety")
    ASSESS_RISK = "assess_risk", _("Assess risk and record protection measures")
    SHELTER_INTAKE = "shelter_intake", _("Admit to a shelter and keep bed capacity")
    PLACE_IN_SHELTER = "place_in_shelter", _("Place women and children in shelters")
    COURT_DECISIONS = "court_decisions", _("Record court decisions and requirements")
    RUN_PROGRAMMES = "run_programmes", _("Run offender programmes")
    MONITOR_DEVICES = "monitor_devices", _("Watch monitoring alerts")
    VIEW_AGGREGATES = "view_aggregates", _("See aggregated statistics")
    MANAGE_STRATEGY = "manage_strategy", _("Enter the national strategy: measures, financing, campaigns, grants")
    REVIEW_MATCHES = "review_matches", _("Review uncertain person matches")
    RUN_CONFERENCES = "run_conferences", _("Propose and run case conferences")
    OVERSEE_RESTRICTED = "oversee_restricted", _("See restricted cases")
    BREAK_GLASS = "break_glass", _("Open a case in an emergency (break-glass)")
    MANAGE_USERS = "manage_users", _("Manage users and units")
    MANAGE_REFERENCE = "manage_reference", _("Manage reference data, instruments and protocols")
    USE_API = "use_api", _("Use the API with a personal token")
    HANDLE_PRIVACY_REQUESTS = "handle_privacy_requests", _("Handle lawful requests for a person's data: export and correction")


C = Capability
_FRONT_LINE = {C.WORK_CASES, C.USE_API, C.BREAK_GLASS}

ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.POLICE_INSPECTOR: frozenset(_FRONT_LINE | {C.REGISTER_REPORT, C.ASSESS_RISK}),
    Role.POLICE_SUPERVISOR: frozenset(_FRONT_LINE | {C.REGISTER_REPORT, C.SUPERVISE_UNIT, C.ASSESS_RISK}),
    Role.SOCIAL_WORKER: frozenset(_FRONT_LINE | {C.REGISTER_REPORT, C.SUPPORT_VICTIMS, C.ASSESS_RISK}),
    Role.SHELTER_WORKER: frozenset(_FRONT_LINE | {C.REGISTER_REPORT, C.SHELTER_INTAKE, C.ASSESS_RISK}),
    Role.HEALTH_WORKER: frozenset(_FRONT_LINE | {C.REGISTER_REPORT}),
    Role.SCHOOL_WORKER: frozenset(_FRONT_LINE | {C.REGISTER_REPORT}),
    Role.JUDGE: frozenset({C.WORK_CASES, C.COURT_DECISIONS, C.USE_API}),
    Role.COURT_CLERK: frozenset({C.WORK_CASES, C.COURT_DECISIONS, C.USE_API}),
    Role.PROBATION_OFFICER: frozenset({C.WORK_CASES, C.RUN_PROGRAMMES, C.USE_API}),
    Role.PROGRAMME_PROVIDER: frozenset({C.RUN_PROGRAMMES, C.USE_API}),
    Role.MONITORING_OPERATOR: frozenset({C.MONITOR_DEVICES, C.USE_API}),
    Role.ANALYST: frozenset({C.VIEW_AGGREGATES, C.MANAGE_STRATEGY, C.USE_API}),
    Role.DQ_REVIEWER: frozenset({C.REVIEW_MATCHES, C.USE_API}),
    Role.PLACEMENT_COORDINATOR: frozenset(_FRONT_LINE | {C.PLACE_IN_SHELTER, C.SUPPORT_VICTIMS, C.ASSESS_RISK}),
    Role.CONFERENCE_COORDINATOR: frozenset(_FRONT_LINE | {C.RUN_CONFERENCES}),
    Role.OVERSIGHT: frozenset({C.WORK_CASES, C.OVERSEE_RESTRICTED, C.USE_API}),
    Role.ADMINISTRATOR: frozenset({C.MANAGE_USERS, C.MANAGE_REFERENCE, C.USE_API}),
    # No grant on cases: a person is reached only through qorgau.privacy, for a recorded request.
    Role.PRIVACY_OFFICER: frozenset({C.HANDLE_PRIVACY_REQUESTS}),
}

# Roles that work with offenders never see the victim's whereabouts or contact (DESIGN §5).
OFFENDER_FACING_ROLES = frozenset(
    {Role.PROBATION_OFFICER, Role.PROGRAMME_PROVIDER, Role.COURT_CLERK, Role.MONITORING_OPERATOR}
)
# Roles that see aggregates only, never a person.
AGGREGATE_ONLY_ROLES = frozenset({Role.ANALYST})
# Roles that reach no case through their unit's grants: analysts, and the data-protection officer,
# who reaches a person only through a recorded lawful request (qorgau.privacy).
NO_GRANT_ROLES = AGGREGATE_ONLY_ROLES | frozenset({Role.PRIVACY_OFFICER})
