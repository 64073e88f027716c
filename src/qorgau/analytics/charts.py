"""Server-drawn SVG charts of the dashboard: a line chart of a monthly series and a horizontal bar chart
of regions, plus the number formats every analytics output shares.

The charts take plain values (the view turns the selectors' cells into ``Point`` and ``Bar``), so they
know nothing of suppression rules beyond drawing a hidden cell as hidden: a suppressed month is a
hatched band with no line through it, a suppressed region a hatched bar with no value. Every label is
escaped (``format_html``); colours and sizes are SVG presentation attributes, which the content-security
policy allows (no inline ``style``). Nothing is fetched from the network.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

INK = "#1d2733"
MUTED = "#5b6775"
GRID = "#d8dee6"
LINE = "#1f5f8b"
BAR = "#1f5f8b"
HIDDEN = "#9ca3af"
FONT = "system-ui, sans-serif"


# --- numbers --------------------------------------------------------------------------------------


def number(value: float | None, kind: str = "count", *, rate: bool = False) -> str:
    """A figure as the user's language writes it: counts whole, rates, shares (0–100) and hours to one decimal."""
    if value is None:
        return "—"
    if rate:  # rare events (deaths) need the second decimal to be told from zero
        places = 2 if 0 < abs(value) < 1 else 1
        return number_format(round(value, places), decimal_pos=places, use_l10n=True, force_grouping=True)
    if kind == "share":
        return _("%(n)s %%") % {"n": number_format(round(value, 1), decimal_pos=1, use_l10n=True)}
    if kind == "mean_hours":
        return _("%(n)s h") % {"n": number_format(round(value, 1), decimal_pos=1, use_l10n=True, force_grouping=True)}
    if float(value).is_integer():
        return number_format(int(value), use_l10n=True, force_grouping=True)
    return number_format(round(value, 1), decimal_pos=1, use_l10n=True, force_grouping=True)


def month_label(month: dt.date) -> str:
    return f"{month:%m.%Y}"


def nice_ticks(top: float, count: int = 4) -> list[float]:
    """Axis ticks from 0 to at least ``top`` in steps of 1, 2, 2.5 or 5 times a power of ten."""
    if top <= 0 or not math.isfinite(top):
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for m in (1, 2, 2.5, 5, 10):
        if m * magnitude >= raw:
            step = m * magnitude
            break
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def _f(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def join_svg(parts: Iterable[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((p,) for p in parts))


def hatch_defs(ident: str) -> SafeString:
    return format_html(
        '<defs><pattern id="{}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#eef1f5"/><line x1="0" y1="0" x2="0" y2="6" stroke="{}" stroke-width="2"/></pattern></defs>',
        ident,
        HIDDEN,
    )


# --- the line chart -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    month: dt.date
    value: float | None
    suppressed: bool = False


LW, LH = 480, 220
LEFT, RIGHT, TOP, BOTTOM = 58, 12, 12, 36


def line_chart(ident: str, title: str, points: Sequence[Point], *, kind: str = "count") -> SafeString | None:
    """A monthly series as an SVG line; ``None`` when no month has a figure above zero (the page says so)."""
    shown = [p.value for p in points if p.value is not None and not p.suppressed]
    if not any(shown):
        return None
    ticks = nice_ticks(max(shown))
    top = ticks[-1] or 1.0
    width, height = LW - LEFT - RIGHT, LH - TOP - BOTTOM
    n = len(points)
    slot = width / max(n, 1)

    def x(i: int) -> float:
        return LEFT + slot * (i + 0.5)

    def y(v: float) -> float:
        return TOP + height * (1 - v / top)

    parts: list[SafeString] = [hatch_defs(f"{ident}-hatch")]
    for t in ticks:
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>',
                LEFT,
                _f(y(t)),
                LW - RIGHT,
                _f(y(t)),
                GRID,
            )
        )
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="{}">{}</text>',
                LEFT - 6,
                _f(y(t) + 4),
                MUTED,
                number(t, kind),
            )
        )
    step = max(1, math.ceil(n / 6))
    for i, p in enumerate(points):
        if i % step == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="{}">{}</text>',
                    _f(x(i)),
                    LH - BOTTOM + 16,
                    MUTED,
                    month_label(p.month),
                )
            )
    hidden = 0
    for i, p in enumerate(points):
        if p.suppressed:
            hidden += 1
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="url(#{})" data-hidden="{}"><title>{}: {}</title></rect>',
                    _f(x(i) - slot / 2),
                    TOP,
                    _f(slot),
                    height,
                    f"{ident}-hatch",
                    month_label(p.month),
                    month_label(p.month),
                    _("hidden"),
                )
            )
    # The line breaks at a hidden or missing month instead of bridging it.
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, p in enumerate(points):
        if p.value is None or p.suppressed:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{_f(x(i))} {_f(y(p.value))}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            parts.append(format_html('<path d="M{}" fill="none" stroke="{}" stroke-width="2"/>', " L".join(seg), LINE))
    for i, p in enumerate(points):
        if p.value is not None and not p.suppressed:
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="3" fill="{}" data-month="{}"><title>{}: {}</title></circle>',
                    _f(x(i)),
                    _f(y(p.value)),
                    LINE,
                    month_label(p.month),
                    month_label(p.month),
                    number(p.value, kind),
                )
            )
    parts.append(
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>',
            LEFT,
            TOP + height,
            LW - RIGHT,
            TOP + height,
            INK,
        )
    )
    first, last = month_label(points[0].month), month_label(points[-1].month)
    desc = _("Monthly figures from %(first)s to %(last)s; highest %(top)s.") % {
        "first": first,
        "last": last,
        "top": number(max(shown), kind),
    }
    if hidden:
        desc += " " + _("Months hidden to protect small numbers: %(n)d.") % {"n": hidden}
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" class="chart" '
        'font-family="{}" aria-labelledby="{}-t {}-d" data-chart="line" data-testid="chart-{}">'
        '<title id="{}-t">{}</title><desc id="{}-d">{}</desc>{}</svg>',
        LW,
        LH,
        FONT,
        ident,
        ident,
        ident,
        ident,
        title,
        ident,
        desc,
        join_svg(parts),
    )


# --- the bar chart --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    value: float | None
    suppressed: bool = False


BW = 640
LABEL_W = 230
ROW = 22
VALUE_W = 70


def bar_chart(
    ident: str, title: str, bars: Sequence[Bar], *, kind: str = "count", rate: bool = False
) -> SafeString | None:
    """One horizontal bar per place, largest first, hidden ones last; ``None`` when no bar has a figure above zero."""
    shown = [b for b in bars if b.value is not None and not b.suppressed]
    if not any(b.value for b in shown):
        return None
    order = sorted(shown, key=lambda b: (-(b.value or 0.0), b.label)) + [b for b in bars if b not in shown]
    top = max(b.value or 0.0 for b in shown) or 1.0
    span = BW - LABEL_W - VALUE_W - 8
    height = ROW * len(order) + 8
    parts: list[SafeString] = [hatch_defs(f"{ident}-hatch")]
    for i, b in enumerate(order):
        y0 = 4 + i * ROW
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="{}">{}</text>',
                LABEL_W - 6,
                y0 + 15,
                INK,
                b.label,
            )
        )
        if b.suppressed:
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="url(#{})" data-key="{}" data-hidden="1"><title>{}: {}</title></rect>'
                    '<text x="{}" y="{}" font-size="12" fill="{}">{}</text>',
                    LABEL_W,
                    y0 + 3,
                    _f(span * 0.15),
                    ROW - 6,
                    f"{ident}-hatch",
                    b.key,
                    b.label,
                    _("hidden"),
                    _f(LABEL_W + span * 0.15 + 4),
                    y0 + 15,
                    MUTED,
                    _("hidden"),
                )
            )
            continue
        if b.value is None:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" font-size="12" fill="{}" data-key="{}">{}</text>',
                    LABEL_W,
                    y0 + 15,
                    MUTED,
                    b.key,
                    _("no data"),
                )
            )
            continue
        w = span * (b.value / top)
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-key="{}"><title>{}: {}</title></rect>'
                '<text x="{}" y="{}" font-size="12" fill="{}">{}</text>',
                LABEL_W,
                y0 + 3,
                _f(max(w, 1.0)),
                ROW - 6,
                BAR,
                b.key,
                b.label,
                number(b.value, kind, rate=rate),
                _f(LABEL_W + max(w, 1.0) + 4),
                y0 + 15,
                INK,
                number(b.value, kind, rate=rate),
            )
        )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" class="chart" '
        'font-family="{}" aria-labelledby="{}-t" data-chart="bars" data-testid="chart-{}">'
        '<title id="{}-t">{}</title>{}</svg>',
        BW,
        height,
        FONT,
        ident,
        ident,
        ident,
        title,
        join_svg(parts),
    )
