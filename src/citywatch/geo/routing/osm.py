"""Read an OpenStreetMap PBF file into a car-routable ``RoadGraph`` (pyosmium, then NumPy).

One pass over the file with ``osmium.FileProcessor``: node locations go into pyosmium's ``flex_mem``
index in C++ (no Python per node), a ``KeyFilter("highway")`` hands only highway ways to Python, and the
per-way callback reads the tags (``tags.way_speeds``) and appends the way's node ids and fixed-point
coordinates to flat lists. Everything after that is vectorised: node ids are made dense with
``np.unique``, consecutive way nodes become segments, segment lengths are great-circle distances,
and each allowed direction of a segment becomes a directed edge weighted by length / speed.

``build_road_graph(path)`` returns ``(RoadGraph, stats)``; it raises ``RoadImportError`` with a clear
message for a file that is not an OSM PBF or that holds no drivable road.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from citywatch.geo.distance import haversine_m
from citywatch.geo.routing import tags as tagrules
from citywatch.geo.routing.graph import RoadGraph

LOCATION_INDEX = "flex_mem"
UNDEFINED_COORDINATE = 2147483647  # osmium::Location's undefined x/y
COORDINATE_PRECISION = 1e-7


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


def read_ways(path: Path) -> dict:
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


def build_road_graph(path: Path, manifest: dict | None = None) -> tuple[RoadGraph, dict]:
    """Read ``path`` and build its road graph; ``stats`` has counters and timings, and ``stats["ways"]``
    what ``read_ways`` read (the basemap's road lines are cut from it)."""
    path = Path(path)
    check_pbf_header(path)
    started = time.perf_counter()
    ways = read_ways(path)
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
