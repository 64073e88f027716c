"""The server-drawn charts and the choropleth: hidden cells drawn as hidden, labels escaped, quantile
classes, the legend; and the number formats of the three languages."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from qorgau.analytics.charts import Bar, Point, bar_chart, line_chart, nice_ticks, number
from qorgau.analytics.choropleth import PALETTE, Area, choropleth, class_of, palette_for, quantile_breaks

SVG = "{http://www.w3.org/2000/svg}"


def _months(n: int) -> list[dt.date]:
    return [dt.date(2025 + (i // 12), i % 12 + 1, 1) for i in range(n)]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def test_nice_ticks_cover_the_top_in_round_steps():
    assert nice_ticks(97) == [0, 25, 50, 75, 100]
    assert nice_ticks(4) == [0, 1, 2, 3, 4]
    assert nice_ticks(0) == [0.0, 1.0]
    ticks = nice_ticks(12345)
    assert ticks[0] == 0 and ticks[-1] >= 12345 and len(ticks) <= 6


def test_the_line_breaks_at_a_hidden_month_and_marks_it():
    points = [
        Point(m, v, s)
        for m, (v, s) in zip(
            _months(6), [(10, False), (12, False), (None, True), (14, False), (15, False), (16, False)], strict=True
        )
    ]
    root = _parse(line_chart("s", "Reports", points))
    paths = root.findall(f"{SVG}path")
    assert len(paths) == 2  # two segments: before and after the hidden month, not one line over it
    hidden = root.findall(f"{SVG}rect[@data-hidden]")
    assert [h.get("data-hidden") for h in hidden] == ["03.2025"]
    assert len(root.findall(f"{SVG}circle")) == 5
    assert "1" in root.find(f"{SVG}desc").text  # one month hidden, said in the description


def test_a_series_with_nothing_to_show_gives_no_chart():
    assert line_chart("s", "Deaths", [Point(m, None, True) for m in _months(3)]) is None
    assert line_chart("s", "Deaths", []) is None


def test_labels_are_escaped():
    svg = str(line_chart("s", '<script>alert("x")</script>', [Point(m, 5, False) for m in _months(2)]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    bars = str(bar_chart("b", "t", [Bar("KZ-1", "<b>Region</b> & co", 7), Bar("KZ-2", "Other", 3)]))
    assert "<b>" not in bars and "&lt;b&gt;Region&lt;/b&gt; &amp; co" in bars
    _parse(bars)  # still well-formed


def test_bars_are_sorted_and_hidden_places_come_last_without_a_value():
    bars = [Bar("A", "Alpha", 5), Bar("B", "Beta", None, True), Bar("C", "Gamma", 50), Bar("D", "Delta", 20)]
    root = _parse(bar_chart("b", "Reports", bars))
    keyed = [r.get("data-key") for r in root.findall(f"{SVG}rect[@data-key]")]
    assert keyed == ["C", "D", "A", "B"]
    widths = {r.get("data-key"): float(r.get("width")) for r in root.findall(f"{SVG}rect[@data-key]")}
    assert widths["C"] > widths["D"] > widths["A"]
    hidden = root.find(f"{SVG}rect[@data-hidden]")
    assert hidden.get("data-key") == "B"
    assert "hidden" in "".join(hidden.itertext()).lower() or "скрыт" in "".join(hidden.itertext()).lower()


def test_no_bar_with_a_figure_gives_no_chart():
    assert bar_chart("b", "t", [Bar("A", "Alpha", None, True)]) is None


@pytest.mark.parametrize(("lang", "expected"), [("ru", "12\xa0345"), ("en", "12,345")])
def test_numbers_follow_the_language(lang, expected):
    with translation.override(lang):
        assert number(12345, "count").replace(" ", "\xa0") == expected
        assert number(None) == "—"
        share = number(12.345, "share")
        assert "%" in share and ("12,3" in share if lang == "ru" else "12.3" in share)
        sep = "," if lang == "ru" else "."
        assert number(0.025, rate=True) == f"0{sep}03"  # a rare event's rate is not rounded to zero
        assert number(45.87, rate=True) == f"45{sep}9"


def test_quantile_classes():
    values = [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    bounds = quantile_breaks(values)
    assert len(bounds) == 5 and bounds[-1] == 10
    classes = [class_of(v, bounds) for v in values]
    assert classes == sorted(classes) and classes[0] == 0 and classes[-1] == 4
    assert quantile_breaks([3.0, 3.0, 3.0]) == [3.0]  # ties: one class
    assert quantile_breaks([]) == []
    assert palette_for(5) == list(PALETTE)
    assert palette_for(2) == [PALETTE[0], PALETTE[-1]]


def test_the_choropleth_colours_regions_and_hatches_hidden_ones(reference):
    from qorgau.core.models import Region

    regions = list(Region.objects.order_by("iso"))
    assert len(regions) == 20
    areas = [Area(r.iso, r.name, float(i + 1) * 10) for i, r in enumerate(regions[:-2])]
    areas.append(Area(regions[-2].iso, regions[-2].name, None, True))
    areas.append(Area(regions[-1].iso, regions[-1].name, None, False))
    drawn = choropleth(areas, title="Reports per 100,000")
    root = _parse(drawn.svg)
    paths = {p.get("data-area"): p for p in root.iter(f"{SVG}path")}
    assert len(paths) == 20
    assert (
        paths[regions[-2].iso].get("fill") == "url(#map-hatch)" and paths[regions[-2].iso].get("data-class") == "hidden"
    )
    assert paths[regions[-1].iso].get("data-class") == "none"
    assert {paths[r.iso].get("fill") for r in regions[:-2]} == set(PALETTE)
    assert paths[regions[0].iso].get("fill") == PALETTE[0] and paths[regions[-3].iso].get("fill") == PALETTE[-1]
    assert regions[-2].iso not in drawn.classes
    assert len(drawn.legend) == 7 and drawn.legend[5].hatched  # 5 classes, hidden, no data
    assert not drawn.empty


def test_a_region_filter_draws_its_districts(reference):
    from qorgau.core.models import District

    kato = list(District.objects.filter(region_id="KZ-75").values_list("kato", flat=True))
    drawn = choropleth([Area(k, k, 1.0) for k in kato], region="KZ-75")
    root = _parse(drawn.svg)
    keys = {p.get("data-area") for p in root.iter(f"{SVG}path") if p.get("data-area")}
    assert keys == {k for k in kato if District.objects.get(pk=k).boundary_geojson}
    assert re.match(r"^[\d.-]+ [\d.-]+ [\d.]+ [\d.]+$", root.get("viewBox"))


def test_a_map_with_only_hidden_places_is_empty(reference):
    drawn = choropleth([Area("KZ-75", "Almaty", None, True)])
    assert drawn.empty and drawn.classes == {}
