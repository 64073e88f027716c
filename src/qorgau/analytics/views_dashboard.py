"""The dashboard, the map and the exports of analytics (aggregates only, DESIGN §5, §8).

Thin views: the filters go through ``forms_dashboard`` (``filters_parse``'s rules), the figures come
from ``analytics.selectors`` (which check the capability and suppress small cells before anything
reaches a page), and charts and the map are drawn by ``charts`` and ``choropleth``. Bad filters give
the page back with the form's errors and no figures (status 200, as the issue asks: never a 500).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from qorgau.accounts.access import require
from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.analytics import exports, selectors
from qorgau.analytics.charts import Bar, Point, bar_chart, line_chart, month_label, number
from qorgau.analytics.choropleth import ATTRIBUTION, Area, choropleth
from qorgau.analytics.forms_dashboard import HEADLINE, KEY_FIGURES, Choice, DashboardForm, dashboard_form
from qorgau.analytics.indicators import INDICATORS, Indicator
from qorgau.analytics.refresh import ZONE
from qorgau.core import clock
from qorgau.core.errors import NotFound


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    require(user, Capability.VIEW_AGGREGATES)
    return user


def _today() -> dt.date:
    return clock.now().astimezone(ZONE).date()


def rate_applies(indicator: Indicator, cells: list[selectors.Cell]) -> bool:
    """Show rates per 100,000 when the indicator has them and every shown place has one (districts do not)."""
    shown = [c for c in cells if not c.suppressed and c.value is not None]
    return indicator.per_100k and bool(shown) and all(c.rate is not None for c in shown)


def figure(cell: selectors.Cell | None, rate: bool) -> float | None:
    if cell is None or cell.suppressed:
        return None
    return cell.rate if rate else cell.value


@dataclass(frozen=True)
class TableCell:
    text: str
    rate: str
    suppressed: bool


def _cell(cell: selectors.Cell | None, ind: Indicator) -> TableCell:
    if cell is None:
        return TableCell("—", "", False)
    if cell.suppressed:
        return TableCell(_("hidden"), "", True)
    return TableCell(
        number(cell.value, ind.kind),
        number(cell.rate, rate=True) if ind.per_100k and cell.rate is not None and cell.value else "",
        False,
    )


def _links(choice: Choice) -> dict[str, str]:
    query = urlencode(choice.query(), doseq=True)
    links = {fmt: f"{reverse('analytics:export', args=[fmt])}?{query}" for fmt in exports.FORMATS}
    links["map"] = f"{reverse('analytics:map')}?{query}"
    links["dashboard"] = f"{reverse('analytics:dashboard')}?{query}"
    return links


def _page(form: DashboardForm, choice: Choice | None) -> dict[str, Any]:
    return {
        "form": form,
        "choice": choice,
        "indicators": INDICATORS.values(),
        "attribution": ATTRIBUTION,
        "links": _links(choice) if choice else {},
    }


@login_required
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form, choice = dashboard_form(request.GET, today=_today())
    ctx = _page(form, choice)
    if choice is not None:
        view = selectors.dashboard_view(user, choice.filters, choice.codes, request=request)
        ind = INDICATORS[choice.indicator]
        shown = [INDICATORS[c] for c in choice.show]
        total = view.total.cells
        series = []
        for code in HEADLINE:
            points = [Point(month, c.value, c.suppressed) for month, c in view.series.get(code, [])]
            series.append(
                (
                    INDICATORS[code],
                    line_chart(f"series-{code}", str(INDICATORS[code].label), points, kind=INDICATORS[code].kind),
                )
            )
        # The charts' figures as a table too (for screen readers, and to read a value off exactly).
        months = sorted({m for code in HEADLINE for m, _c in view.series.get(code, [])})
        by_month = {code: dict(view.series.get(code, [])) for code in HEADLINE}
        series_table = [
            (month_label(m), [_cell(by_month[code].get(m), INDICATORS[code]) for code in HEADLINE]) for m in months
        ]
        cells = [r.cells.get(ind.code) for r in view.rows]
        rate = rate_applies(ind, [c for c in cells if c is not None])
        bars = [
            Bar(
                r.key,
                r.name,
                figure(r.cells.get(ind.code), rate),
                bool(r.cells.get(ind.code) and r.cells[ind.code].suppressed),
            )
            for r in view.rows
        ]
        bar_title = (_("%(indicator)s per 100,000 people") if rate else "%(indicator)s") % {"indicator": ind.label}
        ctx.update(
            {
                "view": view,
                "indicator": ind,
                "rate": rate,
                "shown": shown,
                "keys": [(INDICATORS[c], _cell(total.get(c), INDICATORS[c])) for c in KEY_FIGURES],
                "series": series,
                "series_table": series_table,
                "headline": [INDICATORS[c] for c in HEADLINE],
                "bars": bar_chart("bars", bar_title, bars, kind=ind.kind, rate=rate),
                "bar_title": bar_title,
                "table": [(r, [_cell(r.cells.get(i.code), i) for i in shown]) for r in view.rows],
                "total": [_cell(total.get(i.code), i) for i in shown],
            }
        )
    return render(request, "analytics/dashboard.html", ctx)


@login_required
@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form, choice = dashboard_form(request.GET, today=_today())
    ctx = _page(form, choice)
    if choice is not None:
        ind = INDICATORS[choice.indicator]
        view = selectors.dashboard_view(user, choice.filters, [ind.code], request=request)
        cells = [r.cells.get(ind.code) for r in view.rows]
        rate = rate_applies(ind, [c for c in cells if c is not None])
        areas = [
            Area(
                r.key,
                r.name,
                figure(r.cells.get(ind.code), rate),
                bool(r.cells.get(ind.code) and r.cells[ind.code].suppressed),
            )
            for r in view.rows
        ]
        title = (_("%(indicator)s per 100,000 people") if rate else "%(indicator)s") % {"indicator": ind.label}
        # A region's rows are its districts, except with a breakdown (kept by region only): then the one
        # region is drawn on the map of the country.
        by_district = bool(choice.filters.region) and not any(r.key.startswith("KZ-") for r in view.rows)
        drawn = choropleth(
            areas, region=choice.filters.region if by_district else "", kind=ind.kind, rate=rate, title=title
        )
        ctx.update(
            {
                "view": view,
                "indicator": ind,
                "rate": rate,
                "map": drawn,
                "map_title": title,
                "rows": [(r, _cell(r.cells.get(ind.code), ind), drawn.classes.get(r.key)) for r in view.rows],
                "total": _cell(view.total.cells.get(ind.code), ind),
            }
        )
    return render(request, "analytics/map.html", ctx)


@login_required
@require_GET
def export_page(request: HttpRequest, fmt: str) -> HttpResponse:
    user = _user(request)
    if fmt not in exports.FORMATS:
        raise NotFound()
    form, choice = dashboard_form(request.GET, today=_today())
    if choice is None:  # the dashboard with the form's errors, not a file
        return render(request, "analytics/dashboard.html", _page(form, None), status=422)
    return exports.export_response(user, choice, fmt, request=request)
