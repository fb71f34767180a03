"""Read an OpenStreetMap PBF file into a car-routable ``RoadGraph`` (pyosmium, then NumPy).

One pass over the file with ``osmium.FileProcessor``: node locations go into pyosmium's ``flex_mem``
index in C++ (no Python per node), a ``KeyFilter("highway")`` hands only highway ways to Python, and the
per-way callback reads the tags (``tags.way_speeds``) and appends the way's node ids and fixed-point
coordinates to flat lists. Everything after that is vectorised: node ids are made dense with
``np.unique``, consecutive way nodes become segments, segment lengths are great-circle distances,
and each allowed direction of a segment becomes a directed edge weighted by length / speed.

``build_road_graph(path)`` returns ``(RoadGraph, stats)``; it raises ``RoadImportError`` with a clear
message for a file that is not an OSM PBF or that holds no drivable road. Bounds: the file's blocks are
checked against the format's size limits and a compression ratio before libosmium inflates any, and the
way nodes read are counted (``max_way_nodes``).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from django.utils.translation import gettext

from citywatch.geo.distance import haversine_m
from citywatch.geo.routing import tags as tagrules
from citywatch.geo.routing.graph import RoadGraph

LOCATION_INDEX = "flex_mem"
UNDEFINED_COORDINATE = 2147483647  # osmium::Location's undefined x/y
COORDINATE_PRECISION = 1e-7
# Way nodes read from one file by default (the importer passes CITYWATCH_ROADS_MAX_WAY_NODES): the
# per-way lists below hold every one of them.
DEFAULT_MAX_WAY_NODES = 20_000_000


class RoadImportError(Exception):
    pass


def check_pbf_header(path: Path) -> None:
    """Raise RoadImportError unless the file starts like an OSM PBF (a BlobHeader of type OSMHeader)."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    if len(head) < 16:
        raise RoadImportError(f"{path.name} is not an OSM PBF file (it is empty or too short)")
    size = int.from_bytes(head[:4], "big")
    if not 0 < size < 64 * 1024 or b"OSMHeader" not in head[4 : 4 + size]:
        raise RoadImportError(
            f"{path.name} is not an OSM PBF file (no OSMHeader block at its start); "
            "give a .osm.pbf extract such as one from download.geofabrik.de"
        )


# The OSM PBF format's own limits (wiki.openstreetmap.org/wiki/PBF_Format), and the compression ratio
# above which a block is refused as a decompression bomb (real extracts inflate 2-4 times).
MAX_BLOB_HEADER_BYTES = 64 * 1024
MAX_BLOB_BYTES = 32 * 1024 * 1024
MAX_BLOB_RATIO = 100


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(buf: bytes):
    """(field number, value) of a protobuf message: an int for varints, the length of bytes fields."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        kind = key & 7
        if kind == 0:
            value, pos = _varint(buf, pos)
        elif kind == 2:
            value, pos = _varint(buf, pos)
            pos += value
        elif kind in (1, 5):
            value, pos = 0, pos + (8 if kind == 1 else 4)
        else:
            raise ValueError(f"wire type {kind}")
        if pos > len(buf):
            raise ValueError("truncated field")
        yield key >> 3, value


def check_pbf_blocks(path: Path, max_ratio: int = MAX_BLOB_RATIO) -> None:
    """Read the file's block headers before libosmium inflates anything: every block must respect the
    format's size limits and inflate to at most ``max_ratio`` times its packed size, so a small file
    cannot unpack to gigabytes. Raises RoadImportError."""
    name = path.name
    with open(path, "rb") as handle:
        number = 0
        while head := handle.read(4):
            number += 1
            size = int.from_bytes(head, "big")
            header = handle.read(size) if len(head) == 4 and size <= MAX_BLOB_HEADER_BYTES else b""
            try:
                datasize = dict(_fields(header)).get(3, -1) if len(header) == size else -1
                blob = handle.read(datasize) if 0 <= datasize <= MAX_BLOB_BYTES else b""
                fields = dict(_fields(blob)) if len(blob) == datasize else None
            except ValueError:
                fields = None
            if fields is None:
                raise RoadImportError(
                    gettext("%(name)s: block %(number)s is damaged or larger than the format allows")
                    % {"name": name, "number": number}
                )
            raw_size = fields.get(2, 0)
            packed = max((fields.get(f, 0) for f in (3, 4, 6, 7)), default=0)
            if raw_size > MAX_BLOB_BYTES or (packed and raw_size > max_ratio * max(packed, 1024)):
                raise RoadImportError(
                    gettext(
                        "%(name)s: block %(number)s unpacks to %(size)s bytes from %(packed)s "
                        "(at most %(max)s times): refused as a possible decompression bomb"
                    )
                    % {"name": name, "number": number, "size": raw_size, "packed": packed, "max": max_ratio}
                )


def read_ways(path: Path, max_way_nodes: int = DEFAULT_MAX_WAY_NODES) -> dict:
    """Flat arrays of the drivable ways in a PBF: node ids, fixed-point coordinates, way lengths and
    per-way forward/backward speeds (km/h, 0 = closed in that direction), plus counters; and for the
    basemap (``geo/tiles/roads.py``) each way's ``highway`` class, ``name``, ``ref`` and structure
    (``bridge``, ``tunnel`` or "")."""
    import osmium

    refs: list[int] = []
    xs: list[int] = []
    ys: list[int] = []
    way_sizes: list[int] = []
    fwd_speeds: list[float] = []
    bwd_speeds: list[float] = []
    classes: list[str] = []
    names: list[str] = []
    road_refs: list[str] = []
    structures: list[str] = []
    counts = {"highway_ways": 0, "ways_used": 0, "ways_not_drivable": 0, "maxspeed_not_understood": 0}
    speeds_for = tagrules.way_speeds
    add_ref, add_x, add_y = refs.append, xs.append, ys.append
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations(LOCATION_INDEX)
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    try:
        for way in processor:
            counts["highway_ways"] += 1
            tags = way.tags
            highway = tags.get("highway")
            speeds = speeds_for(tags, highway)
            if speeds is None:
                counts["ways_not_drivable"] += 1
                continue
            nodes = way.nodes
            if len(nodes) < 2:
                continue
            if len(refs) + len(nodes) > max_way_nodes:
                raise RoadImportError(
                    gettext("%(name)s has more than %(max)s way nodes; import a smaller extract")
                    % {"name": path.name, "max": f"{max_way_nodes:,}"}
                )
            for node in nodes:
                location = node.location
                add_ref(node.ref)
                add_x(location.x)
                add_y(location.y)
            way_sizes.append(len(nodes))
            fwd_speeds.append(speeds[0])
            bwd_speeds.append(speeds[1])
            classes.append(highway)
            names.append(tags.get("name", ""))
            road_refs.append(tags.get("ref", ""))
            structures.append(
                "bridge"
                if tags.get("bridge", "no") != "no"
                else "tunnel"
                if tags.get("tunnel", "no") != "no"
                else ""
            )
            counts["ways_used"] += 1
            counts["maxspeed_not_understood"] += speeds[2]
    except RuntimeError as exc:  # libosmium's io errors
        raise RoadImportError(f"{path.name} could not be read as an OSM PBF file: {exc}") from None
    return {
        "refs": np.fromiter(refs, dtype=np.int64, count=len(refs)),
        "x": np.fromiter(xs, dtype=np.int64, count=len(xs)),
        "y": np.fromiter(ys, dtype=np.int64, count=len(ys)),
        "way_sizes": np.asarray(way_sizes, dtype=np.int64),
        "fwd_kmh": np.asarray(fwd_speeds, dtype=np.float64),
        "bwd_kmh": np.asarray(bwd_speeds, dtype=np.float64),
        "highway": classes,
        "name": names,
        "ref": road_refs,
        "structure": structures,
        "counts": counts,
    }


def graph_from_ways(ways: dict, manifest: dict | None = None) -> RoadGraph:
    """The directed graph of the ways read by ``read_ways`` (vectorised)."""
    refs, x, y, sizes = ways["refs"], ways["x"], ways["y"], ways["way_sizes"]
    valid = (x != UNDEFINED_COORDINATE) & (y != UNDEFINED_COORDINATE)
    way_of = np.repeat(np.arange(len(sizes)), sizes)
    # Segment i joins way-node i and i+1 of the same way; both ends must have a known location.
    seg = np.flatnonzero((way_of[:-1] == way_of[1:]) & valid[:-1] & valid[1:])
    ends = np.concatenate([seg, seg + 1])
    node_refs, inverse = np.unique(refs[ends], return_inverse=True)
    first = np.zeros(len(node_refs), dtype=np.int64)
    first[inverse] = ends  # any occurrence carries the node's location
    lon = x[first] * COORDINATE_PRECISION
    lat = y[first] * COORDINATE_PRECISION
    a = inverse[: len(seg)]
    b = inverse[len(seg) :]
    length = haversine_m(lon[a], lat[a], lon[b], lat[b])
    fwd = ways["fwd_kmh"][way_of[seg]] / 3.6
    bwd = ways["bwd_kmh"][way_of[seg]] / 3.6
    f, r = fwd > 0, bwd > 0
    src = np.concatenate([a[f], b[r]])
    dst = np.concatenate([b[f], a[r]])
    secs = np.concatenate([length[f] / fwd[f], length[r] / bwd[r]])
    metres = np.concatenate([length[f], length[r]])
    return RoadGraph.from_edges(lon, lat, src, dst, secs, metres, osm_id=node_refs, manifest=manifest)


def build_road_graph(
    path: Path, manifest: dict | None = None, max_way_nodes: int = DEFAULT_MAX_WAY_NODES
) -> tuple[RoadGraph, dict]:
    """Read ``path`` and build its road graph; ``stats`` has counters and timings, and ``stats["ways"]``
    what ``read_ways`` read (the basemap's road lines are cut from it). The blocks are checked first
    (``check_pbf_blocks``) and reading stops past ``max_way_nodes`` way nodes."""
    path = Path(path)
    check_pbf_header(path)
    check_pbf_blocks(path)
    started = time.perf_counter()
    ways = read_ways(path, max_way_nodes)
    read_s = time.perf_counter() - started
    counts = dict(ways["counts"])
    counts["way_nodes"] = int(len(ways["refs"]))
    if counts["ways_used"] == 0:
        raise RoadImportError(
            f"{path.name} has no drivable roads (highway ways: {counts['highway_ways']}, "
            f"none of a car-routable class open to cars); the previous road graph is kept"
        )
    info = dict(manifest or {})
    info["counts"] = {**info.get("counts", {}), **counts}
    graph = graph_from_ways(ways, info)
    if graph.n_edges == 0:
        raise RoadImportError(
            f"{path.name} has drivable ways but no usable road segments (node locations missing?)"
        )
    stats = {
        **graph.manifest["counts"],
        "read_seconds": read_s,
        "build_seconds": time.perf_counter() - started,
        "ways": ways,
    }
    graph.manifest["build_seconds"] = round(stats["build_seconds"], 3)
    return graph, stats
