"""The scenario charts, drawn on the server as SVG: per scenario, the median as a line and the 10–90%
band as a shaded area, over the model's years (no script, no inline style: presentation attributes).

The value axis always starts at zero, so a band that looks narrow is narrow. Each scenario also has its
own dash pattern, so the lines can be told apart without colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

WIDTH, HEIGHT = 760.0, 260.0
LEFT, RIGHT, TOP, BOTTOM = 70.0, 16.0, 12.0, 30.0
STYLE = {  # scenario -> (colour, dash pattern)
    "inertial": ("#6b7280", "7 4"),
    "reactive": ("#b45309", "2 3"),
    "strategic": ("#1d4ed8", ""),
}


@dataclass(frozen=True)
class Tick:
    at: float
    value: float


@dataclass(frozen=True)
class ChartSeries:
    code: str
    label: str
    colour: str
    dash: str
    band: str  # the polygon's points
    line: str  # the polyline's points


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    unit: str
    view_box: str
    series: list[ChartSeries]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    tick_format: str  # the floatformat argument for the value labels
    left: float
    right: float
    top: float
    bottom: float

    @property
    def value_label_x(self) -> float:
        return self.left - 6

    @property
    def year_label_y(self) -> float:
        return self.bottom + 18


def nice_step(span: float, count: int = 5) -> float:
    raw = span / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * magnitude >= raw:
            return m * magnitude
    return 10 * magnitude


def band_chart(
    *,
    key: str,
    title: str,
    unit: str,
    years: Sequence[int],
    quantiles: np.ndarray,
    labels: dict[str, str],
    scenarios: Sequence[str],
) -> Chart:
    """``quantiles`` has shape (3: low, median, high; scenarios; years)."""
    top_value = float(np.nanmax(quantiles)) if quantiles.size else 0.0
    step = nice_step(top_value * 1.05) if top_value > 0 else 1.0
    y_max = step * max(1, math.ceil(top_value * 1.05 / step))
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, HEIGHT - BOTTOM, TOP
    span = max(len(years) - 1, 1)

    def x(i: int) -> float:
        return round(x0 + (x1 - x0) * i / span, 1)

    def y(v: float) -> float:
        return round(y0 - (y0 - y1) * v / y_max, 1)

    series = []
    for s, code in enumerate(scenarios):
        low, median, high = quantiles[0, s], quantiles[1, s], quantiles[2, s]
        upper = [f"{x(i):g},{y(float(v)):g}" for i, v in enumerate(high)]
        lower = [f"{x(i):g},{y(float(v)):g}" for i, v in reversed(list(enumerate(low)))]
        colour, dash = STYLE.get(code, ("#111827", ""))
        series.append(
            ChartSeries(
                code,
                labels[code],
                colour,
                dash,
                " ".join(upper + lower),
                " ".join(f"{x(i):g},{y(float(v)):g}" for i, v in enumerate(median)),
            )
        )
    y_ticks = [Tick(y(k * step), k * step) for k in range(round(y_max / step) + 1)]
    every = 1 if len(years) <= 8 else 2
    x_ticks = [Tick(x(i), float(year)) for i, year in enumerate(years) if i % every == 0 or i == len(years) - 1]
    return Chart(
        key=key,
        title=title,
        unit=unit,
        view_box=f"0 0 {WIDTH:g} {HEIGHT:g}",
        series=series,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        tick_format="0g" if step >= 1 else "1g" if step >= 0.1 else "2g",
        left=x0,
        right=x1,
        top=y1,
        bottom=y0,
    )
