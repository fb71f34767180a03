"""Where the demo city's synthetic things stand: on land.

The district boundaries are administrative and take in their waters (the sea round Xiamen Island belongs
to 思明区 and 湖里区, the bays to 海沧区 and 集美区), so a point drawn at random inside one may fall in
the sea. The synthetic street and community points, resources, roads and population are therefore
placed on a district's *land*: its boundary clipped to the two large land masses of the land file
shipped with the demo (``data/xiamen/land.geojson``, GSHHG, see PROVENANCE.md) — Xiamen Island and the
mainland. Small islands (鼓浪屿, the 大嶝 islands) get none: Gulangyu is car-free, and the demo's roads
reach neither.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import shapely

LAND_FILE = Path(__file__).resolve().parent / "data" / "xiamen" / "land.geojson"
MIN_MASS_DEG2 = 0.002  # about 22 km²: Xiamen Island (~130 km²) and the mainland qualify


@functools.cache
def main_land():
    """The land masses of the demo's land file larger than ``MIN_MASS_DEG2`` (prepared)."""
    from citywatch.geo.land import read_land_file

    land = read_land_file(LAND_FILE).geometry
    masses = [p for p in shapely.get_parts(land) if p.area >= MIN_MASS_DEG2]
    geom = shapely.union_all(masses)
    shapely.prepare(geom)
    return geom


def district_land(boundary):
    """The part of a district's boundary (shapely) on the main land masses; the boundary itself when
    none of it is (a district far from the land file's box)."""
    boundary = shapely.make_valid(boundary)
    on_land = shapely.intersection(boundary, main_land())
    parts = [p for p in shapely.get_parts(on_land) if p.geom_type == "Polygon" and p.area > 0]
    if not parts:
        return boundary
    geom = shapely.MultiPolygon(parts)
    shapely.prepare(geom)
    return geom


def sample_in(polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points inside ``polygon`` by vectorised rejection sampling."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    out = np.empty((0, 2))
    while len(out) < n:
        m = max(64, 4 * (n - len(out)))
        xs, ys = rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)
        keep = shapely.contains_xy(polygon, xs, ys)
        out = np.vstack([out, np.column_stack([xs[keep], ys[keep]])])
    return out[:n]
