"""The demo's synthetic national data: coverage, proportions, valid identities, determinism, re-runs."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count

from qorgau.accounts.models import Unit, User
from qorgau.cases.access import cases_visible_to
from qorgau.cases.models import Case, CaseEvent, CaseState, EventKind, Grant, GrantReason, Incident, Report
from qorgau.cases.reference import markers_load
from qorgau.core import clock
from qorgau.core import iin as iin_rules
from qorgau.core.models import Region
from qorgau.demo.seed import seed_demo
from qorgau.demo.synthetic import Planner, allocate, generate, regions_load, reports_for_scale
from qorgau.people.models import IinStatus, MatchReview, Person, ReviewStatus, SafeContact

pytestmark = pytest.mark.django_db

ANCHOR = dt.datetime(2026, 3, 1, 12, 0, tzinfo=clock.UTC)
SEED = 7
REPORTS = 60


@pytest.fixture
def demo(reference) -> None:
    markers_load()
    seed_demo()


def _victims() -> list[Person]:
    return list(Person.objects.filter(cases_as_victim__isnull=False).distinct().order_by("id"))


def test_scales():
    assert reports_for_scale("small") == 300
    assert reports_for_scale("medium") == 3000
    assert reports_for_scale("42") == 42
    assert reports_for_scale(0) == 0
    for bad in ("huge", "-1", "", "1e3"):
        with pytest.raises(ValueError):
            reports_for_scale(bad)


def test_allocation_covers_every_region_by_population(reference):
    regions = regions_load()
    counts = allocate(REPORTS, regions)
    assert sum(counts.values()) == REPORTS
    assert len(counts) == 20 and min(counts.values()) >= 1
    # the largest populations get the most: Almaty city and Turkistan region above Ulytau
    assert counts["KZ-75"] > counts["KZ-62"] and counts["KZ-61"] > counts["KZ-62"]
    small = allocate(10, regions)
    # fewer reports than regions: the ten most populous get one each
    largest = sorted(regions, key=lambda r: -r.population)[:10]
    assert {iso for iso, n in small.items() if n} == {r.iso for r in largest} and set(small.values()) == {0, 1}


def test_the_plan_is_deterministic(reference):
    regions = regions_load()

    def names(seed: int) -> list[str]:
        stories = Planner(seed=seed, anchor=ANCHOR, regions=regions).plan(REPORTS)
        return [p.full_name for s in stories for p in [*(v.person for v in s.victims), s.offender, *s.children]]

    first = names(SEED)
    assert first == names(SEED)
    assert first != names(SEED + 1)
    stories = Planner(seed=SEED, anchor=ANCHOR, regions=regions).plan(REPORTS)
    assert sum(len(s.reports) for s in stories) == REPORTS
    keys = [rp.key for s in stories for rp in s.reports]
    assert len(set(keys)) == REPORTS and all(k.startswith(f"demo:{SEED}:") for k in keys)
    # every report is in the last three years and registered after it was received
    for s in stories:
        for rp in s.reports:
            assert ANCHOR - dt.timedelta(days=3 * 365 + 2) < rp.occurred_at <= rp.received_at < rp.registered_at < ANCHOR


def test_generate_a_small_national_set(demo):
    summary = generate(reports=REPORTS, seed=SEED, anchor=ANCHOR)
    assert not summary.skipped
    assert (summary.reports, summary.regions) == (REPORTS, 20)
    assert Report.objects.count() == REPORTS
    assert summary.cases == Case.objects.count() > 40
    assert set(Incident.objects.values_list("region_id", flat=True)) == set(Region.objects.values_list("iso", flat=True))
    # cities are urban; the rural regions have rural incidents
    assert not Incident.objects.filter(region_id__in=["KZ-71", "KZ-75", "KZ-79"], urban=False).exists()
    assert Incident.objects.filter(urban=False).exists()

    victims = _victims()
    female = sum(1 for p in victims if p.sex == "F")
    assert female / len(victims) > 0.9

    valid = Person.objects.filter(iin_status=IinStatus.VALID)
    assert valid.count() > 0.7 * Person.objects.count()
    for person in valid:
        info = iin_rules.parse(person.iin or "")
        assert info is not None and (info.birth_date, info.sex) == (person.birth_date, person.sex)
    unverified = list(Person.objects.filter(iin_status=IinStatus.UNVERIFIED))
    assert unverified and all(iin_rules.problems(p.iin or "") == [iin_rules.IinProblem.CHECK_DIGIT] for p in unverified)
    assert Person.objects.filter(iin_status=IinStatus.NONE, iin__isnull=True).exists()

    # the demo inspector (Almaly police) holds a handful of cases and sees them
    inspector = User.objects.get(username="inspector")
    held = Case.objects.filter(holding_unit=inspector.unit)
    assert 2 <= held.count() <= 20
    assert set(cases_visible_to(inspector).values_list("pk", flat=True)) >= set(held.values_list("pk", flat=True))
    # every case is held by a police department of the region where it first happened
    for case in Case.objects.select_related("holding_unit"):
        assert case.holding_unit.kind_id == "police"
        assert case.holding_unit.region_id == case.incidents.order_by("occurred_at").values_list("region_id", flat=True).first()
    # a woman without an IIN, written in another spelling each time, reported again in another
    # district and another region: the matcher linked her, so one case holds all three incidents
    wanderer = Case.objects.annotate(regions=Count("incidents__region", distinct=True)).filter(regions__gte=2)
    assert wanderer.exists()
    case = wanderer.first()
    assert case.incidents.count() >= 3 and case.incidents.values("district").distinct().count() >= 3
    assert case.victim.iin is None
    # a surname typo without a birth date waits in the review queue
    assert MatchReview.objects.filter(status=ReviewStatus.OPEN).exists()
    assert Unit.objects.filter(kind_id="police").count() == 21  # 20 regional departments and the demo's Almaly police

    # repeats (some about the same incident), states and reopening, as in real use
    assert Report.objects.filter(import_key__startswith="demo:7:").count() == REPORTS
    assert Incident.objects.annotate(n=Count("reports")).filter(n__gte=2).exists()
    assert Case.objects.annotate(n=Count("incidents")).filter(n__gte=2).exists()
    assert Case.objects.filter(state=CaseState.CLOSED).exists() and Case.objects.filter(state=CaseState.SUPERVISED).exists()
    assert CaseEvent.objects.filter(kind=EventKind.REOPENED).exists()
    restricted = list(Case.objects.filter(restricted=True))
    assert len(restricted) == 2
    for case in restricted:
        live = Grant.objects.filter(case=case, until__isnull=True)
        assert {g.reason for g in live} == {GrantReason.OVERSIGHT}
    assert SafeContact.objects.exists()

    # a second run adds nothing
    counts = (Report.objects.count(), Case.objects.count(), Person.objects.count(), Grant.objects.count(), CaseEvent.objects.count())
    again = generate(reports=REPORTS, seed=SEED, anchor=ANCHOR)
    assert again.skipped and (again.reports, again.cases) == (REPORTS, summary.cases)
    assert counts == (Report.objects.count(), Case.objects.count(), Person.objects.count(), Grant.objects.count(), CaseEvent.objects.count())


def test_the_same_seed_gives_the_same_data(demo):
    def run() -> tuple[list[str], int, list[str]]:
        with transaction.atomic():
            generate(reports=REPORTS, seed=SEED, anchor=ANCHOR)
            out = (
                [p.full_name for p in Person.objects.order_by("id")],
                Case.objects.count(),
                [n[:7] for n in Case.objects.order_by("id").values_list("number", flat=True)],
            )
            transaction.set_rollback(True)
        return out

    first = run()
    assert Report.objects.count() == 0
    assert run() == first
    assert len(first[0]) > REPORTS


def test_the_demo_command(reference):
    out = StringIO()
    call_command("demo", "--scale", "0", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == "Synthetic data: none asked for (--scale 0)"
    assert not Report.objects.exists() and not User.objects.filter(username="inspector_kz10").exists()
    out = StringIO()
    call_command("demo", "--scale", "30", "--seed", "3", stdout=out)
    lines = out.getvalue().strip().splitlines()
    created = next(line for line in lines if line.startswith("Synthetic data"))
    assert created.startswith("Synthetic data created: 30 reports, ") and ", 20 regions (" in created
    assert lines[-4].startswith("Case conferences: ")  # then the protocol's backlog and the conferences
    assert lines[-3] == "Access watch: the inspector broke the glass 3 times; 1 alert(s) for her supervisor."
    assert lines[-2].startswith("Analytics: ") and lines[-1].startswith("Strategy: ")  # then the analysts' figures
    out = StringIO()
    call_command("demo", "--scale", "30", "--seed", "3", stdout=out)
    again = next(line for line in out.getvalue().strip().splitlines() if line.startswith("Synthetic data"))
    assert again.startswith("Synthetic data already present, nothing added: 30 reports, ")
    assert Report.objects.count() == 30
    assert User.objects.filter(username__startswith="inspector_kz", unit__kind_id="police").count() == 20
    with pytest.raises(CommandError):
        call_command("demo", "--scale", "lots", stdout=StringIO())
