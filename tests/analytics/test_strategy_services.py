"""The strategy's services and selectors: validation, audit in the same transaction, stale versions,
refusals for roles other than the analyst, money read and written as people type it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from qorgau.accounts.roles import Role
from qorgau.analytics import selectors_strategy as selectors
from qorgau.analytics import services_strategy as services
from qorgau.analytics.forms_strategy import parse_money
from qorgau.analytics.models import Financing, StrategyMeasure
from qorgau.core.errors import Conflict, Forbidden, Invalid, NotFound
from qorgau.core.models import AuditEvent
from tests.analytics import support_c
from tests.analytics.support_c import financing_input, measure_input

analyst, measure = support_c.analyst, support_c.measure  # fixtures


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _audits(target_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(target_type=target_type).order_by("id"))


def test_measure_created_and_audited(analyst):
    m = services.measure_create(actor=analyst, data=measure_input(code="Shelter-Beds ", name_ru="  Приют  "))
    assert (m.code, m.name_ru, m.version, m.created_by_id) == ("shelter-beds", "Приют", 1, analyst.pk)
    [row] = _audits("strategy_measure")
    assert (row.action, row.target_id, row.actor_id, row.outcome) == ("write", str(m.pk), analyst.pk, "created")


def test_measure_refusals_are_collected_per_field(analyst):
    with pytest.raises(Invalid) as caught:
        services.measure_create(
            actor=analyst,
            data=measure_input(
                code="школа",
                name_kk=" ",
                indicator="happiness",
                target_year=2050,
                starts_on=date(2026, 1, 1),
                ends_on=date(2025, 1, 1),
                baseline=-1.0,
                area="sports",
            ),
        )
    fields = caught.value.fields
    assert set(fields) == {"code", "name_kk", "indicator", "target_year", "ends_on", "baseline", "area"}
    assert StrategyMeasure.objects.count() == 0 and not _audits("strategy_measure")


def test_measure_needs_every_name_and_a_target_year(analyst):
    with pytest.raises(Invalid) as caught:
        services.measure_create(actor=analyst, data=measure_input(name_en="", name_ru="", target_year=None))
    assert set(caught.value.fields) == {"name_en", "name_ru", "target_year"}


def test_measure_code_is_unique(analyst, measure):
    with pytest.raises(Invalid) as caught:
        services.measure_create(actor=analyst, data=measure_input(code="SHELTER-BEDS"))
    assert "code" in caught.value.fields


def test_measure_update_bumps_version_and_refuses_stale(analyst, measure):
    updated = services.measure_update(actor=analyst, measure_id=measure.pk, version=1, data=measure_input(target=95.0))
    assert (updated.version, updated.target) == (2, 95.0) and updated.changed_at is not None
    assert [a.outcome for a in _audits("strategy_measure")] == ["created", "edited"]
    with pytest.raises(Conflict):
        services.measure_update(actor=analyst, measure_id=measure.pk, version=1, data=measure_input(target=10.0))
    measure.refresh_from_db()
    assert measure.target == 95.0 and len(_audits("strategy_measure")) == 2
    with pytest.raises(NotFound):
        services.measure_update(actor=analyst, measure_id=2**70, version=1, data=measure_input())


@pytest.mark.parametrize("role", [Role.POLICE_INSPECTOR, Role.ADMINISTRATOR, Role.SOCIAL_WORKER])
def test_other_roles_may_not_write_or_read(make_user, measure, role):
    user = make_user(role)
    with pytest.raises(Forbidden):
        services.measure_create(actor=user, data=measure_input(code="other"))
    with pytest.raises(Forbidden):
        services.financing_create(actor=user, measure_id=measure.pk, data=financing_input())
    with pytest.raises(Forbidden):
        services.measure_update(actor=user, measure_id=measure.pk, version=1, data=measure_input())
    with pytest.raises(Forbidden):
        selectors.measures_list(user)
    with pytest.raises(Forbidden):
        selectors.measure_get(user, measure.pk)
    assert StrategyMeasure.objects.count() == 1


def test_financing_validation_and_overspend(analyst, measure):
    with pytest.raises(Invalid) as caught:
        services.financing_create(
            actor=analyst,
            measure_id=measure.pk,
            data=financing_input(budget=Decimal(-1), spent=Decimal("1.001"), year=2019, region="KZ-00"),
        )
    assert set(caught.value.fields) == {"budget", "spent", "year", "region"}
    # Spending above the budget is allowed: it is shown in red, not refused.
    line = services.financing_create(
        actor=analyst, measure_id=measure.pk, data=financing_input(budget=Decimal(100), spent=Decimal(150))
    )
    assert line.spent > line.budget
    # One line per measure, year and place; national and regional lines live side by side.
    with pytest.raises(Invalid) as caught:
        services.financing_create(actor=analyst, measure_id=measure.pk, data=financing_input())
    assert "year" in caught.value.fields
    regional = services.financing_create(actor=analyst, measure_id=measure.pk, data=financing_input(region="KZ-75"))
    assert regional.region_id == "KZ-75" and Financing.objects.count() == 2
    assert [a.outcome for a in _audits("strategy_financing")] == ["created", "created"]
    with pytest.raises(NotFound):
        services.financing_create(actor=analyst, measure_id=999999, data=financing_input())


def test_financing_update_refuses_a_twin_and_a_stale_version(analyst, measure):
    national = services.financing_create(actor=analyst, measure_id=measure.pk, data=financing_input())
    regional = services.financing_create(actor=analyst, measure_id=measure.pk, data=financing_input(region="KZ-75"))
    with pytest.raises(Invalid):
        services.financing_update(actor=analyst, financing_id=regional.pk, version=1, data=financing_input(region=""))
    saved = services.financing_update(
        actor=analyst, financing_id=national.pk, version=1, data=financing_input(spent=Decimal(7))
    )
    assert (saved.version, saved.spent) == (2, Decimal(7))
    with pytest.raises(Conflict):
        services.financing_update(
            actor=analyst, financing_id=national.pk, version=1, data=financing_input(spent=Decimal(9))
        )
    national.refresh_from_db()
    assert national.spent == Decimal(7)


def test_campaign_and_grant(analyst, measure):
    with pytest.raises(Invalid) as caught:
        services.campaign_create(
            actor=analyst,
            data=services.CampaignInput(
                title="",
                channel="radio",
                started_on=date(2026, 5, 1),
                ended_on=date(2026, 4, 1),
                reach=-5,
                cost=Decimal(-1),
                measure_id=424242,
            ),
        )
    assert set(caught.value.fields) == {"title", "channel", "ended_on", "reach", "cost", "measure"}
    c = services.campaign_create(
        actor=analyst,
        data=services.CampaignInput(
            title="Ты не одна",
            channel="television",
            started_on=date(2026, 3, 1),
            reach=1000,
            region="KZ-75",
            measure_id=measure.pk,
        ),
    )
    c2 = services.campaign_update(
        actor=analyst,
        campaign_id=c.pk,
        version=1,
        data=services.CampaignInput(title="Ты не одна", channel="online", started_on=date(2026, 3, 1), reach=2000),
    )
    assert (c2.version, c2.reach, c2.region_id, c2.measure_id) == (2, 2000, None, None)
    with pytest.raises(Invalid) as caught:
        services.grant_create(
            actor=analyst,
            data=services.GrantInput(grantee="ОФ", purpose="Приют", amount=Decimal(0), awarded_on=date(2026, 1, 1)),
        )
    assert set(caught.value.fields) == {"amount"}
    g = services.grant_create(
        actor=analyst,
        data=services.GrantInput(
            grantee="ОФ", purpose="Приют", amount=Decimal("15000000"), awarded_on=date(2026, 1, 1)
        ),
    )
    with pytest.raises(Conflict):
        services.grant_update(
            actor=analyst,
            grant_id=g.pk,
            version=3,
            data=services.GrantInput(grantee="ОФ", purpose="Приют", amount=Decimal(1), awarded_on=date(2026, 1, 1)),
        )
    assert [a.outcome for a in _audits("strategy_campaign")] == ["created", "edited"]
    assert [a.outcome for a in _audits("strategy_grant")] == ["created"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 500 000", Decimal(1500000)),
        ("1\u00a0500\u00a0000,50", Decimal("1500000.50")),
        ("1,500,000.5", Decimal("1500000.5")),
        ("1.500.000,25", Decimal("1500000.25")),
        ("2500,5", Decimal("2500.5")),
        ("1,500", Decimal(1500)),
        ("12", Decimal(12)),
        ("abc", None),
        ("1e9", None),
        ("", None),
        ("--5", None),
    ],
)
def test_money_as_typed(raw, expected):
    assert parse_money(raw) == expected


def test_tenge_grouped_by_language():
    with translation.override("ru"):
        assert selectors.tenge(Decimal("1500000.49")) == "1\u00a0500\u00a0000"
    with translation.override("en"):
        assert selectors.tenge(1500000) == "1,500,000"
    assert selectors.tenge(None) == "—"


def test_progress_towards_a_target_either_way():
    assert selectors.progress(60.0, 90.0, 75.0) == pytest.approx(50.0)
    assert selectors.progress(48.0, 24.0, 36.0) == pytest.approx(50.0)  # a target below the baseline
    assert selectors.progress(48.0, 24.0, 60.0) == pytest.approx(-50.0)  # moved away from it
    assert selectors.progress(None, 24.0, 30.0) is None and selectors.progress(5.0, 5.0, 5.0) is None


def test_overview_money_by_measure_and_region(analyst, measure):
    other = services.measure_create(
        actor=analyst, data=measure_input(code="schools", area="education", indicator="repeat_rate")
    )
    services.financing_create(
        actor=analyst, measure_id=measure.pk, data=financing_input(budget=Decimal(1000), spent=Decimal(1200))
    )
    services.financing_create(
        actor=analyst,
        measure_id=measure.pk,
        data=financing_input(budget=Decimal(500), spent=Decimal(100), region="KZ-75"),
    )
    services.financing_create(
        actor=analyst, measure_id=other.pk, data=financing_input(budget=Decimal(300), spent=Decimal(0), year=2025)
    )
    o = selectors.strategy_overview(analyst, today=date(2026, 11, 26))
    assert o.year == 2026 and o.total == selectors.Money(Decimal(1500), Decimal(1300))
    assert o.national == selectors.Money(Decimal(1000), Decimal(1200))
    lines = {line.measure.code: line for _area, lines in o.areas for line in lines}
    assert lines["shelter-beds"].money.overspent is False and lines["shelter-beds"].money.budget == Decimal(1500)
    assert lines["schools"].money == selectors.Money(Decimal(0), Decimal(0))  # its money is in 2025
    almaty = next(r for r in o.regions if r.iso == "KZ-75")
    assert almaty.money == selectors.Money(Decimal(500), Decimal(100)) and len(o.regions) == 20
    assert almaty.per_person == pytest.approx(500 / almaty.population)
    earlier = selectors.strategy_overview(analyst, today=date(2026, 11, 26), year=2025)
    assert earlier.total == selectors.Money(Decimal(300), Decimal(0))


def test_demo_strategy_is_complete_and_idempotent(analyst):
    from qorgau.analytics.demo_strategy import strategy_demo
    from qorgau.analytics.models import Campaign, NgoGrant

    line = strategy_demo(analyst)
    assert line.startswith("Strategy: 8 measures, ") and Campaign.objects.count() == 6 and NgoGrant.objects.count() == 5
    assert set(StrategyMeasure.objects.values_list("area", flat=True)) == {
        "prevention",
        "education",
        "protection",
        "support",
        "justice",
        "coordination",
    }
    assert (
        Financing.objects.filter(region__isnull=False).exists()
        and Financing.objects.filter(region__isnull=True).exists()
    )
    assert all(m.name_kk != m.name_ru and m.name_ru != m.name_en for m in StrategyMeasure.objects.all())
    assert strategy_demo(analyst) == line  # a second run adds nothing
