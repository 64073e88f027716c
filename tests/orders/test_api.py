"""Orders over the API: a case's orders, issuing one (field errors, never a 500), recording a breach."""

from __future__ import annotations

import pytest
from django.test import Client

from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.orders import services
from qorgau.orders.models import Order
from tests.conftest import sign_in
from tests.orders.support import make_cases

pytestmark = pytest.mark.django_db


def _post(c: Client, url: str, body: dict) -> object:
    return c.post(url, body, content_type="application/json")


def test_issue_list_and_breach(inspector, make_user, other_unit):
    case = make_cases(inspector)[0]
    c = sign_in(Client(), inspector)
    url = f"/api/v1/cases/{case.pk}/orders"
    body = {"kind": "police", "protected_ids": [case.victim_id], "starts_at": clock.now().isoformat(), "ban_contact": True}
    bad = _post(c, url, {**body, "ends_at": "2001-01-01T00:00:00+05:00", "reporting_per_month": 3})
    assert bad.status_code == 422 and set(bad.json()["fields"]) == {"ends_at", "reporting_per_month"}
    assert _post(c, url, {**body, "protected_ids": []}).status_code == 422
    assert _post(c, url, {**body, "court_reference": "x" * 61}).status_code == 422
    assert _post(c, url, {**body, "starts_at": "0001-01-01T00:00:00Z"}).status_code == 422
    created = _post(c, url, body)
    assert created.status_code == 201
    out = created.json()
    assert (out["kind"], out["status"], out["bans"], out["linked_cases"], out["breaches"]) == ("police", "issued", ["ban_contact"], 1, 0)
    listed = c.get(url).json()
    assert [o["id"] for o in listed] == [out["id"]]
    order = Order.objects.get()
    services.order_serve(actor=inspector, order=order, version=order.version)
    breach_url = f"/api/v1/orders/{order.pk}/breaches"
    assert _post(c, breach_url, {"occurred_at": clock.now().isoformat(), "what": "a\x00b"}).status_code == 422
    made = _post(c, breach_url, {"occurred_at": clock.now().isoformat(), "what": "phoned her 30 times", "source": "victim"})
    assert made.status_code == 201 and made.json()["what"] == "phoned her 30 times"
    stranger = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, unit=other_unit))
    assert stranger.get(url).status_code == 404
    assert _post(stranger, breach_url, {"occurred_at": clock.now().isoformat(), "what": "x"}).status_code == 404
    assert sign_in(Client(), make_user(Role.ANALYST)).get(url).status_code == 403


def test_a_social_worker_may_not_issue_over_the_api(inspector, make_user):
    case = make_cases(inspector)[0]
    c = sign_in(Client(), make_user(Role.SOCIAL_WORKER))
    r = _post(c, f"/api/v1/cases/{case.pk}/orders", {"kind": "police", "protected_ids": [case.victim_id], "starts_at": clock.now().isoformat(), "ban_contact": True})
    assert r.status_code == 403
