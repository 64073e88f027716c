"""Zone geometry and local metric projection for the monitoring engine (numpy and shapely only).

Distances here are a few metres to a few kilometres, so each zone gets its own local
equirectangular frame (metres east and north of its centre) instead of a global projection:
within a zone's extent the error is far below GPS noise. The metres-per-degree factors are the
WGS 84 ellipsoid's at the frame's latitude rather than a sphere's, because Kazakhstan spans
latitudes 40–56 and a spherical meridian degree is off by up to 0.6% at 54° N.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

# The smallest hysteresis band around a zone: below this, GPS jitter at the boundary would
# still flap the condition.
MIN_ZONE_BAND_M = 50.0
# Segments per quarter circle are irrelevant for circles (tested exactly in numpy); polygons are
# buffered with this many, so the outer boundary deviates from a true offset by well under 1 m.
_BUFFER_QUAD_SEGS = 16

FloatArray = NDArray[np.float64]


EARTH_M = 6_371_008.8  # the mean Earth radius (IUGG)


def offset(origin: tuple[float, float], north_m: float = 0.0, east_m: float = 0.0) -> tuple[float, float]:
    """The point ``north_m`` and ``east_m`` metres from ``origin`` (lat, lon) on the sphere: exact
    enough below 100 km, which is what the simulator, the demo and the tests place points with."""
    lat, lon = origin
    return (lat + math.degrees(north_m / EARTH_M), lon + math.degrees(east_m / (EARTH_M * math.cos(math.radians(lat)))))


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """One great-circle distance in metres (for a single pair; batches use ``distance_m``)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(a)))


def metres_per_degree(lat_deg: Any) -> tuple[Any, Any]:
    """Metres per degree of latitude and of longitude at ``lat_deg`` on the WGS 84 ellipsoid
    (the usual cosine series, exact to a centimetre per degree)."""
    # cos(kφ) from cos φ by the Chebyshev identities: one cosine instead of six, which is most of
    # the cost of a proximity check.
    c1 = np.cos(np.radians(lat_deg))
    c1_2 = c1 * c1
    c2 = 2 * c1_2 - 1
    c3 = c1 * (4 * c1_2 - 3)
    c4 = 2 * c2 * c2 - 1
    c5 = c1 * ((16 * c1_2 - 20) * c1_2 + 5)
    c6 = 2 * c3 * c3 - 1
    m_lat = 111132.92 - 559.82 * c2 + 1.175 * c4 - 0.0023 * c6
    m_lon = 111412.84 * c1 - 93.5 * c3 + 0.118 * c5
    return m_lat, m_lon


def distance_m(lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray) -> FloatArray:
    """Paired distances in metres, local equirectangular at the pair's mean latitude: well within
    0.1% of the geodesic up to tens of kilometres, which is all proximity needs (far is far)."""
    m_lat, m_lon = metres_per_degree((lat1 + lat2) * 0.5)
    dx = (lon2 - lon1) * m_lon
    dy = (lat2 - lat1) * m_lat
    return np.asarray(np.sqrt(dx * dx + dy * dy), dtype=np.float64)


class ZoneIndex:
    """Compiled zones: each in its own local frame, with an inner shape (the zone) and an outer
    one (the zone grown by the hysteresis band) for the exit test.

    ``classify`` answers, for paired (zone, point) arrays: 2 inside the zone, 1 in the band
    between the zone and its outer boundary, 0 beyond the outer boundary.
    """

    def __init__(self, zones: Sequence[tuple[str, dict[str, Any]]], clear_factor: float) -> None:
        n = len(zones)
        self.size = n
        self.lat0 = np.zeros(n)
        self.lon0 = np.zeros(n)
        self.ky = np.ones(n)  # metres per degree of latitude at the zone's centre
        self.kx = np.ones(n)  # … of longitude
        self.r_in = np.full(n, np.nan)  # circle radius; nan for a polygon
        self.r_out = np.full(n, np.nan)  # circle's outer radius
        self.bound = np.zeros(n)  # radius of a circle holding the outer shape: the cheap pre-filter
        self.is_polygon = np.zeros(n, dtype=bool)
        self.inner = np.empty(n, dtype=object)
        self.outer = np.empty(n, dtype=object)
        band_factor = max(clear_factor - 1.0, 0.0)
        for i, (shape, geom) in enumerate(zones):
            if shape == "circle":
                lat, lon, r = float(geom["lat"]), float(geom["lon"]), float(geom["radius_m"])
                self.lat0[i], self.lon0[i] = lat, lon
                self.ky[i], self.kx[i] = metres_per_degree(lat)
                band = max(band_factor * r, MIN_ZONE_BAND_M)
                self.r_in[i], self.r_out[i] = r, r + band
                self.bound[i] = r + band
            else:
                ring = np.asarray(geom["ring"], dtype=np.float64)
                lon0, lat0 = float(ring[:, 0].mean()), float(ring[:, 1].mean())
                self.lat0[i], self.lon0[i] = lat0, lon0
                self.ky[i], self.kx[i] = metres_per_degree(lat0)
                xy = np.column_stack(((ring[:, 0] - lon0) * self.kx[i], (ring[:, 1] - lat0) * self.ky[i]))
                poly = shapely.make_valid(shapely.Polygon(xy))
                # "Its size" for the band is the radius of a circle of the same area, so a polygon
                # and a circle of similar extent get similar bands.
                size = math.sqrt(max(float(poly.area), 0.0) / math.pi)
                band = max(band_factor * size, MIN_ZONE_BAND_M)
                outer = poly.buffer(band, quad_segs=_BUFFER_QUAD_SEGS)
                shapely.prepare(poly)
                shapely.prepare(outer)
                self.inner[i], self.outer[i] = poly, outer
                self.is_polygon[i] = True
                corners = np.asarray(shapely.get_coordinates(outer))
                self.bound[i] = float(np.sqrt((corners**2).sum(axis=1)).max()) if len(corners) else 0.0
        self.bound2 = self.bound**2
        self.r_in2 = self.r_in**2
        self.r_out2 = self.r_out**2

    def classify(self, zone: NDArray[np.intp], lat: FloatArray, lon: FloatArray) -> NDArray[np.int8]:
        out = np.zeros(len(zone), dtype=np.int8)
        if not len(zone):
            return out
        x = (lon - self.lon0[zone]) * self.kx[zone]
        y = (lat - self.lat0[zone]) * self.ky[zone]
        r2 = x * x + y * y
        near = np.flatnonzero(r2 <= self.bound2[zone])
        if not len(near):
            return out
        z = zone[near]
        poly = self.is_polygon[z]
        circ = near[~poly]
        if len(circ):
            zc = zone[circ]
            rc = r2[circ]
            out[circ] = np.where(rc < self.r_in2[zc], 2, np.where(rc <= self.r_out2[zc], 1, 0))
        pol = near[poly]
        if len(pol):
            zp = zone[pol]
            px, py = x[pol], y[pol]
            inside = shapely.contains_xy(self.inner[zp], px, py)
            in_band = shapely.contains_xy(self.outer[zp], px, py)
            out[pol] = np.where(inside, 2, np.where(in_band, 1, 0))
        return out
