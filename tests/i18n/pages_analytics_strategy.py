"""Language-walker pages of the national strategy (merged into ``test_languages.PAGES``).

An analyst, one measure named in the three languages (its code digits: no Latin word on the page),
a national and a regional financing line (the regional one overspent), a campaign and a grant whose
titles are digits (language-neutral user data). The forms are walked empty, with errors (422) and
stale (the conflict page, 409)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ANALYST = "walker_analyst"
CODE = "2030-1"
PLAIN = "2030-2"


def _analyst_user(w: Any) -> Any:
    from qorgau.accounts.models import User

    return User.objects.filter(username=ANALYST).first() or w._make_user("analyst", username=ANALYST)


def _analyst(w: Any, lang: str) -> Any:
    from django.test import Client

    from qorgau.accounts.models import User
    from tests.conftest import sign_in

    user = _analyst_user(w)
    User.objects.filter(pk=user.pk).update(language=lang)
    user.refresh_from_db()
    return sign_in(Client(), user)


def _strategy(w: Any) -> dict[str, int]:
    """The walker's strategy (made once): ids of the measure, a financing line, a campaign, a grant."""
    from datetime import date
    from decimal import Decimal

    from qorgau.analytics import services_strategy as s
    from qorgau.analytics.models import Campaign, Financing, NgoGrant, StrategyMeasure

    m = StrategyMeasure.objects.filter(code=CODE).first()
    if m is None:
        actor = _analyst_user(w)
        m = s.measure_create(
            actor=actor,
            data=s.MeasureInput(
                code=CODE,
                area="support",
                indicator="reports",
                name_kk="Әр өңірде баспанасы бар дағдарыс орталықтары",
                name_ru="Кризисные центры с приютом в каждом регионе",
                name_en="Crisis centres with shelter beds in every region",
                starts_on=date(2024, 1, 1),
                ends_on=date(2030, 12, 31),
                baseline=60.0,
                target=90.0,
                target_year=2030,
            ),
        )
        s.financing_create(
            actor=actor,
            measure_id=m.pk,
            data=s.FinancingInput(year=2026, budget=Decimal(150_000_000), spent=Decimal(90_000_000)),
        )
        s.financing_create(
            actor=actor,
            measure_id=m.pk,
            data=s.FinancingInput(year=2026, budget=Decimal(20_000_000), spent=Decimal(25_000_000), region="KZ-75"),
        )
        s.campaign_create(
            actor=actor,
            data=s.CampaignInput(
                title="150",
                channel="television",
                started_on=date(2026, 3, 1),
                reach=2_400_000,
                cost=Decimal(45_000_000),
                measure_id=m.pk,
            ),
        )
        s.grant_create(
            actor=actor,
            data=s.GrantInput(
                grantee="1",
                purpose="2",
                amount=Decimal(48_000_000),
                awarded_on=date(2026, 2, 1),
                region="KZ-75",
                measure_id=m.pk,
            ),
        )
    # The conflict page shows the names in every language side by side: its measure's names are digits.
    plain = StrategyMeasure.objects.filter(code=PLAIN).first() or s.measure_create(
        actor=_analyst_user(w),
        data=s.MeasureInput(
            code=PLAIN,
            area="support",
            indicator="reports",
            name_kk="1",
            name_ru="2",
            name_en="3",
            starts_on=date(2024, 1, 1),
        ),
    )
    return {
        "measure": m.pk,
        "plain": plain.pk,
        "financing": Financing.objects.filter(measure=m).order_by("id").values_list("id", flat=True)[0],
        "campaign": Campaign.objects.filter(measure=m).values_list("id", flat=True)[0],
        "grant": NgoGrant.objects.filter(measure=m).values_list("id", flat=True)[0],
    }


def _measure_form(version: str = "") -> dict[str, str]:
    return {
        "code": PLAIN,
        "area": "support",
        "name_kk": "4",
        "name_ru": "5",
        "name_en": "6",
        "indicator": "reports",
        "baseline": "60",
        "target": "95",
        "target_year": "2030",
        "starts_on": "2024-01-01",
        "version": version,
    }


def _get(path: Callable[[dict[str, int]], str], status: int = 200) -> tuple[int, Callable[[Any, str], object]]:
    return status, lambda w, lang: _analyst(w, lang).get(path(_strategy(w)))


def _post(
    path: Callable[[dict[str, int]], str], data: dict[str, str], status: int
) -> tuple[int, Callable[[Any, str], object]]:
    return status, lambda w, lang: _analyst(w, lang).post(path(_strategy(w)), data)


S = "/analytics/strategy"
PAGES: dict[str, tuple[int, Callable[[Any, str], object]]] = {
    "strategy": _get(lambda ids: f"{S}/?year=2026"),
    "strategy-bad-filter": _get(lambda ids: f"{S}/?year=1999&indicator=0", 422),
    "strategy-measure": _get(lambda ids: f"{S}/measures/{ids['measure']}/"),
    "strategy-measure-new": _get(lambda ids: f"{S}/measures/new/"),
    "strategy-measure-new-bad": _post(
        lambda ids: f"{S}/measures/new/", {**_measure_form(), "name_kk": "", "target_year": "2099"}, 422
    ),
    "strategy-measure-edit": _get(lambda ids: f"{S}/measures/{ids['measure']}/edit/"),
    "strategy-measure-conflict": _post(
        lambda ids: f"{S}/measures/{ids['plain']}/edit/", _measure_form(version="99"), 409
    ),
    "strategy-financing-new": _get(lambda ids: f"{S}/measures/{ids['measure']}/financing/new/"),
    "strategy-financing-new-bad": _post(
        lambda ids: f"{S}/measures/{ids['measure']}/financing/new/", {"year": "2026", "budget": "-", "spent": "1"}, 422
    ),
    "strategy-financing-edit": _get(lambda ids: f"{S}/financing/{ids['financing']}/edit/"),
    "strategy-campaign-new": _get(lambda ids: f"{S}/campaigns/new/"),
    "strategy-campaign-edit": _get(lambda ids: f"{S}/campaigns/{ids['campaign']}/edit/"),
    "strategy-grant-new": _get(lambda ids: f"{S}/grants/new/"),
    "strategy-grant-new-bad": _post(
        lambda ids: f"{S}/grants/new/", {"grantee": "1", "purpose": "2", "amount": "0", "awarded_on": "2026-01-01"}, 422
    ),
    "strategy-grant-edit": _get(lambda ids: f"{S}/grants/{ids['grant']}/edit/"),
}
