"""The national data set in bulk (demo.national), at a small scale: consistency of every table family,
national proportions, the bulk rows working through the access gate, search, matching and the
analytics, and a second run adding nothing."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Sum
from django.test import Client

from qorgau.accounts.models import User
from qorgau.analytics.models import Tally
from qorgau.cases.access import cases_visible_to
from qorgau.cases.models import Case, CaseEvent, EventKind, Grant, GrantReason, Incident, PartyRole, Report
from qorgau.cases.selectors import case_search
from qorgau.core import clock
from qorgau.core.models import AuditEvent, Region
from qorgau.demo.national.build import AlreadyLoaded, national_build
from qorgau.demo.national.downstream import _scored
from qorgau.demo.national.plan import KEY_PREFIX
from qorgau.monitoring.models import Alert, Assignment, Device
from qorgau.orders.models import Order, OrderCase, OrderProtected
from qorgau.people.matching import Record
from qorgau.people.models import IinStatus, Person, PersonKey
from qorgau.people.registry import match
from qorgau.protocols.models import LIVE_STATUSES, Task, TaskStatus
from qorgau.risk.models import Assessment, AssessmentStatus, CaseRisk, InstrumentVersion, VersionStatus
from qorgau.risk.scoring import Spec, evaluate
from qorgau.shelters.models import Placement
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

REPORTS = 1500
YEARS = 2


@pytest.fixture(scope="module")
def _built(django_db_setup, django_db_blocker) -> Iterator[str]:
    """One build for the module, in a transaction rolled back after its last test (each test still
    runs in its own savepoint), so the other test modules never see it."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("demo", "--scale", "national", "--years", str(YEARS), "--reports", str(REPORTS), "--seed", "11", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def national(_built: str, db) -> str:
    return _built


def test_every_row_has_what_it_points_to(national):
    reports = Report.objects.filter(import_key__startswith=KEY_PREFIX)
    assert reports.count() == REPORTS
    assert "National history: 1,500 reports in" in national and "reports/s" in national
    assert "Analytics:" in national
    # every report has its incident, and every incident its cases (one per victim), and its parties
    assert not reports.filter(incident__isnull=True).exists()
    incidents = Incident.objects.filter(reports__in=reports).distinct()
    assert not incidents.filter(cases__isnull=True).exists()
    assert not incidents.exclude(parties__role=PartyRole.OFFENDER).exists()
    assert not incidents.exclude(parties__role=PartyRole.VICTIM).exists()
    cases = Case.objects.filter(incidents__in=incidents).distinct()
    assert cases.count() > REPORTS / 2
    # the pair of each case are parties of its incidents
    for case in cases.order_by("?")[:40]:
        for incident in case.incidents.all():
            roles = set(incident.parties.filter(person__in=[case.victim_id, case.offender_id]).values_list("person_id", "role"))
            assert {(case.victim_id, PartyRole.VICTIM), (case.offender_id, PartyRole.OFFENDER)} <= roles
    # every case a grant to its holding unit; the report's unit is the holding unit
    held = Grant.objects.filter(case=OuterRef("pk"), unit=OuterRef("holding_unit"), reason=GrantReason.REGISTERED, until__isnull=True)
    assert not cases.exclude(Exists(held)).exists()
    assert not reports.exclude(unit=F("registered_by__unit")).exists()
    # numbers unique and in the project's format
    numbers = list(cases.values_list("number", "id", "opened_at"))
    assert all(n == f"C-{at.year}-{pk:07d}" for n, pk, at in numbers)
    assert all(r.number == f"R-{r.registered_at.year}-{r.pk:07d}" for r in reports.only("number", "registered_at"))
    # the timeline: opened with the first report, a report_added per report
    assert cases.filter(events__kind=EventKind.OPENED).distinct().count() == cases.count()
    added = CaseEvent.objects.filter(case__in=cases, kind=EventKind.REPORT_ADDED).count()
    assert added == sum(len(c.incidents.all().values("reports")) for c in cases)
    closed = cases.filter(state="closed")
    assert closed.exists() and not closed.filter(closed_at__isnull=True).exists()
    assert not closed.exclude(events__kind=EventKind.STATE_CHANGED).exists()
    # parties point to people with encrypted names and their blocking keys
    people = Person.objects.filter(parties__incident__in=incidents).distinct()
    assert not people.filter(keys__isnull=True).exists()
    assert not people.filter(cluster_id__isnull=True).exists()
    assert all(p.full_name for p in people[:50])
    assert PersonKey.objects.filter(person__in=people).count() > 5 * people.count()
    # downstream: assessments, orders, tasks, placements, monitoring point to cases of the set
    assert Assessment.objects.filter(case__in=cases, status=AssessmentStatus.SIGNED).count() > cases.count() * 0.8
    assert not Assessment.objects.exclude(case__in=cases).exists()
    risks = CaseRisk.objects.filter(case__in=cases)
    assert risks.count() > cases.count() * 0.8
    assert not risks.exclude(assessment__case=F("case")).exists()
    assert not risks.exclude(level=F("assessment__final_level")).exists()
    orders = Order.objects.filter(case_links__case__in=cases).distinct()
    assert 0.6 * REPORTS < orders.count() < 0.85 * REPORTS  # about 72,000 orders to 100,000 reports
    assert not orders.exclude(Exists(OrderCase.objects.filter(order=OuterRef("pk")))).exists()
    assert not OrderCase.objects.filter(order__in=orders).exclude(case__offender=F("order__offender")).exists()
    assert not OrderProtected.objects.filter(order__in=orders).exclude(
        Exists(OrderCase.objects.filter(order=OuterRef("order"), case__victim=OuterRef("person")))
    ).exists()
    assert orders.filter(status="expired").exists() and orders.filter(status="active").exists() and orders.filter(breaches__isnull=False).exists()
    tasks = Task.objects.filter(case__in=cases)
    assert tasks.count() >= REPORTS
    assert tasks.filter(status=TaskStatus.DONE).exists() and tasks.filter(status__in=LIVE_STATUSES).exists()
    now = clock.now()
    old = tasks.filter(created_at__lt=now - dt.timedelta(days=120))
    assert not old.filter(status__in=LIVE_STATUSES).exists()  # old cases: nothing left to do
    # a unit with a duty on the case may open it
    duty = tasks.filter(unit__isnull=False, mode="duty").exclude(unit=F("case__holding_unit")).first()
    if duty is not None:
        assert Grant.objects.filter(case=duty.case, unit=duty.unit, reason=GrantReason.TASK).exists()
    assert Placement.objects.filter(case__in=cases).exists()
    assert not Placement.objects.filter(case__in=cases, discharged_at__gte=now).exists()
    assignments = Assignment.objects.filter(case__in=cases)
    assert assignments.exists() and not assignments.exclude(order__case_links__case=F("case")).exists()
    assert not Alert.objects.filter(case__in=cases).exclude(offender_set__assignments__case=F("case")).exists()
    assert Device.objects.count() <= 10_000


def test_national_proportions(national):
    cases = Case.objects.filter(pk__in=Case.objects.filter(incidents__reports__import_key__startswith=KEY_PREFIX).values("pk"))
    sexes = Counter(cases.values_list("victim__sex", flat=True))
    assert sexes["F"] / sum(sexes.values()) > 0.9
    by_region = dict(
        Report.objects.filter(import_key__startswith=KEY_PREFIX).values_list("incident__region").annotate(n=Count("id")).values_list("incident__region", "n")
    )
    regions = {r.iso: r.population for r in Region.objects.all()}
    assert set(by_region) == set(regions)
    total_population = sum(regions.values())
    for iso, n in by_region.items():
        expected = REPORTS * regions[iso] / total_population
        # a pair's repeats are counted in its region, so a region's count moves by a pair or two
        assert abs(n - expected) <= max(6, 0.15 * expected), (iso, n, expected)
    # valid IINs agree with the birth date
    for person in Person.objects.filter(iin_status=IinStatus.VALID)[:200]:
        assert person.iin and person.birth_date and person.iin[:6] == person.birth_date.strftime("%y%m%d")
    # about a quarter of the pairs come back
    repeats = Counter(cases.annotate(n=Count("incidents__reports")).values_list("n", flat=True))
    share = sum(v for k, v in repeats.items() if k > 1) / sum(repeats.values())
    assert 0.15 < share < 0.4


def test_the_inspector_works_on_bulk_cases(national):
    inspector = User.objects.get(username="inspector")
    mine = Case.objects.filter(holding_unit=inspector.unit, incidents__reports__import_key__startswith=KEY_PREFIX).distinct()
    assert mine.count() >= 3
    assert not mine.filter(opened_at__lt=clock.now() - dt.timedelta(days=130)).exists()  # recent
    assert set(mine.values_list("id", flat=True)) <= set(cases_visible_to(inspector).values_list("id", flat=True))
    case = mine.order_by("-opened_at").first()
    client = sign_in(Client(), inspector)
    page = client.get(f"/cases/{case.pk}/")
    assert page.status_code == 200
    assert case.victim.full_name in page.content.decode()
    # another region's bulk case is not his
    other = Case.objects.exclude(holding_unit=inspector.unit).filter(incidents__reports__import_key__startswith=KEY_PREFIX).first()
    assert client.get(f"/cases/{other.pk}/").status_code == 404
    # search by a bulk person's name and birth date finds her case; matching finds her record
    victim = case.victim
    hits = case_search(inspector, full_name=victim.full_name, birth_date=victim.birth_date)
    assert case.pk in {h.case_id for h in hits}
    found = match(Record.build(victim.full_name, victim.iin or "", victim.birth_date, victim.sex, ""))
    assert victim.pk in {c.person.pk for c in found}
    # his work queue has the open tasks of his recent cases
    assert Task.objects.filter(unit=inspector.unit, status__in=LIVE_STATUSES).exists()


def test_tallies_count_the_reports_and_a_second_run_adds_nothing(national):
    reports = Report.objects.filter(import_key__startswith=KEY_PREFIX).count()
    whole = Tally.objects.filter(indicator="reports", dimension="")  # by district (every bulk incident has one)
    assert whole.aggregate(n=Sum("value"))["n"] == Report.objects.count()
    loaded = AuditEvent.objects.filter(action="import", target_type="national_history")
    assert loaded.count() == 1 and loaded.get().count == reports
    out = StringIO()
    call_command("demo", "--scale", "national", "--years", str(YEARS), "--reports", str(REPORTS), "--seed", "12", stdout=out)
    assert "already present" in out.getvalue()
    assert Report.objects.filter(import_key__startswith=KEY_PREFIX).count() == reports
    assert loaded.count() == 1
    with pytest.raises(AlreadyLoaded):
        national_build(reports=10, years=1, seed=3)


def test_the_bulk_score_is_the_instruments_own(reference):
    rng = random.Random(3)
    for version in InstrumentVersion.objects.filter(status=VersionStatus.PUBLISHED):
        spec = Spec.of(version)
        for _ in range(200):
            answers = {code: rng.choice(["yes", "no", "unknown"]) for code in spec.weights}
            result = evaluate(spec, answers)
            assert _scored(spec, answers) == (result.score, result.level, result.flag)


def test_the_command_checks_its_options(reference):
    from django.core.management.base import CommandError

    for args in (["--years", "0"], ["--years", "31"], ["--reports", "0"]):
        with pytest.raises(CommandError):
            call_command("demo", "--scale", "national", *args, stdout=StringIO())
