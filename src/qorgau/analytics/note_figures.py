"""The analytical note's charts, drawn with matplotlib (Agg, no display, no network) as PNG at 200 dpi.

Every chart uses matplotlib's bundled DejaVu Sans, which carries the Kazakh letters (ә ғ қ ң ө ұ ү һ і).
Figures are built with the object API (``matplotlib.figure.Figure``), not pyplot, so nothing global is
shared between requests. Each function returns ``(png, width_cm, height_cm)``: the PDF places the
image at that size, so the lettering keeps its point size on paper.

The choropleth projects longitude and latitude equirectangularly with the x axis shrunk by cos(48°),
as the coverage map does; that is close enough for a country between 40° and 56° north.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before anything else of matplotlib is imported

from matplotlib import colormaps, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure as MplFigure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, MaxNLocator
from shapely.geometry import MultiPolygon, Polygon, shape

from qorgau.analytics.note import Bars, RateMap, Scatter

DPI = 200
CM = 1 / 2.54
WIDTH_CM = 16.0
COS = math.cos(math.radians(48.0))
INK = "#1f2933"
GRID = "#d9dee5"
MISSING = "#eef0f3"
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.edgecolor": "#8a94a3",
    "axes.labelcolor": INK,
    "axes.titlesize": 8.5,
    "xtick.color": INK,
    "ytick.color": INK,
    "text.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.color": "#8a94a3",
    "hatch.linewidth": 0.5,
}

Picture = tuple[bytes, float, float]


@contextmanager
def _figure(width_cm: float, height_cm: float) -> Iterator[MplFigure]:
    with rc_context(STYLE):  # type: ignore[arg-type]
        fig = MplFigure(figsize=(width_cm * CM, height_cm * CM), dpi=DPI, layout="constrained")
        FigureCanvasAgg(fig)
        yield fig


def _png(fig: MplFigure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, facecolor="white")
    return out.getvalue()


def _bars_on(ax: Axes, bars: Bars) -> None:
    n, k = len(bars.labels), len(bars.series)
    height = 0.8 / k
    ys = list(range(n))
    top = max((v for s in bars.series for v in s.values if v is not None), default=0.0) or 1.0
    for i, series in enumerate(bars.series):
        offsets = [y - 0.4 + height * (i + 0.5) for y in ys]
        values = [v if v is not None else 0.0 for v in series.values]
        ax.barh(offsets, values, height=height * 0.92, color=series.colour, label=series.label, zorder=2)
        # A zero bar gets no number (twenty "0"s are noise); a hidden one says why it is empty.
        texts = series.texts or tuple(
            _short(v, bars.decimal) if v else "" if v is not None else bars.missing for v in series.values
        )
        for y, v, text in zip(offsets, series.values, texts, strict=True):
            if text:
                ax.text((v or 0.0) + top * 0.01, y, text, va="center", ha="left", fontsize=6.5, color=INK)
    ax.set_yticks(ys, labels=list(bars.labels))
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.12)
    ax.set_xlabel(bars.axis)
    ax.grid(axis="x", color=GRID, linewidth=0.5, zorder=0)
    ax.tick_params(axis="y", length=0)
    if bars.integer:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _axis_format(ax, bars.decimal)
    if k > 1:
        ax.legend(loc="lower right", frameon=False)


def _short(v: float, decimal: str = ".") -> str:
    return (f"{v:.0f}" if v >= 100 or float(v).is_integer() else f"{v:.1f}").replace(".", decimal)


def _tick(v: float, decimal: str) -> str:
    if float(v).is_integer() or abs(v) >= 1000:
        text = f"{round(v):,}".replace(",", "," if decimal == "." else "\u00a0")
    else:
        text = f"{v:g}".replace(".", decimal)
    return text.replace("-", "\u2212")


def _axis_format(ax: Axes, decimal: str, *, x: bool = True, y: bool = False) -> None:
    """Tick labels with the note's digit grouping and decimal sign (a comma in Kazakh and Russian)."""
    fmt = FuncFormatter(lambda v, _pos: _tick(v, decimal))
    if x:
        ax.xaxis.set_major_formatter(fmt)
    if y:
        ax.yaxis.set_major_formatter(fmt)


def bars_png(bars: Bars) -> Picture:
    height = 1.6 + 0.4 * len(bars.labels)
    with _figure(WIDTH_CM, height) as fig:
        _bars_on(fig.add_subplot(), bars)
        return _png(fig), WIDTH_CM, height


def _rings(geojson: str) -> list[list[tuple[float, float]]]:
    data = json.loads(geojson)
    geom = shape(data["geometry"] if data.get("type") == "Feature" else data)
    polygons = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom] if isinstance(geom, Polygon) else []
    rings = []
    for polygon in polygons:
        for ring in (polygon.exterior, *polygon.interiors):
            rings.append([(lon * COS, lat) for lon, lat in ring.coords])
    return rings


def _region_path(geojson: str) -> MplPath | None:
    rings = _rings(geojson) if geojson else []
    if not rings:
        return None
    vertices: list[tuple[float, float]] = []
    codes: list[int] = []
    for ring in rings:
        vertices += ring
        codes += [int(MplPath.MOVETO)] + [int(MplPath.LINETO)] * (len(ring) - 2) + [int(MplPath.CLOSEPOLY)]
    return MplPath(vertices, codes)


def rate_map_png(chart: RateMap) -> Picture:
    """The choropleth above the ranked bars, one picture."""
    bars_height = 1.6 + 0.42 * len(chart.bars.labels)
    map_height = 8.6
    height = map_height + bars_height
    known = [r.value for r in chart.regions if r.value is not None]
    norm = Normalize(
        vmin=min(known, default=0.0),
        vmax=max(known, default=1.0) if len(known) > 1 else (known[0] + 1 if known else 1.0),
    )
    cmap = colormaps["OrRd"]
    with _figure(WIDTH_CM, height) as fig:
        top, bottom = fig.subfigures(2, 1, height_ratios=[map_height, bars_height])  # type: ignore[misc]
        ax = top.add_subplot()
        ax.set_aspect("equal")
        ax.axis("off")
        for region in chart.regions:
            path = _region_path(region.geojson)
            if path is None:
                continue
            if region.value is not None:
                patch = PathPatch(
                    path, facecolor=cmap(0.15 + 0.85 * norm(region.value)), edgecolor="white", linewidth=0.6
                )
            elif region.suppressed:
                patch = PathPatch(path, facecolor=MISSING, edgecolor="white", linewidth=0.6, hatch="/////")
            else:
                patch = PathPatch(path, facecolor="white", edgecolor="#8a94a3", linewidth=0.6)
            ax.add_patch(patch)
        ax.autoscale_view()
        if known:
            from matplotlib.cm import ScalarMappable
            from matplotlib.colors import LinearSegmentedColormap

            shown = LinearSegmentedColormap.from_list("shown", [cmap(0.15 + 0.85 * t / 10) for t in range(11)])
            bar = top.colorbar(
                ScalarMappable(norm=norm, cmap=shown),
                ax=ax,
                orientation="horizontal",
                fraction=0.05,
                pad=0.02,
                shrink=0.55,
                aspect=40,
            )
            bar.set_label(chart.legend)
            _axis_format(bar.ax, chart.decimal)
            bar.outline.set_visible(False)
        if any(r.suppressed for r in chart.regions):
            ax.legend(
                handles=[Patch(facecolor=MISSING, edgecolor="#8a94a3", hatch="/////", label=chart.suppressed_label)],
                loc="upper left",
                frameon=False,
                fontsize=7,
            )
        ax.text(
            1.0, 0.0, chart.attribution, transform=ax.transAxes, ha="right", va="bottom", fontsize=6, color="#5b6573"
        )
        _bars_on(bottom.add_subplot(), chart.bars)
        return _png(fig), WIDTH_CM, height


def scatter_png(chart: Scatter) -> Picture:
    panels = chart.panels
    cols = 2
    rows = max(1, math.ceil(len(panels) / cols))
    height = 6.4 * rows + 0.6
    with _figure(WIDTH_CM, height) as fig:
        axes = fig.subplots(rows, cols, squeeze=False)
        for i, ax in enumerate(axes.flat):
            if i >= len(panels):
                ax.axis("off")
                continue
            panel = panels[i]
            ax.grid(color=GRID, linewidth=0.5, zorder=0)
            if panel.points:
                xs = [p[0] for p in panel.points]
                ys = [p[1] for p in panel.points]
                ax.scatter(xs, ys, s=14, color="#a23b4c", zorder=3)
                for x, y, label in panel.points:
                    ax.annotate(label, (x, y), xytext=(3, 2), textcoords="offset points", fontsize=5.5, color="#5b6573")
            ax.set_xlabel(panel.axis)
            ax.xaxis.set_major_locator(MaxNLocator(5))
            if i % cols == 0:
                ax.set_ylabel(chart.axis)
            ax.set_title(panel.annotation, loc="left", fontsize=7.5)
            _axis_format(ax, chart.decimal, y=True)
        return _png(fig), WIDTH_CM, height


def figure_png(chart: Bars | RateMap | Scatter) -> Picture:
    if isinstance(chart, RateMap):
        return rate_map_png(chart)
    if isinstance(chart, Scatter):
        return scatter_png(chart)
    return bars_png(chart)
