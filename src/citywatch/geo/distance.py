"""Distances on the globe and straight-line nearest neighbours, vectorised over NumPy arrays.

* ``haversine_m`` is the great-circle distance on a sphere of the mean Earth radius (IUGG, 6,371,008.8 m);
  within a city it differs from the WGS-84 ellipsoidal distance by at most about 0.3 %.
* ``unit_vectors`` puts points on the unit sphere. The straight (chord) distance between two unit vectors
  grows strictly with their great-circle distance, so a k-d tree over unit vectors finds the exact
  great-circle nearest neighbours anywhere on Earth, with no projection and no pyproj.
* ``LocalProjection`` is an equirectangular projection about a reference latitude, an affine map of
  (lon, lat): good to about 0.5 % across 50 km, used where metres on a plane are needed (isochrone
  rasters, buffers). Because it is affine, "point in polygon" answers the same in either system.
* ``PointIndex`` is the straight-line nearest/within index over a fixed set of points.

Coordinates are WGS-84 longitude/latitude in degrees (see ``geo/crs.py`` for conversions).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres between points given in degrees (broadcasts like NumPy)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    s = np.sin((lat2 - lat1) * 0.5) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) * 0.5) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(s, 0.0, 1.0)))


def unit_vectors(lon, lat) -> np.ndarray:
    """(N, 3) points on the unit sphere for longitudes/latitudes in degrees."""
    lon = np.radians(np.asarray(lon, dtype=float))
    lat = np.radians(np.asarray(lat, dtype=float))
    cos_lat = np.cos(lat)
    return np.column_stack([cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)])


def chord_to_m(chord):
    """Great-circle metres for a chord length between unit vectors."""
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.clip(np.asarray(chord, dtype=float) * 0.5, 0.0, 1.0))


def m_to_chord(metres):
    """Chord length between unit vectors that are ``metres`` apart along the great circle."""
    angle = np.minimum(np.asarray(metres, dtype=float) / EARTH_RADIUS_M, np.pi)
    return 2.0 * np.sin(angle * 0.5)


def as_lonlat_array(points) -> np.ndarray:
    """An (N, 2) float array from an (N, 2) array-like or a single (lon, lat) pair (→ (1, 2))."""
    arr = np.asarray(points, dtype=float)
    if arr.ndim == 1:
        if arr.shape[0] != 2:
            raise ValueError("a point is (lon, lat)")
        arr = arr.reshape(1, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"expected an (N, 2) array of lon, lat; got shape {arr.shape}")
    return arr


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection about (lon0, lat0): x east and y north in metres."""

    lon0: float
    lat0: float

    @property
    def kx(self) -> float:
        return np.radians(1.0) * EARTH_RADIUS_M * np.cos(np.radians(self.lat0))

    @property
    def ky(self) -> float:
        return np.radians(1.0) * EARTH_RADIUS_M

    def forward(self, lon, lat):
        return (np.asarray(lon, dtype=float) - self.lon0) * self.kx, (
            np.asarray(lat, dtype=float) - self.lat0
        ) * self.ky

    def inverse(self, x, y):
        return np.asarray(x, dtype=float) / self.kx + self.lon0, np.asarray(
            y, dtype=float
        ) / self.ky + self.lat0

    def to_lonlat_coords(self, coords: np.ndarray) -> np.ndarray:
        """(N, 2) metres → (N, 2) lon/lat (for ``shapely.transform``)."""
        lon, lat = self.inverse(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    def to_xy_coords(self, coords: np.ndarray) -> np.ndarray:
        x, y = self.forward(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])


class PointIndex:
    """Straight-line (great-circle) nearest neighbours over a fixed set of points.

    ``PointIndex(lonlat)`` builds a k-d tree over unit vectors once (about half a second per million
    points); each query is then logarithmic. Distances are great-circle metres.
    """

    def __init__(self, lonlat):
        pts = as_lonlat_array(lonlat)
        self.lonlat = pts
        self.size = len(pts)
        self.tree = cKDTree(unit_vectors(pts[:, 0], pts[:, 1]), balanced_tree=False, compact_nodes=False)

    def nearest(self, points, k: int = 1, max_m: float = np.inf):
        """``(distance_m, index)``, each (M, k), nearest first; missing neighbours have index ``size``
        and distance ``inf`` (fewer than k points, or none within ``max_m``)."""
        pts = as_lonlat_array(points)
        k = max(1, min(int(k), max(self.size, 1)))
        bound = m_to_chord(max_m) if np.isfinite(max_m) else np.inf
        chord, idx = self.tree.query(unit_vectors(pts[:, 0], pts[:, 1]), k=k, distance_upper_bound=bound)
        chord = np.asarray(chord).reshape(len(pts), k)
        idx = np.asarray(idx).reshape(len(pts), k)
        return np.where(np.isfinite(chord), chord_to_m(np.where(np.isfinite(chord), chord, 0)), np.inf), idx

    def within(self, point, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
        """``(index, distance_m)`` of the points within ``radius_m`` of one point, nearest first."""
        pt = as_lonlat_array(point)[0]
        vec = unit_vectors(pt[0], pt[1])[0]
        idx = np.asarray(self.tree.query_ball_point(vec, m_to_chord(radius_m)), dtype=np.int64)
        dist = haversine_m(pt[0], pt[1], self.lonlat[idx, 0], self.lonlat[idx, 1])
        keep = dist <= radius_m
        idx, dist = idx[keep], dist[keep]
        order = np.lexsort((idx, dist))
        return idx[order], dist[order]
