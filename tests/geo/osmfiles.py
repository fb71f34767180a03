"""Small OpenStreetMap PBF files written by the tests themselves (pyosmium's SimpleWriter).

``town()`` describes a little street network near Xiamen with every case the road import must handle;
``write_osm(path, nodes, ways)`` writes any such description.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

LON0, LAT0, D = 118.10, 24.50, 0.001  # D: about 101 m east-west and 111 m north-south


def write_osm(path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple[dict, list[int]]]) -> Path:
    import osmium
    from osmium.osm.mutable import Node, Way

    writer = osmium.SimpleWriter(str(path), overwrite=True)
    try:
        for node_id in sorted(nodes):
            writer.add_node(Node(id=node_id, location=nodes[node_id]))
        for way_id, (tags, refs) in enumerate(ways, start=1):
            writer.add_way(Way(id=way_id, nodes=list(refs), tags=dict(tags)))
    finally:
        writer.close()
    return path


def town() -> tuple[dict, list]:
    """The test town.

    * a 4×4 two-way residential grid, nodes 1…16 (node = 4*i + j + 1 at row i, column j);
    * a one-way loop 101→102→103→104→101 east of it, joined to grid node 4 through node 100;
    * a roundabout 201…204 (no oneway tag) joined to grid node 2;
    * a line of maxspeed variants 301…308 joined to grid node 13;
    * a motorway 401→402 (oneway implied), a reversible road 411-412;
    * shortcuts a car may not take: access=no (via 501), motor_vehicle=private (via 502), a footway
      (via 503), highway=pedestrian (via 504); and one it may: access=no + motor_vehicle=yes (via 511);
    * an island 601-602 about 5 km east, not joined to anything;
    * a way that refers to node 999, which is not in the file.
    """
    nodes: dict[int, tuple[float, float]] = {}
    for i in range(4):
        for j in range(4):
            nodes[4 * i + j + 1] = (LON0 + j * D, LAT0 + i * D)
    ways: list[tuple[dict, list[int]]] = []
    for i in range(4):
        ways.append(({"highway": "residential"}, [4 * i + j + 1 for j in range(4)]))
    for j in range(4):
        ways.append(({"highway": "residential"}, [4 * i + j + 1 for i in range(4)]))

    nodes[100] = (LON0 + 4 * D, LAT0)
    nodes[101] = (LON0 + 5 * D, LAT0)
    nodes[102] = (LON0 + 6 * D, LAT0)
    nodes[103] = (LON0 + 6 * D, LAT0 + D)
    nodes[104] = (LON0 + 5 * D, LAT0 + D)
    ways.append(({"highway": "residential"}, [4, 100, 101]))
    ways.append(({"highway": "residential", "oneway": "yes"}, [101, 102, 103, 104, 101]))

    r = 0.0003
    cx, cy = LON0 + D, LAT0 - 2 * D
    nodes[201] = (cx, cy + r)
    nodes[202] = (cx + r, cy)
    nodes[203] = (cx, cy - r)
    nodes[204] = (cx - r, cy)
    ways.append(({"highway": "primary", "junction": "roundabout"}, [201, 202, 203, 204, 201]))
    ways.append(({"highway": "tertiary"}, [2, 201]))

    for k in range(8):
        nodes[301 + k] = (LON0 + k * D, LAT0 + 5 * D)
    ways.append(({"highway": "residential"}, [13, 301]))
    ways.append(({"highway": "secondary", "maxspeed": "50"}, [301, 302]))
    ways.append(({"highway": "secondary", "maxspeed": "30 mph"}, [302, 303]))
    ways.append(({"highway": "secondary", "maxspeed": "CN:urban"}, [303, 304]))
    ways.append(({"highway": "tertiary", "maxspeed": "signals"}, [304, 305]))
    ways.append(({"highway": "residential"}, [305, 306]))
    ways.append(
        ({"highway": "unclassified", "maxspeed:forward": "60", "maxspeed:backward": "30"}, [306, 307])
    )
    ways.append(({"highway": "primary", "maxspeed": "CN:rural"}, [307, 308]))

    nodes[401] = (LON0 - 3 * D, LAT0 - 3 * D)
    nodes[402] = (LON0 - 2 * D, LAT0 - 3 * D)
    ways.append(({"highway": "motorway"}, [401, 402]))
    nodes[411] = (LON0 - 3 * D, LAT0 - 4 * D)
    nodes[412] = (LON0 - 2 * D, LAT0 - 4 * D)
    ways.append(({"highway": "secondary", "oneway": "reversible"}, [411, 412]))

    nodes[501] = (LON0 + 1.5 * D, LAT0 + 1.5 * D)
    ways.append(({"highway": "primary", "access": "no"}, [1, 501, 16]))
    nodes[502] = (LON0 + 1.4 * D, LAT0 + 1.6 * D)
    ways.append(({"highway": "primary", "motor_vehicle": "private"}, [1, 502, 16]))
    nodes[503] = (LON0 + 1.6 * D, LAT0 + 1.4 * D)
    ways.append(({"highway": "footway"}, [1, 503, 16]))
    nodes[504] = (LON0 + 1.3 * D, LAT0 + 1.7 * D)
    ways.append(({"highway": "pedestrian"}, [1, 504, 16]))
    nodes[511] = (LON0 + 3.5 * D, LAT0 + 3.5 * D)
    ways.append(({"highway": "service", "access": "no", "motor_vehicle": "yes"}, [16, 511]))

    nodes[601] = (LON0 + 0.05, LAT0)
    nodes[602] = (LON0 + 0.05 + D, LAT0)
    ways.append(({"highway": "residential"}, [601, 602]))

    ways.append(({"highway": "residential"}, [12, 999]))
    return nodes, ways


def write_town(path: Path) -> Path:
    nodes, ways = town()
    return write_osm(path, nodes, ways)


def node_index(graph, osm_id: int) -> int | None:
    hit = np.flatnonzero(np.asarray(graph.arrays["osm_id"]) == osm_id)
    return int(hit[0]) if len(hit) else None


def edge(graph, a: int, b: int, direction: str = "fwd"):
    """``(time_s, length_m)`` of the edge between OSM nodes a → b, or None."""
    ia, ib = node_index(graph, a), node_index(graph, b)
    if ia is None or ib is None:
        return None
    arr = graph.arrays
    lo, hi = int(arr[f"{direction}_indptr"][ia]), int(arr[f"{direction}_indptr"][ia + 1])
    cols = np.asarray(arr[f"{direction}_indices"][lo:hi])
    hit = np.flatnonzero(cols == ib)
    if not len(hit):
        return None
    k = lo + int(hit[0])
    return float(arr[f"{direction}_time"][k]), float(arr[f"{direction}_length"][k])
