"""Every screen in Kazakh, Russian and English (DESIGN §4, §10): a language walker and the catalogues.

The walker renders each page of the UI with the Django test client in each language, as an
administrator, as a police inspector and anonymously, pulls out the text a user sees (or hears from
a screen reader), removes what users typed in themselves, and fails on any text left in another
language:

* ``en`` pages: no Cyrillic letter at all;
* ``ru`` pages: no Latin word outside ``ALLOWED_LATIN`` and no Kazakh-specific letter;
* ``kk`` pages: no Latin word outside ``ALLOWED_LATIN``; since Russian-looking Cyrillic can't be told
  from Kazakh reliably, the kk text must also differ from the ru text of the same page (same user,
  same data) and contain at least one Kazakh-specific letter.

Every offending snippet is listed in the failure. The catalogue tests read the ``.po`` files with
Babel: no message may be untranslated or fuzzy in any of the three languages.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from qorgau.accounts.models import ApiToken, LoginThrottle, Unit, User
from qorgau.accounts.roles import Role
from tests.conftest import PASSWORD, sign_in

LANGUAGES = ("ru", "kk", "en")
LOCALE_DIR = Path(__file__).resolve().parents[2] / "src" / "qorgau" / "locale"

# Latin words that are correct in every language. Keep this short: each entry is a name or a code
# that Kazakh and Russian users also write in Latin letters.
ALLOWED_LATIN = frozenset(
    {
        "Qorgau",  # the product name
        "geokz", "CC", "BY",  # the boundaries' source and licence (CC BY 4.0), named as published
        "ODARA",  # the name of the actuarial instrument whose structure ours follows
        "DASH",  # the name of the checklist approach ours follows
        "AUC",  # the area under the ROC curve, a statistical term used as is in Kazakh and Russian
        "API",  # "API-токен", "API токені"
        "CSV",  # the file format of exports
        "JSON",  # the file format of protocol files (the protocol administration's upload)
        "Esc",  # the key's label on the keyboard (the public page's quick exit)
        "QR",  # "QR-код"
        "TOTP",  # the second-factor standard
        "UTC",  # time offsets: "Алматы (UTC+5)"
        # file formats named on the attachment and import pages
        "JPEG",
        "PNG",
        "PDF",
        "XLSX",
        "XLS",
        "UTF",
    }
)
# IANA time-zone names (Asia/Almaty, ...) are identifiers; the UI shows zones by city, but keep them
# out of the check should one appear in a code or example.
ZONE_NAME = re.compile(r"\b(?:Africa|America|Asia|Atlantic|Europe|Etc|Pacific)/[A-Za-z_]+\b")
# The switcher shows each language in itself, by design; only these three names are skipped.
SWITCHER_NAMES = ("Қазақша", "Русский", "English")

CYRILLIC = re.compile(r"[\u0400-\u052F]")
KAZAKH_LETTERS = "әғқңөұүһіӘҒҚҢӨҰҮҺІ"
KAZAKH_LETTER = re.compile(f"[{KAZAKH_LETTERS}]")
LATIN_WORD = re.compile(r"[A-Za-z\u00C0-\u024F]+")
# Attributes whose text a user reads or a screen reader speaks.
SPOKEN_ATTRIBUTES = ("alt", "title", "placeholder", "aria-label")


class _TextExtractor(HTMLParser):
    """Visible and spoken text of a page, chunk by chunk.

    Skipped: <script> and <style>; <code>, which holds machine values (a TOTP key, a token or its
    prefix); and the buttons of the language switcher, whose names are each in their own language.
    """

    SKIP_TAGS = frozenset({"script", "style", "code"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.html_lang = ""
        self._skipping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.html_lang = values.get("lang") or ""
        if self._skipping:
            if tag == self._skipping[-1]:
                self._skipping.append(tag)
            return
        if tag in self.SKIP_TAGS or (tag == "button" and values.get("name") == "language"):
            self._skipping.append(tag)
            return
        for name in SPOKEN_ATTRIBUTES:
            if values.get(name):
                self.chunks.append(str(values[name]))

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and tag == self._skipping[-1]:
            self._skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.chunks.append(" ".join(data.split()))


@dataclass
class Page:
    """One rendered page: what it shows, once user-entered data is taken out."""

    name: str
    language: str
    status: int
    html_lang: str
    chunks: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " | ".join(self.chunks)


def _private_strings(language: str) -> list[str]:
    """Data that users entered, not interface text: user names, full names, unit names, token names.

    A unit's name is taken out only in the page's own language, so a Russian unit name on an
    English page is still caught.
    """
    values: set[str] = set()
    for username, full_name in User.objects.values_list("username", "full_name"):
        values.update(v for v in (username, full_name) if v)
    values.update(n for n in Unit.objects.values_list(f"name_{language}", flat=True) if n)
    values.update(n for n in ApiToken.objects.values_list("name", flat=True) if n)
    # The case registry's user-entered data: people, narratives, places, record numbers; places from
    # the reference data only in the page's own language.
    from qorgau.cases.models import Case, Incident, Report
    from qorgau.core.models import District, Region
    from qorgau.people.models import Person

    for person in Person.objects.all():
        values.update(v for v in (person.full_name, person.iin, person.phone, person.address, person.workplace) if v)
    for report in Report.objects.all():
        values.update(v for v in (report.narrative, report.number) if v)
    values.update(n for n in Case.objects.values_list("number", flat=True) if n)
    from qorgau.orders.models import Order

    values.update(n for n in Order.objects.values_list("number", flat=True) if n)
    values.update(n for n in Incident.objects.values_list("locality", flat=True) if n)
    from qorgau.intake.models import AnonymousRecord

    for r in AnonymousRecord.objects.all():
        values.update(v for v in (r.number, r.alias, r.full_name, r.phone, r.narrative) if v)
    values.update(n for n in Region.objects.values_list(f"name_{language}", flat=True) if n)
    values.update(n for n in District.objects.values_list(f"name_{language}", flat=True) if n)
    return sorted(values, key=len, reverse=True)


def extract(name: str, language: str, response) -> Page:
    parser = _TextExtractor()
    parser.feed(response.content.decode())
    parser.close()
    private = _private_strings(language)
    chunks = []
    for chunk in parser.chunks:
        for value in private:
            chunk = chunk.replace(value, " ")
        chunk = ZONE_NAME.sub(" ", chunk)
        chunk = " ".join(chunk.split())
        if chunk and chunk.strip("·|,.:;—-–()«»\"' ") and chunk not in SWITCHER_NAMES:
            chunks.append(chunk)
    return Page(name, language, response.status_code, parser.html_lang, chunks)


# --- the pages --------------------------------------------------------------------------------------


class Walker:
    """Renders the pages; one user per role, whose language is set before each rendering."""

    def __init__(self, make_user: Callable[..., User]) -> None:
        self._make_user = make_user
        self._users: dict[str, User] = {}

    def user(self, key: str) -> User:
        if key not in self._users:
            role = {
                "admin": Role.ADMINISTRATOR,
                "inspector": Role.POLICE_INSPECTOR,
                "new": Role.POLICE_INSPECTOR,
                "supervisor": Role.POLICE_SUPERVISOR,
                "reviewer": Role.DQ_REVIEWER,
                "judge": Role.JUDGE,
            }[key]
            user = self._make_user(role, username=f"walker_{key}")
            if key == "new":  # a first sign-in: no authenticator yet
                TOTPDevice.objects.filter(user=user).delete()
            self._users[key] = user
        return self._users[key]

    @staticmethod
    def anonymous(language: str) -> Client:
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client

    def signed_in(self, key: str, language: str) -> Client:
        user = self.user(key)
        User.objects.filter(pk=user.pk).update(language=language)
        user.refresh_from_db()
        return sign_in(Client(), user)

    def pending(self, key: str, language: str) -> Client:
        """An anonymous client that has passed the password step."""
        client = self.anonymous(language)
        r = client.post("/login/", {"username": self.user(key).username, "password": PASSWORD})
        assert r.status_code == 302, f"the password step failed: {r.status_code}"
        return client


def _security_with_token(w: Walker, lang: str):
    client = w.signed_in("inspector", lang)
    return client.post("/security/", {"action": "issue", "name": "walker-laptop"})


def _signed_out(w: Walker, lang: str):
    client = w.signed_in("inspector", lang)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client.post("/logout/", follow=True)


def _signed_out_everywhere(w: Walker, lang: str):
    client = w.signed_in("inspector", lang)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    return client.post("/logout/everywhere/", follow=True)


def _case_id(w: Walker) -> int:
    """One registered case of the walker's inspector (created on first use)."""
    from qorgau.cases.models import Case
    from qorgau.cases.reference import markers_load
    from qorgau.cases.services import report_register
    from tests.cases.factories import report_input

    inspector = w.user("inspector")
    existing = Case.objects.filter(grants__unit=inspector.unit).first()
    if existing is not None:
        return existing.pk
    markers_load()
    return report_register(actor=inspector, data=report_input(locality="мкр. Самал-2")).cases[0].pk


def _case_page(w: Walker, lang: str):
    case_id = _case_id(w)
    return w.signed_in("inspector", lang).get(f"/cases/{case_id}/")


def _search_hits(w: Walker, lang: str):
    from qorgau.cases.models import Case

    case = Case.objects.get(pk=_case_id(w))
    return w.signed_in("inspector", lang).get("/cases/search/", {"iin": case.victim.iin})


def _conflict_page(w: Walker, lang: str):
    """Someone else saved the case after this user opened it: the stale save gets the conflict page."""
    from django.db.models import F

    from qorgau.cases.models import Case

    case_id = _case_id(w)
    stale = Case.objects.get(pk=case_id).version
    Case.objects.filter(pk=case_id).update(version=F("version") + 1)
    data = {"version": str(stale), "to_state": "supervised", "reason": "2026-11"}  # user data, kept language-neutral
    return w.signed_in("inspector", lang).post(f"/cases/{case_id}/state/", data)


def _uncertain_match(w: Walker) -> tuple[int, int]:
    """A review item (the same woman registered again with a surname typo and no IIN) and the
    automatic link of the offender, who was named with his valid IIN both times."""
    from qorgau.cases.models import Case
    from qorgau.cases.services import VictimInput, report_register
    from qorgau.people.models import MatchReview, PersonLink
    from tests.cases.factories import person, report_input

    _case_id(w)
    review = MatchReview.objects.order_by("id").first()
    if review is None:
        case = Case.objects.select_related("victim").get(pk=_case_id(w))
        again = VictimInput(relationship="spouse", person=person("Сапорова Айгерим", iin=False))
        report_register(actor=w.user("inspector"), data=report_input(victims=[again]))
        review = MatchReview.objects.order_by("id").first()
        assert review is not None and case.victim is not None
    link = PersonLink.objects.order_by("id").first()
    assert link is not None
    return review.pk, link.pk


def _register_check(w: Walker, lang: str):
    from tests.cases.test_views import form_data

    _uncertain_match(w)
    return w.signed_in("inspector", lang).post("/cases/register/", form_data(check="1", narrative=""))  # typed text is not saved: none


def _risk_ready() -> None:
    from qorgau.risk.instruments import instruments_load, policy_load

    instruments_load()
    policy_load()


def _assessment(w: Walker, *, signed: bool) -> int:
    """A DASH assessment on the walker's case: a draft, or signed with every item "no"."""
    from qorgau.cases.models import Case
    from qorgau.risk.models import Assessment, AssessmentStatus, InstrumentVersion
    from qorgau.risk.services import assessment_save, assessment_sign, assessment_start

    _risk_ready()
    case = Case.objects.get(pk=_case_id(w))
    status = AssessmentStatus.SIGNED if signed else AssessmentStatus.DRAFT
    found = Assessment.objects.filter(case=case, status=status).first()
    if found is not None:
        return found.pk
    inspector = w.user("inspector")
    version = InstrumentVersion.objects.get(instrument__code="dash", status="published")
    a = assessment_start(actor=inspector, case=case, version_id=version.pk)
    if signed:
        a = assessment_save(actor=inspector, assessment=a, row_version=a.row_version, answers=dict.fromkeys(version.items.values_list("code", flat=True), "no"))
        a = assessment_sign(actor=inspector, assessment=a, row_version=a.row_version)
    return a.pk


def _sign_incomplete(w: Walker, lang: str):
    from qorgau.risk.models import Assessment

    draft = Assessment.objects.get(pk=_assessment(w, signed=False))
    return w.signed_in("inspector", lang).post(f"/risk/assessments/{draft.pk}/", {"row_version": str(draft.row_version), "action": "sign"})


def _protocol_tasks(w: Walker) -> int:
    """The national protocol fired on the walker's case; the id of the police task it gave."""
    from qorgau.cases.models import Case
    from qorgau.protocols.definitions import protocols_load
    from qorgau.protocols.engine import fire

    protocols_load()
    case = Case.objects.get(pk=_case_id(w))
    tasks = fire(trigger="report_registered", case=case, actor=w.user("inspector"), key="walker:1")
    return next(t.pk for t in tasks if t.unit_id == w.user("inspector").unit_id)


def _order(w: Walker) -> int:
    """A police order for the walker's case, issued and served."""
    from qorgau.cases.models import Case
    from qorgau.core import clock
    from qorgau.orders.models import Order
    from qorgau.orders.services import OrderInput, order_issue, order_serve

    case = Case.objects.get(pk=_case_id(w))
    found = Order.objects.filter(case_links__case=case).first()
    if found is not None:
        return found.pk
    inspector = w.user("inspector")
    order = order_issue(actor=inspector, case=case, data=OrderInput(kind="police", protected_ids=[case.victim_id], starts_at=clock.now(), ban_contact=True))
    return order_serve(actor=inspector, order=order, version=order.version).pk


def _dash_version() -> int:
    from qorgau.risk.models import InstrumentVersion

    _risk_ready()
    return InstrumentVersion.objects.get(instrument__code="dash", status="published").pk


def _safety_plan_case(w: Walker) -> int:
    """The walker's case with a safety plan whose texts are digits (language-neutral)."""
    from qorgau.cases.models import Case
    from qorgau.risk.models import SafetyPlan
    from qorgau.risk.safety_plan import SafetyPlanInput, safety_plan_save

    case = Case.objects.get(pk=_case_id(w))
    if not SafetyPlan.objects.filter(case=case).exists():
        safety_plan_save(actor=w.user("inspector"), case=case, version=None,
                         data=SafetyPlanInput(language="kk", steps="102", contacts="150", documents={"identity"}))
    return case.pk


# page name -> (expected status, how to get it)
PAGES: dict[str, tuple[int, Callable[[Walker, str], object]]] = {
    "login": (200, lambda w, lang: w.anonymous(lang).get("/login/")),
    "login-wrong-password": (
        401,
        lambda w, lang: w.anonymous(lang).post("/login/", {"username": "walker_nobody", "password": "wrong-password-1"}),
    ),
    "login-empty-form": (200, lambda w, lang: w.anonymous(lang).post("/login/", {})),
    "login-after-sign-out": (200, _signed_out),
    "login-after-sign-out-everywhere": (200, _signed_out_everywhere),
    "login-sign-in-expired": (200, lambda w, lang: w.anonymous(lang).get("/login/verify/", follow=True)),
    "verify": (200, lambda w, lang: w.pending("inspector", lang).get("/login/verify/")),
    "verify-wrong-code": (401, lambda w, lang: w.pending("inspector", lang).post("/login/verify/", {"code": "000000"})),
    "verify-malformed-code": (200, lambda w, lang: w.pending("inspector", lang).post("/login/verify/", {"code": "12ab"})),
    "enrol": (200, lambda w, lang: w.pending("new", lang).get("/login/enrol/")),
    "enrol-wrong-code": (401, lambda w, lang: w.pending("new", lang).post("/login/enrol/", {"code": "000000"})),
    "home-admin": (200, lambda w, lang: w.signed_in("admin", lang).get("/")),
    "home-inspector": (200, lambda w, lang: w.signed_in("inspector", lang).get("/")),
    "notifications-admin": (200, lambda w, lang: w.signed_in("admin", lang).get("/notifications/")),
    "notifications-inspector": (200, lambda w, lang: w.signed_in("inspector", lang).get("/notifications/")),
    "security-admin": (200, lambda w, lang: w.signed_in("admin", lang).get("/security/")),
    "security-inspector": (200, lambda w, lang: w.signed_in("inspector", lang).get("/security/")),
    "security-token-issued": (200, _security_with_token),
    "staff-admin": (200, lambda w, lang: w.signed_in("admin", lang).get("/staff/")),
    "403-inspector-on-staff": (403, lambda w, lang: w.signed_in("inspector", lang).get("/staff/")),
    "cases": (200, lambda w, lang: (_case_id(w), w.signed_in("inspector", lang).get("/cases/"))[1]),
    "register": (200, lambda w, lang: w.signed_in("inspector", lang).get("/cases/register/")),
    "register-empty-form": (200, lambda w, lang: w.signed_in("inspector", lang).post("/cases/register/", {})),
    "case": (200, _case_page),
    "case-conflict": (409, _conflict_page),
    "search": (200, lambda w, lang: w.signed_in("inspector", lang).get("/cases/search/")),
    "search-hits": (200, _search_hits),
    "import": (200, lambda w, lang: w.signed_in("supervisor", lang).get("/cases/import/")),
    "register-check": (200, _register_check),
    "review-queue": (200, lambda w, lang: (_uncertain_match(w), w.signed_in("reviewer", lang).get("/cases/review/"))[1]),
    "review-item": (200, lambda w, lang: w.signed_in("reviewer", lang).get(f"/cases/review/{_uncertain_match(w)[0]}/")),
    "review-not-chosen": (200, lambda w, lang: w.signed_in("reviewer", lang).post(f"/cases/review/{_uncertain_match(w)[0]}/", {})),
    "links": (200, lambda w, lang: (_uncertain_match(w), w.signed_in("reviewer", lang).get("/cases/links/"))[1]),
    "link-undo": (200, lambda w, lang: w.signed_in("reviewer", lang).get(f"/cases/links/{_uncertain_match(w)[1]}/undo/")),
    "link-undo-short-reason": (200, lambda w, lang: w.signed_in("reviewer", lang).post(f"/cases/links/{_uncertain_match(w)[1]}/undo/", {"reason": "12"})),  # too short; digits are language-neutral
    "risk-due": (200, lambda w, lang: (_risk_ready(), _case_id(w), w.signed_in("inspector", lang).get("/risk/due/"))[2]),
    "risk-assess-new": (200, lambda w, lang: (_risk_ready(), w.signed_in("inspector", lang).get(f"/risk/case/{_case_id(w)}/assess/"))[1]),
    "risk-assessment-draft": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/risk/assessments/{_assessment(w, signed=False)}/")),
    "risk-assessment-sign-incomplete": (422, _sign_incomplete),
    "risk-assessment-signed": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/risk/assessments/{_assessment(w, signed=True)}/")),
    "risk-lowering-refused": (422, lambda w, lang: w.signed_in("inspector", lang).post(
        f"/risk/assessments/{_assessment(w, signed=True)}/level/", {"to_level": "high", "reason": "12"})),  # too short; digits are language-neutral
    "case-assessed": (200, lambda w, lang: (_assessment(w, signed=True), _case_page(w, lang))[1]),
    "risk-instruments": (200, lambda w, lang: (_risk_ready(), w.signed_in("admin", lang).get("/risk/instruments/"))[1]),
    "risk-instrument-version": (200, lambda w, lang: w.signed_in("admin", lang).get(f"/risk/instruments/{_dash_version()}/")),
    "risk-validation": (200, lambda w, lang: (_risk_ready(), w.signed_in("admin", lang).get("/risk/validation/"))[1]),
    "safety-plan-new": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/risk/case/{_case_id(w)}/safety-plan/")),
    "safety-plan-print": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/risk/case/{_safety_plan_case(w)}/safety-plan/print/?lang={lang}")),
    "work-queue": (200, lambda w, lang: (_protocol_tasks(w), w.signed_in("inspector", lang).get("/protocols/queue/"))[1]),
    "task": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/protocols/tasks/{_protocol_tasks(w)}/")),
    "case-tasks": (200, lambda w, lang: (_protocol_tasks(w), w.signed_in("inspector", lang).get(f"/protocols/case/{_case_id(w)}/"))[1]),
    "order": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/orders/{_order(w)}/")),
    "order-print": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/orders/{_order(w)}/print/?lang={lang}")),
    "docket": (200, lambda w, lang: (_order(w), w.signed_in("judge", lang).get("/orders/docket/"))[1]),
    "order-new": (200, lambda w, lang: w.signed_in("inspector", lang).get(f"/orders/case/{_case_id(w)}/new/")),
    "order-new-empty-form": (422, lambda w, lang: w.signed_in("inspector", lang).post(f"/orders/case/{_case_id(w)}/new/", {})),
    "404-anonymous": (404, lambda w, lang: w.anonymous(lang).get("/no-such-page/")),
    "404-signed-in": (404, lambda w, lang: w.signed_in("admin", lang).get("/no-such-page/")),
}

# Pages of later areas live in their own modules (each exports PAGES of the same shape; a page
# function may import helpers such as ``_case_id`` from this module inside its body).
from tests.i18n import (  # noqa: E402
    pages_analytics_dashboard,
    pages_analytics_note,
    pages_analytics_scenarios,
    pages_analytics_strategy,
    pages_conferences,
    pages_court,
    pages_intake,
    pages_monitoring,
    pages_notifications,
    pages_programmes,
    pages_protocol_admin,
    pages_public,
    pages_shelters,
    pages_support,
    pages_training,
)

for _area in (pages_conferences, pages_court, pages_notifications, pages_protocol_admin, pages_public, pages_shelters, pages_training,
              pages_support, pages_programmes, pages_intake, pages_monitoring, pages_analytics_dashboard, pages_analytics_strategy,
              pages_analytics_scenarios, pages_analytics_note):
    PAGES.update(_area.PAGES)


def render(walker: Walker, name: str, language: str) -> Page:
    # Every rendering starts without login delays, so "wrong password" never turns into "wait".
    LoginThrottle.objects.all().delete()
    status, get = PAGES[name]
    response = get(walker, language)
    page = extract(name, language, response)
    assert page.status == status, f"{name} [{language}]: expected HTTP {status}, got {page.status}"
    assert page.html_lang == language, f"{name} [{language}]: <html lang> is {page.html_lang!r}"
    assert page.chunks, f"{name} [{language}]: no text found"
    return page


def _latin_offences(page: Page) -> list[str]:
    found = []
    for chunk in page.chunks:
        words = [w for w in LATIN_WORD.findall(chunk) if w not in ALLOWED_LATIN]
        if words:
            found.append(f"{chunk!r} (Latin: {', '.join(words)})")
    return found


def _report(page: Page, problems: list[str]) -> str:
    lines = "\n  ".join(problems)
    return f"{page.name} [{page.language}] has {len(problems)} text(s) in another language:\n  {lines}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(PAGES))
@pytest.mark.parametrize("language", LANGUAGES)
def test_page_is_in_one_language(make_user, language, name):
    walker = Walker(make_user)
    page = render(walker, name, language)
    problems: list[str] = []
    if language == "en":
        problems += [f"{c!r} (Cyrillic)" for c in page.chunks if CYRILLIC.search(c)]
    else:
        problems += _latin_offences(page)
    if language == "ru":
        problems += [
            f"{c!r} (Kazakh letters: {''.join(sorted(set(KAZAKH_LETTER.findall(c))))})"
            for c in page.chunks
            if KAZAKH_LETTER.search(c)
        ]
    if language == "kk":
        russian = render(walker, name, "ru")
        if page.text == russian.text:
            problems.append(f"the kk page reads exactly like the ru page: {page.text!r}")
        if not KAZAKH_LETTER.search(page.text):
            problems.append(f"no Kazakh-specific letter ({KAZAKH_LETTERS}) anywhere on the page: {page.text!r}")
    assert not problems, _report(page, problems)


def test_walker_covers_every_page_of_the_ui():
    """A new page in the accounts URLs must be added to PAGES (or here, with the reason it is not)."""
    from qorgau.accounts.urls import urlpatterns
    from qorgau.cases.urls import urlpatterns as case_patterns

    case_routes = {"cases/" + str(p.pattern) for p in case_patterns}
    case_walked = {
        "cases/", "cases/register/", "cases/<int:case_id>/", "cases/search/", "cases/import/", "cases/review/",
        "cases/review/<int:review_id>/", "cases/links/", "cases/links/<int:link_id>/undo/",
    }
    case_not_pages = {
        "cases/districts/": "an htmx fragment of <option>s named from the reference data",
        "cases/<int:case_id>/state/": "a form on the case page; its conflict page is walked (case-conflict)",
        "cases/<int:case_id>/correct/": "a form on the case page, with the same conflict page",
        "cases/<int:case_id>/safe-contact/": "a form on the case page, with the same conflict page",
        "cases/<int:case_id>/units/": "a form on the case page (shown to supervisors and oversight)",
        "cases/<int:case_id>/break-glass/": "needs another unit's case; its strings are in the catalogue tests",
        "cases/<int:case_id>/attachments/": "POST only (upload)",
        "cases/attachments/<int:attachment_id>/": "a file download",
    }
    unknown_cases = case_routes - case_walked - set(case_not_pages)
    assert not unknown_cases, f"case pages the language walker does not visit: {sorted(unknown_cases)}"

    from qorgau.risk.urls import urlpatterns as risk_patterns

    risk_routes = {"risk/" + str(p.pattern) for p in risk_patterns}
    risk_walked = {
        "risk/due/", "risk/case/<int:case_id>/assess/", "risk/assessments/<int:assessment_id>/", "risk/instruments/",
        "risk/instruments/<int:version_id>/", "risk/validation/", "risk/case/<int:case_id>/safety-plan/",
        "risk/case/<int:case_id>/safety-plan/print/",
    }
    risk_not_pages = {
        "risk/case/<int:case_id>/measures/": "POST only: a form on the case page, which redirects back to it",
        "risk/assessments/<int:assessment_id>/level/": "POST only; its refusal renders the assessment page (walked)",
        "risk/validation/draft/": "POST only; redirects to the new draft version's page",
    }
    unknown_risk = risk_routes - risk_walked - set(risk_not_pages)
    assert not unknown_risk, f"risk pages the language walker does not visit: {sorted(unknown_risk)}"

    walked = {
        "", "login/", "login/verify/", "login/enrol/", "notifications/", "security/", "staff/", "logout/",
        "logout/everywhere/", "notifications/settings/",
    }
    not_pages = {
        "language/": "POST only; redirects back",
        "staff/export.csv": "a CSV download, not a page (its headings are checked by the catalogue tests)",
    }
    routes = {str(p.pattern) for p in urlpatterns}
    unknown = routes - walked - set(not_pages)
    assert not unknown, f"pages the language walker does not visit: {sorted(unknown)}"


# --- the catalogues ----------------------------------------------------------------------------------


def _catalogue(language: str):
    path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    assert path.exists(), f"missing catalogue {path.relative_to(LOCALE_DIR.parents[2])}"
    with path.open("rb") as fh:
        return read_po(fh, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_po_complete(language):
    catalogue = _catalogue(language)
    problems = []
    if catalogue.fuzzy:
        problems.append("the catalogue header is marked fuzzy")
    for message in catalogue:
        if not message.id:
            continue  # the header
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {msgid!r}")
    for message, errors in catalogue.check():
        for error in errors:
            problems.append(f"format: {message.id!r}: {error}")
    assert not problems, f"{language}/LC_MESSAGES/django.po has {len(problems)} problem(s):\n  " + "\n  ".join(problems)


# gettext-style functions and where their message (and context) arguments are, for Babel.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


def _source_messages() -> dict[tuple[str, str | None], str]:
    """(msgid, context) -> where, for every translatable string in the Python code and the templates.

    Templates go through Django's own ``templatize`` (what ``makemessages`` uses), so
    ``{% translate %}`` and ``{% blocktranslate %}`` come out exactly as in the catalogues.
    """
    from babel.messages.extract import extract
    from django.utils.translation.template import templatize

    root = LOCALE_DIR.parent
    found: dict[tuple[str, str | None], str] = {}
    for path in sorted(root.rglob("*")):
        if "migrations" in path.parts or not path.is_file():
            continue
        if path.suffix == ".py":
            source = path.read_bytes()
        elif path.suffix in {".html", ".txt"} and "templates" in path.parts:
            text = templatize(path.read_text(encoding="utf-8"), origin=str(path))
            # templatize writes each message as a repr()'d literal on one line, but keeps the template's
            # indentation, which Python's tokenizer can reject (indented blocktranslate … count):
            # drop the leading whitespace, as xgettext effectively does.
            source = "\n".join(line.lstrip() for line in text.splitlines()).encode()
        else:
            continue
        for lineno, message, _comments, context in extract("python", io.BytesIO(source), keywords=KEYWORDS):
            msgid = message if isinstance(message, str) else message[0]
            found.setdefault((msgid, context), f"{path.relative_to(root.parent)}:{lineno}")
    return found


def _by_place(item: tuple[tuple[str, str | None], str]) -> tuple[str, int]:
    path, _, line = item[1].rpartition(":")
    return path, int(line)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_covers_the_source(language):
    """Every string marked for translation in src/ is in the catalogue (``make messages`` was run)."""
    have = {(m.id if isinstance(m.id, str) else m.id[0], m.context) for m in _catalogue(language) if m.id}
    missing = {key: where for key, where in _source_messages().items() if key not in have}
    listed = "\n  ".join(f"{msgid!r}{f' (context {ctx!r})' if ctx else ''} at {where}" for (msgid, ctx), where in sorted(missing.items(), key=_by_place))
    assert not missing, f"{len(missing)} message(s) missing from {language}/LC_MESSAGES/django.po:\n  {listed}"


def test_catalogues_hold_the_same_messages():
    ids = {}
    for language in LANGUAGES:
        ids[language] = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(language) if m.id}
    every = set().union(*ids.values())
    missing = {lang: sorted(every - have) for lang, have in ids.items() if every - have}
    assert not missing, f"messages missing from some catalogues: {missing}"


@pytest.mark.parametrize(("language", "forms"), [("ru", 3), ("kk", 2), ("en", 2)])
def test_catalogues_declare_their_language_and_plural_rule(language, forms):
    """Without these headers gettext falls back to the English rule, and Russian counts read wrong
    ("5 другие дела" instead of "5 других дел")."""
    catalog = _catalogue(language)
    assert str(catalog.locale) == language
    assert catalog.num_plurals == forms
    if language == "ru":
        assert [catalog.plural_expr] and "n%10==1" in catalog.plural_expr.replace(" ", "")
