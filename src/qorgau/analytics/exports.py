"""Exports of a dashboard view: CSV, XLSX (openpyxl) and PDF (reportlab), audited (DESIGN §5, §8).

An export holds exactly what the dashboard shows for the same filters — the places' table with the
national or regional total, the monthly series, the filters, the notices and the time the figures
are as of — and nothing else: the cells come from ``analytics.selectors`` already suppressed, a
hidden cell is written as the word "hidden", and no person, case or date finer than a month is in
any of them. Each export writes one audit row (EXPORT, the format, the number of rows) in the same
transaction as the read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from qorgau.analytics import selectors
from qorgau.analytics.charts import month_label, number
from qorgau.analytics.filters import Filters, filters_query
from qorgau.analytics.indicators import INDICATORS, Indicator, breakdown_label
from qorgau.core import clock
from qorgau.core.audit import audit_record
from qorgau.core.models import AuditAction, District, Region

if TYPE_CHECKING:
    from qorgau.accounts.models import User
    from qorgau.analytics.forms_dashboard import Choice

FORMATS = ("csv", "xlsx", "pdf")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
Value = str | int | float


@dataclass(frozen=True)
class Table:
    title: str
    header: list[str]
    rows: list[list[Value]]


@dataclass(frozen=True)
class Export:
    title: str
    about: list[tuple[str, str]]  # (label, value): the filters and the times
    notices: list[str]
    places: Table
    months: Table


def describe(filters: Filters) -> list[tuple[str, str]]:
    """The filters in words, for the head of every export."""
    region = (
        Region.objects.filter(pk=filters.region).only("name_kk", "name_ru", "name_en").first()
        if filters.region
        else None
    )
    district = (
        District.objects.filter(pk=filters.district).only("name_kk", "name_ru", "name_en").first()
        if filters.district
        else None
    )
    settlement = {None: _("urban and rural"), True: _("urban only"), False: _("rural only")}[filters.urban]
    return [
        (_("Period"), f"{month_label(filters.start)} – {month_label(filters.end)}"),
        (_("Region"), region.name if region else _("all regions")),
        (_("District"), district.name if district else _("all districts")),
        (_("Settlement"), settlement),
        (_("Breakdown"), breakdown_label(filters.breakdown) or _("no breakdown")),
    ]


def _number(cell: selectors.Cell | None, *, rate: bool = False) -> Value:
    """A figure as a number (spreadsheets compute with it); a hidden one as the word."""
    if cell is None:
        return ""
    if cell.suppressed:
        return _("hidden")
    value = cell.rate if rate else cell.value
    if value is None:
        return ""
    if not rate and float(value).is_integer():
        return int(value)
    return round(float(value), 2 if rate else 1)


def export_build(view: selectors.View, codes: Sequence[str]) -> Export:
    shown: list[Indicator] = [INDICATORS[c] for c in codes]
    header = [_("Place"), _("Population")]
    for ind in shown:
        header.append(str(ind.label))
        if ind.per_100k:
            header.append(_("%(indicator)s per 100,000 people") % {"indicator": ind.label})
    rows: list[list[Value]] = []
    for r in [*view.rows, view.total]:
        line: list[Value] = [r.name, r.population if r.population is not None else ""]
        for ind in shown:
            line.append(_number(r.cells.get(ind.code)))
            if ind.per_100k:
                line.append(_number(r.cells.get(ind.code), rate=True))
        rows.append(line)
    series_codes = [c for c in codes if c in view.series]
    months: dict[dt.date, dict[str, selectors.Cell]] = {}
    for code in series_codes:
        for month, cell in view.series[code]:
            months.setdefault(month, {})[code] = cell
    month_rows: list[list[Value]] = [
        [month_label(m), *(_number(months[m].get(c)) for c in series_codes)] for m in sorted(months)
    ]
    as_of = timezone.localtime(view.as_of).strftime("%d.%m.%Y %H:%M") if view.as_of else _("not yet computed")
    about = [
        *describe(view.filters),
        (_("Figures as of"), as_of),
        (_("Exported"), timezone.localtime(clock.now()).strftime("%d.%m.%Y %H:%M")),
    ]
    return Export(
        title=_("Qorgau: domestic-violence indicators"),
        about=about,
        notices=[str(n) for n in view.notices],
        places=Table(_("Places"), header, rows),
        months=Table(_("Months"), [_("Month"), *(str(INDICATORS[c].label) for c in series_codes)], month_rows),
    )


# --- the three formats ----------------------------------------------------------------------------


def _text(value: Value) -> Value:
    """A string a spreadsheet would run as a formula is written as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(export: Export) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([export.title])
    for label, value in export.about:
        writer.writerow([_text(label), _text(value)])
    for notice in export.notices:
        writer.writerow([_("Notice"), _text(notice)])
    for table in (export.places, export.months):
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow([_text(h) for h in table.header])
        for row in table.rows:
            writer.writerow([_text(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode()  # a BOM, so spreadsheet programs read Cyrillic and Kazakh letters


def _sheet_title(title: str) -> str:
    return "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "Sheet"


def export_xlsx(export: Export) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    about = book.active
    assert about is not None
    about.title = _sheet_title(_("About"))
    about.append([export.title])
    about["A1"].font = Font(bold=True)
    for label, value in export.about:
        about.append([_text(label), _text(value)])
    for notice in export.notices:
        about.append([_("Notice"), _text(notice)])
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 60
    for table in (export.places, export.months):
        sheet = book.create_sheet(_sheet_title(table.title))
        sheet.append([_text(h) for h in table.header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_text(v) for v in row])
        sheet.freeze_panes = "B2"
        sheet.column_dimensions["A"].width = 32
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fonts() -> tuple[str, str]:
    """matplotlib's bundled DejaVu Sans (it has the Kazakh letters), registered with reportlab once."""
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    regular, bold = "DejaVuSans", "DejaVuSans-Bold"
    registered = pdfmetrics.getRegisteredFontNames()
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name in (regular, bold):
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(folder / f"{name}.ttf")))
    return regular, bold


def _pdf_value(value: Value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return number(value, "count")
    return number_format(value, use_l10n=True, force_grouping=True)


def export_pdf(export: Export) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold = _fonts()
    title_style = ParagraphStyle("title", fontName=bold, fontSize=15, leading=19, spaceAfter=6)
    heading = ParagraphStyle("heading", fontName=bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=regular, fontSize=8.5, leading=11)
    cell = ParagraphStyle("cell", fontName=regular, fontSize=7, leading=8.5)
    head = ParagraphStyle("head", fontName=bold, fontSize=7, leading=8.5)
    num = ParagraphStyle("num", parent=cell, alignment=2)  # right-aligned figures
    num_total = ParagraphStyle("num_total", parent=head, alignment=2)

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), style)

    out = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(
        out,
        pagesize=page,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=14 * mm,
        title=export.title,
        author="Qorgau",
    )
    width = page[0] - 24 * mm
    style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), regular),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b8c2cc")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6eef5")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]
    )
    story: list[object] = [para(export.title, title_style)]
    story.append(
        Table([[para(k, head), para(v, body)] for k, v in export.about], colWidths=[45 * mm, 120 * mm], hAlign="LEFT")
    )
    for notice in export.notices:
        story.append(para(notice, body))
    for table in (export.places, export.months):
        story.append(Spacer(1, 4 * mm))
        story.append(para(table.title, heading))
        columns = len(table.header)
        first = min(55 * mm, width / 3) if columns > 1 else width
        rest = (width - first) / max(columns - 1, 1)
        data = [[para(h, head) for h in table.header]]
        last = len(table.rows) - 1 if table is export.places else -1  # the places' total row, in bold
        data += [
            [
                para(_pdf_value(v), (head if n == last else cell) if i == 0 else (num_total if n == last else num))
                for i, v in enumerate(row)
            ]
            for n, row in enumerate(table.rows)
        ]
        t = Table(data, colWidths=[first, *([rest] * (columns - 1))], repeatRows=1, hAlign="LEFT")
        t.setStyle(style)
        story.append(t)

    def footer(canvas: Any, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7)
        note = _("Qorgau: aggregates only; small numbers hidden. Page %(n)d") % {"n": document.page}
        canvas.drawString(12 * mm, 7 * mm, note)
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


RENDER = {"csv": export_csv, "xlsx": export_xlsx, "pdf": export_pdf}


@transaction.atomic
def export_for(actor: User, choice: Choice, fmt: str, *, request: HttpRequest | None = None) -> tuple[Export, bytes]:
    """Read the view through the selectors (capability and suppression there), render it, audit it."""
    codes = list(dict.fromkeys([*choice.show, choice.indicator]))
    view = selectors.dashboard_view(actor, choice.filters, codes, audit_action=None)  # audited below, as the export
    export = export_build(view, codes)
    content = RENDER[fmt](export)
    audit_record(
        actor=actor,
        action=AuditAction.EXPORT,
        target_type="analytics_export",
        target_id=fmt,
        count=len(export.places.rows) + len(export.months.rows),
        term=urlencode(filters_query(choice.filters)),
        request=request,
    )
    return export, content


def export_response(actor: User, choice: Choice, fmt: str, *, request: HttpRequest | None = None) -> HttpResponse:
    _export, content = export_for(actor, choice, fmt, request=request)
    f = choice.filters
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="qorgau-analytics-{f.start:%Y-%m}-{f.end:%Y-%m}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
