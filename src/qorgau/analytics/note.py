"""The analytical note's content, assembled from live data as a tree of dataclasses.

``note_build(user, filters, lang)`` reads everything through the analytics selectors (which check
VIEW_AGGREGATES and suppress small cells, so nothing here can see an unsuppressed count), the shelter
coverage (centres are institutions: no suppression), the published regional indicators and the
scenario model, and returns a ``Note``: sections of paragraphs, tables and figures, every string
already in the chosen language. ``note_figures`` draws the charts and ``note_pdf`` lays the tree out;
tests read the tree directly.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import override

from qorgau.accounts.models import User
from qorgau.accounts.roles import Capability
from qorgau.analytics import correlations, reference_indicators
from qorgau.analytics.filters import Filters
from qorgau.analytics.indicators import FORMS, GROUPS, INDICATORS
from qorgau.analytics.selectors import Cell, by_region, dashboard_view
from qorgau.analytics.suppression import SMALL_CELL
from qorgau.core import clock
from qorgau.core.errors import Forbidden, Invalid
from qorgau.core.models import Region
from qorgau.shelters.coverage import coverage_by_region

logger = logging.getLogger(__name__)

KEY_CODES = ("reports", "orders", "court_decisions", "criminal_cases", "deaths", "grave_harm")


# --- the tree -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = "body"  # body | small | verdict
    lead: str = ""  # a few words set in bold before the text ("Data.")


@dataclass(frozen=True)
class Table:
    number: int
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    source: str
    notes: tuple[str, ...] = ()
    total: tuple[str, ...] | None = None
    widths: tuple[float, ...] | None = None  # shares of the text width, one per column


@dataclass(frozen=True)
class BarSeries:
    label: str
    values: tuple[float | None, ...]  # None: suppressed or unknown
    colour: str
    texts: tuple[str, ...] = ()  # the value printed at each bar's end, in the note's number format


@dataclass(frozen=True)
class Bars:
    labels: tuple[str, ...]
    series: tuple[BarSeries, ...]
    axis: str
    missing: str = ""  # what a None bar means ("<5" for a suppressed cell)
    decimal: str = "."  # the decimal sign of the axis labels
    integer: bool = False  # whole numbers only on the axis (counts of centres)


@dataclass(frozen=True)
class MapRegion:
    iso: str
    name: str
    geojson: str
    value: float | None
    suppressed: bool


@dataclass(frozen=True)
class RateMap:
    regions: tuple[MapRegion, ...]
    legend: str
    suppressed_label: str
    attribution: str
    bars: Bars
    decimal: str = "."


@dataclass(frozen=True)
class ScatterPanel:
    axis: str
    points: tuple[tuple[float, float, str], ...]
    annotation: str


@dataclass(frozen=True)
class Scatter:
    axis: str
    panels: tuple[ScatterPanel, ...]
    decimal: str = "."


@dataclass(frozen=True)
class Figure:
    number: int
    caption: str
    chart: Bars | RateMap | Scatter
    source: str
    notes: tuple[str, ...] = ()


Block = Paragraph | Table | Figure


@dataclass(frozen=True)
class Section:
    number: int
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Note:
    lang: str
    filters: Filters
    title: str
    subtitle: str
    period: str
    issued: str  # "generated <date>, data as of <as_of>" in the note's language
    footer: str
    contents_title: str
    summary_title: str
    summary: tuple[str, ...]  # the main findings, one sentence each, on the contents page
    sections: tuple[Section, ...]
    filename: str


# --- numbers in the reader's language ------------------------------------------------------------

SUPPRESSED = f"<{SMALL_CELL}"
DASH = "—"


def fmt_number(value: float, digits: int = 0, *, lang: str) -> str:
    """Grouped thousands and the decimal sign of the language (ru, kk: 12 345,6; en: 12,345.6)."""
    text = f"{value:,.{digits}f}"
    if lang in ("ru", "kk"):
        text = text.replace(",", "\u00a0").replace(".", ",")
    return text


def decimal_sign(lang: str) -> str:
    return "," if lang in ("ru", "kk") else "."


def hidden_note() -> str:
    return _(
        "“%(cell)s”: hidden so that no one can be recognised — fewer than %(n)s, or one more cell hidden wherever a small one "
        "could be worked out from a total."
    ) % {"cell": SUPPRESSED, "n": SMALL_CELL}


def fmt_cell(cell: Cell | None, *, lang: str, rate: bool = False, digits: int = 0) -> str:
    if cell is None:
        return DASH
    if cell.suppressed:
        return SUPPRESSED
    value = cell.rate if rate else cell.value
    if value is None:
        return DASH
    return fmt_number(value, digits, lang=lang)


def fmt_rho(value: float | None, *, lang: str) -> str:
    return DASH if value is None else fmt_number(value, 2, lang=lang).replace("-", "\u2212")


def months_in(f: Filters) -> int:
    return (f.end.year - f.start.year) * 12 + f.end.month - f.start.month + 1


def period_label(f: Filters, lang: str) -> str:
    def month(d: date) -> str:
        text = date_format(d, "F Y")
        return text if lang == "en" else text[:1].lower() + text[1:]

    if f.start == f.end:
        return month(f.start)
    if f.start.month == 1 and f.end.month == 12 and f.start.year == f.end.year:
        return str(f.start.year)
    return f"{month(f.start)} – {month(f.end)}"


def day_label(moment: datetime | date, lang: str) -> str:
    if isinstance(moment, datetime):
        moment = clock.local(moment, "Asia/Almaty").date()
    return date_format(moment, "j F Y") if lang == "en" else moment.strftime("%d.%m.%Y")


def note_filename(f: Filters, lang: str) -> str:
    if f.start.month == 1 and f.end.month == 12 and f.start.year == f.end.year:
        span = str(f.start.year)
    else:
        span = f"{f.start:%Y-%m}_{f.end:%Y-%m}"
    return f"qorgau-note-{span}-{lang}.pdf"


# --- the published national figures the original note cites (reference/README.md) ---------------


@dataclass(frozen=True)
class Published:
    per_year: float
    year: str
    over_years: float = 1.0  # the figure is a total over this many years, shown per year


PUBLISHED: dict[str, Published] = {
    "reports": Published(100_000, "2024"),
    "orders": Published(72_000, "2024"),
    "court_decisions": Published(16_000, "2024"),
    "criminal_cases": Published(7_000, "2024"),
    "deaths": Published(869 / 4.5, "2020–2024", 4.5),
    "grave_harm": Published(2_086 / 4.5, "2020–2024", 4.5),
}


def _published_text(code: str, lang: str) -> str:
    p = PUBLISHED.get(code)
    if p is None:
        return DASH
    if p.over_years != 1.0:
        return _("about %(n)s a year (%(total)s in %(years)s years)") % {
            "n": fmt_number(p.per_year, lang=lang),
            "total": fmt_number(p.per_year * p.over_years, lang=lang),
            "years": fmt_number(p.over_years, 1, lang=lang),
        }
    return _("about %(n)s (%(year)s)") % {"n": fmt_number(p.per_year, lang=lang), "year": p.year}


# --- the sections ---------------------------------------------------------------------------------


@dataclass
class _Counter:
    tables: int = 0
    figures: int = 0

    def table(self) -> int:
        self.tables += 1
        return self.tables

    def figure(self) -> int:
        self.figures += 1
        return self.figures


@dataclass
class _Context:
    user: User
    filters: Filters
    lang: str
    n: _Counter = field(default_factory=_Counter)
    regions: list[Region] = field(default_factory=list)
    women_rates: dict[str, Cell] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)


def _totals(ctx: _Context, codes: list[str] | tuple[str, ...], breakdown: str = "") -> dict[str, Cell]:
    """National totals of the period (the note audits itself once, as an export: no read is logged per table)."""
    f = replace(ctx.filters, breakdown=breakdown)
    return dashboard_view(ctx.user, f, list(codes), audit_action=None).total.cells


def _key_figures(ctx: _Context) -> Section:
    lang, months = ctx.lang, months_in(ctx.filters)
    figures = _totals(ctx, KEY_CODES)
    rows = []
    for code in KEY_CODES:
        cell = figures.get(code)
        annual = DASH
        if cell is not None and not cell.suppressed and cell.value is not None:
            annual = fmt_number(cell.value * 12 / months, lang=lang)
        elif cell is not None and cell.suppressed:
            # Scaled up, a hidden count could be anything: only a twelve-month period keeps "<5" true.
            annual = SUPPRESSED if months == 12 else DASH
        rows.append((str(INDICATORS[code].label), fmt_cell(cell, lang=lang), annual, _published_text(code, lang)))
    reports = figures.get("reports")
    if reports is not None:
        ctx.summary.append(
            _(
                "%(reports)s reports of domestic violence were recorded in %(period)s; %(orders)s protective orders were issued."
            )
            % {
                "reports": fmt_cell(reports, lang=lang),
                "period": period_label(ctx.filters, lang),
                "orders": fmt_cell(figures.get("orders"), lang=lang),
            }
        )
    blocks: list[Block] = [
        Paragraph(
            _(
                "The figures below are counted from the records of every agency in Qorgau for %(period)s (%(months)s months). "
                "To compare them with the published yearly figures, the third column scales the period to twelve months."
            )
            % {"period": period_label(ctx.filters, lang), "months": months}
        )
    ]
    if reports is not None and reports.rate is not None:
        blocks.append(
            Paragraph(
                _("There were %(rate)s reports per 100,000 people in the period.")
                % {"rate": fmt_number(reports.rate, 1, lang=lang)}
            )
        )
    blocks.append(
        Table(
            number=ctx.n.table(),
            caption=_("Key figures of the period"),
            header=(_("Indicator"), _("In the period"), _("Per year (scaled)"), _("Published national figure")),
            rows=tuple(rows),
            widths=(0.34, 0.16, 0.18, 0.32),
            source=_(
                "Source: Qorgau records; published figures: the Ministry of Internal Affairs and the national report on the "
                "prevention of domestic violence, as cited by the analytical note."
            ),
            notes=(
                _(
                    "Deaths and grave harm are criminal cases under the articles of the Criminal Code listed in section 7."
                ),
                hidden_note(),
            ),
        )
    )
    return Section(1, _("Key figures"), tuple(blocks))


def _centres(ctx: _Context) -> Section:
    rows = sorted(coverage_by_region(), key=lambda r: (-r.centres, -r.centres_with_shelter, r.name))
    total = sum(r.centres for r in rows)
    sheltering = sum(r.centres_with_shelter for r in rows)
    regions_with = sum(1 for r in rows if r.centres)
    ctx.summary.append(
        _("%(total)s crisis centres are registered, %(shelters)s of them with shelter beds.")
        % {"total": total, "shelters": sheltering}
    )
    bars = Bars(
        labels=tuple(r.name for r in rows),
        series=(
            BarSeries(_("crisis centres"), tuple(float(r.centres) for r in rows), "#9cb3d4"),
            BarSeries(_("of which with shelters"), tuple(float(r.centres_with_shelter) for r in rows), "#1f4e8c"),
        ),
        axis=_("number of centres"),
        decimal=decimal_sign(ctx.lang),
        integer=True,
    )
    text = _(
        "Qorgau lists %(total)s crisis centres, of which %(shelters)s with shelter beds, in %(regions)s of the %(all)s regions. "
        "The published count for 2025 is 74 centres, of which 61 with shelters."
    ) % {"total": total, "shelters": sheltering, "regions": regions_with, "all": len(rows)}
    figure = Figure(
        number=ctx.n.figure(),
        caption=_("Crisis centres, of which with shelters, by region"),
        chart=bars,
        source=_("Source: the register of crisis centres in Qorgau (active centres, today)."),
        notes=(_("Centres are institutions, not people: their counts are shown in full, without suppression."),),
    )
    return Section(2, _("Crisis centres and shelters"), (Paragraph(text), figure))


def _women(ctx: _Context) -> Section:
    lang = ctx.lang
    women = replace(ctx.filters, breakdown="group:women")
    cells = by_region(ctx.user, women, "reports", audit_action=None)
    ctx.women_rates = cells
    national = _totals(ctx, ["reports"], "group:women").get("reports")
    known = [(r, cells[r.iso].rate) for r in ctx.regions if r.iso in cells and cells[r.iso].rate is not None]
    ranked = sorted(ctx.regions, key=lambda r: (-(cells[r.iso].rate or -1.0) if r.iso in cells else 1.0, r.name))
    rates = tuple(cells[r.iso].rate if r.iso in cells else None for r in ranked)
    texts = tuple(
        fmt_number(v, 1 if v < 100 else 0, lang=lang)
        if v is not None
        else (SUPPRESSED if r.iso in cells and cells[r.iso].suppressed else DASH)
        for r, v in zip(ranked, rates, strict=True)
    )
    bars = Bars(
        labels=tuple(r.name for r in ranked),
        series=(BarSeries(_("reports per 100,000 people"), rates, "#a23b4c", texts),),
        axis=_("reports with a female victim per 100,000 people"),
        missing=SUPPRESSED,
        decimal=decimal_sign(lang),
    )
    regions = tuple(
        MapRegion(
            r.iso,
            r.name,
            r.boundary_geojson,
            cells[r.iso].rate if r.iso in cells else None,
            bool(r.iso in cells and cells[r.iso].suppressed),
        )
        for r in ctx.regions
    )
    chart = RateMap(
        regions=regions,
        legend=_("reports per 100,000 people"),
        suppressed_label=_("hidden (fewer than %(n)s reports)") % {"n": SMALL_CELL},
        attribution=_("Boundaries: geokz (A. Rodionov), CC BY 4.0"),
        bars=bars,
        decimal=decimal_sign(lang),
    )
    blocks: list[Block] = []
    if national is not None and national.rate is not None:
        blocks.append(
            Paragraph(
                _(
                    "Nationally there were %(rate)s reports with a female victim per 100,000 people in the period "
                    "(%(count)s reports)."
                )
                % {"rate": fmt_number(national.rate, 1, lang=lang), "count": fmt_cell(national, lang=lang)}
            )
        )
    if len(known) >= 2:
        high = max(known, key=lambda k: k[1] or 0.0)
        low = min(known, key=lambda k: k[1] or 0.0)
        ctx.summary.append(
            _(
                "Reports with a female victim ranged from %(low_rate)s per 100,000 people in %(low)s to %(high_rate)s in %(high)s."
            )
            % {
                "high": high[0].name,
                "high_rate": fmt_number(high[1] or 0.0, 1, lang=lang),
                "low": low[0].name,
                "low_rate": fmt_number(low[1] or 0.0, 1, lang=lang),
            }
        )
        blocks.append(
            Paragraph(
                _(
                    "The rate is highest in %(high)s (%(high_rate)s) and lowest in %(low)s (%(low_rate)s). "
                    "A high rate can mean more violence, or more women who report it and police who record it."
                )
                % {
                    "high": high[0].name,
                    "high_rate": fmt_number(high[1] or 0.0, 1, lang=lang),
                    "low": low[0].name,
                    "low_rate": fmt_number(low[1] or 0.0, 1, lang=lang),
                }
            )
        )
    blocks.append(
        Figure(
            number=ctx.n.figure(),
            caption=_("Violence against women by region: reports with a female victim per 100,000 people"),
            chart=chart,
            source=_("Source: Qorgau records; population on 1 January 2023 (Bureau of National Statistics)."),
            notes=(
                _(
                    "Hatched regions: fewer than %(n)s such reports, or one more region hidden so that a small one cannot be "
                    "worked out from the national total; their rate is not shown."
                )
                % {"n": SMALL_CELL},
                _("The rate is per 100,000 people of the whole population of the region, women and men."),
                _("Boundaries: geokz (A. Rodionov), CC BY 4.0."),
            ),
        )
    )
    return Section(3, _("Violence against women by region"), tuple(blocks))


def _share(cell: Cell | None, total: Cell | None, lang: str) -> str:
    if cell is None or total is None or cell.suppressed or total.suppressed or not total.value or cell.value is None:
        return DASH
    return fmt_number(100.0 * cell.value / total.value, 1, lang=lang) + "\u00a0%"


def _groups(ctx: _Context) -> Section:
    lang = ctx.lang
    total = _totals(ctx, ["reports"]).get("reports")

    def table(pairs: list[tuple[str, str]], prefix: str, caption: str, head: str) -> Table:
        rows = []
        for code, label in pairs:
            cell = _totals(ctx, ["reports"], f"{prefix}:{code}").get("reports")
            rows.append(
                (
                    str(label),
                    fmt_cell(cell, lang=lang),
                    _share(cell, total, lang),
                    fmt_cell(cell, lang=lang, rate=True, digits=1),
                )
            )
        return Table(
            number=ctx.n.table(),
            caption=caption,
            header=(head, _("Reports"), _("Share of all reports"), _("Per 100,000 people")),
            rows=tuple(rows),
            widths=(0.40, 0.18, 0.22, 0.20),
            total=(
                _("All reports"),
                fmt_cell(total, lang=lang),
                "100\u00a0%",
                fmt_cell(total, lang=lang, rate=True, digits=1),
            ),
            source=_(
                "Source: Qorgau records (victim's circumstances and forms of violence as recorded on the report)."
            ),
            notes=(
                _("One report can name several groups or forms, so the shares do not add up to 100 %."),
                hidden_note(),
            ),
        )

    intro = Paragraph(
        _(
            "Who the victims are and what they suffered: reports of the period by the victim's group and by the form of "
            "violence. Small groups are the most exposed to being recognised, so their small counts are hidden."
        )
    )
    return Section(
        4,
        _("Vulnerable groups and forms of violence"),
        (
            intro,
            table([(c, str(label)) for c, label in GROUPS], "group", _("Reports by victim group"), _("Victim group")),
            table(
                [(c, str(label)) for c, label in FORMS], "form", _("Reports by form of violence"), _("Form of violence")
            ),
        ),
    )


@dataclass(frozen=True)
class Factor:
    code: str
    label: str  # on a chart's axis
    short: str  # in a table's header
    values: dict[str, float]
    period: str
    digits: int


def _factors(ctx: _Context) -> list[Factor]:
    isos = {r.iso for r in ctx.regions}
    out = []
    for code, label, short, digits in (
        ("unemployment_rate", _("unemployment, %"), _("Unemployment, %"), 1),
        ("avg_per_capita_nominal_cash_income", _("income per person, tenge a month"), _("Income, tenge a month"), 0),
        ("poverty_share_below_subsistence_minimum", _("below the subsistence minimum, %"), _("Poverty, %"), 1),
    ):
        cs = reference_indicators.cross_section(code, regions=isos)
        out.append(Factor(code, label, short, cs.values, cs.period.text if cs.period else "", digits))
    rural = {r.iso: 100.0 * r.population_rural / r.population for r in ctx.regions if r.population}
    out.append(Factor("rural_share", _("rural population, %"), _("Rural, %"), rural, "2023-01-01", 1))
    return out


def _verdict_text(c: correlations.Correlation, lang: str) -> str:
    if c.verdict == correlations.Verdict.TOO_FEW:
        return _("too few regions (%(n)s) to estimate") % {"n": c.n}
    if c.verdict == correlations.Verdict.NO_VARIATION:
        return _("the same value in every region: nothing to compare")
    if c.verdict == correlations.Verdict.INCONCLUSIVE:
        return _("cannot be concluded: the interval includes zero")
    if c.verdict == correlations.Verdict.POSITIVE:
        return _("higher together (an association, not a cause)")
    return _("one higher where the other is lower (an association, not a cause)")


def _socio(ctx: _Context) -> Section:
    lang = ctx.lang
    factors = _factors(ctx)
    rates = {iso: c.rate for iso, c in ctx.women_rates.items() if not c.suppressed and c.rate is not None}
    rows = []
    for r in ctx.regions:
        cell = ctx.women_rates.get(r.iso)
        values = [fmt_number(f.values[r.iso], f.digits, lang=lang) if r.iso in f.values else DASH for f in factors]
        rows.append((r.name, fmt_cell(cell, lang=lang, rate=True, digits=1), *values))
    periods = "; ".join(f"{f.short}: {f.period}" for f in factors)
    table = Table(
        number=ctx.n.table(),
        caption=_("Reports with a female victim per 100,000 people beside regional socio-economic factors"),
        header=(_("Region"), _("Reports per 100,000"), *(f.short for f in factors)),
        rows=tuple(rows),
        widths=(0.25, 0.14, 0.17, 0.17, 0.13, 0.14),
        source=_(
            "Sources: Qorgau records; Bureau of National Statistics (unemployment, income, poverty, rural population), "
            "as compiled in the reference indicators of Qorgau. Periods: %(periods)s."
        )
        % {"periods": periods},
        notes=(_("“—”: not published for this region."), hidden_note()),
    )
    results = [(f, correlations.spearman(rates, f.values)) for f in factors]
    corr_rows = tuple(
        (
            f.short,
            str(c.n),
            fmt_rho(c.rho, lang=lang),
            f"{fmt_rho(c.low, lang=lang)} … {fmt_rho(c.high, lang=lang)}" if c.low is not None else DASH,
            _verdict_text(c, lang),
        )
        for f, c in results
    )
    corr = Table(
        number=ctx.n.table(),
        caption=_("Rank correlations (Spearman) between the rate and each factor, with 95 per cent intervals"),
        header=(_("Factor"), _("Regions"), _("Rho"), _("95 per cent interval"), _("What can be said")),
        rows=corr_rows,
        widths=(0.22, 0.11, 0.09, 0.17, 0.41),
        source=_(
            "Method: Spearman's rank correlation; interval by Fisher's z-transformation with the standard error "
            "for rank correlations (Fieller, Hartley and Pearson)."
        ),
    )
    panels = tuple(
        ScatterPanel(
            axis=f.label,
            points=tuple(
                (f.values[iso], rates[iso], iso.removeprefix("KZ-")) for iso in sorted(rates) if iso in f.values
            ),
            annotation=f"n = {c.n}, ρ = {fmt_rho(c.rho, lang=lang)}",
        )
        for f, c in results
    )
    scatter = Figure(
        number=ctx.n.figure(),
        caption=_("The rate of reports with a female victim against regional factors"),
        chart=Scatter(axis=_("reports per 100,000 people"), panels=panels, decimal=decimal_sign(lang)),
        source=_("Sources: as in the table above. Points are labelled with the region's ISO 3166-2 number."),
    )
    n = len(rates)
    threshold = math.tanh(correlations.Z95 * math.sqrt(1.06 / (n - 3))) if n > 3 else 1.0
    conclusive = [
        f.short for f, c in results if c.verdict in (correlations.Verdict.POSITIVE, correlations.Verdict.NEGATIVE)
    ]
    blocks: list[Block] = [
        Paragraph(
            _(
                "The note asks whether violence is more common where unemployment and poverty are higher, or in the countryside. "
                "Table %(table)s sets the regional rate beside these factors; Figure %(figure)s plots them."
            )
            % {"table": table.number, "figure": scatter.number}
        ),
        table,
        scatter,
        corr,
    ]
    if n >= correlations.MIN_N:
        blocks.append(
            Paragraph(
                _(
                    "With %(n)s regions, a rank correlation must be stronger than about ±%(t)s before its interval excludes "
                    "zero; weaker ones cannot be told apart from chance."
                )
                % {"n": n, "t": fmt_number(threshold, 2, lang=lang)},
                "verdict",
            )
        )
    else:
        blocks.append(
            Paragraph(
                _(
                    "Only %(n)s regions have a rate that can be shown for this period: too few to estimate any correlation."
                )
                % {"n": n},
                "verdict",
            )
        )
    if conclusive:
        ctx.summary.append(
            _("An association with %(list)s can be stated, but not a cause.") % {"list": ", ".join(conclusive)}
        )
    else:
        ctx.summary.append(
            _(
                "No association between the rate and unemployment, income, poverty or the rural share can be concluded from %(n)s regions."
            )
            % {"n": n}
        )
    if conclusive:
        blocks.append(
            Paragraph(
                _("An association can be stated for: %(list)s. Even so it does not show a cause.")
                % {"list": ", ".join(conclusive)},
                "verdict",
            )
        )
    else:
        blocks.append(
            Paragraph(
                _(
                    "With so few regions, no association between the rate and these factors can be concluded. "
                    "This is not evidence that there is none: the data are too few to tell."
                ),
                "verdict",
            )
        )
    blocks += [
        Paragraph(
            _(
                "A correlation between regions is not a cause, and it says nothing about individual families: regions differ in "
                "many ways at once, and a recorded rate also measures how readily women report and police record."
            )
        ),
        Paragraph(
            _(
                "Income for 2020 is published on the boundaries before the 2022 reform, which split Abai from East Kazakhstan, "
                "Jetisu from Almaty Region and Ulytau from Karaganda: the three new regions have no figure and the three old "
                "ones refer to their larger former territory. The poverty share is published for a few regions only."
            )
        ),
    ]
    return Section(5, _("Regional socio-economic factors"), tuple(blocks))


def _band(b: Any, lang: str, *, scale: float = 1.0, digits: int = 0, step: float = 1.0) -> str:
    """``median`` over ``low–high`` (two lines in the table cell)."""

    def num(v: float) -> str:
        v = v / scale
        return fmt_number(round(v / step) * step if step != 1.0 else v, digits, lang=lang)

    return f"{num(b.median)}\n{num(b.low)}–{num(b.high)}"


def _scenarios(ctx: _Context) -> Section:
    lang = ctx.lang
    intro = Paragraph(
        _(
            "The note compares three courses: inertial (no reform), reactive (harsher punishment only) and strategic "
            "(prevention, education and support). The scenario model projects each from the national figures of its "
            "base year; the real number of victims is taken to be at least twice the number who report."
        )
    )
    try:
        from qorgau.analytics.scenarios import scenario_table

        rows = scenario_table()
    except Exception:  # the note must still be issued without its scenario table; the failure is logged
        logger.exception("scenario model unavailable for the analytical note")
        return Section(
            6,
            _("Scenarios"),
            (intro, Paragraph(_("The scenario model is unavailable: this section could not be computed."), "verdict")),
        )
    if not rows:
        return Section(
            6,
            _("Scenarios"),
            (intro, Paragraph(_("The scenario model is unavailable: this section could not be computed."), "verdict")),
        )
    base_year = min(r.year for r in rows)
    last_year = max(r.year for r in rows)
    middle = base_year + (last_year - base_year) // 2
    shown = [r for r in rows if r.base][:1] + [r for r in rows if not r.base and r.year in (middle, last_year)]
    table_rows = []
    for r in shown:
        label = _("All scenarios (base year)") if r.base else r.label
        table_rows.append(
            (
                label,
                str(r.year),
                _band(r.victims, lang, step=100),
                _band(r.reports, lang, step=100),
                _band(r.deaths, lang),
                _band(r.cost, lang, scale=1e9, digits=0),
            )
        )
    table = Table(
        number=ctx.n.table(),
        caption=_("Scenario projections: median and 80 % band of the simulations"),
        header=(
            _("Scenario"),
            _("Year"),
            _("Victims (reported or not)"),
            _("Reports to the police"),
            _("Deaths"),
            _("Cost of violence, billion tenge"),
        ),
        rows=tuple(table_rows),
        widths=(0.22, 0.08, 0.19, 0.18, 0.14, 0.19),
        source=_(
            "Source: the scenario model of Qorgau, calibrated to the published national figures of %(year)s; "
            "its assumptions can be changed on the Scenarios page."
        )
        % {"year": base_year},
        notes=(
            _("Each cell: the median, and below it the 10th to 90th percentile of the simulations."),
            _(
                "The cost counts police, health and court costs per case, deaths, grave harm and lost working days; "
                "it leaves out the programmes' own spending."
            ),
        ),
    )
    closing = Paragraph(
        _(
            "The bands are wide because the assumptions are uncertain, not because the model is imprecise: the "
            "projections show the direction and the rough size of each course, not a forecast."
        )
    )
    return Section(6, _("Scenarios"), (intro, table, closing))


def _methods(ctx: _Context, as_of: str) -> Section:
    return Section(
        7,
        _("Methods and limits"),
        (
            Paragraph(
                _(
                    "Counts come from the records of the police, courts, crisis centres and other agencies in Qorgau, as of "
                    "%(as_of)s. Rates are per 100,000 people of the population on 1 January 2023 (Bureau of National Statistics); "
                    "the period's rate is not scaled to a year."
                )
                % {"as_of": as_of},
                lead=_("Data."),
            ),
            Paragraph(
                _(
                    "A report is a registered call or statement about domestic violence; a protective order is one issued by the "
                    "police; court decisions include special requirements for the offender's behaviour; deaths and grave harm are "
                    "criminal cases registered under articles 99–105 (a killing or a death) and article 106 (intentional grave "
                    "harm to health) of the Criminal Code."
                ),
                lead=_("Definitions."),
            ),
            Paragraph(
                _(
                    "Every count under %(n)s is hidden (“%(cell)s”), and further cells are hidden where a total would reveal a "
                    "hidden one. Breakdowns by group or form are given by region only, never by district. Crisis centres are "
                    "institutions and are counted in full."
                )
                % {"n": SMALL_CELL, "cell": SUPPRESSED},
                lead=_("Privacy."),
            ),
            Paragraph(
                _(
                    "Records: Qorgau. Population and socio-economic factors: Bureau of National Statistics, as compiled in the "
                    "reference indicators of Qorgau with the source of each figure. National figures: the Ministry of Internal "
                    "Affairs and the national report on the prevention of domestic violence, as cited by the analytical note. "
                    "Boundaries: geokz (A. Rodionov), CC BY 4.0."
                ),
                lead=_("Sources."),
            ),
            Paragraph(
                _(
                    "The national figures in Table 1 are rounded public statements for a calendar year and may count "
                    "differently; they are a check on scale, not a reconciliation."
                ),
                lead=_("Published figures."),
            ),
            Paragraph(
                _(
                    "Spearman's rank correlation over the regions where both values are known, with a 95 per cent interval by Fisher's "
                    "z-transformation. With 20 regions or fewer the intervals are wide; the verdicts say so plainly. The "
                    "published factors refer to other years than the records."
                ),
                lead=_("Correlations."),
            ),
            Paragraph(
                _(
                    "The scenario model's assumptions and sources are described on its own page and in its documentation; the "
                    "table shows the median projection and the range of its simulations."
                ),
                lead=_("Scenarios."),
            ),
        ),
    )


def note_build(user: User, filters: Filters, lang: str) -> Note:
    """The note for ``filters`` in ``lang``; ``Invalid`` on the start of the period when it holds no reports."""
    if not user.can(Capability.VIEW_AGGREGATES):
        raise Forbidden()
    with override(lang):
        view = dashboard_view(user, filters, ["reports"], audit_action=None)
        reports = view.total.cells.get("reports")
        if view.empty or reports is None or (not reports.suppressed and not reports.value):
            raise Invalid.field("start", _("No reports in this period: choose another."))
        ctx = _Context(
            user=user,
            filters=filters,
            lang=lang,
            regions=list(
                Region.objects.order_by("iso").only(
                    "iso", "name_kk", "name_ru", "name_en", "population", "population_rural", "boundary_geojson"
                )
            ),
        )
        now = clock.now()
        as_of = day_label(view.as_of, lang) if view.as_of else _("not yet counted")
        generated = day_label(now, lang)
        sections = [_key_figures(ctx), _centres(ctx), _women(ctx), _groups(ctx), _socio(ctx)]
        sections.append(_scenarios(ctx))
        sections.append(_methods(ctx, as_of))
        period = period_label(filters, lang)
        return Note(
            lang=lang,
            filters=filters,
            title=_("Domestic violence in Kazakhstan"),
            subtitle=_("Analytical note for the national strategy"),
            period=period,
            issued=_("Generated by Qorgau on %(date)s; data as of %(as_of)s") % {"date": generated, "as_of": as_of},
            footer=_("Qorgau — generated %(date)s, data as of %(as_of)s") % {"date": generated, "as_of": as_of},
            contents_title=_("Contents"),
            summary_title=_("In brief"),
            summary=tuple(ctx.summary),
            sections=tuple(sections),
            filename=note_filename(filters, lang),
        )
