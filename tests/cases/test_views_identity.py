"""The identity pages through the Django test client: the review queue and one decision, the link
history and its undo, the registration screen's "check the registry", and the page of a merged case.
Who may open them is the permission matrix's business (tests/permission_matrix.py)."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from qorgau.accounts.models import AgencyKind, Unit, User
from qorgau.accounts.services import unit_create
from qorgau.cases.identity import person_link_undo, review_decide
from qorgau.cases.models import Case, CaseEvent, EventKind, Report
from qorgau.cases.services import Registration, VictimInput, report_register
from qorgau.core import clock
from qorgau.core.models import AuditEvent, Region
from qorgau.people.models import MatchReview, Person, PersonLink, ReviewStatus
from qorgau.people.services import PersonInput
from tests.cases.factories import person, report_input, synthetic_iin
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

VICTIM_BIRTH = dt.date(1990, 5, 17)
OFFENDER_BIRTH = dt.date(1986, 3, 2)
VICTIM_IIN = synthetic_iin(VICTIM_BIRTH, "F", 1000)
TYPED_IIN = VICTIM_IIN[:11] + str((int(VICTIM_IIN[11]) + 1) % 10)  # fails the check digit
ZONE = ZoneInfo("Asia/Almaty")
UNDO_REASON = "Разные женщины: проверено по удостоверениям"

# Distinctive values that must never reach the reviewer: addresses, phones, workplaces, narratives.
SECRETS = {
    "address": ["ул. Тулебаева 38, кв. 91", "Тулебаева", "мкр. Айнабулак 4, дом 19", "Айнабулак", "Сейфуллина"],
    "phone": ["701 555 66 77", "7015556677", "555-66-77", "705 999 88 11", "7059998811", "702 000 00 00", "7020000000"],
    "workplace": ["ТОО Жулдыз-Маркет", "Жулдыз"],
    "narrative": ["Соседка слышала крики через стену", "крики", "выгнал из квартиры ночью", "квартиры"],
}


def _unit(code: str, name: str, region: str) -> Unit:
    return unit_create(
        actor=None, kind=AgencyKind.objects.get(code=code), region=Region.objects.get(iso=region),
        name_ru=name + " ru", name_kk=name + " kk", name_en=name,
    )


def _offender(**kw: Any) -> PersonInput:
    return person("Сапаров Ерлан", birth=OFFENDER_BIRTH, sex="M", phone="+7 702 000 00 00", address="ул. Сейфуллина 5", **kw)


def _register(actor: User, victim: PersonInput, *, markers: tuple[str, ...] = (), offender: PersonInput | None = None, **kw: Any) -> Registration:
    victims = [VictimInput(relationship="spouse", person=victim, markers=list(markers))]
    return report_register(actor=actor, data=report_input(victims=victims, offender=offender or _offender(), **kw))


def _testid(html: str, testid: str) -> list[str]:
    """The text inside every element with this data-testid (tags stripped, entities decoded)."""
    found = re.findall(rf'<(\w+)[^>]*data-testid="{re.escape(testid)}"[^>]*>(.*?)</\1>', html, flags=re.S)
    return [" ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", inner)).split()) for _tag, inner in found]


def _items(html: str, testid: str) -> list[str]:
    """The texts of the list items inside the element with this data-testid."""
    start = html.index(f'data-testid="{testid}"')
    block = html[start : html.index("</ul>", start)]
    return [" ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", li)).split()) for li in re.findall(r"<li[^>]*>(.*?)</li>", block, flags=re.S)]


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _field_errors(response, name: str | None) -> list[str]:
    form = response.context["form"]
    return [str(e) for e in (form.non_field_errors() if name is None else form.errors.get(name, []))]


@pytest.fixture
def dq_unit(reference) -> Unit:
    return _unit("data_quality", "Data quality office", "KZ-71")


@pytest.fixture
def reviewer(make_user, dq_unit) -> User:
    return make_user("dq_reviewer", unit=dq_unit, language="en")


@pytest.fixture
def client_for():
    def make(user: User) -> Client:
        return sign_in(Client(), user)

    return make


@pytest.fixture
def iin_review(make_user, other_unit) -> MatchReview:
    """The same name twice: once with her valid IIN, once with the IIN mistyped and no birth date."""
    first = PersonInput(
        full_name="Сапарова Айгерим", iin=VICTIM_IIN, birth_date=VICTIM_BIRTH, sex="F",
        phone="+7 701 555 66 77", address="ул. Тулебаева 38, кв. 91", workplace="ТОО Жулдыз-Маркет",
    )
    _register(make_user(), first, narrative="Соседка слышала крики через стену в подъезде.")
    second = PersonInput(
        full_name="Сапарова Айгерим", iin=TYPED_IIN, iin_unverified_ok=True, sex="F",
        phone="+7 705 999 88 11", address="мкр. Айнабулак 4, дом 19",
    )
    _register(make_user(unit=other_unit), second, narrative="Вторая жалоба: выгнал из квартиры ночью.", region="KZ-23", district="")
    return MatchReview.objects.get()


@pytest.fixture
def typo(make_user, other_unit) -> tuple[Registration, Registration, MatchReview]:
    """A surname typo, no birth date, the same phone: a review; the same man by his IIN."""
    first = _register(make_user(language="en"), person("Сапарова Айгерим", birth=None, iin=False, phone="+7 701 111 22 33"))  # type: ignore[arg-type]
    second = _register(
        make_user(unit=other_unit, language="en"),
        person("Сапарава Айгерим", birth=None, iin=False, phone="8 701 111 22 33"),  # type: ignore[arg-type]
        markers=("pregnant",), region="KZ-23", district="",
    )
    return first, second, MatchReview.objects.get()


# --- the review queue and one decision ---------------------------------------------------------------


def test_the_queue_lists_the_open_reviews(iin_review, reviewer, client_for):
    response = client_for(reviewer).get("/cases/review/")
    assert response.status_code == 200
    html = response.content.decode()
    assert _testid(html, "review-queue") != [] and f'href="/cases/review/{iin_review.pk}/"' in html
    assert "Сапарова" not in html  # the queue lists matches, not people
    review_decide(actor=reviewer, review_id=iin_review.pk, same=False)
    html = client_for(reviewer).get("/cases/review/").content.decode()
    assert _testid(html, "review-empty") == ["Nothing is waiting for review."] and "review-queue" not in html


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_review_page_shows_identity_and_reasons_never_address_phone_or_story(iin_review, make_user, dq_unit, client_for, language):
    reviewer = make_user("dq_reviewer", unit=dq_unit, language=language)
    response = client_for(reviewer).get(f"/cases/review/{iin_review.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert _testid(html, "new-name") == ["Сапарова Айгерим"] and _testid(html, "existing-name") == ["Сапарова Айгерим"]
    assert TYPED_IIN in html and VICTIM_IIN in html and "17.05.1990" in html
    assert len(re.findall(r'<span class="badge">', html)) == 1  # the mistyped IIN is marked unverified
    reasons = _items(html, "review-reasons")
    assert len(reasons) == 3
    if language == "en":
        assert reasons == [
            "the same name once spelling, script, order and surname ending are set aside",
            "a birth date is missing",
            "the IINs differ in one digit or two swapped digits",
        ]
    for kind, values in SECRETS.items():
        for value in values:
            assert value not in html, (kind, value)
    assert 'data-testid="review-submit"' in html


def test_confirming_links_the_records_and_returns_to_the_queue_with_a_message(iin_review, reviewer, client_for):
    client = client_for(reviewer)
    response = client.post(f"/cases/review/{iin_review.pk}/", {"decision": "same"})
    assert response.status_code == 302 and response["Location"] == "/cases/review/"
    review = MatchReview.objects.get()
    assert (review.status, review.decided_by) == (ReviewStatus.LINKED, reviewer)
    assert review.link is not None and Person.objects.get(pk=review.person_id).cluster_id == review.candidate_id
    page = client.get(response["Location"])
    assert _messages(page) == ["The records are linked as one person."]
    # The decided review shows its outcome and no longer offers the form.
    html = client.get(f"/cases/review/{iin_review.pk}/").content.decode()
    assert _testid(html, "review-decided") == ["Same person: linked"] and 'data-testid="review-submit"' not in html


def test_different_people_is_recorded(iin_review, reviewer, client_for):
    client = client_for(reviewer)
    response = client.post(f"/cases/review/{iin_review.pk}/", {"decision": "different"}, follow=True)
    assert response.redirect_chain == [("/cases/review/", 302)]
    assert _messages(response) == ["Recorded: different people."]
    assert MatchReview.objects.get().status == ReviewStatus.REJECTED and PersonLink.objects.count() == 1  # the offender's


@pytest.mark.parametrize("data", [{}, {"decision": ""}, {"decision": "maybe"}])
def test_a_decision_without_a_choice_shows_the_field_error(iin_review, reviewer, client_for, data):
    response = client_for(reviewer).post(f"/cases/review/{iin_review.pk}/", data)
    assert response.status_code == 200
    expected = "Choose one of the offered values." if data.get("decision") else "Choose: the same person or different people."
    assert _field_errors(response, "decision") == [expected]
    assert 'class="field-error"' in response.content.decode()
    assert MatchReview.objects.get().status == ReviewStatus.OPEN


def test_a_review_already_decided_is_not_decided_again(iin_review, reviewer, make_user, dq_unit, client_for):
    review_decide(actor=make_user("dq_reviewer", unit=dq_unit), review_id=iin_review.pk, same=False)
    response = client_for(reviewer).post(f"/cases/review/{iin_review.pk}/", {"decision": "same"}, follow=True)
    assert response.redirect_chain == [("/cases/review/", 302)]
    assert _messages(response) == ["Someone has already decided this match. Nothing was changed."]
    assert MatchReview.objects.get().status == ReviewStatus.REJECTED and PersonLink.objects.count() == 1


def test_a_review_joining_a_victim_to_her_offender_shows_the_refusal(make_user, reviewer, client_for):
    reg = _register(make_user(), person("Сапарова Айгерим", iin=False))
    review = MatchReview.objects.create(
        person=reg.people["victim0_"].person, candidate=reg.people["offender_"].person, score=9.0, reasons=[], created_at=clock.now()
    )
    response = client_for(reviewer).post(f"/cases/review/{review.pk}/", {"decision": "same"})
    assert response.status_code == 200
    assert _field_errors(response, None) == ["A victim and her offender cannot be the same person."]
    assert MatchReview.objects.get().status == ReviewStatus.OPEN and PersonLink.objects.count() == 0


def test_a_review_touching_a_restricted_case_is_not_found_for_the_reviewer(make_user, other_unit, reviewer, client_for, reference):
    _unit("oversight", "Internal security service", "KZ-71")
    _register(make_user(), person("Сапарова Айгерим", birth=None, iin=False, phone="+7 701 111 22 33"), restricted=True)  # type: ignore[arg-type]
    _register(make_user(unit=other_unit), person("Сапарава Айгерим", birth=None, iin=False, phone="87011112233"), region="KZ-23", district="")  # type: ignore[arg-type]
    review = MatchReview.objects.get()
    client = client_for(reviewer)
    assert client.get(f"/cases/review/{review.pk}/").status_code == 404
    assert client.post(f"/cases/review/{review.pk}/", {"decision": "same"}).status_code == 404
    html = client.get("/cases/review/").content.decode()
    assert f"/cases/review/{review.pk}/" not in html and _testid(html, "review-empty") == ["Nothing is waiting for review."]
    assert MatchReview.objects.get().status == ReviewStatus.OPEN
    links = client.get("/cases/links/").content.decode()
    assert 'data-testid="links"' not in links and "Сапаров" not in links


# --- the link history and its undo --------------------------------------------------------------------


def test_the_undo_flow_separates_the_cases_and_says_so(typo, reviewer, client_for):
    first, second, review = typo
    link = review_decide(actor=reviewer, review_id=review.pk, same=True).link
    assert link is not None
    case1, case2 = first.cases[0], second.cases[0]
    client = client_for(reviewer)

    html = client.get("/cases/links/").content.decode()
    assert f'data-testid="undo-{link.pk}"' in html and f'href="/cases/links/{link.pk}/undo/"' in html
    page = client.get(f"/cases/links/{link.pk}/undo/")
    assert page.status_code == 200
    assert _testid(page.content.decode(), "link-undo") != [] and 'data-testid="undo-submit"' in page.content.decode()

    for reason, error in (("", "This field is required."), ("ошибка", "Explain why in at least 10 characters.")):
        response = client.post(f"/cases/links/{link.pk}/undo/", {"reason": reason})
        assert response.status_code == 200 and _field_errors(response, "reason") == [error]
    assert PersonLink.objects.get(pk=link.pk).undone_at is None and Case.objects.get(pk=case2.pk).merged_into_id == case1.pk

    response = client.post(f"/cases/links/{link.pk}/undo/", {"reason": UNDO_REASON}, follow=True)
    assert response.redirect_chain == [("/cases/links/", 302)]
    assert _messages(response) == ["The link is undone: the records and their cases are separate again."]
    assert PersonLink.objects.get(pk=link.pk).undo_reason == UNDO_REASON
    assert Case.objects.get(pk=case2.pk).merged_into_id is None
    assert list(Case.objects.get(pk=case1.pk).incidents.all()) == [first.report.incident]
    assert MatchReview.objects.get().status == ReviewStatus.REJECTED
    html = response.content.decode()
    assert f'data-testid="undo-{link.pk}"' not in html and "Undone" in html

    # Once undone, the page says so and a repeated POST changes nothing.
    again = client.get(f"/cases/links/{link.pk}/undo/").content.decode()
    assert "This link has already been undone." in again and 'data-testid="undo-submit"' not in again
    assert client.post(f"/cases/links/{link.pk}/undo/", {"reason": UNDO_REASON}).status_code == 200
    assert CaseEvent.objects.filter(kind=EventKind.SPLIT).count() == 2


def test_an_undo_already_made_elsewhere_is_a_warning(typo, reviewer, make_user, dq_unit, client_for):
    link = review_decide(actor=reviewer, review_id=typo[2].pk, same=True).link
    assert link is not None
    client = client_for(reviewer)
    assert client.get(f"/cases/links/{link.pk}/undo/").status_code == 200  # the form was open …
    person_link_undo(actor=make_user("dq_reviewer", unit=dq_unit), link_id=link.pk, reason=UNDO_REASON)  # … when a colleague undid it
    response = client.post(f"/cases/links/{link.pk}/undo/", {"reason": UNDO_REASON})
    assert response.status_code == 200 and "This link has already been undone." in response.content.decode()
    assert CaseEvent.objects.filter(kind=EventKind.SPLIT).count() == 2


# --- the page of a merged case -------------------------------------------------------------------------


def test_the_page_of_a_merged_case_leads_to_the_case_it_went_into(typo, reviewer, client_for):
    first, second, review = typo
    review_decide(actor=reviewer, review_id=review.pk, same=True)
    case1, case2 = first.cases[0], second.cases[0]
    b = second.report.registered_by
    client = client_for(b)
    response = client.get(f"/cases/{case2.pk}/", follow=True)
    assert response.redirect_chain == [(f"/cases/{case1.pk}/", 302)]
    assert _messages(response) == [f"Case {case2.number} was merged into this case: it is the same pair."]
    html = response.content.decode()
    assert _testid(html, "merged-from") == [f"This case also holds the history of the same pair's cases: {case2.number}"]
    assert first.report.number in html and second.report.number in html
    # The first unit never held the merged case: it stays invisible to them.
    assert client_for(first.report.registered_by).get(f"/cases/{case2.pk}/").status_code == 404


# --- "check the registry" on the registration screen ---------------------------------------------------


def _local(at: dt.datetime) -> str:
    return at.astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")


def _form(**over: Any) -> dict[str, Any]:
    now = clock.now()
    data: dict[str, Any] = {
        "channel": "hotline_150",
        "received_at": _local(now - timedelta(minutes=30)),
        "occurred_at": _local(now - timedelta(hours=2)),
        "region": "KZ-75",
        "district": "751110000",
        "forms": ["physical"],
        "narrative": "Снова ударил.",
        "victim0_full_name": "Saparova Aigerim",
        "victim0_birth_date": VICTIM_BIRTH.isoformat(),
        "victim0_sex": "F",
        "victim0_relationship": "spouse",
        # A typo in his given name, no IIN: a possible match, not a certain one.
        "offender_full_name": "Сапаров Ерлн",
        "offender_birth_date": OFFENDER_BIRTH.isoformat(),
        "offender_sex": "M",
    }
    data.update(over)
    return data


def test_checking_the_registry_shows_what_it_knows_and_saves_nothing(make_user, other_unit, client_for, reference):
    almaty, atyrau = make_user(), make_user(unit=other_unit)
    victim = person("Сапарова Айгерим", iin=False, address="ул. Тулебаева 38, кв. 91")
    _register(almaty, victim, narrative="Соседка слышала крики через стену в подъезде.")
    _register(atyrau, person("Айгерим Сапарова", iin=False), region="KZ-23", district="231000000")
    astana = make_user(unit=_unit("police", "Astana police", "KZ-71"), language="en")
    counted = (Report, Person, Case, MatchReview, PersonLink, CaseEvent)
    before = {m.__name__: m.objects.count() for m in counted}

    response = client_for(astana).post("/cases/register/", _form(check="1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert _testid(html, "registry-check") != []
    assert _testid(html, "check-known") == ["Already in the registry: the report will be linked to this person."]
    assert _testid(html, "check-flag") == [
        "Her incidents in the last 6 months: 2.",
        "They happened in 2 different districts.",
        "She is the victim in 1 other case.",  # the man is not certain yet: this report opens a new case
        "A related case is held by Almaly district police: ask them, or use emergency access.",
    ]
    assert "1 possible match will go to the data-quality review." in html
    assert "Тулебаева" not in html and "крики" not in html  # flags, never the other case's content
    assert {m.__name__: m.objects.count() for m in counted} == before
    assert AuditEvent.objects.filter(target_type="registry_check", count=1).count() == 1
    # What was typed is kept, so the same form can be registered next.
    assert 'value="Saparova Aigerim"' in html


def test_checking_an_unknown_pair_says_a_new_record_will_be_made(make_user, client_for):
    response = client_for(make_user(language="en")).post("/cases/register/", _form(check="1", victim0_full_name="Новая Женщина"))
    html = response.content.decode()
    assert response.status_code == 200 and _testid(html, "check-known") == [] and _testid(html, "check-flag") == []
    assert html.count("Not found in the registry with certainty: a new record will be made.") == 2
    assert Report.objects.count() == 0 and Person.objects.count() == 0


def test_registering_after_the_check_links_and_queues_as_announced(make_user, other_unit, client_for, reference):
    _register(make_user(), person("Сапарова Айгерим", iin=False))
    client = client_for(make_user(unit=other_unit, language="en"))
    response = client.post("/cases/register/", _form(region="KZ-23", district="231000000"), follow=True)
    assert response.status_code == 200
    messages = _messages(response)
    assert messages[1:] == [
        "1 person named in the report was already in the registry: the records are linked.",
        "1 possible match went to the data-quality review.",
    ]
    assert Report.objects.count() == 2 and MatchReview.objects.count() == 1 and Case.objects.count() == 2
