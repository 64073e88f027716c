"""Orders' pages: the case card, issuing (field errors with what was typed kept), the order page's
lifecycle and breaches, the conflict page, the print without her address, court pages, the gate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.test import Client

from qorgau.accounts.access import viewer_for
from qorgau.accounts.masks import Scope
from qorgau.accounts.roles import Role
from qorgau.core import clock
from qorgau.orders import services
from qorgau.orders.models import Breach, CourtDecision, Order, OrderStatus, SpecialisedCourt
from qorgau.orders.views import orders_context
from tests.conftest import sign_in
from tests.orders.support import court_input, court_unit, grant, make_cases, police_input

pytestmark = pytest.mark.django_db

LOCAL = "%Y-%m-%dT%H:%M"


def _local(at) -> str:
    return clock.local(at, "Asia/Almaty").strftime(LOCAL)


@pytest.fixture
def case(inspector):
    return make_cases(inspector)[0]


@pytest.fixture
def order(inspector, case):
    now = clock.now()
    o = services.order_issue(actor=inspector, case=case, data=police_input(case, starts_at=now - timedelta(hours=1)))
    return services.order_serve(actor=inspector, order=o, version=o.version, served_at=now - timedelta(minutes=30))


def test_the_case_card(inspector, case, order):
    ctx = orders_context(inspector, case, viewer_for(inspector, scope=Scope.FULL))
    assert all(k.startswith("orders_") for k in ctx)
    assert (ctx["orders_can_issue"], ctx["orders_can_record_breach"], ctx["orders_can_record_court"], ctx["orders_in_force"]) == (True, True, False, 1)
    html = render_to_string("orders/_case_orders.html", {"case": case, **ctx})
    assert order.number in html and 'data-testid="order-issue"' in html and 'data-testid="court-decision"' not in html


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_pages_render_in_every_language(inspector, case, order, make_user, language):
    inspector.language = language
    inspector.save()
    c = sign_in(Client(), inspector)
    for url in (f"/orders/case/{case.pk}/new/", f"/orders/{order.pk}/", f"/orders/{order.pk}/print/?lang={language}"):
        r = c.get(url)
        assert r.status_code == 200, url
    unit = court_unit()
    SpecialisedCourt.objects.create(unit=unit)
    grant(case, unit)
    judge = make_user(Role.JUDGE, unit=unit, language=language)
    jc = sign_in(Client(), judge)
    assert jc.get(f"/orders/case/{case.pk}/court/").status_code == 200
    docket = jc.get("/orders/docket/")
    assert docket.status_code == 200 and 'data-testid="specialised"' in docket.content.decode()


def test_issue_keeps_what_was_typed_on_errors(inspector, case):
    c = sign_in(Client(), inspector)
    now = clock.now()
    bad = c.post(f"/orders/case/{case.pk}/new/", {
        "kind": "police", "protected": [str(case.victim_id)], "starts_at": _local(now), "ends_at": _local(now + timedelta(days=40)),
        "ban_weapons": "on", "court_reference": "typed by me",
    })
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "For this kind of order the law allows" in html or "ends_at" in str(bad.context["form"].errors)
    assert "ends_at" in bad.context["form"].errors and 'value="typed by me"' in html
    garbage = c.post(f"/orders/case/{case.pk}/new/", {"kind": "nonsense", "protected": ["x"], "starts_at": "yesterday", "reporting_per_month": "9"})
    assert garbage.status_code == 422
    assert {"kind", "protected", "starts_at", "reporting_per_month"} <= set(garbage.context["form"].errors)
    ok = c.post(f"/orders/case/{case.pk}/new/", {"kind": "police", "protected": [str(case.victim_id)], "starts_at": _local(now), "ban_contact": "on"})
    assert ok.status_code == 302
    assert Order.objects.get().ban_contact


def test_breach_and_lifecycle_on_the_order_page(inspector, order):
    c = sign_in(Client(), inspector)
    url = f"/orders/{order.pk}/"
    bad = c.post(url, {"action": "breach", "occurred_at": "", "what": "he came"})
    assert bad.status_code == 422 and "occurred_at" in bad.context["breach_form"].errors
    assert "he came" in bad.content.decode()
    ok = c.post(url, {"action": "breach", "occurred_at": _local(clock.now() - timedelta(minutes=5)), "what": "he came", "source": "victim"})
    assert ok.status_code == 302 and Breach.objects.count() == 1
    stale = c.post(url, {"action": "revoke", "version": str(order.version - 1), "reason": "she moved to another city"})
    assert stale.status_code == 409 and 'data-testid="conflict"' in stale.content.decode()
    done = c.post(url, {"action": "revoke", "version": str(order.version), "reason": "she moved to another city"})
    assert done.status_code == 302 and Order.objects.get().status == OrderStatus.REVOKED
    assert c.post(url, {"action": "nonsense"}).status_code == 422


def test_checkins_attended_button(inspector, case, make_user):
    unit = court_unit()
    grant(case, unit)
    judge = make_user(Role.JUDGE, unit=unit)
    o = services.order_issue(actor=judge, case=case, data=court_input(case))
    c = sign_in(Client(), inspector)
    page = c.get(f"/orders/{o.pk}/").content.decode()
    first = o.checkins.order_by("due_on").first()
    assert f'data-testid="attended-{first.pk}"' in page
    assert c.post(f"/orders/{o.pk}/", {"action": "checkin", "checkin": str(first.pk)}).status_code == 302
    first.refresh_from_db()
    assert first.attended_at is not None
    assert c.post(f"/orders/{o.pk}/", {"action": "checkin", "checkin": "999999"}).status_code == 404


def test_print_names_him_and_the_bans_but_not_her_address(inspector, order):
    c = sign_in(Client(), inspector)
    for lang, word in (("kk", "461"), ("ru", "статья 461"), ("en", "art. 461")):
        r = c.get(f"/orders/{order.pk}/print/?lang={lang}")
        html = r.content.decode()
        assert r.status_code == 200 and r["Content-Language"] == lang
        assert "Сапаров Ерлан" in html and word in html
        assert "Абая 10" not in html and "701 111 22 33" not in html
    assert "Сапарова Айгерим" in c.get(f"/orders/{order.pk}/print/?lang=en").content.decode()


def test_another_units_user_gets_404(order, case, make_user, other_unit):
    c = sign_in(Client(), make_user(Role.POLICE_INSPECTOR, unit=other_unit))
    for url in (f"/orders/{order.pk}/", f"/orders/{order.pk}/print/", f"/orders/case/{case.pk}/new/", f"/orders/case/{case.pk}/court/"):
        assert c.get(url).status_code == 404, url


def test_court_decision_form(inspector, case, make_user):
    unit = court_unit()
    grant(case, unit)
    c = sign_in(Client(), make_user(Role.COURT_CLERK, unit=unit))
    bad = c.post(f"/orders/case/{case.pk}/court/", {"kind": "acquittal", "decided_on": "32.13.2025", "reference": "typed-ref"})
    assert bad.status_code == 422 and "decided_on" in bad.context["form"].errors and "typed-ref" in bad.content.decode()
    today = clock.local(clock.now(), unit.timezone).date().isoformat()
    ok = c.post(f"/orders/case/{case.pk}/court/", {"kind": "acquittal", "decided_on": today, "reference": "1-9/2025"})
    assert ok.status_code == 302 and CourtDecision.objects.get().court_unit_id == unit.pk
    # the inspector may read the court page (criminal cases) but records no court decision
    police = sign_in(Client(), inspector)
    assert police.get(f"/orders/case/{case.pk}/court/").status_code == 200
    assert police.post(f"/orders/case/{case.pk}/court/", {"kind": "acquittal", "decided_on": today, "reference": "1-10/2025"}).status_code == 403
