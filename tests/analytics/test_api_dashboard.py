"""The analytics API: the indicators' definitions and a dashboard view as JSON, suppressed cells null
with ``suppressed: true``, bad filters 422 with field messages, and analysts only."""

from __future__ import annotations

import pytest
from django.test import Client

from qorgau.accounts.roles import Role
from qorgau.analytics.indicators import INDICATORS
from tests.analytics.support_b import ALMATY_REPORTS, PARTNER, SMALL, TOTAL, picture
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_(reference, frozen_now, analyst) -> Client:
    picture()
    return sign_in(Client(), analyst)


def test_the_indicators_in_display_order(client_):
    r = client_.get("/api/v1/analytics/indicators")
    assert r.status_code == 200
    body = r.json()
    assert [i["code"] for i in body] == list(INDICATORS)
    reports = body[0]
    assert reports["kind"] == "count" and reports["per_100k"] is True and reports["label"] and reports["help"]
    assert next(i for i in body if i["code"] == "shelter_occupancy")["live"] is True


def test_the_view_has_suppressed_cells_as_null(client_):
    r = client_.get("/api/v1/analytics/view", {"indicators": ["reports", "deaths"]})
    assert r.status_code == 200
    body = r.json()
    assert body["indicators"] == ["reports", "deaths"]
    assert body["filters"] == {
        "start": "2025-06-01",
        "end": "2026-05-01",
        "region": "",
        "district": "",
        "urban": None,
        "breakdown": "",
    }
    rows = {row["key"]: row for row in body["rows"]}
    assert len(rows) == 20
    assert rows["KZ-75"]["cells"]["reports"]["value"] == ALMATY_REPORTS
    assert rows["KZ-75"]["cells"]["reports"]["rate"] > 0
    for key in (SMALL, PARTNER):
        assert rows[key]["cells"]["reports"] == {"value": None, "suppressed": True, "rate": None}
    assert body["total"]["cells"]["reports"]["value"] == TOTAL
    months = {m["month"]: m for m in body["series"]["reports"]}
    assert len(months) == 12 and months["2026-03-01"]["value"] == 12
    assert months["2026-01-01"] == {"month": "2026-01-01", "value": None, "suppressed": True, "rate": None}
    assert body["notices"] and body["as_of"].startswith("2026-06-15") and body["empty"] is False


def test_the_view_of_a_region_and_of_an_empty_period(client_):
    body = client_.get("/api/v1/analytics/view", {"region": "KZ-75", "indicators": "reports"}).json()
    assert {row["key"] for row in body["rows"]} >= {"751110000", "751210000"}
    assert body["total"]["key"] == "KZ-75" and body["total"]["cells"]["reports"]["value"] == ALMATY_REPORTS
    empty = client_.get("/api/v1/analytics/view", {"start": "2020-01", "end": "2020-06"}).json()
    assert empty["empty"] is True and empty["notices"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-13"}, "start"),
        ({"start": "2026-03", "end": "2026-01"}, "end"),
        ({"region": "KZ-99"}, "region"),
        ({"region": "KZ-75", "district": "751110000", "breakdown": "form:physical"}, "breakdown"),
        ({"urban": "city"}, "urban"),
        ({"indicators": ["reports", "nonsense"]}, "indicators"),
    ],
)
def test_bad_filters_are_422_with_the_field(client_, params, field):
    r = client_.get("/api/v1/analytics/view", params)
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid" and field in body["fields"]


def test_an_overlong_parameter_is_422_not_500(client_):
    r = client_.get("/api/v1/analytics/view", {"region": "K" * 500})
    assert r.status_code == 422


def test_other_roles_and_visitors_are_refused(reference, frozen_now, make_user):
    picture()
    inspector = sign_in(Client(), make_user(Role.POLICE_INSPECTOR))
    assert inspector.get("/api/v1/analytics/view").status_code == 403
    assert inspector.get("/api/v1/analytics/indicators").status_code == 403
    assert Client().get("/api/v1/analytics/view").status_code == 401


def test_schema_names_are_prefixed(client_):
    schemas = client_.get("/api/v1/openapi.json").json()["components"]["schemas"]
    ours = [n for n in schemas if n.startswith("Analytics")]
    assert {"AnalyticsViewOut", "AnalyticsCellOut", "AnalyticsIndicatorOut"} <= set(ours)
