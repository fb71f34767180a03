"""CAP areas ↔ shapely geometries, in WGS-84 longitude/latitude order (CAP itself writes lat,lon).

Reading: a `<polygon>` becomes a shapely Polygon (a ring that crosses itself is repaired with
`make_valid`, keeping its polygonal part); a `<circle>` becomes a polygon of `segments` vertices on
the geodesic circle of the radius in kilometres (on the sphere of the mean Earth radius that
`citywatch.geo.distance` uses: within 0.5 % of the WGS-84 ellipsoid), or a Point when the radius is 0.

Writing: `polygons_from_geometry` turns a (Multi)Polygon into CAP polygons: one per part, exterior
ring only (CAP polygons have no holes, so a hole is warned for as part of the area, which errs on the
side of warning), closed, coordinates rounded to `decimals` places (5 ≈ 1 m), consecutive repeats
dropped, and at most `max_vertices` pairs per ring (the closing pair included). A ring with more
vertices is simplified by a tolerance t (Douglas-Peucker) and then grown (mitred buffer of t, or 2t or
4t if needed) until it covers the original again, with the smallest t found that fits the bound: the
polygon written covers the area (up to the rounding) instead of cutting corners off it, and is larger
by a band of about t. Measured on the demo's jagged 同安区 boundary (1,569 vertices): 500 vertices
cost a band of at most about 300 m and 2 % more area, 100 vertices about 1.1 km and 8 %.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point
from shapely.geometry import Polygon as ShapelyPolygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from citywatch.geo.distance import EARTH_RADIUS_M
from citywatch.warnings.cap.model import Area, Circle, LatLon, Polygon, ValuePair

DEFAULT_CIRCLE_SEGMENTS = 64
DEFAULT_RING_VERTICES = 500  # per written ring
DEFAULT_DECIMALS = 5
EARTH_RADIUS_KM = EARTH_RADIUS_M / 1000


def polygonal_part(geometry: BaseGeometry) -> BaseGeometry:
    """The polygons of a geometry (e.g. of make_valid's result), as a Polygon or MultiPolygon."""
    parts = [g for g in shapely.get_parts(geometry) if isinstance(g, ShapelyPolygon | MultiPolygon)]
    if not parts:
        return ShapelyPolygon()
    return shapely.union_all(parts)


def polygon_geometry(polygon: Polygon, *, repair: bool = True) -> BaseGeometry:
    ring = ShapelyPolygon([(p.lon, p.lat) for p in polygon.points])
    if repair and not ring.is_valid:
        return polygonal_part(shapely.make_valid(ring))
    return orient(ring) if ring.is_valid else ring


def circle_geometry(circle: Circle, *, segments: int = DEFAULT_CIRCLE_SEGMENTS) -> BaseGeometry:
    """The circle as a polygon of `segments` vertices (lon/lat), or the centre when the radius is 0."""
    if segments < 3:
        raise ValueError("a circle needs at least 3 segments")
    lat1, lon1 = math.radians(circle.center.lat), math.radians(circle.center.lon)
    if circle.radius_km == 0:
        return Point(circle.center.lon, circle.center.lat)
    delta = circle.radius_km / EARTH_RADIUS_KM
    bearings = np.linspace(0.0, 2 * math.pi, segments, endpoint=False)
    lat2 = np.arcsin(np.sin(lat1) * np.cos(delta) + np.cos(lat1) * np.sin(delta) * np.cos(bearings))
    lon2 = lon1 + np.arctan2(
        np.sin(bearings) * np.sin(delta) * np.cos(lat1), np.cos(delta) - np.sin(lat1) * np.sin(lat2)
    )
    return orient(ShapelyPolygon(np.column_stack([np.degrees(lon2), np.degrees(lat2)])))


def area_geometry(area: Area, *, segments: int = DEFAULT_CIRCLE_SEGMENTS) -> BaseGeometry | None:
    """The union of an area's polygons and circles; None when it has neither (only geocodes)."""
    parts = [polygon_geometry(p) for p in area.polygons] + [
        circle_geometry(c, segments=segments) for c in area.circles
    ]
    if not parts:
        return None
    return shapely.union_all(parts)


def _ring_vertices(ring: ShapelyPolygon) -> int:
    """Coordinate pairs as written, the closing pair included."""
    return len(ring.exterior.coords)


def _covering(ring: ShapelyPolygon, tolerance: float) -> ShapelyPolygon:
    """`ring` simplified by `tolerance` (Douglas-Peucker), then grown until it covers `ring` again."""
    simplified = ring.simplify(tolerance, preserve_topology=True)
    for grow in (tolerance, 2 * tolerance, 4 * tolerance):
        grown = polygonal_part(simplified.buffer(grow, join_style="mitre", mitre_limit=2.0))
        grown = ShapelyPolygon(max(shapely.get_parts(grown), key=lambda g: g.area).exterior)
        shapely.prepare(grown)
        if grown.covers(ring):
            return grown
    return ShapelyPolygon(ring.convex_hull.exterior)


def _bounded(ring: ShapelyPolygon, max_vertices: int) -> ShapelyPolygon:
    """The exterior of `ring` within `max_vertices`, covering it, by the smallest tolerance found."""
    if _ring_vertices(ring) <= max_vertices:
        return ring
    minx, miny, maxx, maxy = ring.bounds
    high = max(maxx - minx, maxy - miny, 1e-9) * 1e-5
    candidate = _covering(ring, high)
    for _ in range(64):
        if _ring_vertices(candidate) <= max_vertices:
            break
        high *= 2
        candidate = _covering(ring, high)
    else:
        raise ValueError(f"cannot simplify the ring to {max_vertices} vertices")
    low = high / 2
    for _ in range(8):  # narrow the tolerance down: the least change that fits
        middle = (low + high) / 2
        trial = _covering(ring, middle)
        if _ring_vertices(trial) <= max_vertices:
            high, candidate = middle, trial
        else:
            low = middle
    return candidate


def _cap_polygon(ring: ShapelyPolygon, decimals: int) -> Polygon | None:
    coords = np.round(np.asarray(ring.exterior.coords), decimals)
    keep = np.ones(len(coords), dtype=bool)
    keep[1:] = np.any(coords[1:] != coords[:-1], axis=1)
    coords = coords[keep]
    if len(coords) and not np.array_equal(coords[0], coords[-1]):
        coords = np.vstack([coords, coords[:1]])
    if len(coords) < 4:
        return None  # smaller than the rounding: nothing left to warn
    return Polygon(tuple(LatLon(float(lat), float(lon)) for lon, lat in coords.tolist()))


def polygons_from_geometry(
    geometry: BaseGeometry, *, max_vertices: int = DEFAULT_RING_VERTICES, decimals: int = DEFAULT_DECIMALS
) -> tuple[Polygon, ...]:
    """CAP polygons for a shapely (Multi)Polygon in lon/lat (see the module notes)."""
    if max_vertices < 4:
        raise ValueError("max_vertices must be at least 4")
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    geometry = polygonal_part(geometry)
    if geometry.is_empty:
        raise ValueError("the geometry has no polygonal part")
    polygons = []
    for part in shapely.get_parts(geometry):
        exterior = orient(ShapelyPolygon(part.exterior))
        written = _cap_polygon(_bounded(exterior, max_vertices), decimals)
        if written is not None:
            polygons.append(written)
    if not polygons:
        raise ValueError("the geometry is smaller than the coordinate rounding")
    return tuple(polygons)


def area_from_geometry(
    area_desc: str,
    geometry: BaseGeometry | None = None,
    *,
    geocodes: tuple[ValuePair, ...] = (),
    max_vertices: int = DEFAULT_RING_VERTICES,
    decimals: int = DEFAULT_DECIMALS,
) -> Area:
    """An `Area` with polygons from a shapely geometry (lon/lat) and the given geocodes."""
    polygons = (
        ()
        if geometry is None
        else polygons_from_geometry(geometry, max_vertices=max_vertices, decimals=decimals)
    )
    return Area(area_desc=area_desc, polygons=polygons, geocodes=geocodes)
