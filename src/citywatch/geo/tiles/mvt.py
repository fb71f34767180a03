"""Mapbox Vector Tile (MVT 2.1) encoding, vectorised over all the features of a zoom level.

The protobuf messages are written by hand (the format is four small messages: Tile, Layer, Feature,
Value); the expensive part, the geometry command streams, is built with NumPy for every feature of a
zoom at once: ``encode_geometries`` turns shapely geometries in tile coordinates (integers, y down,
0..extent) into one byte string of packed varints and a byte range per geometry. ``encode_tile`` then
only slices and concatenates bytes.

Geometry rules of the specification (section 4.3): a command integer is ``(count << 3) | id`` with
MoveTo = 1, LineTo = 2, ClosePath = 7; parameters are zigzag-encoded deltas from the cursor, which
carries over from one part of a feature to the next; a polygon ring is written without its closing
point and ends with ClosePath; exterior rings have a positive area by the surveyor's formula in tile
coordinates (clockwise on screen), interior rings a negative one, each exterior followed by its
interiors. Consecutive repeated points are dropped; lines of fewer than 2 distinct points and rings of
fewer than 3 are dropped, and a feature left with nothing is reported empty (type 0).
"""

from __future__ import annotations

import struct

import numpy as np
import shapely

EXTENT = 4096
POINT, LINESTRING, POLYGON = 1, 2, 3
MOVE_TO, LINE_TO, CLOSE_PATH = 1, 2, 7

# shapely type ids
_T_POINT, _T_LINE, _T_RING, _T_POLYGON = 0, 1, 2, 3
_T_MULTIPOINT, _T_MULTILINE, _T_MULTIPOLYGON, _T_COLLECTION = 4, 5, 6, 7


def zigzag(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def varints(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """The protobuf varint encoding of each value (unsigned, < 2**35), concatenated, and the number of
    bytes each took."""
    v = np.asarray(values, dtype=np.uint64)
    nbytes = np.ones(len(v), dtype=np.int64)
    for k in range(1, 5):
        nbytes += v >= np.uint64(1 << (7 * k))
    groups = np.empty((len(v), 5), dtype=np.uint8)
    for k in range(5):
        more = (k < nbytes - 1).astype(np.uint64) << np.uint64(7)
        groups[:, k] = ((v >> np.uint64(7 * k)) & np.uint64(0x7F)) | more
    keep = np.arange(5)[None, :] < nbytes[:, None]
    return groups[keep].tobytes(), nbytes


def varint(n: int) -> bytes:
    """One unsigned varint."""
    if n < 0x80:
        return bytes((n,))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field."""
    return varint((number << 3) | 2) + varint(len(payload)) + payload


def _segments_start(seq_of: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask of the first element of each run of equal ``seq_of`` values."""
    first = np.ones(n, dtype=bool)
    if n > 1:
        first[1:] = seq_of[1:] != seq_of[:-1]
    return first


def _flat_parts(geoms: np.ndarray):
    """Points, lines and polygons of ``geoms`` as flat arrays of parts with their owner index."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    # A collection may hold multi-part members (rare): explode once more.
    multi = np.isin(shapely.get_type_id(parts), (_T_MULTIPOINT, _T_MULTILINE, _T_MULTIPOLYGON, _T_COLLECTION))
    if multi.any():
        sub, sub_owner = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], sub])
        owner = np.concatenate([owner[~multi], owner[multi][sub_owner]])
        order = np.argsort(owner, kind="stable")
        parts, owner = parts[order], owner[order]
    keep = ~shapely.is_empty(parts)
    return parts[keep], owner[keep]


def encode_geometries(geoms: np.ndarray, dimension: np.ndarray | None = None):
    """Command streams of ``geoms`` (shapely, integer tile coordinates).

    Returns ``(types, blob, starts, ends)``: the MVT geometry type of each input (0 when nothing was
    left to draw), and for geometry ``i`` its packed varints are ``blob[starts[i]:ends[i]]``. Each
    geometry is written as its highest-dimensional parts (a polygon clipped to a sliver that GEOS
    returns with a stray line keeps only the polygon)."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    parts, owner = _flat_parts(geoms)
    tid = shapely.get_type_id(parts)
    dim = np.select([tid == _T_POINT, np.isin(tid, (_T_LINE, _T_RING)), tid == _T_POLYGON], [0, 1, 2], -1)
    top = np.full(n, -1, dtype=np.int64)
    np.maximum.at(top, owner, dim)
    keep = dim == top[owner]
    parts, owner, dim = parts[keep], owner[keep], dim[keep]

    ints: list[np.ndarray] = []  # command integers of each kind of part
    owners: list[np.ndarray] = []  # owner of each integer
    # Points: one MoveTo per feature with all its points.
    pts = dim == 0
    if pts.any():
        xy = shapely.get_coordinates(parts[pts]).astype(np.int64)
        o = owner[pts]
        ints.append(_point_commands(xy, o))
        owners.append(_point_owner(o))
    # Lines and polygon rings share one path: sequences of points, rings closed.
    lines = dim == 1
    polys = dim == 2
    seq_geoms, seq_owner, seq_closed, seq_exterior = [], [], [], []
    if lines.any():
        seq_geoms.append(parts[lines])
        seq_owner.append(owner[lines])
        seq_closed.append(np.zeros(int(lines.sum()), dtype=bool))
        seq_exterior.append(np.zeros(int(lines.sum()), dtype=bool))
    if polys.any():
        rings, ring_part = shapely.get_rings(parts[polys], return_index=True)
        first_ring = _segments_start(ring_part, len(ring_part))
        seq_geoms.append(rings)
        seq_owner.append(owner[polys][ring_part])
        seq_closed.append(np.ones(len(rings), dtype=bool))
        seq_exterior.append(first_ring)
    if seq_geoms:
        g = np.concatenate(seq_geoms)
        so = np.concatenate(seq_owner)
        closed = np.concatenate(seq_closed)
        exterior = np.concatenate(seq_exterior)
        order = np.argsort(so, kind="stable")  # points before lines before rings of one owner never mix
        cmd, cmd_owner = _sequence_commands(g[order], so[order], closed[order], exterior[order])
        ints.append(cmd)
        owners.append(cmd_owner)

    types = np.zeros(n, dtype=np.int8)
    starts = np.zeros(n, dtype=np.int64)
    ends = np.zeros(n, dtype=np.int64)
    if not ints:
        return types, b"", starts, ends
    stream = np.concatenate(ints)
    stream_owner = np.concatenate(owners)
    order = np.argsort(stream_owner, kind="stable")
    stream, stream_owner = stream[order], stream_owner[order]
    blob, nbytes = varints(stream)
    byte_end = np.cumsum(nbytes)
    byte_start = byte_end - nbytes
    present = np.unique(stream_owner)
    first = np.searchsorted(stream_owner, present, side="left")
    last = np.searchsorted(stream_owner, present, side="right") - 1
    starts[present] = byte_start[first]
    ends[present] = byte_end[last]
    types[present] = (top[present] + 1).astype(np.int8)  # dimension 0/1/2 → POINT/LINESTRING/POLYGON
    return types, blob, starts, ends


def _point_commands(xy: np.ndarray, owner: np.ndarray) -> np.ndarray:
    n = len(xy)
    first = _segments_start(owner, n)
    prev = np.zeros_like(xy)
    prev[1:] = xy[:-1]
    prev[first] = 0
    delta = zigzag(xy - prev)
    counts = np.diff(np.append(np.flatnonzero(first), n))
    out = np.empty(n * 2 + len(counts), dtype=np.uint64)
    head = np.flatnonzero(first) * 2 + np.arange(len(counts))
    out[head] = (counts.astype(np.uint64) << np.uint64(3)) | np.uint64(MOVE_TO)
    body = np.ones(len(out), dtype=bool)
    body[head] = False
    out[body] = delta.reshape(-1)
    return out


def _point_owner(owner: np.ndarray) -> np.ndarray:
    first = _segments_start(owner, len(owner))
    counts = np.diff(np.append(np.flatnonzero(first), len(owner)))
    return np.repeat(owner[first], 2 * counts + 1)


def _sequence_commands(seqs, seq_owner, closed, exterior):
    """Command integers for lines (open) and rings (closed), in the order given (grouped by owner)."""
    xy, seq_of = shapely.get_coordinates(seqs, return_index=True)
    xy = np.rint(xy).astype(np.int64)
    n = len(xy)
    if n == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    start = _segments_start(seq_of, n)
    last = np.append(start[1:], True)
    keep = np.ones(n, dtype=bool)
    keep[last & closed[seq_of]] = False  # a ring's closing point
    same = np.zeros(n, dtype=bool)
    same[1:] = (xy[1:] == xy[:-1]).all(axis=1) & ~start[1:]
    keep &= ~same
    xy, seq_of = xy[keep], seq_of[keep]
    sizes = np.bincount(seq_of, minlength=len(seqs))
    ok = np.where(closed, sizes >= 3, sizes >= 2)
    # A polygon whose exterior ring collapsed loses its interior rings too.
    ext_idx = np.maximum.accumulate(np.where(exterior, np.arange(len(seqs)), 0))
    ok &= np.where(closed, ok[ext_idx], True)
    valid_pt = ok[seq_of]
    xy, seq_of = xy[valid_pt], seq_of[valid_pt]
    kept = np.flatnonzero(ok)
    if len(kept) == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    # Renumber the sequences left.
    remap = np.full(len(seqs), -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    seq_of = remap[seq_of]
    closed, exterior, owner = closed[kept], exterior[kept], seq_owner[kept]
    n = len(xy)
    sizes = np.bincount(seq_of, minlength=len(kept))
    seq_start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    # Ring orientation: exterior positive, interior negative (tile coordinates, y down).
    nxt = np.arange(1, n + 1)
    nxt[seq_start + sizes - 1] = seq_start
    cross = xy[:, 0] * xy[nxt, 1] - xy[nxt, 0] * xy[:, 1]
    area2 = np.add.reduceat(cross, seq_start)
    flip = closed & np.where(exterior, area2 < 0, area2 > 0)
    if flip.any():
        idx = np.arange(n)
        rank = idx - seq_start[seq_of]
        rev = seq_start[seq_of] + sizes[seq_of] - 1 - rank
        idx = np.where(flip[seq_of], rev, idx)
        xy = xy[idx]
    # Deltas from the cursor: it carries over between the parts of one feature.
    point_owner = owner[seq_of]
    prev = np.zeros_like(xy)
    prev[1:] = xy[:-1]
    prev[_segments_start(point_owner, n)] = 0
    delta = zigzag(xy - prev)
    # Layout per sequence: MoveTo, x, y, LineTo(m-1), 2(m-1) params, [ClosePath].
    length = 4 + 2 * (sizes - 1) + closed
    out_start = np.concatenate([[0], np.cumsum(length)[:-1]])
    out = np.empty(int(length.sum()), dtype=np.uint64)
    out[out_start] = (1 << 3) | MOVE_TO
    out[out_start + 3] = ((sizes - 1).astype(np.uint64) << np.uint64(3)) | np.uint64(LINE_TO)
    rank = np.arange(n) - seq_start[seq_of]
    pos = out_start[seq_of] + np.where(rank == 0, 1, 4 + 2 * (rank - 1))
    out[pos] = delta[:, 0]
    out[pos + 1] = delta[:, 1]
    close_at = (out_start + length - 1)[closed]
    out[close_at] = (1 << 3) | CLOSE_PATH
    return out, np.repeat(owner, length)


# --- messages ------------------------------------------------------------------------------------------


def _value(v) -> bytes:
    """A Value message."""
    if isinstance(v, bool):
        return bytes((0x38, 1 if v else 0))
    if isinstance(v, int):
        if v >= 0:
            return b"\x28" + varint(v)  # uint_value
        return b"\x30" + varint(int(zigzag(np.array([v]))[0]))  # sint_value
    if isinstance(v, float):
        return b"\x19" + struct.pack("<d", v)  # double_value
    return _field(1, str(v).encode("utf-8"))  # string_value


def encode_layer(name: str, features, extent: int = EXTENT) -> bytes:
    """A Layer message. ``features``: iterable of ``(geometry_type, geometry_bytes, properties)`` where
    ``geometry_bytes`` are the packed command varints and ``properties`` a sequence of (key, value)
    pairs (values None are left out)."""
    keys: dict[str, int] = {}
    values: dict[tuple, int] = {}
    body = bytearray()
    for gtype, geometry, props in features:
        tags: list[int] = []
        for key, value in props:
            if value is None:
                continue
            k = keys.setdefault(key, len(keys))
            v = values.setdefault((type(value).__name__, value), len(values))
            tags.append(k)
            tags.append(v)
        feature = bytearray()
        if tags:
            packed = bytes(tags) if max(tags) < 0x80 else b"".join(varint(t) for t in tags)
            feature += _field(2, packed)
        feature += bytes((0x18, gtype))
        feature += _field(4, geometry)
        body += _field(2, bytes(feature))
    out = bytearray(b"\x78\x02")  # version 2
    out += _field(1, name.encode("utf-8"))
    out += body
    for key in keys:
        out += _field(3, key.encode("utf-8"))
    for _, value in values:
        out += _field(4, _value(value))
    out += b"\x28" + varint(extent)
    return bytes(out)


def encode_tile(layers) -> bytes:
    """A Tile message from already encoded Layer messages (empty layers are skipped by the caller)."""
    return b"".join(_field(3, layer) for layer in layers)
