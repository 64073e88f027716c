"""The analytical note as a PDF (reportlab platypus): a title page, the contents, numbered sections,
tables and figures with captions and sources, and on every page after the title a footer
"Qorgau — generated <date>, data as of <as_of>" with the page number.

The text is set in DejaVu Sans from matplotlib's bundled fonts (the same face as the charts), which
has every Kazakh letter; reportlab's built-in Helvetica has none. The contents need a second pass
(``multiBuild``) to learn the page of each section.
"""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import matplotlib
from django.utils.translation import gettext as _
from django.utils.translation import override
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Table as RLTable
from reportlab.platypus.tableofcontents import TableOfContents

from qorgau.analytics import note as n
from qorgau.analytics.note_figures import figure_png

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
ITALIC = "DejaVuSans-Oblique"

PAGE_W, PAGE_H = A4
MARGIN_X = 2.2 * cm
MARGIN_TOP = 2.2 * cm
MARGIN_BOTTOM = 2.4 * cm
TEXT_W = PAGE_W - 2 * MARGIN_X
TEXT_H = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM

NAVY = colors.HexColor("#1f3a5f")
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#5b6573")
RULE = colors.HexColor("#c5ccd6")
BAND = colors.HexColor("#eef2f7")

# Binary (zlib) streams, not ASCII85 on top: without reportlab's C accelerator, ASCII85-encoding the
# figures in pure Python takes longer than drawing them. Every PDF reader takes binary streams.
rl_config.useA85 = 0

_fonts_lock = threading.Lock()
_fonts_done = False


def fonts_register() -> None:
    global _fonts_done
    with _fonts_lock:
        if _fonts_done:
            return
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
        pdfmetrics.registerFont(TTFont(ITALIC, str(FONT_DIR / "DejaVuSans-Oblique.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-BoldOblique", str(FONT_DIR / "DejaVuSans-BoldOblique.ttf")))
        pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=ITALIC, boldItalic="DejaVuSans-BoldOblique")
        _fonts_done = True


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "body", fontName=FONT, fontSize=9.5, leading=13.5, textColor=INK, spaceAfter=6, alignment=TA_LEFT
    )
    return {
        "body": body,
        "verdict": ParagraphStyle(
            "verdict",
            parent=body,
            fontName=BOLD,
            backColor=BAND,
            borderPadding=(5, 6, 5, 6),
            spaceBefore=6,
            spaceAfter=10,
        ),
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=10, textColor=MUTED, spaceAfter=2),
        "h1": ParagraphStyle(
            "h1",
            parent=body,
            fontName=BOLD,
            fontSize=14,
            leading=18,
            textColor=NAVY,
            spaceBefore=4,
            spaceAfter=10,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle("h2", parent=body, fontName=BOLD, fontSize=12, leading=16, textColor=NAVY, spaceAfter=8),
        "brief": ParagraphStyle(
            "brief", parent=body, fontSize=10, leading=14.5, leftIndent=10, firstLineIndent=-10, spaceAfter=5
        ),
        "caption": ParagraphStyle(
            "caption", parent=body, fontName=BOLD, fontSize=9, leading=12, spaceBefore=8, spaceAfter=4
        ),
        "cell": ParagraphStyle("cell", parent=body, fontSize=8, leading=10, spaceAfter=0),
        "cell_num": ParagraphStyle("cell_num", parent=body, fontSize=8, leading=10, spaceAfter=0, alignment=2),
        "head": ParagraphStyle(
            "head", parent=body, fontName=BOLD, fontSize=7.8, leading=9.5, spaceAfter=0, textColor=colors.white
        ),
        "toc1": ParagraphStyle("toc1", parent=body, fontSize=11, leading=20, leftIndent=0),
        "title": ParagraphStyle(
            "title", parent=body, fontName=BOLD, fontSize=26, leading=32, textColor=NAVY, spaceAfter=10
        ),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=15, leading=20, textColor=INK, spaceAfter=28),
        "period": ParagraphStyle(
            "period", parent=body, fontName=BOLD, fontSize=13, leading=18, textColor=NAVY, spaceAfter=6
        ),
        "issued": ParagraphStyle("issued", parent=body, fontSize=9, leading=13, textColor=MUTED),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """Plain text (escaped); a newline starts a new line in the same paragraph."""
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


class _Doc(BaseDocTemplate):
    """Collects the section headings for the contents."""

    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, Paragraph) and getattr(flowable, "toc_level", None) is not None:
            key = f"s{self.seq.nextf('heading')}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.getPlainText(), key, level=0)
            self.notify("TOCEntry", (0, flowable.getPlainText(), self.page, key))


def _numeric(text: str) -> bool:
    """A figure (right-aligned): digits with grouping, decimal signs, ranges, "<5" or a dash."""
    return text == n.DASH or bool(
        re.fullmatch(r"[<\u2212\-]?[\d\s\u00a0.,%]+(?:(?:–|…|\n)\s*[\u2212\-]?[\d\s\u00a0.,%–]+)*", text)
    )


def _table(t: n.Table, st: dict[str, ParagraphStyle], lead: list[Flowable]) -> list[Flowable]:
    widths = t.widths or tuple(1 / len(t.header) for _h in t.header)
    col_widths = [TEXT_W * w for w in widths]
    data: list[list[Any]] = [[_p(h, st["head"]) for h in t.header]]
    body_rows = list(t.rows) + ([t.total] if t.total else [])
    for row in body_rows:
        data.append([_p(v, st["cell_num"] if i and _numeric(v) else st["cell"]) for i, v in enumerate(row)])
    table = RLTable(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    style: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]
    for i in range(1, len(data)):
        if i % 2 == 0:
            style.append(("BACKGROUND", (0, i), (-1, i), BAND))
    if t.total:
        style += [
            ("LINEABOVE", (0, len(data) - 1), (-1, len(data) - 1), 0.8, INK),
            ("BACKGROUND", (0, len(data) - 1), (-1, len(data) - 1), colors.white),
        ]
        for j in range(len(t.total)):
            data[-1][j].style = ParagraphStyle("tot", parent=data[-1][j].style, fontName=BOLD)
    table.setStyle(TableStyle(style))
    caption = _p(_("Table %(n)s. %(caption)s") % {"n": t.number, "caption": t.caption}, st["caption"])
    tail = [_p(t.source, st["small"]), *(_p(x, st["small"]) for x in t.notes), Spacer(1, 8)]
    if len(data) <= 24:
        return [KeepTogether([*lead, caption, table, *tail])]
    return [CondPageBreak(6 * cm), *lead, caption, table, *tail]


def _figure(f: n.Figure, st: dict[str, ParagraphStyle], lead: list[Flowable]) -> list[Flowable]:
    png, w_cm, h_cm = figure_png(f.chart)
    width, height = w_cm * cm, h_cm * cm
    room = TEXT_H - 3.2 * cm - (1.2 * cm if lead else 0)  # the caption and the source under it, a heading above
    if width > TEXT_W or height > room:
        scale = min(TEXT_W / width, room / height)
        width, height = width * scale, height * scale
    image = Image(io.BytesIO(png), width=width, height=height)
    caption = _p(_("Figure %(n)s. %(caption)s") % {"n": f.number, "caption": f.caption}, st["caption"])
    return [
        KeepTogether([*lead, image, caption, _p(f.source, st["small"]), *(_p(x, st["small"]) for x in f.notes)]),
        Spacer(1, 10),
    ]


def _blocks(section: n.Section, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    """The section's flowables; its heading kept on the page of what follows it (a figure or table included)."""
    heading = _p(f"{section.number}. {section.title}", st["h1"])
    heading.toc_level = 0
    out: list[Flowable] = [CondPageBreak(5 * cm)]
    lead: list[Flowable] = [heading]
    for block in section.blocks:
        if isinstance(block, n.Paragraph):
            out += lead
            style = st.get(block.style, st["body"])
            if block.lead:
                out.append(Paragraph(f"<b>{escape(block.lead)}</b> {escape(block.text)}", style))
            else:
                out.append(_p(block.text, style))
        elif isinstance(block, n.Table):
            out += _table(block, st, lead)
        else:
            out += _figure(block, st, lead)
        lead = []
    out += lead
    out.append(Spacer(1, 10))
    return out


def _summary(note: n.Note, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    if not note.summary:
        return []
    items = [Paragraph(f"•&nbsp;&nbsp;{escape(line)}", st["brief"]) for line in note.summary]
    box = RLTable([[items]], colWidths=[TEXT_W])
    box.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), BAND),
                ("LINEBEFORE", (0, 0), (0, -1), 3, NAVY),
                ("LEFTPADDING", (0, 0), (-1, -1), 12),
                ("RIGHTPADDING", (0, 0), (-1, -1), 12),
                ("TOPPADDING", (0, 0), (-1, -1), 10),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return [Spacer(1, 1.2 * cm), _p(note.summary_title, st["h2"]), box]


def _title_page(note: n.Note, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    return [
        Spacer(1, 5.5 * cm),
        _p(note.title, st["title"]),
        _p(note.subtitle, st["subtitle"]),
        _p(note.period[:1].upper() + note.period[1:], st["period"]),
        Spacer(1, 9 * cm),
        _p(note.issued, st["issued"]),
        _p(_("Counts under %(n)s are hidden so that no one can be recognised.") % {"n": n.SMALL_CELL}, st["issued"]),
    ]


def note_pdf(note: n.Note) -> bytes:
    """The note laid out on A4 pages, as the bytes of a PDF file."""
    fonts_register()
    with override(note.lang):
        st = _styles()
        out = io.BytesIO()
        doc = _Doc(
            out,
            pagesize=A4,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=f"{note.title}: {note.period}",
            author="Qorgau",
            subject=note.subtitle,
            lang=note.lang,
        )
        frame = Frame(
            MARGIN_X,
            MARGIN_BOTTOM,
            TEXT_W,
            TEXT_H,
            id="text",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )

        def title_page(canvas: Any, _doc: Any) -> None:
            canvas.saveState()
            canvas.setFillColor(NAVY)
            canvas.rect(0, PAGE_H - 3.2 * cm, PAGE_W, 3.2 * cm, stroke=0, fill=1)
            canvas.setFillColor(colors.white)
            canvas.setFont(BOLD, 16)
            canvas.drawString(MARGIN_X, PAGE_H - 2.0 * cm, "Qorgau")
            canvas.setFillColor(BAND)
            canvas.rect(0, 0, PAGE_W, 1.2 * cm, stroke=0, fill=1)
            canvas.restoreState()

        def body_page(canvas: Any, doc_: Any) -> None:
            canvas.saveState()
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(0.5)
            canvas.line(MARGIN_X, PAGE_H - MARGIN_TOP + 0.6 * cm, PAGE_W - MARGIN_X, PAGE_H - MARGIN_TOP + 0.6 * cm)
            canvas.setFont(FONT, 7.5)
            canvas.setFillColor(MUTED)
            canvas.drawString(MARGIN_X, PAGE_H - MARGIN_TOP + 0.8 * cm, f"{note.title} · {note.period}")
            canvas.line(MARGIN_X, MARGIN_BOTTOM - 0.7 * cm, PAGE_W - MARGIN_X, MARGIN_BOTTOM - 0.7 * cm)
            canvas.drawString(MARGIN_X, MARGIN_BOTTOM - 1.15 * cm, note.footer)
            canvas.drawRightString(PAGE_W - MARGIN_X, MARGIN_BOTTOM - 1.15 * cm, str(doc_.page))
            canvas.restoreState()

        doc.addPageTemplates(
            [
                PageTemplate(id="title", frames=[frame], onPage=title_page),
                PageTemplate(id="body", frames=[frame], onPage=body_page),
            ]
        )
        toc = TableOfContents(levelStyles=[st["toc1"]], dotsMinLevel=0)
        story: list[Flowable] = [
            *_title_page(note, st),
            NextPageTemplate("body"),
            PageBreak(),
            _p(note.contents_title, st["h1"]),
            toc,
            *_summary(note, st),
            PageBreak(),
        ]
        for section in note.sections:
            story += _blocks(section, st)
        doc.multiBuild(story)
        return out.getvalue()
