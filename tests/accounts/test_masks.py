"""The one mask layer (DESIGN §5, §10): field visibility from role, grant scope and relation.

Two kinds of test: a table of named cases, each a rule of the design in one line; and the design's
rules checked as properties over every role × scope × relation set × consent × sensitivity × subject.
"""

from __future__ import annotations

import itertools

import pytest
from django.template import Context, Template
from django.utils import translation

from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import (
    MASKED,
    STAFF_POLICY,
    FieldRule,
    Masked,
    Relation,
    Scope,
    Sensitivity,
    Subject,
    Viewer,
    can_see,
    mask,
    visible_fields,
)
from qorgau.accounts.roles import ROLE_CAPABILITIES, Capability, Role

S, Sub, R = Sensitivity, Subject, Relation
OFFENDER_FACING = {Role.PROBATION_OFFICER, Role.PROGRAMME_PROVIDER, Role.COURT_CLERK, Role.MONITORING_OPERATOR}
PERSONS = (Sub.VICTIM, Sub.OFFENDER, Sub.CHILD, Sub.WITNESS)
PROTECTED = (Sub.VICTIM, Sub.CHILD, Sub.WITNESS)
LOCATING = (S.WHEREABOUTS, S.CONTACT)


def viewer(role: Role, scope: Scope | None = None, relations=(), consented=()) -> Viewer:
    return Viewer(
        role=role,
        scope=scope,
        relations=frozenset(relations),
        consented=frozenset(consented),
        capabilities=ROLE_CAPABILITIES[role],
    )


def sees(v: Viewer, sensitivity: Sensitivity, subject: Subject) -> bool:
    return can_see(v, FieldRule(sensitivity, subject))


# (case, role, scope, relations, consented, sensitivity, subject, expected)
CASES = [
    ("analyst sees codes", Role.ANALYST, Scope.FULL, (), (), S.PUBLIC, Sub.VICTIM, True),
    ("analyst never a name", Role.ANALYST, Scope.FULL, (), (), S.IDENTITY, Sub.VICTIM, False),
    ("analyst never a narrative", Role.ANALYST, Scope.FULL, (), (), S.NARRATIVE, Sub.OFFENDER, False),
    ("analyst never a shelter", Role.ANALYST, Scope.FULL, (R.SHELTER_STAFF,), (), S.SHELTER_ADDRESS, Sub.SHELTER, False),
    ("full: her address", Role.POLICE_INSPECTOR, Scope.FULL, (), (), S.WHEREABOUTS, Sub.VICTIM, True),
    ("full: her phone", Role.POLICE_INSPECTOR, Scope.FULL, (), (), S.CONTACT, Sub.VICTIM, True),
    ("full: the narrative", Role.POLICE_INSPECTOR, Scope.FULL, (), (), S.NARRATIVE, Sub.VICTIM, True),
    ("full: not the shelter address", Role.POLICE_INSPECTOR, Scope.FULL, (), (), S.SHELTER_ADDRESS, Sub.SHELTER, False),
    ("supervisor full: not the shelter", Role.POLICE_SUPERVISOR, Scope.FULL, (), (), S.SHELTER_ADDRESS, Sub.SHELTER, False),
    ("worker: not her address", Role.SOCIAL_WORKER, Scope.WORKER, (), (), S.WHEREABOUTS, Sub.VICTIM, False),
    ("worker: not her phone", Role.HEALTH_WORKER, Scope.WORKER, (), (), S.CONTACT, Sub.VICTIM, False),
    ("worker: not a child's address", Role.SCHOOL_WORKER, Scope.WORKER, (), (), S.WHEREABOUTS, Sub.CHILD, False),
    ("worker: her name", Role.SOCIAL_WORKER, Scope.WORKER, (), (), S.IDENTITY, Sub.VICTIM, True),
    ("worker: the narrative", Role.HEALTH_WORKER, Scope.WORKER, (), (), S.NARRATIVE, Sub.VICTIM, True),
    ("worker: his address", Role.SOCIAL_WORKER, Scope.WORKER, (), (), S.WHEREABOUTS, Sub.OFFENDER, True),
    ("her shelter's staff: where she is", Role.SHELTER_WORKER, Scope.WORKER, (R.SHELTER_STAFF,), (), S.WHEREABOUTS, Sub.VICTIM, True),
    ("shelter staff: their shelter", Role.SHELTER_WORKER, Scope.WORKER, (R.SHELTER_STAFF,), (), S.SHELTER_ADDRESS, Sub.SHELTER, True),
    ("shelter worker elsewhere: not the shelter", Role.SHELTER_WORKER, Scope.FULL, (), (), S.SHELTER_ADDRESS, Sub.SHELTER, False),
    ("placing coordinator: the shelter", Role.PLACEMENT_COORDINATOR, Scope.WORKER, (R.PLACING_COORDINATOR,), (), S.SHELTER_ADDRESS, Sub.SHELTER, True),
    ("coordinator who did not place: no shelter", Role.PLACEMENT_COORDINATOR, Scope.WORKER, (), (), S.SHELTER_ADDRESS, Sub.SHELTER, False),
    ("placing is not her home address", Role.PLACEMENT_COORDINATOR, Scope.WORKER, (R.PLACING_COORDINATOR,), (), S.WHEREABOUTS, Sub.VICTIM, False),
    ("consent covers identity", Role.SOCIAL_WORKER, Scope.CONSENT, (), (S.IDENTITY, S.CONTACT), S.IDENTITY, Sub.VICTIM, True),
    ("consent covers contact", Role.SOCIAL_WORKER, Scope.CONSENT, (), (S.IDENTITY, S.CONTACT), S.CONTACT, Sub.VICTIM, True),
    ("consent does not cover address", Role.SOCIAL_WORKER, Scope.CONSENT, (), (S.IDENTITY, S.CONTACT), S.WHEREABOUTS, Sub.VICTIM, False),
    ("consent does not cover narrative", Role.SHELTER_WORKER, Scope.CONSENT, (), (S.IDENTITY,), S.NARRATIVE, Sub.VICTIM, False),
    ("consent covers nothing", Role.SOCIAL_WORKER, Scope.CONSENT, (), (), S.IDENTITY, Sub.VICTIM, False),
    ("probation: not her address", Role.PROBATION_OFFICER, Scope.FULL, (), (), S.WHEREABOUTS, Sub.VICTIM, False),
    ("probation: not her phone", Role.PROBATION_OFFICER, Scope.FULL, (), (), S.CONTACT, Sub.VICTIM, False),
    ("probation: her name", Role.PROBATION_OFFICER, Scope.FULL, (), (), S.IDENTITY, Sub.VICTIM, True),
    ("probation: his address", Role.PROBATION_OFFICER, Scope.FULL, (), (), S.WHEREABOUTS, Sub.OFFENDER, True),
    ("probation with an alert: still not her address", Role.PROBATION_OFFICER, Scope.FULL, (R.OPEN_ALERT,), (), S.WHEREABOUTS, Sub.VICTIM, False),
    ("programme provider: not her phone", Role.PROGRAMME_PROVIDER, Scope.FULL, (), (), S.CONTACT, Sub.VICTIM, False),
    ("court clerk: not her address", Role.COURT_CLERK, Scope.FULL, (), (), S.WHEREABOUTS, Sub.VICTIM, False),
    ("court clerk: not a child's phone", Role.COURT_CLERK, Scope.WORKER, (), (), S.CONTACT, Sub.CHILD, False),
    ("offender-facing, consented: still not", Role.PROBATION_OFFICER, Scope.CONSENT, (), (S.WHEREABOUTS,), S.WHEREABOUTS, Sub.VICTIM, False),
    ("operator, no alert: not her position", Role.MONITORING_OPERATOR, Scope.FULL, (), (), S.WHEREABOUTS, Sub.VICTIM, False),
    ("operator, open alert: her position", Role.MONITORING_OPERATOR, Scope.FULL, (R.OPEN_ALERT,), (), S.WHEREABOUTS, Sub.VICTIM, True),
    ("operator, open alert: her phone", Role.MONITORING_OPERATOR, Scope.WORKER, (R.OPEN_ALERT,), (), S.CONTACT, Sub.VICTIM, True),
    ("operator, alert but no grant", Role.MONITORING_OPERATOR, None, (R.OPEN_ALERT,), (), S.WHEREABOUTS, Sub.VICTIM, False),
    ("no grant: no name", Role.POLICE_INSPECTOR, None, (), (), S.IDENTITY, Sub.VICTIM, False),
    ("no grant: codes only", Role.POLICE_INSPECTOR, None, (), (), S.PUBLIC, Sub.VICTIM, True),
    ("no grant: not his name either", Role.JUDGE, None, (), (), S.IDENTITY, Sub.OFFENDER, False),
    ("administrator: staff IIN", Role.ADMINISTRATOR, None, (), (), S.IDENTITY, Sub.STAFF, True),
    ("oversight: staff IIN", Role.OVERSIGHT, None, (), (), S.IDENTITY, Sub.STAFF, True),
    ("inspector: not a colleague's IIN", Role.POLICE_INSPECTOR, Scope.FULL, (), (), S.IDENTITY, Sub.STAFF, False),
    ("supervisor: not a colleague's IIN", Role.POLICE_SUPERVISOR, Scope.FULL, (), (), S.IDENTITY, Sub.STAFF, False),
    ("anyone: a colleague's user name", Role.HEALTH_WORKER, None, (), (), S.PUBLIC, Sub.STAFF, True),
    ("analyst: not staff identity", Role.ANALYST, None, (), (), S.IDENTITY, Sub.STAFF, False),
]


@pytest.mark.parametrize(
    ("role", "scope", "relations", "consented", "sensitivity", "subject", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in CASES],
)
def test_named_cases(role, scope, relations, consented, sensitivity, subject, expected):
    assert sees(viewer(role, scope, relations, consented), sensitivity, subject) is expected


def _relation_sets():
    rels = list(Relation)
    return [frozenset(c) for n in range(len(rels) + 1) for c in itertools.combinations(rels, n)]


CONSENTS = [frozenset(), frozenset({S.IDENTITY, S.CONTACT}), frozenset(S)]
ALL_VIEWERS = [
    Viewer(role=role, scope=scope, relations=rels, consented=consented, capabilities=ROLE_CAPABILITIES[role])
    for role in Role
    for scope in (None, *Scope)
    for rels in _relation_sets()
    for consented in CONSENTS
]
ALL_RULES = [FieldRule(s, sub) for s in Sensitivity for sub in Subject]


def _violations(check) -> list[str]:
    """Run ``check(viewer, rule, visible)`` over the whole cross product; collect what it rejects."""
    bad = []
    for v in ALL_VIEWERS:
        for rule in ALL_RULES:
            visible = can_see(v, rule)
            verdict = check(v, rule, visible)
            if verdict is not None and verdict != visible:
                bad.append(f"{v.role}/{v.scope}/{sorted(v.relations)}/{sorted(v.consented)}: {rule} -> {visible}")
    return bad[:10]


def test_the_cross_product_is_complete():
    assert len(ALL_VIEWERS) == len(Role) * 4 * 16 * 3
    assert len(ALL_RULES) == 36


def test_public_fields_are_visible_to_everyone():
    assert _violations(lambda v, rule, _: True if rule.sensitivity is S.PUBLIC else None) == []


def test_analysts_see_only_public_fields():
    assert _violations(lambda v, rule, _: (rule.sensitivity is S.PUBLIC) if v.role is Role.ANALYST else None) == []


def test_shelter_address_only_for_its_staff_and_placing_coordinators():
    def check(v, rule, _):
        if rule.sensitivity is not S.SHELTER_ADDRESS or v.role is Role.ANALYST:
            return None
        return bool(v.relations & {R.SHELTER_STAFF, R.PLACING_COORDINATOR})

    assert _violations(check) == []


def test_staff_identity_only_for_user_managers_and_oversight():
    def check(v, rule, _):
        if rule.subject is not Sub.STAFF or rule.sensitivity in (S.PUBLIC, S.SHELTER_ADDRESS):
            return None
        return v.role is not Role.ANALYST and bool(
            v.capabilities & {Capability.MANAGE_USERS, Capability.OVERSEE_RESTRICTED}
        )

    assert _violations(check) == []


def test_without_a_grant_nothing_personal_about_a_case_party_is_visible():
    def check(v, rule, _):
        if v.scope is None and rule.subject in PERSONS and rule.sensitivity not in (S.PUBLIC, S.SHELTER_ADDRESS):
            return False
        return None

    assert _violations(check) == []


def test_offender_facing_roles_never_locate_her_except_the_operator_during_an_alert():
    def check(v, rule, _):
        if v.role not in OFFENDER_FACING or rule.subject not in PROTECTED or rule.sensitivity not in LOCATING:
            return None
        if v.role is Role.MONITORING_OPERATOR and v.scope is Scope.CONSENT:
            return None  # an operator works under a duty grant; the design says nothing of consent here
        return v.role is Role.MONITORING_OPERATOR and R.OPEN_ALERT in v.relations and v.scope is not None

    assert _violations(check) == []


def test_operator_with_an_open_alert_and_a_duty_grant_locates_her():
    for scope in (Scope.FULL, Scope.WORKER):
        v = viewer(Role.MONITORING_OPERATOR, scope, (R.OPEN_ALERT,))
        assert all(sees(v, s, sub) for s in LOCATING for sub in PROTECTED)
        assert not any(sees(viewer(Role.MONITORING_OPERATOR, scope), s, sub) for s in LOCATING for sub in PROTECTED)


def test_offender_facing_roles_with_full_scope_see_everything_else_about_the_parties():
    def check(v, rule, _):
        if v.role not in OFFENDER_FACING or v.scope is not Scope.FULL or rule.subject not in PERSONS:
            return None
        if rule.sensitivity is S.SHELTER_ADDRESS or (rule.subject in PROTECTED and rule.sensitivity in LOCATING):
            return None
        return True

    assert _violations(check) == []


def test_full_scope_shows_everything_but_the_shelter_address():
    def check(v, rule, _):
        if v.scope is not Scope.FULL or v.role in OFFENDER_FACING or v.role is Role.ANALYST:
            return None
        if rule.subject not in PERSONS or rule.sensitivity is S.SHELTER_ADDRESS:
            return None
        return True

    assert _violations(check) == []


def test_worker_scope_hides_where_she_is_and_how_to_reach_her():
    def check(v, rule, _):
        if v.scope is not Scope.WORKER or v.role in OFFENDER_FACING or v.role is Role.ANALYST:
            return None
        if rule.subject not in PERSONS or rule.sensitivity is S.SHELTER_ADDRESS:
            return None
        if rule.subject in PROTECTED and rule.sensitivity in LOCATING:
            return R.SHELTER_STAFF in v.relations  # the staff of the shelter where she stays know where she is
        return True

    assert _violations(check) == []


def test_consent_scope_shows_exactly_what_her_consent_covers():
    def check(v, rule, _):
        if v.scope is not Scope.CONSENT or v.role is Role.ANALYST or rule.subject not in PERSONS:
            return None
        if rule.sensitivity in (S.PUBLIC, S.SHELTER_ADDRESS):
            return None
        if v.role in OFFENDER_FACING and rule.subject in PROTECTED and rule.sensitivity in LOCATING:
            return None  # the offender-facing rule decides these
        return rule.sensitivity in v.consented

    assert _violations(check) == []


def test_offender_facing_roles_under_consent_never_locate_her_without_an_alert():
    def check(v, rule, _):
        if v.scope is not Scope.CONSENT or v.role not in OFFENDER_FACING or R.OPEN_ALERT in v.relations:
            return None
        if rule.subject in PROTECTED and rule.sensitivity in LOCATING:
            return False
        return None

    assert _violations(check) == []


# --- mask(), MASKED and the staff policy -------------------------------------------------------------

POLICY = {
    "case_number": FieldRule(S.PUBLIC, Sub.VICTIM),
    "victim_name": FieldRule(S.IDENTITY, Sub.VICTIM),
    "victim_address": FieldRule(S.WHEREABOUTS, Sub.VICTIM),
    "victim_phone": FieldRule(S.CONTACT, Sub.VICTIM),
    "offender_address": FieldRule(S.WHEREABOUTS, Sub.OFFENDER),
    "shelter_address": FieldRule(S.SHELTER_ADDRESS, Sub.SHELTER),
}
VALUES = {
    "case_number": "DV-2025-0001",
    "victim_name": "Айгерим Сапарова",
    "victim_address": "Алматы, ул. Абая 1",
    "victim_phone": "+7 701 000 0000",
    "offender_address": "Алматы, ул. Сатпаева 2",
    "shelter_address": "секретный адрес",
}


def test_mask_replaces_exactly_the_hidden_values():
    out = mask(viewer(Role.PROBATION_OFFICER, Scope.FULL), VALUES, POLICY)
    assert out == {
        "case_number": "DV-2025-0001",
        "victim_name": "Айгерим Сапарова",
        "victim_address": MASKED,
        "victim_phone": MASKED,
        "offender_address": "Алматы, ул. Сатпаева 2",
        "shelter_address": MASKED,
    }
    assert mask(viewer(Role.ANALYST, Scope.FULL), VALUES, POLICY) == {
        name: (value if name == "case_number" else MASKED) for name, value in VALUES.items()
    }
    assert visible_fields(viewer(Role.SOCIAL_WORKER, Scope.WORKER), POLICY) == ["case_number", "victim_name", "offender_address"]
    assert visible_fields(viewer(Role.SOCIAL_WORKER, Scope.WORKER), POLICY, ["victim_phone", "victim_name"]) == ["victim_name"]


def test_mask_refuses_an_unclassified_field():
    with pytest.raises(KeyError, match="victim_workplace"):
        mask(viewer(Role.POLICE_INSPECTOR, Scope.FULL), {**VALUES, "victim_workplace": "школа №5"}, POLICY)


def test_masked_is_a_falsy_placeholder_in_the_users_language():
    assert Masked() is MASKED
    assert not MASKED
    assert repr(MASKED) == "MASKED"
    with translation.override("en"):
        assert str(MASKED) == "hidden"
        assert Template("<td>{{ v }}</td>").render(Context({"v": MASKED})) == "<td>hidden</td>"
    with translation.override("kk"):
        kazakh = str(MASKED)
    with translation.override("ru"):
        russian = str(MASKED)
    assert len({kazakh, russian, "hidden"}) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_staff_policy_shows_identity_only_to_user_managers_and_oversight(make_user, role):
    v = viewer_for(make_user(role))
    assert v.role is role and v.capabilities == ROLE_CAPABILITIES[role]
    identity = bool({Capability.MANAGE_USERS, Capability.OVERSEE_RESTRICTED} & ROLE_CAPABILITIES[role])
    public = [n for n, rule in STAFF_POLICY.items() if rule.sensitivity is S.PUBLIC]
    assert {"username", "role", "unit"} <= set(public)
    assert {STAFF_POLICY["full_name"].sensitivity, STAFF_POLICY["iin"].sensitivity} == {S.IDENTITY}
    assert visible_fields(v, STAFF_POLICY) == (list(STAFF_POLICY) if identity else public)
