"""No N+1 on list and detail pages (issue 10): each list and detail GET route's query count does not
grow with its rows. See tests/core/query_pages.py for the harness and docs/query-discipline.md."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from qorgau.accounts.roles import Role
from qorgau.cases.models import Case
from qorgau.cases.services import VictimInput, case_change_state, report_register
from qorgau.protocols.engine import fire
from tests.cases.factories import person, report_input
from tests.conftest import sign_in
from tests.core.query_pages import assert_flat, covers
from tests.monitoring.conftest import mon_inspector, monitoring_factory, monitoring_unit, operator  # noqa: F401  (fixtures)
from tests.protocols.conftest import protocols  # noqa: F401  (a fixture)
from tests.risk.conftest import instruments  # noqa: F401  (a fixture)
from tests.risk.support import answers_scoring, signed

pytestmark = pytest.mark.django_db

# Serials of synthetic IINs (four digits: the whole file stays well below 10000).
_serials = itertools.count(3000)


@pytest.fixture
def world(protocols, instruments, make_user):  # noqa: F811
    """An Almaty police inspector of the fixtures' unit, signed in, who registers the cases."""
    inspector = make_user(Role.POLICE_INSPECTOR, username="qc_inspector")
    return inspector, sign_in(Client(), inspector)


def _word(k: int) -> str:
    """A patronymic-like word that differs for each ``k`` (names take letters, not digits)."""
    return "".join("абвгдежзик"[int(d)] for d in str(k)).capitalize() + "овна"


def _report(inspector, k: int, **where) -> list[Case]:
    """A report on pair ``k`` (other names and birth dates for each ``k``: the same name and birth date
    would link to one person; the same ``k`` again is the same pair, and joins its case)."""
    victim = person(f"Сапарова Айгерим {_word(k)}", birth=dt.date(1970 + k % 30, 1 + k % 12, 1 + k % 28), serial=k)
    offender = person(f"Сапаров Ерлан {_word(k)}", birth=dt.date(1960 + k % 30, 1 + k % 12, 1 + k % 28), sex="M", serial=k)
    return report_register(actor=inspector, data=report_input(victims=[VictimInput(relationship="spouse", person=victim)],
                                                              offender=offender, **where)).cases


def _cases(inspector, n: int) -> list[Case]:
    """``n`` new pairs."""
    return [c for _ in range(n) for c in _report(inspector, next(_serials))]


@covers("", "cases/", "api/v1/cases", "protocols/queue/", "api/v1/tasks", "risk/due/", "api/v1/risk/due")
def test_caseload_and_queues(world, monkeypatch):
    """Each registered case is a row of the caseload, fires the protocol's police tasks into the queue
    and is due a first risk assessment. The queue and the reassessments are paged: their pages are made
    long enough here to hold every row the test grows."""
    from qorgau.protocols import selectors as queue_selectors
    from qorgau.risk import selectors as risk_selectors

    monkeypatch.setattr(queue_selectors, "QUEUE_SECTION_ROWS", 1000)
    monkeypatch.setattr(risk_selectors, "DUE_PAGE_ROWS", 1000)
    inspector, client = world
    for path in ("/", "/cases/", "/api/v1/cases", "/protocols/queue/", "/api/v1/tasks", "/risk/due/", "/api/v1/risk/due"):
        assert_flat(client, path, lambda n: _cases(inspector, n))


@covers("cases/<int:case_id>/", "api/v1/cases/<case_id>", "protocols/case/<int:case_id>/", "api/v1/cases/<case_id>/risk")
def test_case_detail(world):
    """The case page with more timeline events, reports of the same pair and signed assessments."""
    inspector, client = world
    pair = next(_serials)
    case = _report(inspector, pair)[0]
    places = itertools.cycle([{"region": "KZ-23", "district": ""}, {}])  # Atyrau region, then Almaty's district

    def grow(n: int) -> None:
        for _ in range(n):
            assert [c.pk for c in _report(inspector, pair, **next(places))] == [case.pk]  # a new report in the case
            case.refresh_from_db()
            to = "supervised" if case.state == "active" else "active"
            case_change_state(actor=inspector, case=case, version=case.version, to_state=to, reason="query count")
            signed(inspector, case, "dash", answers_scoring("dash", 3))
            fire(trigger="report_registered", case=case, actor=inspector, key=f"qc:{next(_serials)}")

    for path in (f"/cases/{case.pk}/", f"/api/v1/cases/{case.pk}", f"/protocols/case/{case.pk}/", f"/api/v1/cases/{case.pk}/risk"):
        assert_flat(client, path, grow)


# --- accounts -------------------------------------------------------------------------------------------


@covers("notifications/", "api/v1/notifications", "security/", "api/v1/tokens")
def test_own_notifications_and_tokens(make_user):
    """Her notifications (the home page shows the latest too) and her API tokens."""
    from qorgau.accounts.models import NotificationKind
    from qorgau.accounts.services import notify
    from qorgau.accounts.tokens import api_token_issue

    user = make_user(Role.POLICE_SUPERVISOR, username="qc_supervisor")
    client = sign_in(Client(), user)

    def grow(n: int) -> None:
        notify(recipients=[user] * 1, kind=NotificationKind.TASK_ASSIGNED, target_type="task", target_id="1")
        for _ in range(n - 1):
            notify(recipients=[user], kind=NotificationKind.CASE_SHARED, target_type="case", target_id="1")
        for _ in range(n):
            api_token_issue(actor=user, verified=True, name=f"qc{next(_serials)}")

    for path in ("/notifications/", "/api/v1/notifications", "/security/", "/api/v1/tokens"):
        assert_flat(client, path, grow)


@covers("staff/", "staff/export.csv", "api/v1/staff")
def test_staff_directory(make_user):
    admin = make_user(Role.ADMINISTRATOR, username="qc_admin")
    client = sign_in(Client(), admin)
    grow = lambda n: [make_user(Role.SOCIAL_WORKER, username=f"qc_staff{next(_serials)}", full_name="Омарова Жанар") for _ in range(n)]  # noqa: E731
    for path in ("/staff/", "/staff/export.csv", "/api/v1/staff"):
        assert_flat(client, path, grow)


# --- orders and the court ---------------------------------------------------------------------------------


@pytest.fixture
def court_world(protocols, instruments, make_user):  # noqa: F811
    from tests.orders.support import court_unit

    inspector = make_user(Role.POLICE_INSPECTOR, username="qc_orders_inspector")
    bench = court_unit()
    clerk = make_user(Role.COURT_CLERK, unit=bench, username="qc_clerk")
    return inspector, bench, clerk


def _court_case(inspector, bench) -> Case:
    from tests.orders.support import grant

    case = _cases(inspector, 1)[0]
    grant(case, bench)
    return case


def _hearing_time(days: int):
    import datetime as dt

    from qorgau.core import clock

    today = clock.local(clock.now(), "Asia/Almaty").date()
    return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(10), tzinfo=ZoneInfo("Asia/Almaty"))


@covers("orders/<int:order_id>/", "orders/<int:order_id>/print/", "api/v1/cases/<case_id>/orders")
def test_order_with_breaches(court_world):
    from qorgau.core import clock
    from qorgau.orders import services
    from tests.orders.support import police_input

    inspector, bench, _clerk = court_world
    case = _court_case(inspector, bench)
    order = services.order_issue(actor=inspector, case=case, data=police_input(case))
    order = services.order_serve(actor=inspector, order=order, version=order.version)
    client = sign_in(Client(), inspector)
    grow = lambda n: [services.breach_record(actor=inspector, order=order, occurred_at=clock.now(), what="came to her door") for _ in range(n)]  # noqa: E731
    assert_flat(client, f"/orders/{order.pk}/", grow)
    more_orders = lambda n: [services.order_issue(actor=inspector, case=case, data=police_input(case)) for _ in range(n)]  # noqa: E731
    assert_flat(client, f"/api/v1/cases/{case.pk}/orders", more_orders)
    assert_flat(client, f"/orders/{order.pk}/print/?lang=kk", grow, grows=False)  # the order itself, without its breaches


@covers("orders/docket/", "api/v1/cases/<case_id>/hearings", "orders/case/<int:case_id>/court/")
def test_docket_and_hearings(court_world):
    from qorgau.orders import hearings

    inspector, bench, clerk = court_world
    one = _court_case(inspector, bench)
    days = itertools.count(1)

    def grow(n: int) -> None:
        for _ in range(n):
            hearings.hearing_schedule(actor=clerk, case=one, kind="administrative", scheduled_for=_hearing_time(next(days) % 20 + 1))
            other = _court_case(inspector, bench)
            hearings.hearing_schedule(actor=clerk, case=other, kind="administrative", scheduled_for=_hearing_time(next(days) % 20 + 1))

    client = sign_in(Client(), clerk)
    for path in ("/orders/docket/", f"/api/v1/cases/{one.pk}/hearings", f"/orders/case/{one.pk}/court/"):
        assert_flat(client, path, grow)


@covers("api/v1/cases/<case_id>/criminal-cases", "orders/criminal-cases/<int:record_id>/", "orders/hearings/<int:hearing_id>/")
def test_criminal_cases(court_world):
    """A case's criminal-case records; one record's page and one hearing's page beside more of them."""
    import datetime as dt

    from qorgau.core import clock
    from qorgau.orders import court, hearings

    inspector, bench, clerk = court_world
    case = _court_case(inspector, bench)
    today = clock.local(clock.now(), "Asia/Almaty").date()
    made: list = []

    def grow(n: int) -> None:
        for _ in range(n):
            made.append(court.criminal_case_record(actor=inspector, case=case, number=f"{next(_serials):015d}",
                                                   registered_on=today - dt.timedelta(days=10), article="УК 108-1"))
            hearings.hearing_schedule(actor=clerk, case=case, kind="administrative", scheduled_for=_hearing_time(len(made) % 20 + 1))

    client = sign_in(Client(), inspector)
    assert_flat(client, f"/api/v1/cases/{case.pk}/criminal-cases", grow)
    assert_flat(client, lambda: f"/orders/criminal-cases/{made[0].pk}/", grow, grows=False)
    assert_flat(sign_in(Client(), clerk), lambda: f"/orders/hearings/{case.court_hearings.order_by('pk')[0].pk}/", grow, grows=False)


# --- completeness -------------------------------------------------------------------------------------------


def test_every_get_route_is_measured_or_exempt():
    """A new list or detail page fails here until it has a query-count test (or a stated exemption)."""
    from tests.core.query_exempt import EXEMPT
    from tests.core.query_pages import COVERED
    from tests.permission_matrix import MATRIX

    def page_on_get(checks) -> bool:
        """A GET that some role gets answered with something else than 405 (POST-only routes have no page)."""
        gets = [c for c in checks if c.method == "GET"]
        return bool(gets) and not all(405 in c.expect.values() and set(c.expect.values()) <= {302, 401, 403, 405} for c in gets)

    get_routes = {route for route, checks in MATRIX.items() if page_on_get(checks)}
    missing = sorted(get_routes - COVERED - EXEMPT.keys())
    both = sorted(COVERED & EXEMPT.keys())
    stale = sorted((COVERED | EXEMPT.keys()) - MATRIX.keys())
    assert not missing, f"GET routes without a query-count test or an exemption (tests/core/query_exempt.py): {missing}"
    assert not both, f"routes both measured and exempt: {both}"
    assert not stale, f"routes that no longer exist: {stale}"


# --- shelters -----------------------------------------------------------------------------------------------


@covers("shelters/", "api/v1/shelters", "shelters/find/<int:case_id>/", "shelters/coverage/", "api/v1/shelters/coverage",
        "shelters/centres/<int:centre_id>/", "shelters/placements/<int:placement_id>/")
def test_shelters(protocols, make_user):  # noqa: F811
    from qorgau.shelters import services
    from qorgau.shelters.models import BedPool
    from tests.protocols.support import agency_unit
    from tests.shelters.support import make_centre, with_grant

    inspector = make_user(Role.POLICE_INSPECTOR, username="qc_shelter_inspector")
    home = make_centre("QC shelter", beds={"women": 100, "with_children": 2, "accessible": 2}, accepts_children=True)
    staff = make_user(Role.SHELTER_WORKER, unit=home.unit, username="qc_shelter_staff")
    coordinator = make_user(Role.PLACEMENT_COORDINATOR, unit=agency_unit("family_support", "KZ-75", "751110000", "QC FSC"),
                            username="qc_coordinator")
    case = with_grant(coordinator, _cases(inspector, 1)[0]) and Case.objects.latest("pk")
    names = itertools.count(1)
    regions = itertools.cycle(["KZ-75", "KZ-71", "KZ-23", "KZ-79"])
    more_centres = lambda n: [make_centre(f"QC centre {next(names)}", region=next(regions), district=None) for _ in range(n)]  # noqa: E731
    coordinator_client = sign_in(Client(), coordinator)
    for path in ("/shelters/", "/api/v1/shelters", f"/shelters/find/{case.pk}/", "/shelters/coverage/", "/api/v1/shelters/coverage"):
        assert_flat(coordinator_client, path, more_centres)

    pool = BedPool.objects.get(centre=home, kind="women")
    placements: list = []

    def more_stays(n: int) -> None:
        """A hold and an admitted stay at the centre per new case."""
        for _ in range(n):
            for kind in ("hold", "stay"):
                c = _cases(inspector, 1)[0]
                with_grant(coordinator, c)
                hold = services.bed_hold(actor=coordinator, case=c, pool_id=pool.pk)
                if kind == "stay":
                    placements.append(services.placement_admit(actor=staff, case=c, pool_id=pool.pk, hold_id=hold.pk))

    staff_client = sign_in(Client(), staff)
    assert_flat(staff_client, f"/shelters/centres/{home.pk}/", more_stays)
    assert_flat(staff_client, lambda: f"/shelters/placements/{placements[0].pk}/", more_stays, grows=False)


# --- socio-economic support -----------------------------------------------------------------------------------


@covers("support/", "support/case/<int:case_id>/", "api/v1/cases/<case_id>/support", "support/referrals/<int:referral_id>/",
        "api/v1/support/referrals/<referral_id>", "support/programmes/", "api/v1/support/programmes",
        "support/programmes/<int:programme_id>/", "support/figures/")
def test_support(protocols, make_user):  # noqa: F811
    from tests.support.builders import make_programme, provider_unit, refer

    inspector = make_user(Role.POLICE_INSPECTOR, username="qc_support_inspector")
    office = provider_unit("QC employment office")
    provider = make_user(Role.SOCIAL_WORKER, unit=office, username="qc_provider")
    programme = make_programme(office, "QC jobs", lang_en=True)
    names = itertools.count(1)
    referrals: list = []

    def more_referrals(n: int) -> None:
        """Each new case referred to the office's programme; the first case to one more programme each time."""
        for _ in range(n):
            referrals.append(refer(inspector, _cases(inspector, 1)[0], programme))
            refer(inspector, first, make_programme(office, f"QC programme {next(names)}"))

    first = _cases(inspector, 1)[0]
    provider_client, inspector_client = sign_in(Client(), provider), sign_in(Client(), inspector)
    assert_flat(provider_client, "/support/", more_referrals)
    for path in (f"/support/case/{first.pk}/", f"/api/v1/cases/{first.pk}/support", "/support/programmes/", "/api/v1/support/programmes"):
        assert_flat(inspector_client, path, more_referrals)
    assert_flat(provider_client, lambda: f"/support/referrals/{referrals[0].pk}/", more_referrals, grows=False)
    assert_flat(provider_client, lambda: f"/api/v1/support/referrals/{referrals[0].pk}", more_referrals, grows=False)
    admin_client = sign_in(Client(), make_user(Role.ADMINISTRATOR, username="qc_support_admin"))
    assert_flat(admin_client, f"/support/programmes/{programme.pk}/", more_referrals, grows=False)
    analyst_client = sign_in(Client(), make_user(Role.ANALYST, username="qc_support_analyst"))
    assert_flat(analyst_client, "/support/figures/", more_referrals, grows=False)  # counts by programme kind and region


# --- offender programmes ------------------------------------------------------------------------------------------


@covers("programmes/", "api/v1/programmes", "programmes/enrolments/<int:enrolment_id>/", "api/v1/enrolments/<enrolment_id>",
        "programmes/catalogue/", "programmes/catalogue/<int:programme_id>/")
def test_programmes(protocols, make_user):  # noqa: F811
    from qorgau.core import clock
    from qorgau.orders.court import court_decision_record
    from tests.orders.support import court_unit, grant
    from tests.programmes.support import enrol, make_programme, sessions
    from tests.protocols.support import agency_unit

    inspector = make_user(Role.POLICE_INSPECTOR, username="qc_programme_inspector")
    bench = court_unit("QC court")
    clerk = make_user(Role.COURT_CLERK, unit=bench, username="qc_programme_clerk")
    centre = agency_unit("correction_programme", "KZ-75", "751110000", "QC correction centre")
    provider = make_user(Role.PROGRAMME_PROVIDER, unit=centre, username="qc_programme_provider")
    programme = make_programme(centre, sessions_required=40)
    enrolments: list = []

    def more_enrolments(n: int) -> None:
        for _ in range(n):
            case = _cases(inspector, 1)[0]
            grant(case, bench)
            decision = court_decision_record(actor=clerk, case=case, kind="special_requirements",
                                             decided_on=clock.now().date() - dt.timedelta(days=30), reference=f"2-{next(_serials)}/2026")
            enrolments.append(enrol(clerk, case, decision, programme, days_ago=25))

    provider_client = sign_in(Client(), provider)
    assert_flat(provider_client, "/programmes/", more_enrolments)

    start = clock.now().date() - dt.timedelta(days=24)
    held = itertools.count(0)

    def more_sessions(n: int) -> None:
        for _ in range(n):
            sessions(provider, enrolments[0], "a", start=start + dt.timedelta(days=next(held)))

    assert_flat(provider_client, f"/programmes/enrolments/{enrolments[0].pk}/", more_sessions)
    assert_flat(provider_client, f"/api/v1/enrolments/{enrolments[0].pk}", more_sessions, grows=False)  # counts, not the sessions

    names = itertools.count(1)
    more_programmes = lambda n: [make_programme(agency_unit("correction_programme", "KZ-71", None, f"QC centre {next(names)}"))  # noqa: E731
                                 for _ in range(n)]
    for path in ("/programmes/catalogue/", "/api/v1/programmes"):
        assert_flat(provider_client, path, more_programmes)
    assert_flat(provider_client, f"/programmes/catalogue/{programme.pk}/", more_enrolments, grows=False)


# --- anonymous intake at crisis centres -------------------------------------------------------------------------------


@covers("intake/", "api/v1/intake/records", "intake/<int:record_id>/", "api/v1/intake/records/<record_id>", "intake/shared/",
        "intake/shared/<int:share_id>/", "api/v1/intake/shared/<share_id>")
def test_intake(reference, make_user):
    from qorgau.intake.services import record_register, share_give
    from tests.intake.conftest import record_input
    from tests.shelters.support import make_centre

    centre = make_centre("QC crisis centre", beds={"women": 1, "with_children": 1, "accessible": 0})
    staff = make_user(Role.SHELTER_WORKER, unit=centre.unit, username="qc_intake_staff")
    inspector = make_user(Role.POLICE_INSPECTOR, username="qc_intake_inspector")
    records: list = []
    shares: list = []

    def more_records(n: int) -> None:
        """A record per row, each shared with the police (so their list grows too), and one more share of the first."""
        for _ in range(n):
            records.append(record_register(actor=staff, data=record_input()))
            shares.append(share_give(actor=staff, record_id=records[-1].pk, to_unit_id=inspector.unit_id, purpose="A statement",
                                     how="in_person", shares=frozenset({"identity", "narrative"})))

    staff_client, police_client = sign_in(Client(), staff), sign_in(Client(), inspector)
    for path in ("/intake/", "/api/v1/intake/records"):
        assert_flat(staff_client, path, more_records)
    assert_flat(police_client, "/intake/shared/", more_records)
    for path in (lambda: f"/intake/{records[0].pk}/", lambda: f"/api/v1/intake/records/{records[0].pk}"):
        assert_flat(staff_client, path, more_records, grows=False)
    for path in (lambda: f"/intake/shared/{shares[0].pk}/", lambda: f"/api/v1/intake/shared/{shares[0].pk}"):
        assert_flat(police_client, path, more_records, grows=False)


# --- staff training ----------------------------------------------------------------------------------------------------


@covers("training/", "training/mine/", "api/v1/training/me", "training/coverage/", "api/v1/training/coverage", "api/v1/training/courses")
def test_training(reference, make_user):
    from qorgau.core import clock
    from qorgau.training.reference import courses_load
    from qorgau.training.services import completion_record

    courses_load()
    supervisor = make_user(Role.POLICE_SUPERVISOR, username="qc_training_supervisor")
    me = make_user(Role.POLICE_INSPECTOR, username="qc_training_me")
    days = itertools.count(10)

    def more_staff(n: int) -> None:
        """Colleagues of the unit with two courses each; and the inspector's own completions renewed."""
        for _ in range(n):
            colleague = make_user(Role.POLICE_INSPECTOR, username=f"qc_trainee{next(_serials)}")
            for course in ("risk_assessment", "protocol"):
                completion_record(actor=supervisor, user_id=colleague.pk, course=course, completed_on=clock.now().date() - dt.timedelta(days=30))
            completion_record(actor=supervisor, user_id=me.pk, course="protocol", completed_on=clock.now().date() - dt.timedelta(days=next(days)))

    assert_flat(sign_in(Client(), supervisor), "/training/", more_staff)
    mine = sign_in(Client(), me)
    for path in ("/training/mine/", "/api/v1/training/me", "/api/v1/training/courses"):
        assert_flat(mine, path, more_staff, grows=False)  # one row per course, however many renewals
    admin = sign_in(Client(), make_user(Role.ADMINISTRATOR, username="qc_training_admin"))
    for path in ("/training/coverage/", "/api/v1/training/coverage"):
        assert_flat(admin, path, more_staff, grows=False)  # shares by region and course


# --- case conferences --------------------------------------------------------------------------------------------------


@covers("protocols/conferences/", "api/v1/conferences", "protocols/conferences/<int:conference_id>/", "api/v1/conferences/<conference_id>")
def test_conferences(protocols, make_user):  # noqa: F811
    from qorgau.protocols.conferences import conference_propose_for
    from qorgau.protocols.models_conferences import ConferenceReason
    from tests.protocols.support import agency_unit
    from tests.shelters.support import with_grant

    inspector = make_user(Role.POLICE_INSPECTOR, username="qc_conference_inspector")
    coordinator = make_user(Role.CONFERENCE_COORDINATOR, unit=agency_unit("family_support", "KZ-75", "751110000", "QC FSC"),
                            username="qc_conference_coordinator")
    made: list = []

    def more_conferences(n: int) -> None:
        for _ in range(n):
            case = _cases(inspector, 1)[0]
            with_grant(coordinator, case)
            made.append(conference_propose_for(actor=coordinator, case=case, reasons=[ConferenceReason.values[0]]))

    client = sign_in(Client(), coordinator)
    for path in ("/protocols/conferences/", "/api/v1/conferences"):
        assert_flat(client, path, more_conferences)
    for path in (lambda: f"/protocols/conferences/{made[0].pk}/", lambda: f"/api/v1/conferences/{made[0].pk}"):
        assert_flat(client, path, more_conferences, grows=False)


# --- risk, tasks and referrals, the search ----------------------------------------------------------------------------------


@covers("risk/assessments/<int:assessment_id>/", "risk/case/<int:case_id>/safety-plan/", "risk/case/<int:case_id>/safety-plan/print/",
        "protocols/tasks/<int:task_id>/", "protocols/referrals/<int:task_id>/")
def test_risk_and_task_pages(world):
    """One assessment, the safety plan, one task and one referral of a case whose assessments and tasks multiply."""
    from qorgau.protocols.models import Mode, Task

    inspector, client = world
    case = _cases(inspector, 1)[0]
    first = signed(inspector, case, "dash", answers_scoring("dash", 3))

    def grow(n: int) -> None:
        for _ in range(n):
            signed(inspector, case, "dash", answers_scoring("dash", 5))
            fire(trigger="report_registered", case=case, actor=inspector, key=f"qc:{next(_serials)}")
            _cases(inspector, 1)

    from qorgau.risk.safety_plan import safety_plan_save
    from tests.risk.test_safety_plan import PLAN

    safety_plan_save(actor=inspector, case=case, version=None, data=PLAN)
    task = Task.objects.filter(case=case, unit=inspector.unit).order_by("pk").first()
    referral = Task.objects.filter(case=case, mode=Mode.REFERRAL).order_by("pk").first()
    assert task is not None and referral is not None
    for path in (f"/risk/assessments/{first.pk}/", f"/risk/case/{case.pk}/safety-plan/", f"/risk/case/{case.pk}/safety-plan/print/?lang=kk",
                 f"/protocols/tasks/{task.pk}/", f"/protocols/referrals/{referral.pk}/"):
        assert_flat(client, path, grow, grows=False)


@covers("protocols/unrouted/")
def test_unrouted(world, make_user):
    """Tasks no unit took (no family-support unit exists here); the page lists the oldest 50, so it is
    measured with 1 and 3 new cases (each a few unrouted tasks)."""
    inspector, _client = world
    admin = sign_in(Client(), make_user(Role.ADMINISTRATOR, username="qc_tasks_admin"))
    assert_flat(admin, "/protocols/unrouted/", lambda n: _cases(inspector, n), few=1, many=3)


@covers("cases/search/", "api/v1/search")
def test_search(world, make_user):
    """A search by name finds more of the pair's cases (his other victims), seen or held elsewhere."""
    inspector, client = world
    k = next(_serials)
    offender = person(f"Тестов Марат {_word(k)}", birth=dt.date(1980, 2, 3), sex="M", serial=k)
    other = make_user(Role.POLICE_INSPECTOR, unit=make_user(Role.POLICE_INSPECTOR).unit, username="qc_search_other")
    names = itertools.count(1)

    def grow(n: int) -> None:
        for i in range(n):
            j = next(names)
            victim = person(f"Жертва Айгуль {_word(j)}", birth=dt.date(1990, 1 + j % 12, 1 + j % 28), serial=j + 7000)
            by = inspector if i % 2 else other
            report_register(actor=by, data=report_input(victims=[VictimInput(relationship="partner", person=victim)], offender=offender))

    query = f"?full_name=Тестов+Марат+{_word(k)}&birth_date=1980-02-03"
    for path in ("/cases/search/" + query, "/api/v1/search" + query):
        assert_flat(client, path, grow)


# --- electronic monitoring (the operator's pages) ---------------------------------------------------------------------------


@covers("monitoring/", "monitoring/alerts/", "api/v1/monitoring/alerts", "monitoring/devices/", "api/v1/monitoring/devices",
        "monitoring/live.json", "monitoring/fixes.json", "monitoring/alerts/<int:alert_id>/", "api/v1/monitoring/alerts/<alert_id>",
        "monitoring/alerts/<int:alert_id>/map.json", "monitoring/devices/<int:device_id>/", "monitoring/cases/<int:case_id>/zones/",
        "monitoring/cases/<int:case_id>/export/", "api/v1/cases/<case_id>/monitoring/export.csv")
def test_monitoring(monitoring_factory, monkeypatch):  # noqa: F811
    import tests.monitoring.conftest as monitoring_fixtures
    from tests.monitoring.support_e import raise_alert
    from tests.orders.support import make_cases

    # The factory's pairs share names and birth dates, which the registry links into one offender; each
    # new pair here gets its own offender birth date.
    births = (dt.date(1960 + k % 30, 1 + k % 12, 1 + k % 28) for k in itertools.count(1))
    monkeypatch.setattr(monitoring_fixtures, "make_cases", lambda actor, serial: make_cases(actor, serial=serial, offender_birth=next(births)))

    sets: list = []
    alerts: list = []

    def more_monitored(n: int) -> None:
        """A monitored pair with an open alert per row; the first pair gets one more alert of another kind each time."""
        for _ in range(n):
            sets.append(monitoring_factory(serial=next(_serials)))
            alerts.append(raise_alert(sets[-1]))

    more_monitored(1)
    first = sets[0]
    client = sign_in(Client(), first.operator)
    for path in ("/monitoring/", "/monitoring/alerts/", "/api/v1/monitoring/alerts", "/monitoring/devices/", "/api/v1/monitoring/devices",
                 "/monitoring/live.json"):
        assert_flat(client, path, more_monitored)
    for path in ("/monitoring/fixes.json", f"/monitoring/alerts/{alerts[0].pk}/", f"/api/v1/monitoring/alerts/{alerts[0].pk}",
                 f"/monitoring/alerts/{alerts[0].pk}/map.json", f"/monitoring/devices/{first.bracelet.pk}/"):
        assert_flat(client, path, more_monitored, grows=False)
    police = sign_in(Client(), first.inspector)
    from qorgau.core import clock

    today = clock.local(clock.now(), "Asia/Almaty").date()
    export = f"start={today - dt.timedelta(days=1)}&end={today + dt.timedelta(days=1)}"
    for path in (f"/monitoring/cases/{first.case.pk}/zones/", f"/monitoring/cases/{first.case.pk}/export/?{export}&format=csv",
                 f"/api/v1/cases/{first.case.pk}/monitoring/export.csv?{export}"):
        assert_flat(police, path, more_monitored, grows=False)


# --- identity: the review queue and the link history ------------------------------------------------------------------------------


@covers("cases/review/", "cases/review/<int:review_id>/", "cases/links/", "cases/links/<int:link_id>/undo/")
def test_identity_review(world, make_user, other_unit):
    from qorgau.accounts.models import AgencyKind
    from qorgau.accounts.services import unit_create
    from qorgau.cases.identity import review_decide
    from qorgau.core.models import Region
    from qorgau.people.models import MatchReview, PersonLink
    from qorgau.people.services import PersonInput
    from tests.cases.factories import synthetic_iin

    inspector, _client = world
    elsewhere = make_user(Role.POLICE_INSPECTOR, unit=other_unit, username="qc_identity_atyrau")
    dq = unit_create(actor=None, kind=AgencyKind.objects.get(code="data_quality"), region=Region.objects.get(iso="KZ-71"),
                     name_ru="QC DQ ru", name_kk="QC DQ kk", name_en="QC DQ")
    reviewer = make_user(Role.DQ_REVIEWER, unit=dq, username="qc_reviewer")

    def review() -> MatchReview:
        """Her name twice: with her valid IIN in Almaty, with the IIN mistyped and no birth date in Atyrau."""
        k = next(_serials)
        name, birth = f"Сапарова Айгерим {_word(k)}", dt.date(1970 + k % 30, 1 + k % 12, 1 + k % 28)
        iin = synthetic_iin(birth, "F", k)
        typed = iin[:11] + str((int(iin[11]) + 1) % 10)
        for by, who, where in ((inspector, PersonInput(full_name=name, iin=iin, birth_date=birth, sex="F"), {}),
                               (elsewhere, PersonInput(full_name=name, iin=typed, iin_unverified_ok=True, sex="F"), {"region": "KZ-23", "district": ""})):
            j = next(_serials)
            offender = person(f"Сапаров Ерлан {_word(j)}", birth=dt.date(1960 + j % 30, 1 + j % 12, 1 + j % 28), sex="M", serial=j)
            report_register(actor=by, data=report_input(victims=[VictimInput(relationship="spouse", person=who)], offender=offender, **where))
        return MatchReview.objects.latest("pk")

    reviews: list = []
    client = sign_in(Client(), reviewer)
    assert_flat(client, "/cases/review/", lambda n: reviews.extend(review() for _ in range(n)))
    assert_flat(client, lambda: f"/cases/review/{reviews[0].pk}/", lambda n: [review() for _ in range(n)], grows=False)
    confirmed = lambda n: [review_decide(actor=reviewer, review_id=review().pk, same=True) for _ in range(n)]  # noqa: E731
    assert_flat(client, "/cases/links/", confirmed)
    assert_flat(client, lambda: f"/cases/links/{PersonLink.objects.order_by('pk')[0].pk}/undo/", confirmed, grows=False)


# --- the national strategy ------------------------------------------------------------------------------------------------------


@covers("analytics/strategy/", "analytics/strategy/measures/<int:pk>/", "api/v1/analytics/strategy/measures",
        "api/v1/analytics/strategy/measures/<measure_id>", "api/v1/analytics/strategy/financing", "api/v1/analytics/strategy/campaigns",
        "api/v1/analytics/strategy/grants")
def test_strategy(reference, make_user):
    from datetime import date
    from decimal import Decimal

    from qorgau.analytics import services_strategy as services
    from qorgau.core.models import Region
    from tests.analytics.support_c import financing_input, measure_input

    analyst = make_user(Role.ANALYST, username="qc_analyst")
    first = services.measure_create(actor=analyst, data=measure_input(code="qc-first"))
    places = itertools.product(range(2025, 2031), Region.objects.order_by("iso").values_list("iso", flat=True))
    numbers = itertools.count(1)

    def grow(n: int) -> None:
        """Per row: a measure, a financing line of the first measure (another region), a campaign and a grant."""
        for _ in range(n):
            k = next(numbers)
            services.measure_create(actor=analyst, data=measure_input(code=f"qc-{k}"))
            year, region = next(places)
            services.financing_create(actor=analyst, measure_id=first.pk, data=financing_input(year=year, region=region))
            services.campaign_create(actor=analyst, data=services.CampaignInput(title=f"Кампания {k}", channel="online",
                                                                                started_on=date(2026, 3, 1), reach=1000, measure_id=first.pk))
            services.grant_create(actor=analyst, data=services.GrantInput(grantee=f"ОФ {k}", purpose="Приют", amount=Decimal(1000),
                                                                          awarded_on=date(2026, 1, 1), measure_id=first.pk))

    client = sign_in(Client(), analyst)
    for path in ("/analytics/strategy/", f"/analytics/strategy/measures/{first.pk}/", "/api/v1/analytics/strategy/measures",
                 "/api/v1/analytics/strategy/financing", "/api/v1/analytics/strategy/campaigns", "/api/v1/analytics/strategy/grants"):
        assert_flat(client, path, grow, few=2, many=8)
    assert_flat(client, f"/api/v1/analytics/strategy/measures/{first.pk}", grow, few=2, many=8, grows=False)  # the measure's own fields


@covers("risk/validation/")
def test_risk_validation(world, make_user):
    """The instruments' validation report over the signed assessments: figures, not rows."""
    inspector, _client = world

    def grow(n: int) -> None:
        for case in _cases(inspector, n):
            signed(inspector, case, "dash", answers_scoring("dash", 4))

    admin = sign_in(Client(), make_user(Role.ADMINISTRATOR, username="qc_validation_admin"))
    assert_flat(admin, "/risk/validation/", grow, grows=False)


# --- watch and privacy (issue 11): each test lives beside its app's tests; importing it here joins it to COVERED.
# The configuration pages (risk instruments, protocol versions) have their own test file: importing the module
# (not its tests, which pytest collects there) records their routes when this file runs alone.

import tests.core.test_query_counts_config  # noqa: E402, F401
from tests.privacy.query_counts import test_privacy_pages  # noqa: E402, F401
from tests.watch.query_counts import test_watch_pages  # noqa: E402, F401
