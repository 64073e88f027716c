"""The coverage map: region and district boundaries as inline SVG paths, drawn on the server.

The boundaries are reference data (geokz, CC BY 4.0), so their simplified, projected paths are built
once per process and kept in memory. Polygons are simplified with shapely (Douglas–Peucker, topology
kept). The projection is equirectangular with the x axis shrunk by cos(48°), which is close enough for
a country between 40° and 56° north.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass

from shapely.geometry import MultiPolygon, Polygon, shape

from qorgau.core.models import District, Region
from qorgau.shelters.coverage import Coverage

WIDTH = 1000.0
COS = math.cos(math.radians(48.0))
TOLERANCE = 0.02  # degrees, about 2 km
WEST, NORTH = 46.0, 55.6
SCALE = WIDTH / ((87.5 - WEST) * COS)


@dataclass(frozen=True)
class Shape:
    key: str
    region: str
    d: str
    bounds: tuple[float, float, float, float]  # minx, miny, maxx, maxy in SVG units


@dataclass(frozen=True)
class Shapes:
    regions: tuple[Shape, ...]
    districts: tuple[Shape, ...]


_lock = threading.Lock()
_cache: dict[str, Shapes] = {}


def project(lat: float, lon: float) -> tuple[float, float]:
    return round((lon - WEST) * COS * SCALE, 1), round((NORTH - lat) * SCALE, 1)


def _path(geojson: str) -> tuple[str, tuple[float, float, float, float]]:
    data = json.loads(geojson)
    geom = shape(data["geometry"] if data.get("type") == "Feature" else data)
    if geom.is_empty:
        return "", (0.0, 0.0, 0.0, 0.0)
    # Douglas–Peucker that keeps every ring valid (shapely's ``simplify`` with topology preserved).
    simple = geom.simplify(TOLERANCE, preserve_topology=True)
    polygons = list(simple.geoms) if isinstance(simple, MultiPolygon) else [simple] if isinstance(simple, Polygon) else []
    parts = []
    for polygon in polygons:
        for ring in (polygon.exterior, *polygon.interiors):
            pts = [project(lat, lon) for lon, lat in ring.coords]
            if len(pts) >= 3:
                parts.append("M" + " L".join(f"{x:g} {y:g}" for x, y in pts) + " Z")
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    x0, y1 = project(min_lat, min_lon)
    x1, y0 = project(max_lat, max_lon)
    return " ".join(parts), (x0, y0, x1, y1)


def shapes() -> Shapes:
    """Every region and district as a projected SVG path (built once per process)."""
    with _lock:
        found = _cache.get("all")
        if found is not None:
            return found
        regions = tuple(Shape(r.iso, r.iso, *_path(r.boundary_geojson)) for r in Region.objects.order_by("iso") if r.boundary_geojson)
        districts = tuple(Shape(d.kato, d.region_id, *_path(d.boundary_geojson))
                          for d in District.objects.order_by("kato") if d.boundary_geojson)
        built = Shapes(regions, districts)
        if regions:  # an empty database (a test without reference data) is not cached
            _cache["all"] = built
        return built


@dataclass
class MapDistrict:
    key: str
    d: str
    uncovered: bool


@dataclass
class MapDot:
    x: float
    y: float
    shelter: bool


@dataclass
class CoverageMap:
    view_box: str
    regions: list[Shape]
    districts: list[MapDistrict]
    dots: list[MapDot]
    radius: float
    stroke: float
    region_stroke: float


def coverage_map(cov: Coverage, *, region: str = "") -> CoverageMap:
    s = shapes()
    regions = [r for r in s.regions if not region or r.region == region]
    districts = [MapDistrict(d.key, d.d, d.key in cov.uncovered_districts) for d in s.districts if not region or d.region == region]
    boxes = [r.bounds for r in regions] or [(0.0, 0.0, WIDTH, WIDTH / 2)]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    pad = max(x1 - x0, y1 - y0) * 0.02
    w, h = x1 - x0 + 2 * pad, y1 - y0 + 2 * pad
    dots = [MapDot(*project(c.lat, c.lon), shelter=c.shelter) for c in cov.centres]
    return CoverageMap(view_box=f"{x0 - pad:g} {y0 - pad:g} {w:g} {h:g}", regions=regions, districts=districts, dots=dots,
                       radius=round(max(w, h) / 160, 2), stroke=round(max(w, h) / 1000, 2),
                       region_stroke=round(max(w, h) / 400, 2))
