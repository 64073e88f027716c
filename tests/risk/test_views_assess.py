"""The assessment pages through the test client: start, pre-filled items, draft and signing errors on
the same form, a raised level, a refused lowering, the supervisor's review, measures, the queue and
the instruments pages — in the three languages."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from qorgau.accounts.roles import Role
from qorgau.risk.instruments import version_draft_reweighted
from qorgau.risk.models import (
    Assessment,
    AssessmentStatus,
    CaseRisk,
    InstrumentVersion,
    LevelChange,
    MeasureRecord,
    VersionStatus,
)
from tests.conftest import sign_in
from tests.risk.support import answers_scoring, make_case, signed, version

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspector(instruments, make_user):
    return make_user(Role.POLICE_INSPECTOR)


def tr(lang: str, msgid: str) -> str:
    """The catalogue's wording, checked to be a real translation outside English."""
    with translation.override(lang):
        text = translation.gettext(msgid)
    assert lang == "en" or text != msgid, f"{msgid!r} is not translated to {lang}"
    return text


def post_answers(answers: dict[str, str], **extra: str) -> dict[str, str]:
    return {f"item_{k}": v for k, v in answers.items()} | extra


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_the_case_page_asks_for_an_assessment(make_user, instruments, client, lang):
    words = tr(lang, "Not assessed yet")
    user = make_user(Role.POLICE_INSPECTOR, language=lang)
    case = make_case(user)
    page = sign_in(client, user).get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="risk"' in page and words in page
    assert f"/risk/case/{case.pk}/assess/" in page


def test_start_fill_and_sign_with_a_raised_level(inspector, client):
    case = make_case(inspector, circumstances={"strangulation"})
    c = sign_in(client, inspector)
    page = c.get(f"/risk/case/{case.pk}/assess/").content.decode()
    dash = version("dash")
    assert f'value="{dash.pk}"' in page and f'value="{version("odara").pk}"' in page
    r = c.post(f"/risk/case/{case.pk}/assess/", {"version": dash.pk})
    a = Assessment.objects.get(case=case)
    assert r.status_code == 302 and r["Location"] == f"/risk/assessments/{a.pk}/"
    page = c.get(r["Location"]).content.decode()
    # The incident's strangulation is proposed, ticked, and marked as coming from the registry.
    block = page.split('data-item="strangulation"')[1].split('data-item=')[0]
    assert 'value="yes"' in block and re.search(r'value="yes"[^>]*checked', block)
    assert 'data-testid="prefilled"' in block
    # Signing with questions unanswered: 422, the draft keeps what was ticked.
    r = c.post(r["Location"], post_answers({"strangulation": "yes"}, row_version="1", action="sign"))
    assert r.status_code == 422
    assert tr("ru", 'Answer every question before signing ("not known" is an answer). The draft is saved.') in r.content.decode()
    a.refresh_from_db()
    assert (a.status, a.answers) == (AssessmentStatus.DRAFT, {"strangulation": "yes"})
    # Complete, raised with a reason.
    answers = answers_scoring("dash", 0) | {"strangulation": "yes"}
    r = c.post(f"/risk/assessments/{a.pk}/", post_answers(answers, row_version=str(a.row_version), action="sign",
                                                           final_level="high", level_reason="he threatened her family yesterday"))
    assert r.status_code == 302 and r["Location"] == f"/cases/{case.pk}/"
    a.refresh_from_db()
    assert (a.status, a.computed_level, a.final_level, a.flag) == (AssessmentStatus.SIGNED, "low", "high", True)
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-level="high"' in page and "he threatened her family yesterday" in page


def test_a_lowered_level_without_a_supervisor_is_refused_on_the_form(inspector, client):
    case = make_case(inspector)
    c = sign_in(client, inspector)
    c.post(f"/risk/case/{case.pk}/assess/", {"version": version("dash").pk})
    a = Assessment.objects.get(case=case)
    answers = answers_scoring("dash", 0) | {k: "yes" for k in ["current_injury", "very_frightened", "fears_what", "isolated",
                                                                "victim_depressed", "stalking", "more_often", "financial",
                                                                "hurt_others", "criminal_history"]}
    r = c.post(f"/risk/assessments/{a.pk}/", post_answers(answers, row_version="1", action="sign", final_level="low", level_reason="she said it was a one-off"))
    assert r.status_code == 422
    assert tr("ru", "Only a supervisor may set a level lower than the computed one. You may raise it, with a reason, "
                    "or sign it as computed and ask your supervisor to review it.") in r.content.decode()
    a.refresh_from_db()
    assert a.status == AssessmentStatus.DRAFT and a.answers == answers  # her answers are not lost


def test_an_answer_outside_the_values_and_a_stale_form(inspector, client):
    case = make_case(inspector)
    c = sign_in(client, inspector)
    c.post(f"/risk/case/{case.pk}/assess/", {"version": version("odara").pk})
    a = Assessment.objects.get(case=case)
    r = c.post(f"/risk/assessments/{a.pk}/", {"item_prior_domestic": "perhaps", "row_version": "1", "action": "save"})
    assert r.status_code == 422 and tr("ru", "Choose yes, no or not known.") in r.content.decode()
    assert c.post(f"/risk/assessments/{a.pk}/", {"item_prior_domestic": "yes", "row_version": "1", "action": "save"}).status_code == 302
    r = c.post(f"/risk/assessments/{a.pk}/", {"item_prior_domestic": "no", "row_version": "1", "action": "save"})
    assert r.status_code == 409
    a.refresh_from_db()
    assert a.answers == {"prior_domestic": "yes"}


def test_the_supervisor_lowers_on_the_assessment_page(inspector, make_user, client):
    case = make_case(inspector)
    a = signed(inspector, case, "odara", answers_scoring("odara", 5))
    c = sign_in(client, inspector)
    r = c.post(f"/risk/assessments/{a.pk}/level/", {"to_level": "low", "reason": "he left the country for good"})
    assert r.status_code == 422 and tr("ru", "Only a supervisor may lower a risk level.") in r.content.decode()
    boss = sign_in(client.__class__(), make_user(Role.POLICE_SUPERVISOR, language="en"))
    page = boss.get(f"/risk/assessments/{a.pk}/").content.decode()
    assert "Review the level (supervisor)" in page
    r = boss.post(f"/risk/assessments/{a.pk}/level/", {"to_level": "medium", "reason": "he is in pre-trial detention"})
    assert r.status_code == 302
    assert LevelChange.objects.get(assessment=a).to_level == "medium"
    assert CaseRisk.objects.get(case=case).level == "medium"


def test_a_measure_is_recorded_from_the_case_page(inspector, client):
    case = make_case(inspector)
    signed(inspector, case, "odara", answers_scoring("odara", 7))  # critical
    c = sign_in(client, inspector)
    page = c.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-measure="monitoring_proposal"' in page
    r = c.post(f"/risk/case/{case.pk}/measures/", {"measure": "protective_order", "status": "applied", "note": ""})
    assert r.status_code == 302 and r["Location"].endswith("#risk")
    r = c.post(f"/risk/case/{case.pk}/measures/", {"measure": "shelter_referral", "status": "not_applied", "note": ""}, follow=True)
    assert tr("ru", "Write why the measure was not applied (at least 10 characters).") in r.content.decode()
    assert list(MeasureRecord.objects.values_list("measure", "status")) == [("protective_order", "applied")]


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_the_queue_lists_cases_never_assessed(make_user, instruments, client, lang):
    title = tr(lang, "Reassessments due")
    user = make_user(Role.POLICE_INSPECTOR, language=lang)
    case = make_case(user)
    page = sign_in(client, user).get("/risk/due/").content.decode()
    assert title in page and f'data-case="{case.number}"' in page


def test_the_instruments_pages_and_publishing(instruments, make_user, client):
    admin = make_user(Role.ADMINISTRATOR, language="en")
    c = sign_in(client, admin)
    page = c.get("/risk/instruments/").content.decode()
    assert 'data-version="dash-1"' in page and 'data-version="odara-1"' in page
    current = version("odara")
    draft = version_draft_reweighted(actor=admin, version=current, weights={"prior_domestic": 2})
    page = c.get(f"/risk/instruments/{draft.pk}/").content.decode()
    assert 'data-testid="publish"' in page
    assert c.post(f"/risk/instruments/{draft.pk}/").status_code == 302
    assert InstrumentVersion.objects.get(pk=draft.pk).status == VersionStatus.PUBLISHED
    r = c.post(f"/risk/instruments/{draft.pk}/")
    assert r.status_code == 422 and "Only a draft can be published" in r.content.decode()


def test_after_a_refused_signature_the_form_signs_without_a_conflict(inspector, client):
    case = make_case(inspector)
    c = sign_in(client, inspector)
    c.post(f"/risk/case/{case.pk}/assess/", {"version": version("odara").pk})
    a = Assessment.objects.get(case=case)
    answers = answers_scoring("odara", 2)
    r = c.post(f"/risk/assessments/{a.pk}/", post_answers(answers, row_version="1", action="sign", final_level="high"))
    assert r.status_code == 422  # raising without a reason
    row_version = re.search(r'name="row_version" value="(\d+)"', r.content.decode()).group(1)
    assert row_version == "2"  # the answers were saved: the form carries the draft's new version
    r = c.post(f"/risk/assessments/{a.pk}/", post_answers(answers, row_version=row_version, action="sign", final_level="high",
                                                          level_reason="her brother says he has a knife"))
    assert r.status_code == 302
    a.refresh_from_db()
    assert (a.status, a.final_level) == (AssessmentStatus.SIGNED, "high")
