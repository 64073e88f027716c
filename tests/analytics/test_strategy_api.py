"""The strategy's API: measures with financing totals, financing lines (409 on a stale version),
campaigns and grants; the same refusals as the pages; other roles 403, no session 401."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from qorgau.accounts.roles import Role
from qorgau.analytics.models import Financing, StrategyMeasure
from qorgau.core.models import AuditEvent
from tests.analytics import support_c
from tests.conftest import sign_in

analyst = support_c.analyst  # fixture

BASE = "/api/v1/analytics/strategy"
MEASURE = {
    "code": "police-orders",
    "area": "protection",
    "indicator": "orders",
    "name_kk": "Қорғау нұсқамалары",
    "name_ru": "Защитные предписания",
    "name_en": "Protective orders",
    "starts_on": "2025-01-01",
    "baseline": 40,
    "target": 60,
    "target_year": 2027,
}


@pytest.fixture(autouse=True)
def _english(analyst):
    analyst.language = "en"
    analyst.save(update_fields=["language"])
    with translation.override("en"):
        yield


@pytest.fixture
def client(analyst) -> Client:
    return sign_in(Client(), analyst)


def _send(c: Client, method: str, url: str, data: dict[str, Any]) -> Any:
    return getattr(c, method)(url, data=json.dumps(data), content_type="application/json")


def test_measures_with_financing_totals(client):
    r = _send(client, "post", f"{BASE}/measures", MEASURE)
    assert r.status_code == 201
    m = r.json()
    assert (m["code"], m["version"], m["budget_total"]) == ("police-orders", 1, "0")
    line = _send(
        client, "post", f"{BASE}/measures/{m['id']}/financing", {"year": 2026, "budget": "1000.50", "spent": "1200"}
    )
    assert line.status_code == 201 and line.json()["overspent"] is True
    _send(client, "post", f"{BASE}/measures/{m['id']}/financing", {"year": 2026, "budget": "500", "region": "KZ-75"})
    [listed] = client.get(f"{BASE}/measures").json()
    assert Decimal(listed["budget_total"]) == Decimal("1500.50") and Decimal(listed["spent_total"]) == Decimal(1200)
    lines = client.get(f"{BASE}/financing", {"year": 2026}).json()
    assert sorted(x["region"] for x in lines) == ["", "KZ-75"]
    assert client.get(f"{BASE}/financing", {"year": 2025}).json() == []
    assert client.get(f"{BASE}/financing", {"year": "soon"}).status_code == 422
    assert AuditEvent.objects.filter(target_type="strategy_financing").count() == 2


def test_refusals_come_back_per_field(client):
    r = _send(
        client,
        "post",
        f"{BASE}/measures",
        {**MEASURE, "indicator": "happiness", "name_kk": " ", "ends_on": "2024-01-01"},
    )
    assert r.status_code == 422 and set(r.json()["fields"]) == {"indicator", "name_kk", "ends_on"}
    r = _send(client, "post", f"{BASE}/measures", {**MEASURE, "target_year": 2099, "area": "sports"})
    assert r.status_code == 422 and StrategyMeasure.objects.count() == 0
    m = _send(client, "post", f"{BASE}/measures", MEASURE).json()
    dup = _send(client, "post", f"{BASE}/measures", MEASURE)
    assert dup.status_code == 422 and "code" in dup.json()["fields"]
    neg = _send(client, "post", f"{BASE}/measures/{m['id']}/financing", {"year": 2026, "budget": "-1"})
    assert neg.status_code == 422
    assert _send(client, "post", f"{BASE}/measures/999999/financing", {"year": 2026, "budget": "1"}).status_code == 404
    bad_region = _send(
        client, "post", f"{BASE}/measures/{m['id']}/financing", {"year": 2026, "budget": "1", "region": "KZ-00"}
    )
    assert bad_region.status_code == 422 and "region" in bad_region.json()["fields"]
    assert client.post(f"{BASE}/measures", data="{", content_type="application/json").status_code == 422


def test_updates_check_the_version(client):
    m = _send(client, "post", f"{BASE}/measures", MEASURE).json()
    ok = _send(client, "put", f"{BASE}/measures/{m['id']}", {**MEASURE, "target": 70, "version": 1})
    assert ok.status_code == 200 and (ok.json()["target"], ok.json()["version"]) == (70.0, 2)
    stale = _send(client, "put", f"{BASE}/measures/{m['id']}", {**MEASURE, "target": 10, "version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "conflict"
    line = _send(client, "post", f"{BASE}/measures/{m['id']}/financing", {"year": 2026, "budget": "100"}).json()
    assert (
        _send(
            client, "put", f"{BASE}/financing/{line['id']}", {"year": 2026, "budget": "200", "version": 1}
        ).status_code
        == 200
    )
    assert (
        _send(
            client, "put", f"{BASE}/financing/{line['id']}", {"year": 2026, "budget": "300", "version": 1}
        ).status_code
        == 409
    )
    assert Financing.objects.get().budget == Decimal(200)
    assert client.get(f"{BASE}/measures/{2**62}").status_code == 404


def test_campaigns_and_grants(client):
    c = _send(
        client,
        "post",
        f"{BASE}/campaigns",
        {"title": "Ты не одна", "channel": "online", "started_on": "2026-03-01", "reach": 3100000, "cost": "12000000"},
    )
    assert c.status_code == 201 and c.json()["reach"] == 3100000
    assert (
        _send(
            client, "post", f"{BASE}/campaigns", {"title": "X", "channel": "radio", "started_on": "2026-03-01"}
        ).status_code
        == 422
    )
    assert [x["title"] for x in client.get(f"{BASE}/campaigns").json()] == ["Ты не одна"]
    g = _send(
        client,
        "post",
        f"{BASE}/grants",
        {"grantee": "ОФ", "purpose": "Приют", "amount": "0", "awarded_on": "2026-01-01"},
    )
    assert g.status_code == 422
    g = _send(
        client,
        "post",
        f"{BASE}/grants",
        {"grantee": "ОФ", "purpose": "Приют", "amount": "48000000", "awarded_on": "2026-01-01", "measure_id": 999999},
    )
    assert g.status_code == 422 and "measure" in g.json()["fields"]
    g = _send(
        client,
        "post",
        f"{BASE}/grants",
        {"grantee": "ОФ", "purpose": "Приют", "amount": "48000000", "awarded_on": "2026-01-01"},
    )
    assert g.status_code == 201 and Decimal(client.get(f"{BASE}/grants").json()[0]["amount"]) == Decimal(48000000)


@pytest.mark.parametrize("role", [Role.POLICE_INSPECTOR, Role.ADMINISTRATOR])
def test_other_roles_and_no_session(make_user, role):
    c = sign_in(Client(), make_user(role))
    assert c.get(f"{BASE}/measures").status_code == 403
    assert _send(c, "post", f"{BASE}/measures", MEASURE).status_code == 403
    assert (
        _send(
            c, "post", f"{BASE}/grants", {"grantee": "ОФ", "purpose": "П", "amount": "1", "awarded_on": "2026-01-01"}
        ).status_code
        == 403
    )
    assert Client().get(f"{BASE}/measures").status_code == 401
    assert StrategyMeasure.objects.count() == 0


def test_the_api_channels_mirror_the_model():
    from qorgau.analytics.api_strategy import StrategyChannel
    from qorgau.analytics.models import CampaignChannel

    assert [c.value for c in StrategyChannel] == list(CampaignChannel.values)
