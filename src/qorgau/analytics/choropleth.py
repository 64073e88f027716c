"""The choropleth of the analytics map: the 20 regions (or one region's districts) coloured by an
indicator in up to five quantile classes, drawn on the server as inline SVG.

The shapes and their projection are the coverage map's (``qorgau.shelters.coverage_map``: geokz
boundaries, simplified once per process); this module only colours them. Classes are quantiles of
the places that have a figure; a place whose figure is hidden by suppression is hatched grey and
a place without a figure is plain grey, and neither takes part in the classes. The legend and the
table under the map are HTML, so screen readers get the same information as the picture.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qorgau.analytics.charts import HIDDEN, hatch_defs, join_svg, number
from qorgau.shelters.coverage_map import WIDTH, Shape, shapes

# ColorBrewer YlOrRd, 5 classes (colour-blind safe, prints in grey scale).
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "#f3f4f6"
ATTRIBUTION = gettext_lazy("Boundaries: geokz (A. Rodionov), CC BY 4.0")


@dataclass(frozen=True)
class Area:
    key: str  # region ISO code or district KATO code
    name: str
    value: float | None
    suppressed: bool = False


@dataclass(frozen=True)
class LegendItem:
    colour: str
    label: str
    hatched: bool = False


@dataclass(frozen=True)
class Choropleth:
    svg: SafeString
    legend: list[LegendItem]
    classes: dict[str, int]  # area key -> class index (0 = lowest); hidden and missing areas are absent
    empty: bool  # no area has a figure above zero to colour


def quantile_breaks(values: Sequence[float], k: int = 5) -> list[float]:
    """The upper bounds of up to ``k`` quantile classes (the last is the maximum); ties merge classes."""
    if not values:
        return []
    ordered = sorted(values)
    cuts = statistics.quantiles(ordered, n=k, method="inclusive") if len(ordered) > 1 else []
    bounds = sorted({c for c in cuts if c < ordered[-1]} | {ordered[-1]})
    return bounds


def class_of(value: float, bounds: Sequence[float]) -> int:
    return min(bisect.bisect_left(bounds, value), len(bounds) - 1)


def palette_for(k: int) -> list[str]:
    if k <= 1:
        return [PALETTE[2]]
    return [PALETTE[round(i * (len(PALETTE) - 1) / (k - 1))] for i in range(k)]


def choropleth(
    areas: Sequence[Area], *, region: str = "", kind: str = "count", rate: bool = False, title: str = ""
) -> Choropleth:
    """Colour the regions (``region`` empty) or the districts of ``region`` by their areas' values."""
    s = shapes()
    drawn: list[Shape] = list(s.regions) if not region else [d for d in s.districts if d.region == region]
    outline: list[Shape] = [r for r in s.regions if r.region == region] if region else []
    by_key = {a.key: a for a in areas}
    values = [a.value for a in areas if a.value is not None and not a.suppressed]
    bounds = quantile_breaks(values)
    colours = palette_for(len(bounds))
    classes = {a.key: class_of(a.value, bounds) for a in areas if a.value is not None and not a.suppressed}

    boxes = [r.bounds for r in (outline or drawn)] or [(0.0, 0.0, WIDTH, WIDTH / 2)]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    pad = max(x1 - x0, y1 - y0) * 0.02
    w, h = x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
    stroke = f"{max(w, h) / 800:.2f}"
    hatch_id = "map-hatch"
    parts: list[SafeString] = [hatch_defs(hatch_id)]
    for shape in drawn:
        area = by_key.get(shape.key)
        name = area.name if area else shape.key
        if area is not None and area.suppressed:
            fill, state, text = f"url(#{hatch_id})", "hidden", _("hidden")
        elif area is None or area.value is None:
            fill, state, text = NO_DATA, "none", _("no data")
        else:
            c = classes[shape.key]
            fill, state, text = colours[c], str(c), number(area.value, kind, rate=rate)
        parts.append(
            format_html(
                '<path d="{}" fill="{}" stroke="#374151" stroke-width="{}" data-area="{}" data-class="{}">'
                "<title>{}: {}</title></path>",
                shape.d,
                fill,
                stroke,
                shape.key,
                state,
                name,
                text,
            )
        )
    for shape in outline:
        parts.append(
            format_html(
                '<path d="{}" fill="none" stroke="#111827" stroke-width="{}"/>', shape.d, f"{max(w, h) / 300:.2f}"
            )
        )
    svg = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="{} {} {} {}" width="100%" role="img" class="map" '
        'aria-labelledby="map-title" data-testid="choropleth"><title id="map-title">{}</title>{}</svg>',
        f"{x0 - pad:.1f}",
        f"{y0 - pad:.1f}",
        f"{w:.1f}",
        f"{h:.1f}",
        title,
        join_svg(parts),
    )

    legend: list[LegendItem] = []
    low = min(values) if values else 0.0
    for i, upper in enumerate(bounds):
        lower = low if i == 0 else bounds[i - 1]
        label = (
            number(upper, kind, rate=rate)
            if lower == upper
            else f"{number(lower, kind, rate=rate)} – {number(upper, kind, rate=rate)}"
        )
        legend.append(LegendItem(colours[i], label))
    if any(a.suppressed for a in areas):
        legend.append(LegendItem(HIDDEN, _("hidden (<5, or so that a total cannot reveal one)"), hatched=True))
    if any(a.value is None and not a.suppressed for a in areas) or len(by_key) < len(drawn):
        legend.append(LegendItem(NO_DATA, _("no data")))
    return Choropleth(svg=svg, legend=legend, classes=classes, empty=not any(values))
