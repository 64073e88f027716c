"""Figures: counts by kind and status, repeat incidents with and without completed economic support,
and the page's small-cell suppression."""

from __future__ import annotations

import datetime as dt

import pytest

from qorgau.cases.models import Incident
from qorgau.core import clock
from qorgau.support.selectors import cell, repeat_after_support, share, support_figures
from qorgau.support.services import referral_move, today_for
from tests.conftest import sign_in
from tests.protocols.support import make_case
from tests.support.builders import make_programme, refer

pytestmark = pytest.mark.django_db


def _complete(provider, r, *, started: dt.date, outcome: str = "employed"):
    r = referral_move(actor=provider, referral_id=r.pk, version=r.version, to="accepted", on=started)
    r = referral_move(actor=provider, referral_id=r.pk, version=r.version, to="started", on=started)
    return referral_move(actor=provider, referral_id=r.pk, version=r.version, to="completed", on=started, outcome=outcome)


def _incident_after(case, days: int):
    first = case.incidents.order_by("occurred_at").first()
    later = Incident.objects.create(occurred_at=clock.now() - dt.timedelta(days=days), region_id=first.region_id, urban=True, physical=True,
                                    created_at=clock.now())
    case.incidents.add(later)


def test_cell_and_share_suppress_small_numbers():
    assert [cell(n) for n in (0, 4, 5, 12)] == ["<5", "<5", "5", "12"]
    assert share(3, 20) == "—" and share(18, 20) == "—" and share(5, 20) == "25%" and share(0, 0) == "—"


def test_figures_by_kind_and_status(case, inspector, programme, provider):
    legal = make_programme(programme.unit, "Legal clinic", kind="legal_aid")
    refer(inspector, case, programme)
    r = refer(inspector, case, legal)
    referral_move(actor=provider, referral_id=r.pk, version=1, to="declined")
    out = support_figures()
    assert out["employment"]["requested"] == 1 and out["legal_aid"]["declined"] == 1 and out["benefits"]["requested"] == 0
    assert support_figures(region="KZ-23")["employment"]["requested"] == 0
    today = today_for(None)
    assert support_figures(period=(today - dt.timedelta(days=400), today - dt.timedelta(days=300)))["employment"]["requested"] == 0


def test_repeat_after_support_compares_the_two_groups(case, inspector, programme, provider):
    today = today_for(None)
    other = make_case(inspector, serial=2000)
    third = make_case(inspector, serial=3000)
    _complete(provider, refer(inspector, case, programme, requested_on=today - dt.timedelta(days=30)), started=today - dt.timedelta(days=20))
    _incident_after(case, days=5)  # after the support started
    legal = make_programme(programme.unit, "Legal clinic", kind="legal_aid")
    _complete(provider, refer(inspector, third, legal, requested_on=today - dt.timedelta(days=30)), started=today - dt.timedelta(days=20),
              outcome="legal_aid")  # legal aid is not economic support
    _incident_after(third, days=1)
    out = repeat_after_support()
    assert (out["with_support"].cases, out["with_support"].repeated) == (1, 1)
    assert out["without_support"].cases == 2 and out["without_support"].repeated == 1
    assert other.pk  # the case with no later incident


def test_figures_page_suppresses_and_is_for_aggregates(client, case, inspector, programme, make_user):
    refer(inspector, case, programme)
    analyst = sign_in(client, make_user("analyst"))
    page = analyst.get("/support/figures/").content.decode()
    table = page.split('data-testid="by-kind"')[1].split("</table>")[0]
    assert "&lt;5" in table and "<td>1</td>" not in table
    assert analyst.get("/support/figures/", {"since": "2025-02-01", "until": "2025-01-01"}).status_code == 422
    assert sign_in(client, inspector).get("/support/figures/").status_code == 403
