"""The operator map's base layer when no tile server is configured: the region and district
boundaries that Qorgau ships (geokz, CC BY 4.0), as one GeoJSON document.

The map must work with no network at all (a monitoring centre's screen cannot depend on a foreign
tile service), so the boundaries come from the database, simplified with shapely (Douglas–Peucker,
topology kept) and rounded, then serialised once per process. The bytes and their digest are kept in
memory, so the view answers with a strong ETag and the browser revalidates for nothing.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from shapely.geometry import MultiPolygon, Polygon, mapping, shape

from qorgau.core.models import District, Region

# Degrees: about 1 km for districts, 2 km for regions — finer than a screen shows at country scale,
# and the operator zooms in on tracks and zones, which are drawn from their own exact coordinates.
DISTRICT_TOLERANCE = 0.01
REGION_TOLERANCE = 0.02
DIGITS = 4  # about 10 m: more is bytes for nothing at this tolerance
ATTRIBUTION = "geokz (CC BY 4.0)"


@dataclass(frozen=True)
class Basemap:
    body: bytes
    etag: str
    regions: int
    districts: int


_lock = threading.Lock()
_cache: dict[str, Basemap] = {}


def _round(coords: Any) -> Any:
    if isinstance(coords, (tuple, list)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(c), DIGITS) for c in coords]
    return [_round(c) for c in coords]


def _geometry(geojson: str, tolerance: float) -> dict[str, Any] | None:
    data = json.loads(geojson)
    geom = shape(data["geometry"] if data.get("type") == "Feature" else data)
    if geom.is_empty:
        return None
    simple = geom.simplify(tolerance, preserve_topology=True)
    if not isinstance(simple, (Polygon, MultiPolygon)) or simple.is_empty:
        return None
    out = dict(mapping(simple))
    out["coordinates"] = _round(out["coordinates"])
    return out


def _build() -> Basemap:
    features: list[dict[str, Any]] = []
    regions = districts = 0
    # Districts first, so the regions' thicker outlines are drawn over them.
    for d in District.objects.order_by("kato").only("kato", "region_id", "boundary_geojson"):
        geom = _geometry(d.boundary_geojson, DISTRICT_TOLERANCE) if d.boundary_geojson else None
        if geom is not None:
            features.append({"type": "Feature", "geometry": geom, "properties": {"level": "district", "key": d.kato, "region": d.region_id}})
            districts += 1
    for r in Region.objects.order_by("iso").only("iso", "boundary_geojson"):
        geom = _geometry(r.boundary_geojson, REGION_TOLERANCE) if r.boundary_geojson else None
        if geom is not None:
            features.append({"type": "Feature", "geometry": geom, "properties": {"level": "region", "key": r.iso, "region": r.iso}})
            regions += 1
    body = json.dumps({"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": features},
                      separators=(",", ":"), ensure_ascii=False).encode()
    return Basemap(body=body, etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"', regions=regions, districts=districts)


def basemap() -> Basemap:
    """The boundaries as GeoJSON bytes, built once per process."""
    with _lock:
        found = _cache.get("all")
        if found is not None:
            return found
        built = _build()
        if built.regions:  # an empty database (a test without reference data) is not cached
            _cache["all"] = built
        return built
