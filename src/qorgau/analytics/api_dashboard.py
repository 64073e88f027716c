"""API: dashboard (/api/v1/analytics): the indicators' definitions and a dashboard view as JSON.

The same filters as the dashboard page (``filters_parse``: the same refusals, 422 with field
messages) and the same selectors, so a suppressed cell is ``null`` with ``suppressed: true`` here too.
Schema names start with ``Analytics`` (unique across the project's OpenAPI schema).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from qorgau.accounts.access import require
from qorgau.accounts.api import STAFF_AUTH
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.analytics import selectors
from qorgau.analytics.filters import filters_parse
from qorgau.analytics.indicators import INDICATORS
from qorgau.analytics.refresh import ZONE
from qorgau.cases.api import errors
from qorgau.core import clock
from qorgau.core.errors import Invalid

router = Router(tags=["analytics"])


class AnalyticsIndicatorOut(Schema):
    code: str
    label: str = Field(description="In the caller's language.")
    kind: str = Field(description="count, share (0–100), mean_hours or snapshot.")
    per_100k: bool = Field(description="Whether the view gives a rate per 100,000 people for it.")
    help: str
    live: bool = Field(
        description="Read from the present state: the period, urban/rural and breakdown filters do not apply."
    )


class AnalyticsViewQuery(Schema):
    start: Annotated[
        str,
        Field(max_length=10, description="First month, YYYY-MM; empty: twelve months before the last complete one."),
    ] = ""
    end: Annotated[str, Field(max_length=10, description="Last month (inclusive), YYYY-MM.")] = ""
    region: Annotated[str, Field(max_length=8, description="A region's ISO code, e.g. KZ-75.")] = ""
    district: Annotated[str, Field(max_length=9, description="A district's KATO code (not with a breakdown).")] = ""
    urban: Annotated[str, Field(max_length=5, description="urban, rural or empty for both.")] = ""
    breakdown: Annotated[str, Field(max_length=40, description="form:<code> or group:<code>; empty for none.")] = ""
    indicators: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=list, max_length=len(INDICATORS), description="Indicator codes; empty: all."
    )


class AnalyticsCellOut(Schema):
    value: float | None = Field(description="Null when suppressed or when there is no figure.")
    suppressed: bool
    rate: float | None = Field(description="Per 100,000 people; null when suppressed or not applicable.")


class AnalyticsRowOut(Schema):
    key: str = Field(description="Region ISO code, district KATO code, or 'total'.")
    name: str
    population: int | None
    cells: dict[str, AnalyticsCellOut]


class AnalyticsMonthOut(Schema):
    month: dt.date = Field(description="The first day of the month.")
    value: float | None
    suppressed: bool
    rate: float | None


class AnalyticsFiltersOut(Schema):
    start: dt.date
    end: dt.date
    region: str
    district: str
    urban: bool | None
    breakdown: str


class AnalyticsViewOut(Schema):
    filters: AnalyticsFiltersOut
    indicators: list[str]
    rows: list[AnalyticsRowOut]
    total: AnalyticsRowOut
    series: dict[str, list[AnalyticsMonthOut]]
    notices: list[str]
    as_of: dt.datetime | None
    empty: bool


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    require(user, Capability.VIEW_AGGREGATES)
    return user


def _cell(c: selectors.Cell) -> AnalyticsCellOut:
    return AnalyticsCellOut(
        value=None if c.suppressed else c.value, suppressed=c.suppressed, rate=None if c.suppressed else c.rate
    )


def _row(r: selectors.Row) -> AnalyticsRowOut:
    return AnalyticsRowOut(
        key=r.key, name=r.name, population=r.population, cells={k: _cell(c) for k, c in r.cells.items()}
    )


@router.get("/analytics/indicators", response={200: list[AnalyticsIndicatorOut], **errors(401, 403)}, auth=STAFF_AUTH)
def indicator_list(request: HttpRequest) -> list[AnalyticsIndicatorOut]:
    """The indicators in display order, with what each one counts."""
    _user(request)
    return [
        AnalyticsIndicatorOut(
            code=i.code, label=str(i.label), kind=i.kind, per_100k=i.per_100k, help=str(i.help), live=i.live
        )
        for i in INDICATORS.values()
    ]


@router.get("/analytics/view", response={200: AnalyticsViewOut, **errors(401, 403, 422)}, auth=STAFF_AUTH)
def view_get(request: HttpRequest, q: Query[AnalyticsViewQuery]) -> AnalyticsViewOut:
    """A dashboard view: one row per region (or per district of the chosen region), the total, the monthly
    series and the notices. Cells under 5 (and those that would reveal one) are null with ``suppressed``."""
    user = _user(request)
    unknown = [c for c in q.indicators if c not in INDICATORS]
    if unknown:
        raise Invalid(fields={"indicators": [_("Unknown indicator: %(codes)s.") % {"codes": ", ".join(unknown)}]})
    filters = filters_parse(
        {k: getattr(q, k) for k in ("start", "end", "region", "district", "urban", "breakdown")},
        today=clock.now().astimezone(ZONE).date(),
    )
    view = selectors.dashboard_view(user, filters, list(dict.fromkeys(q.indicators)) or None, request=request)
    f = view.filters
    return AnalyticsViewOut(
        filters=AnalyticsFiltersOut(
            start=f.start, end=f.end, region=f.region, district=f.district, urban=f.urban, breakdown=f.breakdown
        ),
        indicators=[i.code for i in view.indicators],
        rows=[_row(r) for r in view.rows],
        total=_row(view.total),
        series={
            code: [
                AnalyticsMonthOut(
                    month=m,
                    value=None if c.suppressed else c.value,
                    suppressed=c.suppressed,
                    rate=None if c.suppressed else c.rate,
                )
                for m, c in points
            ]
            for code, points in view.series.items()
        },
        notices=[str(n) for n in view.notices],
        as_of=view.as_of,
        empty=view.empty,
    )
