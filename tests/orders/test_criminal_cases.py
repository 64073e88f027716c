"""Criminal cases on a case: who records them (police investigators, courts), the status path
registered → in court → convicted / acquitted / discontinued with the sentence in a court decision,
stale versions, the timeline, the pages, and the national figures by status and decision kind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import translation

from qorgau.accounts.models import AgencyKind
from qorgau.accounts.roles import Role
from qorgau.accounts.services import unit_create
from qorgau.cases.models import CaseEvent, EventKind
from qorgau.core import clock
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditEvent, Region
from qorgau.orders import court, selectors
from qorgau.orders.models import CriminalCase, CriminalCaseStatus
from tests.conftest import sign_in
from tests.orders.support import court_unit, grant, make_cases

pytestmark = pytest.mark.django_db


def _invalid(fn, **kw) -> dict[str, list[str]]:
    with pytest.raises(Invalid) as exc, translation.override("en"):
        fn(**kw)
    return {k: [str(m) for m in v] for k, v in exc.value.fields.items()}


@pytest.fixture
def case(inspector):
    return make_cases(inspector)[0]


@pytest.fixture
def clerk(case, make_user):
    unit = court_unit()
    grant(case, unit)
    return make_user(Role.COURT_CLERK, unit=unit)


@pytest.fixture
def today(inspector):
    return clock.local(clock.now(), inspector.unit.timezone).date()


def _record(actor, case, today, number="251750031000123", **kw):
    return court.criminal_case_record(actor=actor, case=case, number=number, registered_on=today - timedelta(days=10), article="УК 108-1", **kw)


def test_the_police_record_and_send_it_to_court(inspector, case, today):
    record = _record(inspector, case, today)
    assert (record.status, record.status_on, record.version, record.unit_id) == ("registered", today - timedelta(days=10), 1, inspector.unit_id)
    event = CaseEvent.objects.get(case=case, kind=EventKind.CRIMINAL_CASE)
    assert event.reason == "251750031000123"
    assert AuditEvent.objects.filter(target_type="criminal_case", target_id=str(record.pk)).count() == 1
    sent = court.criminal_case_change(actor=inspector, record=record, version=1, status="in_court", status_on=today)
    assert (sent.status, sent.status_on, sent.version) == ("in_court", today, 2)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.CRIMINAL_CASE).count() == 2
    with pytest.raises(Conflict):
        court.criminal_case_change(actor=inspector, record=sent, version=1, status="discontinued")
    # Before the court now: the police record no verdict and no discontinuation.
    assert _invalid(court.criminal_case_change, actor=inspector, record=sent, version=2, status="discontinued") == {
        "status": ["Once the case is before the court, only the court records what happens to it."]}


def test_bad_input_and_who_may_record(inspector, case, today, make_user, other_unit):
    fields = _invalid(court.criminal_case_record, actor=inspector, case=case, number=" ", registered_on=today + timedelta(days=1), article="x" * 61,
                      status="convicted")
    assert fields == {
        "number": ["This field is required."],
        "article": ["This value is too long."],
        "registered_on": ["This date is in the future."],
        "status": ["A criminal case starts as registered or sent to court; record the verdict afterwards."],
    }
    _record(inspector, case, today)
    assert _invalid(_record, actor=inspector, case=case, today=today) == {"number": ["This criminal case is already recorded on the case."]}
    with pytest.raises(Forbidden):  # a social worker of the same unit is no investigator
        _record(make_user(Role.SOCIAL_WORKER), case, today, number="2")
    # A police role in a unit that is not the police (a wrongly set account) is no investigator either.
    family = unit_create(actor=None, kind=AgencyKind.objects.get(code="family_support"), region=Region.objects.get(iso="KZ-75"),
                         name_ru="ЦПС", name_kk="ОҚО", name_en="Family support")
    grant(case, family)
    with pytest.raises(Forbidden):
        _record(make_user(Role.POLICE_INSPECTOR, unit=family), case, today, number="3")
    with pytest.raises(NotFound):
        _record(make_user(Role.POLICE_INSPECTOR, unit=other_unit), case, today, number="4")


def test_a_conviction_needs_the_decision_with_the_sentence(inspector, case, clerk, today):
    record = _record(inspector, case, today)
    assert _invalid(court.criminal_case_change, actor=clerk, record=record, version=1, status="convicted") == {
        "decision": ["A conviction needs the court decision with the sentence: record the decision first and choose it."]}
    penalty = court.court_decision_record(actor=clerk, case=case, kind="administrative_penalty", decided_on=today, reference="5-1/2025")
    assert _invalid(court.criminal_case_change, actor=clerk, record=record, version=1, status="convicted", decision_id=penalty.pk) == {
        "decision": ["This decision does not match the new status."]}
    assert _invalid(court.criminal_case_change, actor=clerk, record=record, version=1, status="in_court", status_on=today - timedelta(days=30)) == {
        "status_on": ["This date is before the criminal case was registered."]}
    verdict = court.court_decision_record(actor=clerk, case=case, kind="criminal_conviction", decided_on=today, reference="1-7/2025",
                                          sentence="2 года ограничения свободы")
    convicted = court.criminal_case_change(actor=clerk, record=record, version=1, status="convicted", decision_id=verdict.pk)
    assert (convicted.status, convicted.decision_id, convicted.status_on) == ("convicted", verdict.pk, today)
    fields = _invalid(court.criminal_case_change, actor=clerk, record=convicted, version=2, status="acquitted")
    assert fields == {"status": ["A criminal case cannot move from “Conviction” to “Acquittal”."]}


def test_a_decision_settles_the_criminal_case_in_one_step(inspector, case, clerk, today):
    record = _record(inspector, case, today)
    fields = _invalid(court.court_decision_record, actor=clerk, case=case, kind="special_requirements", decided_on=today, reference="2-1/2025",
                      criminal_case_id=record.pk)
    assert fields == {"criminal_case": ["Only a conviction or an acquittal settles a criminal case."]}
    decision = court.court_decision_record(actor=clerk, case=case, kind="acquittal", decided_on=today, reference="1-8/2025", criminal_case_id=record.pk)
    record.refresh_from_db()
    assert (record.status, record.decision_id, record.version) == ("acquitted", decision.pk, 2)
    again = _invalid(court.court_decision_record, actor=clerk, case=case, kind="criminal_conviction", decided_on=today, reference="1-9/2025",
                     criminal_case_id=record.pk)
    assert again == {"criminal_case": ["This criminal case is already closed."]}


def test_figures_count_criminal_cases_by_status_and_decisions_by_kind(inspector, case, clerk, today):
    first = _record(inspector, case, today)
    _record(inspector, case, today, number="2")
    third = _record(inspector, case, today, number="3")
    court.criminal_case_change(actor=inspector, record=third, version=1, status="discontinued")
    court.court_decision_record(actor=clerk, case=case, kind="criminal_conviction", decided_on=today, reference="1-1/2025", criminal_case_id=first.pk)
    court.court_decision_record(actor=clerk, case=case, kind="administrative_penalty", decided_on=today, reference="5-2/2025")
    figures = selectors.order_figures()
    assert figures["criminal_cases"] == 3
    assert figures["criminal_cases_by_status"] == {"convicted": 1, "registered": 1, "discontinued": 1}
    assert figures["court_decisions_by_kind"] == {"criminal_conviction": 1, "administrative_penalty": 1}
    later = clock.now() + timedelta(days=2)
    assert selectors.order_figures(since=later)["criminal_cases_by_status"] == {}


def test_the_pages(inspector, case, clerk, today):
    police = sign_in(Client(), inspector)
    url = f"/orders/case/{case.pk}/court/"
    page = police.get(url).content.decode()
    assert 'data-testid="criminal-form"' in page and 'data-testid="hearing-form"' not in page and 'data-testid="court-form"' not in page
    bad = police.post(url, {"action": "criminal", "number": "", "registered_on": "31.02.2025", "article": "108-1", "status": "registered"})
    assert bad.status_code == 422 and {"number", "registered_on"} <= set(bad.context["criminal_form"].errors)
    assert 'value="108-1"' in bad.content.decode()
    assert police.post(url, {"action": "hearing", "kind": "other", "scheduled_for": "2030-01-01T10:00"}).status_code == 403
    assert police.post(url, {"action": "nonsense"}).status_code == 422
    ok = police.post(url, {"action": "criminal", "number": "251750031000777", "registered_on": today.isoformat(), "article": "108-1", "status": "registered"})
    assert ok.status_code == 302
    record = CriminalCase.objects.get()
    assert f'data-criminal-case="{record.pk}"' in police.get(url).content.decode()
    detail = f"/orders/criminal-cases/{record.pk}/"
    html = police.get(detail).content.decode()
    assert 'value="in_court"' in html and 'value="convicted"' not in html  # no verdicts for the police
    stale = police.post(detail, {"version": "5", "status": "in_court"})
    assert stale.status_code == 409 and 'data-testid="conflict"' in stale.content.decode()
    assert police.post(detail, {"version": "1", "status": "convicted"}).status_code == 422
    assert police.post(detail, {"version": "1", "status": "in_court", "status_on": today.isoformat()}).status_code == 302
    record.refresh_from_db()
    assert record.status == CriminalCaseStatus.IN_COURT
    # The clerk records the verdict from the court page, naming the criminal case.
    cc = sign_in(Client(), clerk)
    done = cc.post(url, {"action": "decision", "kind": "criminal_conviction", "decided_on": today.isoformat(), "reference": "1-3/2025",
                         "sentence": "штраф", "criminal_case": str(record.pk)})
    assert done.status_code == 302
    record.refresh_from_db()
    assert record.status == CriminalCaseStatus.CONVICTED and record.decision.sentence == "штраф"
    shown = cc.get(detail).content.decode()
    assert 'data-testid="criminal-decision"' in shown and "штраф" in shown and 'data-testid="criminal-status-form"' not in shown


def test_another_units_user_gets_404(inspector, case, today, make_user, other_unit):
    record = _record(inspector, case, today)
    stranger = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, unit=other_unit))
    assert stranger.get(f"/orders/criminal-cases/{record.pk}/").status_code == 404
    assert stranger.post(f"/orders/criminal-cases/{record.pk}/", {"version": "1", "status": "in_court"}).status_code == 404
