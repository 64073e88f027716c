"""Her safety plan's pages through the Django test client: the form page (save, field errors with the
typed text kept, the conflict page), the printed plan in her language whatever the staff user's
language, with no case number and no staff name, audited, and 404 wherever the gate or the mask says no."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from qorgau.cases.access import case_get_for
from qorgau.core.models import AuditAction, AuditEvent
from qorgau.risk.models import SafetyPlan
from qorgau.risk.safety_plan import SafetyPlanInput, safety_plan_context, safety_plan_save
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

PLAN = SafetyPlanInput(
    language="kk",
    steps="Уйти к сестре, если он пьёт.",
    contacts="Сестра Динара +7 701 555 44 33",
    safe_places="Кризисный центр «Шаңырақ»",
    children="Дети знают номер 112",
    documents_other="Ключи у соседки",
    documents={"identity", "phone"},
)
POST: dict[str, object] = {
    "language": PLAN.language, "steps": PLAN.steps, "contacts": PLAN.contacts, "safe_places": PLAN.safe_places,
    "children": PLAN.children, "documents_other": PLAN.documents_other, "documents": sorted(PLAN.documents),
}
# What the printed plan says in her language: headings, guidance and what each help number is.
PRINTED = [
    "My safety plan",
    "What I will do to stay safe",
    "People and numbers I can call",
    "Where I can go",
    "Keeping my children safe",
    "What I keep ready to take with me",
    "Help numbers",
    "National helpline for children and young people, and for victims of domestic violence",
    "Contact centre for the rights of families, women and children",
    "Police",
    "Ambulance",
    "Emergency services",
    "My identity card or passport",
    "Medicines for me and the children",
    "This plan is yours. Keep it where he cannot find it, or give a copy to someone you trust.",
]


def url(case_id: int, page: str = "") -> str:
    return f"/risk/case/{case_id}/safety-plan/{page}"


def textarea(html: str, name: str) -> str | None:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    return unescape(match.group(1)).strip() if match else None


@pytest.fixture
def social_worker(safety_case, safety_grantee):
    return safety_grantee(safety_case, "social_worker", "family_support", language="ru")


@pytest.fixture
def client(social_worker) -> Client:
    return sign_in(Client(), social_worker)


@pytest.fixture
def saved(safety_case, social_worker) -> SafetyPlan:
    return safety_plan_save(actor=social_worker, case=safety_case, version=None, data=PLAN)


# --- the form page ----------------------------------------------------------------------------------------


def test_the_form_page_saves_a_new_plan_and_shows_it_again(client, safety_case, social_worker):
    page = client.get(url(safety_case.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="safety-plan-form"' in html and 'data-testid="plan-none"' in html
    assert 'data-testid="print-links"' not in html  # nothing to print yet

    response = client.post(url(safety_case.pk), POST)
    assert (response.status_code, response["Location"]) == (302, url(safety_case.pk))
    plan = SafetyPlan.objects.get(case=safety_case)
    assert (plan.version, plan.language, plan.contacts, plan.doc_identity, plan.doc_phone, plan.doc_money) == (
        1, "kk", "Сестра Динара +7 701 555 44 33", True, True, False,
    )
    html = client.get(url(safety_case.pk)).content.decode()
    assert textarea(html, "contacts") == "Сестра Динара +7 701 555 44 33"
    assert re.search(r'<input type="hidden" name="version" value="1"', html)
    assert f'href="/risk/case/{safety_case.pk}/safety-plan/print/?lang=kk"' in html
    assert AuditEvent.objects.filter(action=AuditAction.READ, target_type="safety_plan", target_id=str(plan.pk), actor_id=social_worker.pk).count() == 1


def test_a_field_error_keeps_what_she_said_in_the_form(client, safety_case):
    too_long = {**POST, "language": "", "steps": "ш" * 4001}
    response = client.post(url(safety_case.pk), too_long)
    assert response.status_code == 200
    form = response.context["form"]
    with translation.override("ru"):
        assert form.errors["steps"] == [translation.gettext("This value is too long.")]
    assert "language" in form.errors
    html = response.content.decode()
    assert textarea(html, "contacts") == "Сестра Динара +7 701 555 44 33"
    assert textarea(html, "safe_places") == "Кризисный центр «Шаңырақ»"
    assert re.search(r'<input type="checkbox" name="documents" value="phone"[^>]*checked', html)
    assert not SafetyPlan.objects.exists()


def test_a_service_refusal_is_shown_on_the_same_form(client, safety_case):
    with translation.override("ru"):
        expected = translation.gettext("Fill in at least one part of the plan.")
    response = client.post(url(safety_case.pk), {"language": "ru", "steps": "  ", "documents_other": "\r\n"})
    assert response.status_code == 200
    assert [str(e) for e in response.context["form"].non_field_errors()] == [expected]
    assert expected in unescape(response.content.decode())
    assert not SafetyPlan.objects.exists()


def test_a_stale_form_gets_the_conflict_page_with_both_versions(client, safety_case, social_worker, saved, safety_grantee):
    colleague = sign_in(Client(), safety_grantee(safety_case, "social_worker", "family_support"))
    assert colleague.post(url(safety_case.pk), {**POST, "version": 1, "steps": "Версия коллеги"}).status_code == 302
    stale = client.post(url(safety_case.pk), {**POST, "version": 1, "steps": "Моя версия"})
    assert stale.status_code == 409
    html = stale.content.decode()
    assert 'data-testid="conflict-mine"' in html and 'data-testid="conflict-stored"' in html
    assert "Моя версия" in html and "Версия коллеги" in html
    assert f'action="{url(safety_case.pk)}"' in html
    assert '<input type="hidden" name="version" value="2">' in html
    assert SafetyPlan.objects.get(case=safety_case).steps == "Версия коллеги"
    # Applying my change on the current version goes through.
    assert client.post(url(safety_case.pk), {**POST, "version": 2, "steps": "Моя версия"}).status_code == 302
    assert SafetyPlan.objects.get(case=safety_case).version == 3


def test_an_offender_facing_role_reads_the_plan_masked_and_cannot_post(safety_case, saved, safety_grantee):
    probation = sign_in(Client(), safety_grantee(safety_case, "probation_officer", "probation", language="en"))
    page = probation.get(url(safety_case.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="safety-plan-form"' not in html and 'data-testid="print-links"' not in html
    assert "Динара" not in html and "Шаңырақ" not in html
    assert re.search(r'data-field="plan_contacts" class="narrative"><span class="masked"[^>]*>hidden</span>', html)
    assert "Уйти к сестре" in html  # her steps are not her whereabouts
    assert probation.post(url(safety_case.pk), {**POST, "version": 1, "contacts": ""}).status_code == 403
    assert SafetyPlan.objects.get(case=safety_case).contacts == "Сестра Динара +7 701 555 44 33"


def test_a_case_one_may_not_see_is_404_on_both_pages(safety_case, saved, make_user, other_unit):
    stranger = sign_in(Client(), make_user("social_worker", unit=other_unit, language="en"))
    for response in (
        stranger.get(url(safety_case.pk)),
        stranger.post(url(safety_case.pk), {**POST, "version": 1, "steps": "чужой"}),
        stranger.get(url(safety_case.pk, "print/") + "?lang=ru"),
    ):
        assert response.status_code == 404
        assert "Динара" not in response.content.decode()
    assert SafetyPlan.objects.get(case=safety_case).steps == POST["steps"]
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


# --- the printed plan -------------------------------------------------------------------------------------


def test_the_printed_plan_is_in_her_language_while_the_staff_user_works_in_russian(client, safety_case, social_worker, saved):
    assert social_worker.language == "ru"
    response = client.get(url(safety_case.pk, "print/") + "?lang=kk")
    assert response.status_code == 200
    assert (response["Content-Language"], response["Cache-Control"]) == ("kk", "no-store")
    html = unescape(response.content.decode())
    assert '<html lang="kk">' in html
    for msgid in PRINTED:
        with translation.override("kk"):
            kazakh = translation.gettext(msgid)
        with translation.override("ru"):
            russian = translation.gettext(msgid)
        assert kazakh in html, msgid
        if russian != kazakh:
            assert russian not in html, msgid
    for number in ("150", "111", "102", "103", "112"):
        assert f'data-number="{number}">{number}</strong>' in html
    assert "Уйти к сестре, если он пьёт." in html and "Сестра Динара +7 701 555 44 33" in html and "Шаңырақ" in html
    assert re.search(r'data-document="identity"><span>☑', html) and re.search(r'data-document="money"><span>☐', html)
    # The staff user's own pages stay in their language.
    assert '<html lang="ru">' in client.get(url(safety_case.pk)).content.decode()


def test_the_printed_plan_leads_nowhere_no_case_number_no_staff_no_menu(client, safety_case, social_worker, saved):
    html = client.get(url(safety_case.pk, "print/")).content.decode()
    assert '<html lang="kk">' in html  # her language by default
    assert safety_case.number not in html
    assert "/cases/" not in html and "/risk/" not in html  # no link back to the case
    for staff in (social_worker.username, "plan_inspector", social_worker.unit.name_ru, social_worker.unit.name_en, "Almaly", "Алмал"):
        assert staff not in html
    assert 'class="menu"' not in html and "<form" not in html and "<script" not in html
    assert "qorgau/app.css" in html


@pytest.mark.parametrize("lang", ["en", "ru", "de", ""])
def test_the_print_language_is_chosen_or_falls_back_to_hers(client, safety_case, saved, lang):
    response = client.get(url(safety_case.pk, "print/") + f"?lang={lang}")
    assert response.status_code == 200
    expected = lang if lang in ("en", "ru") else "kk"
    assert f'<html lang="{expected}">' in response.content.decode()


def test_printing_is_audited_as_an_export(client, safety_case, social_worker, saved):
    client.get(url(safety_case.pk, "print/") + "?lang=ru")
    client.get(url(safety_case.pk, "print/") + "?lang=en")
    exports = AuditEvent.objects.filter(action=AuditAction.EXPORT, target_type="safety_plan")
    assert list(exports.values_list("actor_id", "actor_unit_id", "target_id")) == [(social_worker.pk, social_worker.unit_id, str(saved.pk))] * 2


def test_print_is_404_for_offender_facing_roles_masked_viewers_and_a_case_without_a_plan(client, safety_case, safety_grantee):
    assert client.get(url(safety_case.pk, "print/")).status_code == 404  # no plan yet
    safety_plan_save(actor=safety_case.holding_unit.users.get(username="plan_inspector"), case=safety_case, version=None, data=PLAN)
    for role, kind, scope in (("probation_officer", "probation", "full"), ("court_clerk", "court", "full"), ("social_worker", "family_support", "worker")):
        other = sign_in(Client(), safety_grantee(safety_case, role, kind, scope=scope))
        response = other.get(url(safety_case.pk, "print/") + "?lang=ru")
        assert response.status_code == 404, role
        assert "Динара" not in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, target_type="case", target_id=str(safety_case.pk)).count() == 4


# --- the case page's card ---------------------------------------------------------------------------------


def test_the_card_shows_masked_fields_masked_and_print_links_only_to_who_may_print(safety_case, social_worker, saved, safety_grantee):
    _case, viewer = case_get_for(social_worker, safety_case.pk)
    with translation.override("en"):
        html = render_to_string("risk/_safety_plan_card.html", safety_plan_context(social_worker, safety_case, viewer))
    assert "Сестра Динара" in html and 'data-testid="safety-plan-edit"' in html
    assert f'href="/risk/case/{safety_case.pk}/safety-plan/print/?lang=en"' in html
    assert re.search(r'data-field="safety_plan_documents"><span class="tag">Identity card or passport</span>', html)

    probation = safety_grantee(safety_case, "probation_officer", "probation")
    _case, pviewer = case_get_for(probation, safety_case.pk)
    with translation.override("en"):
        html = render_to_string("risk/_safety_plan_card.html", safety_plan_context(probation, safety_case, pviewer))
    assert "Динара" not in html and "Шаңырақ" not in html
    assert re.search(r'data-field="safety_plan_contacts"><span class="masked"[^>]*>hidden</span>', html)
    assert re.search(r'data-field="safety_plan_safe_places"><span class="masked"[^>]*>hidden</span>', html)
    assert "safety-plan/print/" not in html and 'data-testid="safety-plan-edit"' not in html
    assert 'data-testid="safety-plan-open"' in html
