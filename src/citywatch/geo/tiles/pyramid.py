"""Cut layers of WGS-84 geometries into a pyramid of vector tiles (web mercator, XYZ numbering).

Lines and polygons are clipped hierarchically: the pieces of zoom ``z`` (each already clipped to its
tile plus a buffer, in that tile's local coordinates 0..1) are scaled by two and clipped to each of
their four children, so every coordinate is touched once per zoom whatever the size of the geometry
(a coastline polygon covering thousands of tiles costs what its own vertices cost). At each zoom the
pieces are simplified (Douglas–Peucker, ``tolerance`` tile units; a quarter of it at the pyramid's top
zoom, which clients over-zoom), rounded to the integer grid of the tile's extent and encoded all at
once (``mvt.encode_geometries``). No topology repair after rounding: a sub-unit self-intersection is
invisible and MapLibre's tessellation accepts it (a ring that collapses is dropped). Points go
straight to the one tile that holds them (no buffer, so a label is never drawn twice).

``build_pyramid`` yields ``(z, x, y, tile_bytes)`` for every tile that holds at least one feature.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import shapely

from citywatch.geo.tiles import mvt

MAX_LAT = 85.0511287798066


@dataclass
class LayerInput:
    """One layer of the tiles: geometries (WGS-84) with their properties.

    ``properties`` is one sequence of ``(key, value)`` pairs per geometry; ``minzoom`` the first zoom
    each feature appears at (a number for all, or one per feature); ``maxzoom`` the last zoom the layer
    is written at (None: the pyramid's top); ``buffer`` and ``tolerance`` are in tile units (of
    ``mvt.EXTENT``)."""

    name: str
    geometries: np.ndarray
    properties: list
    minzoom: np.ndarray | int = 0
    maxzoom: int | None = None
    buffer: int = 64
    tolerance: float = 8.0
    fields: dict = field(default_factory=dict)  # field name → type, for the TileJSON "vector_layers"

    def feature_minzoom(self) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.minzoom, dtype=np.int64), (len(self.geometries),))


def to_mercator_unit(geoms: np.ndarray) -> np.ndarray:
    """WGS-84 lon/lat → web mercator scaled to the unit square, y down (x = 0 at 180° W)."""

    def project(xy: np.ndarray) -> np.ndarray:
        lon = xy[:, 0]
        lat = np.clip(xy[:, 1], -MAX_LAT, MAX_LAT)
        x = (lon + 180.0) / 360.0
        y = 0.5 - np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) / (2 * np.pi)
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), project)


def tile_bounds_lonlat(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    n = 2**z
    west = x / n * 360.0 - 180.0
    east = (x + 1) / n * 360.0 - 180.0
    north = np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * y / n))))
    south = np.degrees(np.arctan(np.sinh(np.pi * (1 - 2 * (y + 1) / n))))
    return west, float(south), east, float(north)


def tile_range(bounds: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
    """(xmin, ymin, xmax, ymax) of the tiles at zoom ``z`` covering a lon/lat box."""
    west, south, east, north = bounds
    corners = to_mercator_unit(np.array([shapely.Point(west, north), shapely.Point(east, south)]))
    (x0, y0), (x1, y1) = shapely.get_coordinates(corners)
    n = 2**z
    clamp = lambda v: int(min(max(v, 0), n - 1))  # noqa: E731
    return clamp(np.floor(x0 * n)), clamp(np.floor(y0 * n)), clamp(np.floor(x1 * n)), clamp(np.floor(y1 * n))


@dataclass
class _Pieces:
    """Clipped pieces of one layer at one zoom: geometry in tile-local units, feature, tile."""

    geoms: np.ndarray
    feature: np.ndarray
    x: np.ndarray
    y: np.ndarray

    def __len__(self):
        return len(self.geoms)


def _scale(geoms: np.ndarray, factor: float, dx: float = 0.0, dy: float = 0.0) -> np.ndarray:
    return shapely.transform(geoms, lambda c: c * factor - np.array([dx, dy]))


def _first_pieces(unit: np.ndarray, z: int, buffer: float) -> _Pieces:
    """Pieces at zoom ``z`` straight from the whole geometries (unit square coordinates)."""
    n = 2**z
    b = shapely.bounds(unit) * n
    x0 = np.clip(np.floor(b[:, 0] - buffer), 0, n - 1).astype(np.int64)
    y0 = np.clip(np.floor(b[:, 1] - buffer), 0, n - 1).astype(np.int64)
    x1 = np.clip(np.floor(b[:, 2] + buffer), 0, n - 1).astype(np.int64)
    y1 = np.clip(np.floor(b[:, 3] + buffer), 0, n - 1).astype(np.int64)
    nx, ny = x1 - x0 + 1, y1 - y0 + 1
    count = nx * ny
    feature = np.repeat(np.arange(len(unit)), count)
    k = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    tx = x0[feature] + k % nx[feature]
    ty = y0[feature] + k // nx[feature]
    counts = shapely.get_num_coordinates(unit[feature])
    ox = np.repeat(tx, counts)
    oy = np.repeat(ty, counts)
    local = shapely.transform(unit[feature], lambda c: c * n - np.column_stack([ox, oy]))
    clipped = shapely.clip_by_rect(local, -buffer, -buffer, 1 + buffer, 1 + buffer)
    keep = ~shapely.is_empty(clipped)
    return _Pieces(clipped[keep], feature[keep], tx[keep], ty[keep])


def _children(p: _Pieces, buffer: float) -> _Pieces:
    """The pieces of the next zoom: each piece scaled by two and clipped to each child it touches."""
    if not len(p):
        return p
    b = shapely.bounds(p.geoms)
    out_g, out_f, out_x, out_y = [], [], [], []
    half_buffer = buffer / 2
    for i in (0, 1):
        for j in (0, 1):
            touch = (
                (b[:, 0] <= (i + 1) / 2 + half_buffer)
                & (b[:, 2] >= i / 2 - half_buffer)
                & (b[:, 1] <= (j + 1) / 2 + half_buffer)
                & (b[:, 3] >= j / 2 - half_buffer)
            )
            if not touch.any():
                continue
            local = _scale(p.geoms[touch], 2.0, i, j)
            clipped = shapely.clip_by_rect(local, -buffer, -buffer, 1 + buffer, 1 + buffer)
            keep = ~shapely.is_empty(clipped)
            out_g.append(clipped[keep])
            out_f.append(p.feature[touch][keep])
            out_x.append(p.x[touch][keep] * 2 + i)
            out_y.append(p.y[touch][keep] * 2 + j)
    if not out_g:
        return _Pieces(np.empty(0, dtype=object), *(np.empty(0, dtype=np.int64) for _ in range(3)))
    return _Pieces(np.concatenate(out_g), np.concatenate(out_f), np.concatenate(out_x), np.concatenate(out_y))


def _encode_pieces(p: _Pieces, tolerance: float):
    """Tile-coordinate geometries of the pieces, simplified (Douglas–Peucker; GEOS repairs a polygon it
    breaks) and encoded (the encoder rounds to the integer grid and drops what collapses)."""
    px = _scale(p.geoms, float(mvt.EXTENT))
    if tolerance > 0:
        px = shapely.simplify(px, tolerance, preserve_topology=False)
    return mvt.encode_geometries(px)


@dataclass
class _Encoded:
    """One layer's encoded features at one zoom, sorted by tile."""

    key: np.ndarray  # tile key x * 2**z + y, per feature
    feature: np.ndarray
    types: np.ndarray
    blob: bytes
    starts: np.ndarray
    ends: np.ndarray


def _sorted(key, feature, types, blob, starts, ends) -> _Encoded:
    keep = types > 0
    order = np.lexsort((feature[keep], key[keep]))
    return _Encoded(
        key[keep][order],
        feature[keep][order],
        types[keep][order],
        blob,
        starts[keep][order],
        ends[keep][order],
    )


def _points_at(unit_xy: np.ndarray, feature: np.ndarray, z: int) -> _Encoded:
    n = 2**z
    scaled = unit_xy * n
    tile = np.clip(np.floor(scaled), 0, n - 1).astype(np.int64)
    local = np.clip(np.rint((scaled - tile) * mvt.EXTENT), 0, mvt.EXTENT - 1).astype(np.int64)
    geoms = shapely.points(local)
    types, blob, starts, ends = mvt.encode_geometries(geoms)
    key = tile[:, 0] * n + tile[:, 1]
    return _sorted(key, feature, types, blob, starts, ends)


def build_pyramid(
    layers: list[LayerInput], minzoom: int, maxzoom: int
) -> Iterator[tuple[int, int, int, bytes]]:
    """Every non-empty tile from ``minzoom`` to ``maxzoom``: ``(z, x, y, mvt_bytes)``."""
    states = []
    for layer in layers:
        geoms = np.asarray(layer.geometries, dtype=object)
        valid = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        index = np.flatnonzero(valid)
        unit = to_mercator_unit(geoms[valid]) if len(index) else np.empty(0, dtype=object)
        tid = shapely.get_type_id(unit)
        is_point = np.isin(tid, (0, 4))
        polygonal = np.isin(tid, (3, 6))
        unit = np.where(polygonal, shapely.make_valid(unit), unit) if polygonal.any() else unit
        points, point_owner = shapely.get_parts(unit[is_point], return_index=True)
        states.append(
            {
                "layer": layer,
                "index": index,  # position of each kept geometry in the layer's input
                "minzoom": layer.feature_minzoom()[index],
                "top": maxzoom if layer.maxzoom is None else min(layer.maxzoom, maxzoom),
                "point_xy": shapely.get_coordinates(points),
                "point_feature": np.flatnonzero(is_point)[point_owner],
                "shapes": np.flatnonzero(~is_point),
                "unit": unit,
                "pieces": None,
            }
        )
    for z in range(minzoom, maxzoom + 1):
        encoded: list[_Encoded | None] = []
        for st in states:
            layer = st["layer"]
            if z > st["top"]:
                encoded.append(None)
                continue
            buffer = layer.buffer / mvt.EXTENT
            parts = []
            if len(st["shapes"]):
                if st["pieces"] is None:
                    st["pieces"] = _first_pieces(st["unit"][st["shapes"]], z, buffer)
                    st["pieces"].feature = st["shapes"][st["pieces"].feature]
                else:
                    st["pieces"] = _children(st["pieces"], buffer)
                p = st["pieces"]
                show = st["minzoom"][p.feature] <= z
                if show.any():
                    shown = _Pieces(p.geoms[show], p.feature[show], p.x[show], p.y[show])
                    tolerance = layer.tolerance if z < maxzoom else layer.tolerance / 4
                    types, blob, starts, ends = _encode_pieces(shown, tolerance)
                    parts.append(_sorted(shown.x * 2**z + shown.y, shown.feature, types, blob, starts, ends))
            if len(st["point_xy"]):
                show = st["minzoom"][st["point_feature"]] <= z
                if show.any():
                    parts.append(_points_at(st["point_xy"][show], st["point_feature"][show], z))
            encoded.append(_merge(parts))
        yield from _tiles(z, states, encoded)


def _merge(parts: list[_Encoded]) -> _Encoded | None:
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    offset = 0
    keys, feats, types, starts, ends, blobs = [], [], [], [], [], []
    for e in parts:
        keys.append(e.key)
        feats.append(e.feature)
        types.append(e.types)
        starts.append(e.starts + offset)
        ends.append(e.ends + offset)
        blobs.append(e.blob)
        offset += len(e.blob)
    return _sorted(
        np.concatenate(keys),
        np.concatenate(feats),
        np.concatenate(types),
        b"".join(blobs),
        np.concatenate(starts),
        np.concatenate(ends),
    )


def _tiles(z: int, states, encoded) -> Iterator[tuple[int, int, int, bytes]]:
    present = [e for e in encoded if e is not None and len(e.key)]
    if not present:
        return
    n = 2**z
    all_keys = np.unique(np.concatenate([e.key for e in present]))
    bounds = []
    for e in encoded:
        if e is None or not len(e.key):
            bounds.append(None)
            continue
        lo = np.searchsorted(e.key, all_keys, side="left")
        hi = np.searchsorted(e.key, all_keys, side="right")
        bounds.append((lo, hi))
    for t, key in enumerate(all_keys.tolist()):
        layers = []
        for st, e, b in zip(states, encoded, bounds, strict=True):
            if b is None or b[0][t] == b[1][t]:
                continue
            props = st["layer"].properties
            index = st["index"]
            blob = e.blob
            features = [
                (int(e.types[i]), blob[e.starts[i] : e.ends[i]], props[index[e.feature[i]]])
                for i in range(b[0][t], b[1][t])
            ]
            layers.append(mvt.encode_layer(st["layer"].name, features))
        if layers:
            yield z, key // n, key % n, mvt.encode_tile(layers)
