"""Her safety plan's service, selector and card context: who may write it, who sees what of it, the
version that turns a stale save into a conflict, bad input, and the audit and timeline rows."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.db import connection
from django.utils import translation

from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import MASKED, Scope
from qorgau.cases.access import case_get_for
from qorgau.cases.models import Case, CaseEvent, EventKind
from qorgau.cases.services import VictimInput, report_register
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditAction, AuditEvent
from qorgau.risk.models import SafetyPlan
from qorgau.risk.safety_plan import TEXT_MAX, SafetyPlanInput, safety_plan_context, safety_plan_for, safety_plan_save
from tests.cases.factories import person, report_input

pytestmark = pytest.mark.django_db

PLAN = SafetyPlanInput(
    language="kk",
    steps="  Уйти к сестре,\r\nесли он пьёт.  ",
    contacts="Сестра Динара +7 701 555 44 33",
    safe_places="Кризисный центр «Шаңырақ», ул. Жибек жолы 5",
    children="Дети знают номер 112",
    documents_other="Ключи от дома у соседки",
    documents={"identity", "children", "phone"},
)


def _counts() -> tuple[int, int, int]:
    return (
        SafetyPlan.objects.count(),
        CaseEvent.objects.filter(kind=EventKind.SAFETY_PLAN).count(),
        AuditEvent.objects.filter(target_type="safety_plan").count(),
    )


def _raw(plan: SafetyPlan, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM risk_safetyplan WHERE id = %s", [plan.pk])
        return str(cursor.fetchone()[0])


@pytest.fixture
def social_worker(safety_case, safety_grantee):
    return safety_grantee(safety_case, "social_worker", "family_support")


# --- create and update ------------------------------------------------------------------------------------


def test_a_social_worker_with_a_full_grant_creates_the_plan_encrypted_audited_and_on_the_timeline(safety_case, social_worker):
    plan = safety_plan_save(actor=social_worker, case=safety_case, version=None, data=PLAN)
    fresh = SafetyPlan.objects.get(case=safety_case)
    assert fresh.pk == plan.pk
    assert (fresh.version, fresh.language, fresh.created_by_id, fresh.updated_by_id) == (1, "kk", social_worker.pk, social_worker.pk)
    assert fresh.steps == "Уйти к сестре,\nесли он пьёт."  # trimmed, one kind of line break
    assert (fresh.contacts, fresh.safe_places, fresh.children, fresh.documents_other) == (
        "Сестра Динара +7 701 555 44 33", "Кризисный центр «Шаңырақ», ул. Жибек жолы 5", "Дети знают номер 112", "Ключи от дома у соседки",
    )
    docs = {f: getattr(fresh, f"doc_{f}") for f in ("identity", "children", "medical", "money", "housing", "orders", "medicines", "phone")}
    assert [f for f, ready in docs.items() if ready] == ["identity", "children", "phone"]
    for column in ("steps", "contacts", "safe_places", "children", "documents_other"):
        assert _raw(fresh, column).startswith("v1:")
    assert "Динара" not in _raw(fresh, "contacts")
    event = CaseEvent.objects.get(case=safety_case, kind=EventKind.SAFETY_PLAN)
    assert (event.actor_id, event.unit_id) == (social_worker.pk, social_worker.unit_id)
    audit = AuditEvent.objects.get(target_type="safety_plan")
    assert (audit.action, audit.actor_id, audit.actor_unit_id, audit.target_id) == (AuditAction.WRITE, social_worker.pk, social_worker.unit_id, str(plan.pk))


def test_an_update_on_the_current_version_bumps_it_and_keeps_who_created_it(safety_case, social_worker, make_user):
    safety_plan_save(actor=social_worker, case=safety_case, version=None, data=PLAN)
    inspector = safety_case.holding_unit.users.get(username="plan_inspector")
    changed = replace(PLAN, language="ru", contacts="", documents={"money"}, steps="Позвонить 102")
    plan = safety_plan_save(actor=inspector, case=safety_case, version=1, data=changed)
    fresh = SafetyPlan.objects.get(pk=plan.pk)
    assert (fresh.version, fresh.language, fresh.steps, fresh.contacts, fresh.doc_money, fresh.doc_identity) == (2, "ru", "Позвонить 102", "", True, False)
    assert (fresh.created_by_id, fresh.updated_by_id) == (social_worker.pk, inspector.pk)
    assert plan.version == 2
    assert _counts() == (1, 2, 2)


def test_a_stale_save_is_a_conflict_and_changes_nothing(safety_case, social_worker):
    safety_plan_save(actor=social_worker, case=safety_case, version=None, data=PLAN)
    safety_plan_save(actor=social_worker, case=safety_case, version=1, data=replace(PLAN, steps="Вторая версия"))
    before = _counts()
    for stale in (1, None, 7):  # an edit of version 1, a second "first" save, a version that never was
        with pytest.raises(Conflict):
            safety_plan_save(actor=social_worker, case=safety_case, version=stale, data=replace(PLAN, steps="Моя правка"))
    fresh = SafetyPlan.objects.get(case=safety_case)
    assert (fresh.version, fresh.steps) == (2, "Вторая версия")
    assert _counts() == before


def test_an_edit_of_a_plan_that_is_not_there_is_a_conflict(safety_case, social_worker):
    with pytest.raises(Conflict):
        safety_plan_save(actor=social_worker, case=safety_case, version=1, data=PLAN)
    assert _counts() == (0, 0, 0)


# --- who may write, who sees what -------------------------------------------------------------------------


def test_an_offender_facing_role_sees_her_contacts_and_places_masked_and_cannot_save(safety_case, social_worker, safety_grantee):
    safety_plan_save(actor=social_worker, case=safety_case, version=None, data=PLAN)
    probation = safety_grantee(safety_case, "probation_officer", "probation")
    _case, viewer = case_get_for(probation, safety_case.pk)
    assert viewer.scope == Scope.FULL
    seen = safety_plan_for(safety_case, viewer)
    assert seen is not None
    assert (seen["contacts"], seen["safe_places"]) == (MASKED, MASKED)
    assert seen["steps"] == "Уйти к сестре,\nесли он пьёт."
    before = _counts()
    with pytest.raises(Forbidden):
        safety_plan_save(actor=probation, case=safety_case, version=1, data=replace(PLAN, contacts=""))
    assert _counts() == before
    assert SafetyPlan.objects.get(case=safety_case).contacts == "Сестра Динара +7 701 555 44 33"


@pytest.mark.parametrize("role,kind", [("court_clerk", "court"), ("monitoring_operator", "monitoring_centre"), ("programme_provider", "correction_programme")])
def test_other_offender_facing_roles_never_see_her_whereabouts_nor_write(safety_case, social_worker, safety_grantee, role, kind):
    safety_plan_save(actor=social_worker, case=safety_case, version=None, data=PLAN)
    user = safety_grantee(safety_case, role, kind)
    seen = safety_plan_for(safety_case, viewer_for(user, scope=Scope.FULL))
    assert seen is not None and (seen["contacts"], seen["safe_places"]) == (MASKED, MASKED)
    with pytest.raises(Forbidden):
        safety_plan_save(actor=user, case=safety_case, version=1, data=PLAN)


def test_a_worker_grant_sees_the_steps_but_not_where_she_goes_and_cannot_save(safety_case, social_worker, safety_grantee):
    safety_plan_save(actor=social_worker, case=safety_case, version=None, data=PLAN)
    worker = safety_grantee(safety_case, "social_worker", "family_support", scope="worker")
    _case, viewer = case_get_for(worker, safety_case.pk)
    seen = safety_plan_for(safety_case, viewer)
    assert seen is not None
    assert (seen["contacts"], seen["safe_places"], seen["children"]) == (MASKED, MASKED, "Дети знают номер 112")
    with pytest.raises(Forbidden):
        safety_plan_save(actor=worker, case=safety_case, version=1, data=PLAN)


def test_a_consent_scope_unit_cannot_save_and_sees_only_what_her_consent_covers(safety_case, social_worker, safety_grantee):
    safety_plan_save(actor=social_worker, case=safety_case, version=None, data=PLAN)
    crisis = safety_grantee(safety_case, "shelter_worker", "crisis_centre", scope="consent")
    _case, viewer = case_get_for(crisis, safety_case.pk)
    seen = safety_plan_for(safety_case, viewer)
    assert seen is not None
    assert {seen[k] for k in ("steps", "contacts", "safe_places", "children", "documents_other", "documents")} == {MASKED}
    before = _counts()
    with pytest.raises(Forbidden):
        safety_plan_save(actor=crisis, case=safety_case, version=1, data=PLAN)
    assert _counts() == before


def test_a_role_that_plans_no_safety_cannot_save_even_with_a_full_grant(safety_case, safety_grantee):
    health = safety_grantee(safety_case, "health_worker", "health")
    with pytest.raises(Forbidden):
        safety_plan_save(actor=health, case=safety_case, version=None, data=PLAN)
    assert _counts() == (0, 0, 0)


def test_a_unit_without_a_grant_gets_not_found(safety_case, make_user, other_unit):
    stranger = make_user("social_worker", unit=other_unit)
    with pytest.raises(NotFound):
        safety_plan_save(actor=stranger, case=safety_case, version=None, data=PLAN)
    assert _counts() == (0, 0, 0)


def test_a_merged_case_keeps_no_plan_of_its_own(safety_case, social_worker, make_user):
    inspector = safety_case.holding_unit.users.get(username="plan_inspector")
    other = report_register(actor=inspector, data=report_input(victims=[VictimInput(relationship="spouse", person=person("Ахметова Сауле", serial=2000))])).cases[0]
    Case.objects.filter(pk=safety_case.pk).update(merged_into=other)
    safety_case.refresh_from_db()
    with pytest.raises(Invalid) as exc:
        safety_plan_save(actor=inspector, case=safety_case, version=None, data=PLAN)
    assert set(exc.value.fields) == {"plan"}


# --- bad input --------------------------------------------------------------------------------------------


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(safety_case, social_worker):
    bad = SafetyPlanInput(
        language="de", steps="ш" * (TEXT_MAX + 1), contacts="+7\x00701", safe_places="ok", documents={"identity", "passport_of_him"},
    )
    with translation.override("en"), pytest.raises(Invalid) as exc:  # the messages as written
        safety_plan_save(actor=social_worker, case=safety_case, version=None, data=bad)
    assert exc.value.fields == {
        "language": ["Choose Kazakh, Russian or English."],
        "steps": ["This value is too long."],
        "contacts": ["The text contains characters that are not allowed."],
        "documents": ["Choose one of the offered values."],
    }
    assert _counts() == (0, 0, 0)


def test_an_empty_plan_is_refused_and_the_limit_is_4000_characters_after_trimming(safety_case, social_worker):
    with translation.override("en"), pytest.raises(Invalid) as exc:  # the messages as written
        safety_plan_save(actor=social_worker, case=safety_case, version=None, data=SafetyPlanInput(language="ru", steps="   \r\n  "))
    assert exc.value.fields == {"plan": ["Fill in at least one part of the plan."]}
    assert _counts() == (0, 0, 0)
    plan = safety_plan_save(actor=social_worker, case=safety_case, version=None, data=SafetyPlanInput(language="ru", steps=" " + "ш" * TEXT_MAX + " "))
    assert len(plan.steps) == TEXT_MAX
    only_documents = safety_plan_save(actor=social_worker, case=safety_case, version=1, data=SafetyPlanInput(language="en", documents={"medicines"}))
    assert (only_documents.version, only_documents.doc_medicines, only_documents.steps) == (2, True, "")


# --- the card's context -----------------------------------------------------------------------------------


def test_the_card_context_for_one_who_plans_and_for_an_offender_facing_role(safety_case, social_worker, safety_grantee):
    _case, viewer = case_get_for(social_worker, safety_case.pk)
    empty = safety_plan_context(social_worker, safety_case, viewer)
    assert (empty["safety_plan_enabled"], empty["safety_plan"], empty["safety_plan_can_edit"], empty["safety_plan_can_print"]) == (True, None, True, False)
    assert empty["safety_plan_url"] == f"/risk/case/{safety_case.pk}/safety-plan/"

    safety_plan_save(actor=social_worker, case=safety_case, version=None, data=PLAN)
    ctx = safety_plan_context(social_worker, safety_case, viewer)
    assert ctx["safety_plan"].version == 1
    assert [link["url"] for link in ctx["safety_plan_print_links"]] == [
        f"/risk/case/{safety_case.pk}/safety-plan/print/?lang={code}" for code in ("kk", "ru", "en")
    ]
    assert [r["key"] for r in ctx["safety_plan_rows"]] == ["steps", "contacts", "safe_places", "children", "documents_other"]
    assert not any(r["masked"] for r in ctx["safety_plan_rows"])
    assert len(ctx["safety_plan_documents"]) == 3 and ctx["safety_plan_documents_masked"] is False

    probation = safety_grantee(safety_case, "probation_officer", "probation")
    _case, pviewer = case_get_for(probation, safety_case.pk)
    theirs = safety_plan_context(probation, safety_case, pviewer)
    masked = {r["key"] for r in theirs["safety_plan_rows"] if r["masked"]}
    assert masked == {"contacts", "safe_places"}
    assert (theirs["safety_plan_can_edit"], theirs["safety_plan_can_print"], theirs["safety_plan_print_links"]) == (False, False, [])
    assert "Динара" not in repr([r["value"] for r in theirs["safety_plan_rows"]])
