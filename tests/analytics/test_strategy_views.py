"""The strategy's pages: the overview and a measure's page for the analyst in Russian, forms that
show their errors (422), the conflict page on a stale edit (409), refusals for other roles."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from qorgau.accounts.roles import Role
from qorgau.analytics import services_strategy as services
from qorgau.analytics.models import Campaign, Financing, NgoGrant, StrategyMeasure
from qorgau.core.models import AuditEvent
from tests.analytics import support_c
from tests.analytics.support_c import financing_input, measure_input
from tests.conftest import sign_in

analyst, measure = support_c.analyst, support_c.measure  # fixtures

NBSP = "\u00a0"


@pytest.fixture
def client(analyst) -> Client:
    return sign_in(Client(), analyst)


def _measure_form(**kw: str) -> dict[str, str]:
    data = {
        "code": "school-lessons",
        "area": "education",
        "name_kk": "Мектептегі сабақтар",
        "name_ru": "Уроки в школах",
        "name_en": "Lessons in schools",
        "indicator": "repeat_rate",
        "baseline": "30,5",
        "target": "20",
        "target_year": "2030",
        "responsible": "",
        "starts_on": "2025-01-01",
        "ends_on": "",
    }
    data.update(kw)
    return data


def test_overview_in_russian_with_money_beside_outcomes(client, analyst, measure):
    services.financing_create(
        actor=analyst, measure_id=measure.pk, data=financing_input(budget=Decimal(1500000), spent=Decimal(1800000))
    )
    services.financing_create(
        actor=analyst,
        measure_id=measure.pk,
        data=financing_input(budget=Decimal(250000), spent=Decimal(0), region="KZ-75"),
    )
    services.campaign_create(
        actor=analyst,
        data=services.CampaignInput(
            title="Ты не одна", channel="television", started_on=measure.starts_on, reach=2400000
        ),
    )
    r = client.get("/analytics/strategy/", {"year": "2026"})
    html = r.content.decode()
    assert r.status_code == 200 and '<html lang="ru">' in html
    assert "Приют в каждом регионе" in html and "A shelter in every region" not in html
    assert f"1{NBSP}750{NBSP}000 ₸" in html  # the year's total budget, grouped as Russian writes it
    row = re.search(r'<tr data-measure="shelter-beds">.*?</tr>', html, re.S)
    assert row is not None and "flag-text" in row.group(0)  # 1.8 million spent of 1.5: shown in red
    almaty = re.search(r'<tr data-region="KZ-75">.*?</tr>', html, re.S)
    assert almaty is not None and f"250{NBSP}000" in almaty.group(0)
    assert f"2{NBSP}400{NBSP}000" in html and "Ты не одна" in html
    assert 'href="/analytics/strategy/measures/new/"' in html  # the analyst may enter the strategy


def test_overview_bad_filter_is_422_not_500(client):
    r = client.get("/analytics/strategy/", {"year": "1999", "indicator": "nonsense"})
    assert r.status_code == 422
    html = r.content.decode()
    assert html.count('class="field-error"') == 2


def test_measure_page_shows_financing_and_outcome(client, analyst, measure):
    line = services.financing_create(
        actor=analyst, measure_id=measure.pk, data=financing_input(budget=Decimal("1234567.89"))
    )
    r = client.get(f"/analytics/strategy/measures/{measure.pk}/")
    html = r.content.decode()
    assert r.status_code == 200 and "Приют в каждом регионе" in html
    assert f'data-financing="{line.pk}"' in html and f"1{NBSP}234{NBSP}568" in html
    assert f'href="/analytics/strategy/financing/{line.pk}/edit/"' in html
    assert client.get("/analytics/strategy/measures/999999/").status_code == 404
    assert client.get(f"/analytics/strategy/measures/{2**64}/").status_code == 404


def test_new_measure_saved_or_refused_with_messages(client, analyst):
    bad = client.post(
        "/analytics/strategy/measures/new/", _measure_form(name_kk="", indicator="x", target_year="2050", code="тест")
    )
    html = bad.content.decode()
    assert bad.status_code == 422 and StrategyMeasure.objects.count() == 0
    for name in ("name_kk", "indicator", "target_year"):
        assert f'data-testid="error-{name}"' in html
    r = client.post("/analytics/strategy/measures/new/", _measure_form())
    m = StrategyMeasure.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/analytics/strategy/measures/{m.pk}/"
    assert (m.baseline, m.target, m.indicator) == (30.5, 20.0, "repeat_rate")  # "30,5" as typed in Russian
    assert AuditEvent.objects.filter(target_type="strategy_measure", target_id=str(m.pk), outcome="created").exists()
    # The service's own refusal (a duplicate code) lands on the form too.
    again = client.post("/analytics/strategy/measures/new/", _measure_form())
    assert again.status_code == 422 and 'data-testid="error-code"' in again.content.decode()


def test_stale_edit_gets_the_conflict_page_and_can_be_reapplied(client, analyst, measure):
    url = f"/analytics/strategy/measures/{measure.pk}/edit/"
    assert client.get(url).status_code == 200
    services.measure_update(actor=analyst, measure_id=measure.pk, version=1, data=measure_input(target=95.0))
    r = client.post(url, _measure_form(code="shelter-beds", version="1", target="80"))
    html = r.content.decode()
    assert r.status_code == 409 and 'data-testid="conflict"' in html
    assert '<input type="hidden" name="version" value="2">' in html
    measure.refresh_from_db()
    assert measure.target == 95.0
    again = client.post(url, _measure_form(code="shelter-beds", version="2", target="80"))
    measure.refresh_from_db()
    assert again.status_code == 302 and (measure.target, measure.version) == (80.0, 3)


def test_financing_typed_in_tenge_and_edited(client, analyst, measure):
    url = f"/analytics/strategy/measures/{measure.pk}/financing/new/"
    r = client.post(
        url, {"year": "2026", "region": "KZ-75", "budget": "1 500 000,50", "spent": "2 000 000", "source": ""}
    )
    line = Financing.objects.get()
    assert r.status_code == 302 and (line.budget, line.spent, line.region_id) == (
        Decimal("1500000.50"),
        Decimal(2000000),
        "KZ-75",
    )
    bad = client.post(url, {"year": "2026", "region": "KZ-75", "budget": "много", "spent": ""})
    assert bad.status_code == 422 and 'data-testid="error-budget"' in bad.content.decode()
    twin = client.post(url, {"year": "2026", "region": "KZ-75", "budget": "1", "spent": ""})
    assert twin.status_code == 422 and 'data-testid="error-year"' in twin.content.decode()
    edit = f"/analytics/strategy/financing/{line.pk}/edit/"
    form = client.get(edit).content.decode()
    assert 'value="1500000.50"' in form  # reads back as it will be parsed
    assert (
        client.post(
            edit, {"year": "2026", "region": "KZ-75", "budget": "1500000.50", "spent": "10", "version": "1"}
        ).status_code
        == 302
    )
    assert (
        client.post(edit, {"year": "2026", "region": "KZ-75", "budget": "1", "spent": "1", "version": "1"}).status_code
        == 409
    )
    line.refresh_from_db()
    assert line.spent == Decimal(10)


def test_campaign_and_grant_forms(client, analyst, measure):
    r = client.post(
        "/analytics/strategy/campaigns/new/",
        {
            "title": "Ты не одна",
            "channel": "television",
            "measure": str(measure.pk),
            "region": "",
            "started_on": "2026-03-01",
            "ended_on": "2026-02-01",
            "reach": "1000",
            "cost": "0",
        },
    )
    assert r.status_code == 422 and 'data-testid="error-ended_on"' in r.content.decode()
    r = client.post(
        "/analytics/strategy/campaigns/new/",
        {
            "title": "Ты не одна",
            "channel": "television",
            "measure": str(measure.pk),
            "region": "",
            "started_on": "2026-03-01",
            "reach": "1000",
            "cost": "2 500 000",
        },
    )
    c = Campaign.objects.get()
    assert r.status_code == 302 and (c.cost, c.measure_id) == (Decimal(2500000), measure.pk)
    assert client.get(f"/analytics/strategy/campaigns/{c.pk}/edit/").status_code == 200
    r = client.post(
        "/analytics/strategy/grants/new/",
        {"grantee": "ОФ «Ана үйі»", "purpose": "Приют", "amount": "0", "awarded_on": "2026-01-01"},
    )
    assert r.status_code == 422 and NgoGrant.objects.count() == 0
    r = client.post(
        "/analytics/strategy/grants/new/",
        {"grantee": "ОФ «Ана үйі»", "purpose": "Приют", "amount": "15 000 000", "awarded_on": "2026-01-01"},
    )
    g = NgoGrant.objects.get()
    assert r.status_code == 302 and g.amount == Decimal(15000000)
    stale = client.post(
        f"/analytics/strategy/grants/{g.pk}/edit/",
        {"grantee": "ОФ", "purpose": "Приют", "amount": "1", "awarded_on": "2026-01-01", "version": "7"},
    )
    assert stale.status_code == 409
    assert client.get("/analytics/strategy/grants/999999/edit/").status_code == 404


@pytest.mark.parametrize("role", [Role.POLICE_INSPECTOR, Role.ADMINISTRATOR, Role.PLACEMENT_COORDINATOR])
def test_other_roles_get_403(make_user, measure, role):
    c = sign_in(Client(), make_user(role))
    for url in (
        "/analytics/strategy/",
        f"/analytics/strategy/measures/{measure.pk}/",
        "/analytics/strategy/measures/new/",
        f"/analytics/strategy/measures/{measure.pk}/edit/",
        "/analytics/strategy/grants/new/",
    ):
        assert c.get(url).status_code == 403, url
    assert c.post("/analytics/strategy/measures/new/", _measure_form()).status_code == 403
    assert StrategyMeasure.objects.count() == 1


def test_anonymous_is_sent_to_sign_in(db):
    r = Client().get("/analytics/strategy/")
    assert r.status_code == 302 and "/login/" in r["Location"]


def test_a_small_outcome_stays_hidden_on_the_strategy_pages(world, analyst, measure):
    """Outcomes come through the suppressed selectors: 3 reports nationally are "hidden", 43 are shown."""
    from qorgau.analytics.refresh import tallies_refresh
    from tests.analytics.conftest import at

    world.reports(3, at(2026, 3))
    tallies_refresh(full=True)
    c = sign_in(Client(), analyst)
    html = c.get(f"/analytics/strategy/measures/{measure.pk}/").content.decode()
    now = re.search(r'data-testid="now">(.*?)</dd>', html, re.S)
    assert now is not None and 'class="suppressed"' in now.group(1) and 'data-testid="progress"' not in html
    row = re.search(r'<tr data-measure="shelter-beds">.*?</tr>', c.get("/analytics/strategy/").content.decode(), re.S)
    assert row is not None and 'class="suppressed"' in row.group(0)
    world.reports(40, at(2026, 4))
    tallies_refresh(full=True)
    html = c.get(f"/analytics/strategy/measures/{measure.pk}/").content.decode()
    now = re.search(r'data-testid="now">(.*?)</dd>', html, re.S)
    assert (
        now is not None and "suppressed" not in now.group(1) and re.search(r"\d,\d", now.group(1))
    )  # a rate, in Russian
