"""The hand-written case reads (ADR 0018) give what the ORM gives: the same rows, the same values
(decrypted, aware times, booleans), the same related rows attached, on SQLite and on PostgreSQL.

Each read is compared, on a registry with the awkward parts in it (restricted, merged, an older
incident, a child witness, a second report, an expired and a live break-glass grant, a breached
order, a state change with a reason, personal data removed), with the ORM statement it replaced.
"""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Exists, OuterRef, Prefetch, Q, Value

from qorgau.accounts.models import AgencyKind, Unit
from qorgau.accounts.roles import Role
from qorgau.accounts.services import unit_create
from qorgau.cases import case_reads, pair_reads
from qorgau.cases.access import _case_with_grants, granting_unit, live_grants, working_grants
from qorgau.cases.models import Case, CaseEvent, CaseState, Grant, Incident, PartyRole, Report
from qorgau.cases.services import VictimInput, case_break_glass, case_change_state, report_register
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction, AuditEvent, Region
from qorgau.orders import selectors as order_selectors
from qorgau.orders import services as order_services
from qorgau.orders.models import Order
from qorgau.people.models import Person
from tests.cases.factories import person, report_input
from tests.orders.support import police_input

pytestmark = pytest.mark.django_db

BIRTH = dt.date(1990, 5, 17)


def _fields(obj: Any) -> dict[str, Any]:
    """Every loaded column of an instance (a deferred one is left out, as it would be read later)."""
    loaded = obj.get_deferred_fields()
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in loaded}


def _same(ours: Any, orm: Any) -> None:
    assert type(ours) is type(orm)
    assert (ours._state.adding, ours._state.db) == (False, orm._state.db)  # a row read, as from_db marks it
    assert _fields(ours) == _fields(orm)
    for name, value in _fields(orm).items():  # aware times, bools and dates, not their text
        assert type(_fields(ours)[name]) is type(value), name


def _register(actor, victim: str, serial: int, offender_serial: int = 3000, markers: tuple[str, ...] = (), **kw) -> Case:
    her = person(victim, birth=BIRTH, serial=serial, phone="+7 701 111 22 33", address="Абая 10")
    victims = [VictimInput(relationship="spouse", person=her, markers=list(markers))]
    offender = person(f"Обидчик {offender_serial}", birth=dt.date(1986, 3, 2), sex="M", serial=offender_serial, phone="+7 702 000 00 00")
    region = {} if actor.unit.region_id == "KZ-75" else {"region": actor.unit.region_id, "district": ""}
    return report_register(actor=actor, data=report_input(victims=victims, offender=offender, **region, **kw)).cases[0]


@pytest.fixture
def registry(make_user, other_unit):
    ours, theirs = make_user(), make_user(unit=other_unit)
    oversight = unit_create(actor=None, kind=AgencyKind.objects.get(code="oversight"), region=Region.objects.get(iso="KZ-71"),
                            name_ru="Надзор", name_kk="Қадағалау", name_en="Oversight")
    make_user(Role.OVERSIGHT, unit=oversight)
    with clock.frozen(clock.now() - timedelta(days=400)):
        a = _register(ours, "Сапарова Айгерим", 1000)  # an incident older than six months
    a = _register(ours, "Сапарова Айгерим", 1000, markers=("pregnant", "disabled"), child_witnesses=[person("Сапаров Нурлан", birth=dt.date(2015, 1, 2), sex="M", serial=1500)])
    b = _register(theirs, "Жумабаева Салтанат", 1100)  # his other victim, held elsewhere
    c = _register(theirs, "Сапарова Айгерим", 1000, offender_serial=3100)  # her other offender
    restricted = _register(ours, "Ким Ольга", 1200, restricted=True)
    case_change_state(actor=ours, case=a, version=a.version, to_state=CaseState.SUPERVISED, reason="Переведено под надзор.")
    with clock.frozen(clock.now() - timedelta(hours=5)):
        case_break_glass(actor=ours, case_id=c.pk, justification="Ночной вызов, нужна история.")  # ended an hour ago
    case_break_glass(actor=theirs, case_id=a.pk, justification="Срочно, ночной вызов.")  # in force
    order = order_services.order_issue(actor=ours, case=a, data=police_input(a))
    order = order_services.order_serve(actor=ours, order=order, version=order.version)
    order_services.breach_record(actor=ours, order=order, occurred_at=clock.now(), what="пришёл к двери")
    return {"ours": ours, "theirs": theirs, "cases": [a, b, c, restricted]}


def test_the_gate_reads_the_case_its_pair_its_unit_and_its_grants_in_force_as_the_orm_does(registry):
    for case in Case.objects.all():
        read = _case_with_grants(case.pk)
        assert read is not None
        ours, grants = read
        in_force = Prefetch("grants", queryset=working_grants(), to_attr="grants_read")
        orm = Case.objects.select_related("victim", "offender", "holding_unit").prefetch_related(in_force).get(pk=case.pk)
        _same(ours, orm)
        for rel in ("victim", "offender", "holding_unit"):
            _same(getattr(ours, rel), getattr(orm, rel))
        assert [g.pk for g in grants] == [g.pk for g in orm.grants_read] and grants == ours.grants_read
        for g, o in zip(grants, orm.grants_read, strict=True):
            _same(g, o)
            _same(g.unit, o.unit)
    assert _case_with_grants(Case.objects.order_by("-pk").first().pk + 1) is None
    a = registry["cases"][0]
    assert len(_case_with_grants(a.pk)[1]) == 2  # its own unit's and the live break-glass; not the ended one


def test_the_case_rows_are_the_orms(registry):
    since = clock.now() - timedelta(days=183)
    for case in Case.objects.all():
        orm_reports = list(
            Report.objects.filter(incident__cases=case).select_related("incident__region", "incident__district", "unit")
            .defer("incident__region__boundary_geojson", "incident__district__boundary_geojson").order_by("received_at", "id")
        )
        incidents, reports = case_reads.incidents_and_reports(case)
        assert len(reports) == len(orm_reports) > 0 and reports == case_reads.reports(case)
        for r, o in zip(reports, orm_reports, strict=True):
            for ours, orm in ((r, o), (r.incident, o.incident), (r.incident.region, o.incident.region), (r.unit, o.unit)):
                _same(ours, orm)
            assert (r.incident.district is None) == (o.incident.district is None)
            if o.incident.district is not None:
                _same(r.incident.district, o.incident.district)

        orm_incidents = list(case.incidents.order_by("occurred_at", "id"))
        assert len(incidents) == len(orm_incidents)
        for i, o in zip(incidents, orm_incidents, strict=True):
            _same(i, o)

        orm_events = list(CaseEvent.objects.filter(case__in=Case.objects.filter(Q(pk=case.pk) | Q(merged_into=case)).values("pk"))
                          .select_related("unit", "report"))
        events = case_reads.timeline(case)
        assert [e.pk for e in events] == [e.pk for e in orm_events]
        for e, o in zip(events, orm_events, strict=True):
            _same(e, o)
            assert (e.unit is None, e.report is None) == (o.unit is None, o.report is None)
            if o.unit is not None:
                _same(e.unit, o.unit)
            if o.report is not None:
                assert e.report.number == o.report.number

        from django.db.models import Count

        facts = case_reads.facts(case, since)
        assert facts.markers == sorted(case.markers.values_list("code", flat=True))
        clusters = {case.victim.cluster_id, case.offender.cluster_id}
        assert sorted(facts.members) == sorted(Person.objects.filter(cluster_id__in=clusters).values_list("pk", "cluster_id"))
        orm_orders = (
            Order.objects.filter(offender__cluster_id=case.offender.cluster_id).exclude(case_links__case__restricted=True)
            .aggregate(n=Count("pk", distinct=True), breached=Count("pk", distinct=True, filter=Q(breaches__isnull=False)))
        )
        assert (facts.orders, facts.breached_orders) == (orm_orders["n"], orm_orders["breached"])
        orm_counts = case.incidents.aggregate(
            recent=Count("pk", distinct=True, filter=Q(occurred_at__gte=since)),
            total=Count("pk", distinct=True),
            reports=Count("reports", distinct=True),
            children=Count("parties__person", distinct=True, filter=Q(parties__role=PartyRole.CHILD_WITNESS)),
        )
        counts = facts.counts
        assert (counts.incidents_since, counts.incidents, counts.reports, counts.child_witnesses) == tuple(orm_counts.values())
    a = registry["cases"][0]
    facts = case_reads.facts(a, since)
    counts = facts.counts
    assert (counts.incidents_since, counts.incidents, counts.reports, counts.child_witnesses) == (1, 2, 2, 1)
    assert (facts.orders, facts.breached_orders) == (1, 1) and facts.markers == ["disabled", "pregnant"]
    assert {cluster for _pk, cluster in facts.members} == {a.victim.cluster_id, a.offender.cluster_id}
    assert any(e.reason == "Переведено под надзор." for e in case_reads.timeline(a))


def test_the_pairs_signals_are_the_orms(registry):
    since = clock.now() - timedelta(days=183)
    clusters = set(Person.objects.exclude(cluster_id=None).values_list("cluster_id", flat=True))
    assert sorted(pair_reads.cluster_members(clusters)) == sorted(Person.objects.filter(cluster_id__in=clusters).values_list("pk", "cluster_id"))

    for actor in (registry["ours"], registry["theirs"], None):
        for case in Case.objects.all():
            her = set(Person.objects.filter(cluster_id=case.victim.cluster_id).values_list("pk", flat=True))
            his = set(Person.objects.filter(cluster_id=case.offender.cluster_id).values_list("pk", flat=True))
            orm_recent = (
                Incident.objects.filter(parties__role=PartyRole.VICTIM, parties__person_id__in=her, occurred_at__gte=since)
                .exclude(cases__restricted=True).values_list("pk", "district_id", "region_id").distinct()
            )
            held = live_grants(actor) if actor is not None else Grant.objects.none()
            visible = Value(False) if held.query.is_empty() else Exists(held.filter(case=OuterRef("pk")))
            orm = (
                Case.objects.filter(restricted=False, merged_into=None).filter(Q(victim_id__in=her) | Q(offender_id__in=his))
                .exclude(pk=case.pk).annotate(visible=visible)
                .values_list("pk", "victim_id", "offender_id", "victim__cluster_id", "offender__cluster_id",
                             "holding_unit__name_ru", "holding_unit__name_kk", "holding_unit__name_en", "visible")
            )
            unit = granting_unit(actor) if actor is not None else None
            ours = pair_reads.signals(her, his, since=since, exclude_case=case.pk, unit=unit, at=clock.now())
            assert ours.her_incidents == len(orm_recent)
            assert ours.her_places == len({district or region for _pk, district, region in orm_recent})
            assert sorted(ours.related) == sorted(orm)
            assert all(type(row[8]) is bool for row in ours.related)
            alone = pair_reads.signals(set(), his, since=since, exclude_case=case.pk, unit=unit, at=clock.now())
            assert (alone.her_incidents, alone.her_places) == (0, 0)
            assert sorted(alone.related) == sorted(orm.filter(offender_id__in=his).exclude(victim_id__in=her).union(orm.filter(offender_id__in=his)))
    a = registry["cases"][0]
    her = set(Person.objects.filter(cluster_id=a.victim.cluster_id).values_list("pk", flat=True))  # a record a report
    signals = pair_reads.signals(her, set(), since=since, exclude_case=a.pk, unit=None, at=clock.now())
    # Her two recent incidents (cases a and c; case a's first is older), in two places.
    assert (signals.her_incidents, signals.her_places) == (2, 2)


def test_the_offenders_order_counts_are_the_orms(registry):
    from django.db.models import Count

    for case in registry["cases"]:
        cluster = case.offender.cluster_id
        orm = (
            Order.objects.filter(offender__cluster_id=cluster).exclude(case_links__case__restricted=True)
            .aggregate(n=Count("pk", distinct=True), breached=Count("pk", distinct=True, filter=Q(breaches__isnull=False)))
        )
        assert order_selectors.order_counts_for_offender(cluster) == (orm["n"], orm["breached"])
    assert order_selectors.order_counts_for_offender(registry["cases"][0].offender.cluster_id) == (1, 1)
    assert order_selectors.order_counts_for_offender(None) == (0, 0)


def test_the_audit_row_written_by_hand_is_the_row_the_sealer_reads(registry):
    unit = Unit.objects.get(pk=registry["ours"].unit_id)
    before = clock.now()
    row = audit_record(actor=registry["ours"], action=AuditAction.READ, target_type="case", target_id=42, count=3, term="Сапарова")
    stored = AuditEvent.objects.get(pk=row.pk)
    _same(row, stored)
    assert (stored.actor_id, stored.actor_unit_id, stored.action, stored.target_id, stored.count) == (registry["ours"].pk, unit.pk, "read", "42", 3)
    assert stored.at >= before and stored.at.tzinfo is not None and stored.chain_pos is None
    assert "Сапарова" not in stored.term_hash



def test_the_case_detail_serialised_once_is_the_json_ninja_writes(registry):
    """``core.api_json``: the API's case detail is the same JSON ninja's own pass would give."""
    import json

    from django.test import Client
    from ninja.responses import NinjaJSONEncoder

    from qorgau.cases.access import case_get_for
    from qorgau.cases.api import _case_out
    from tests.conftest import sign_in

    client = sign_in(Client(), registry["ours"])
    case = registry["cases"][0]
    response = client.get(f"/api/v1/cases/{case.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    got = response.json()
    read, viewer = case_get_for(registry["ours"], case.pk)
    built = _case_out(read, viewer, registry["ours"])
    assert got == json.loads(json.dumps(built.model_dump(), cls=NinjaJSONEncoder))
    assert got["timeline"] and got["reports"] and got["workers"]  # times in every nested kind
    assert got["victim"]["full_name"] == "Сапарова Айгерим"


@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 27, 10, 0, 5, 123456, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 27, 10, 0, 5, 999, tzinfo=dt.timezone(dt.timedelta(hours=5))),
    ],
)
def test_a_time_is_written_as_djangos_encoder_writes_it(value):
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    from qorgau.core.api_json import ninja_time

    assert ninja_time(value) == json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def test_a_model_that_something_listens_to_is_made_by_from_db():
    """``Shape.made`` skips ``Model.__init__``; where a receiver of ``post_init`` would miss that, the
    shape falls back to ``Model.from_db``."""
    from django.db.models.signals import post_init

    from qorgau.core import sql_reads

    def heard(sender: Any, **kw: Any) -> None:
        return None

    assert sql_reads._plain(Unit)
    post_init.connect(heard, sender=Unit)
    try:
        assert not sql_reads._plain(Unit)
    finally:
        post_init.disconnect(heard, sender=Unit)
    assert sql_reads._plain(Unit)
