"""API of the national strategy (/api/v1/analytics/strategy/…): measures with their financing totals,
financing lines, campaigns and NGO grants — listed by whoever sees aggregates, entered by whoever
manages the strategy, through the same services and messages as the pages. Amounts are decimal
strings in tenge. Schema names start with ``Strategy``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from django.db.models import Sum
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from qorgau.accounts.api import STAFF_AUTH
from qorgau.accounts.models import User
from qorgau.analytics import selectors_strategy as selectors
from qorgau.analytics import services_strategy as services
from qorgau.analytics.models import Campaign, Financing, NgoGrant, StrategyArea, StrategyMeasure
from qorgau.cases.api import MAX_ID, Version, errors

router = Router(tags=["analytics"])


class StrategyChannel(StrEnum):
    """Mirrors ``models.CampaignChannel`` under a schema name of its own (a test keeps them equal)."""

    TELEVISION = "television"
    ONLINE = "online"
    SCHOOLS = "schools"
    OUTREACH = "outreach"
    PRINT = "print"
    WORKPLACES = "workplaces"


Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Money = Annotated[Decimal, Field(ge=0, le=services.MONEY_MAX, max_digits=16, decimal_places=2)]
Year = Annotated[int, Field(ge=services.YEAR_MIN, le=services.YEAR_MAX)]
Figure = Annotated[float, Field(ge=0, le=services.FIGURE_MAX)]
RegionIso = Annotated[str, Field(max_length=8)]


class StrategyMeasureIn(Schema):
    code: str = Field(max_length=32)
    area: StrategyArea
    indicator: str = Field(max_length=32, description="A code of the analytics indicators (docs/analytics.md).")
    name_kk: str = Field(max_length=services.TEXT_MAX)
    name_ru: str = Field(max_length=services.TEXT_MAX)
    name_en: str = Field(max_length=services.TEXT_MAX)
    starts_on: dt.date
    ends_on: dt.date | None = None
    baseline: Figure | None = None
    target: Figure | None = None
    target_year: Year | None = None
    responsible: str = Field("", max_length=services.TEXT_MAX)


class StrategyMeasureUpdate(StrategyMeasureIn):
    version: Version


class StrategyMeasureOut(Schema):
    id: int
    code: str
    area: StrategyArea
    indicator: str
    name_kk: str
    name_ru: str
    name_en: str
    starts_on: dt.date
    ends_on: dt.date | None
    baseline: float | None
    target: float | None
    target_year: int | None
    responsible: str
    budget_total: Decimal = Field(description="Budget over every year and place, tenge.")
    spent_total: Decimal = Field(description="Spent over every year and place, tenge.")
    version: int


class StrategyFinancingIn(Schema):
    year: Year
    budget: Money
    spent: Money = Decimal(0)
    region: RegionIso = Field("", description="ISO code of the region; empty for the national budget.")
    source: str = Field("", max_length=services.TEXT_MAX)


class StrategyFinancingUpdate(StrategyFinancingIn):
    version: Version


class StrategyFinancingOut(Schema):
    id: int
    measure_id: int
    measure_code: str
    year: int
    region: str
    budget: Decimal
    spent: Decimal
    overspent: bool
    source: str
    version: int


class StrategyFinancingQuery(Schema):
    measure_id: int | None = Field(None, ge=1, le=MAX_ID)
    year: Year | None = None


class StrategyCampaignIn(Schema):
    title: str = Field(max_length=services.TEXT_MAX)
    channel: StrategyChannel
    started_on: dt.date
    ended_on: dt.date | None = None
    reach: int = Field(0, ge=0, le=services.REACH_MAX)
    cost: Money = Decimal(0)
    region: RegionIso = ""
    measure_id: int | None = Field(None, ge=1, le=MAX_ID)


class StrategyCampaignOut(Schema):
    id: int
    title: str
    channel: StrategyChannel
    started_on: dt.date
    ended_on: dt.date | None
    reach: int
    cost: Decimal
    region: str
    measure_id: int | None
    version: int


class StrategyGrantIn(Schema):
    grantee: str = Field(max_length=services.TEXT_MAX)
    purpose: str = Field(max_length=services.PURPOSE_MAX)
    amount: Money
    awarded_on: dt.date
    ends_on: dt.date | None = None
    region: RegionIso = ""
    measure_id: int | None = Field(None, ge=1, le=MAX_ID)


class StrategyGrantOut(Schema):
    id: int
    grantee: str
    purpose: str
    amount: Decimal
    awarded_on: dt.date
    ends_on: dt.date | None
    region: str
    measure_id: int | None
    version: int


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _measure_in(p: StrategyMeasureIn) -> services.MeasureInput:
    return services.MeasureInput(
        code=p.code,
        area=p.area.value,
        indicator=p.indicator,
        name_kk=p.name_kk,
        name_ru=p.name_ru,
        name_en=p.name_en,
        starts_on=p.starts_on,
        ends_on=p.ends_on,
        baseline=p.baseline,
        target=p.target,
        target_year=p.target_year,
        responsible=p.responsible,
    )


def _measure_out(m: StrategyMeasure, budget: Decimal | None = None, spent: Decimal | None = None) -> StrategyMeasureOut:
    if budget is None or spent is None:
        totals = m.financing.aggregate(b=Sum("budget"), s=Sum("spent"))
        budget, spent = totals["b"], totals["s"]
    return StrategyMeasureOut(
        id=m.pk,
        code=m.code,
        area=StrategyArea(m.area),
        indicator=m.indicator,
        name_kk=m.name_kk,
        name_ru=m.name_ru,
        name_en=m.name_en,
        starts_on=m.starts_on,
        ends_on=m.ends_on,
        baseline=m.baseline,
        target=m.target,
        target_year=m.target_year,
        responsible=m.responsible,
        budget_total=budget or Decimal(0),
        spent_total=spent or Decimal(0),
        version=m.version,
    )


def _financing_in(p: StrategyFinancingIn) -> services.FinancingInput:
    return services.FinancingInput(year=p.year, budget=p.budget, spent=p.spent, region=p.region, source=p.source)


def _financing_out(f: Financing) -> StrategyFinancingOut:
    return StrategyFinancingOut(
        id=f.pk,
        measure_id=f.measure_id,
        measure_code=f.measure.code,
        year=f.year,
        region=f.region_id or "",
        budget=f.budget,
        spent=f.spent,
        overspent=f.spent > f.budget,
        source=f.source,
        version=f.version,
    )


def _campaign_out(c: Campaign) -> StrategyCampaignOut:
    return StrategyCampaignOut(
        id=c.pk,
        title=c.title,
        channel=StrategyChannel(c.channel),
        started_on=c.started_on,
        ended_on=c.ended_on,
        reach=c.reach,
        cost=c.cost,
        region=c.region_id or "",
        measure_id=c.measure_id,
        version=c.version,
    )


def _grant_out(g: NgoGrant) -> StrategyGrantOut:
    return StrategyGrantOut(
        id=g.pk,
        grantee=g.grantee,
        purpose=g.purpose,
        amount=g.amount,
        awarded_on=g.awarded_on,
        ends_on=g.ends_on,
        region=g.region_id or "",
        measure_id=g.measure_id,
        version=g.version,
    )


# --- measures ------------------------------------------------------------------------------------


@router.get(
    "/analytics/strategy/measures", response={200: list[StrategyMeasureOut], **errors(401, 403)}, auth=STAFF_AUTH
)
def strategy_measures(request: HttpRequest) -> list[StrategyMeasureOut]:
    """The strategy's measures with their budget and spending totals over every year and place."""
    rows = selectors.measures_list(_user(request))
    return [
        _measure_out(m, getattr(m, "budget_total", None) or Decimal(0), getattr(m, "spent_total", None) or Decimal(0))
        for m in rows
    ]


@router.post(
    "/analytics/strategy/measures", response={201: StrategyMeasureOut, **errors(401, 403, 422)}, auth=STAFF_AUTH
)
def strategy_measure_create(request: HttpRequest, payload: StrategyMeasureIn) -> Status[StrategyMeasureOut]:
    m = services.measure_create(actor=_user(request), data=_measure_in(payload))
    return Status(201, _measure_out(m))


@router.get(
    "/analytics/strategy/measures/{measure_id}",
    response={200: StrategyMeasureOut, **errors(401, 403, 404)},
    auth=STAFF_AUTH,
)
def strategy_measure(request: HttpRequest, measure_id: Id) -> StrategyMeasureOut:
    return _measure_out(selectors.measure_get(_user(request), measure_id))


@router.put(
    "/analytics/strategy/measures/{measure_id}",
    response={200: StrategyMeasureOut, **errors(401, 403, 404, 409, 422)},
    auth=STAFF_AUTH,
)
def strategy_measure_update(request: HttpRequest, measure_id: Id, payload: StrategyMeasureUpdate) -> StrategyMeasureOut:
    """Replace the measure's fields; ``version`` is the one read (a stale one is 409)."""
    m = services.measure_update(
        actor=_user(request), measure_id=measure_id, version=payload.version, data=_measure_in(payload)
    )
    return _measure_out(m)


# --- financing -----------------------------------------------------------------------------------


@router.get(
    "/analytics/strategy/financing",
    response={200: list[StrategyFinancingOut], **errors(401, 403, 422)},
    auth=STAFF_AUTH,
)
def strategy_financing(request: HttpRequest, filters: Query[StrategyFinancingQuery]) -> list[StrategyFinancingOut]:
    """Financing lines, by measure and year; a line without a region is the national budget."""
    rows = selectors.financing_list(_user(request), measure_id=filters.measure_id, year=filters.year)
    return [_financing_out(f) for f in rows]


@router.post(
    "/analytics/strategy/measures/{measure_id}/financing",
    response={201: StrategyFinancingOut, **errors(401, 403, 404, 422)},
    auth=STAFF_AUTH,
)
def strategy_financing_create(
    request: HttpRequest, measure_id: Id, payload: StrategyFinancingIn
) -> Status[StrategyFinancingOut]:
    """One line per measure, year and place; spending above the budget is accepted and flagged ``overspent``."""
    f = services.financing_create(actor=_user(request), measure_id=measure_id, data=_financing_in(payload))
    return Status(201, _financing_out(f))


@router.put(
    "/analytics/strategy/financing/{financing_id}",
    response={200: StrategyFinancingOut, **errors(401, 403, 404, 409, 422)},
    auth=STAFF_AUTH,
)
def strategy_financing_update(
    request: HttpRequest, financing_id: Id, payload: StrategyFinancingUpdate
) -> StrategyFinancingOut:
    f = services.financing_update(
        actor=_user(request), financing_id=financing_id, version=payload.version, data=_financing_in(payload)
    )
    return _financing_out(f)


# --- campaigns and grants --------------------------------------------------------------------------


@router.get(
    "/analytics/strategy/campaigns", response={200: list[StrategyCampaignOut], **errors(401, 403)}, auth=STAFF_AUTH
)
def strategy_campaigns(request: HttpRequest) -> list[StrategyCampaignOut]:
    return [_campaign_out(c) for c in selectors.campaigns_list(_user(request))]


@router.post(
    "/analytics/strategy/campaigns", response={201: StrategyCampaignOut, **errors(401, 403, 422)}, auth=STAFF_AUTH
)
def strategy_campaign_create(request: HttpRequest, payload: StrategyCampaignIn) -> Status[StrategyCampaignOut]:
    c = services.campaign_create(
        actor=_user(request),
        data=services.CampaignInput(
            title=payload.title,
            channel=payload.channel.value,
            started_on=payload.started_on,
            ended_on=payload.ended_on,
            reach=payload.reach,
            cost=payload.cost,
            region=payload.region,
            measure_id=payload.measure_id,
        ),
    )
    return Status(201, _campaign_out(c))


@router.get("/analytics/strategy/grants", response={200: list[StrategyGrantOut], **errors(401, 403)}, auth=STAFF_AUTH)
def strategy_grants(request: HttpRequest) -> list[StrategyGrantOut]:
    return [_grant_out(g) for g in selectors.grants_list(_user(request))]


@router.post("/analytics/strategy/grants", response={201: StrategyGrantOut, **errors(401, 403, 422)}, auth=STAFF_AUTH)
def strategy_grant_create(request: HttpRequest, payload: StrategyGrantIn) -> Status[StrategyGrantOut]:
    g = services.grant_create(
        actor=_user(request),
        data=services.GrantInput(
            grantee=payload.grantee,
            purpose=payload.purpose,
            amount=payload.amount,
            awarded_on=payload.awarded_on,
            ends_on=payload.ends_on,
            region=payload.region,
            measure_id=payload.measure_id,
        ),
    )
    return Status(201, _grant_out(g))
