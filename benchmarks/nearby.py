"""Benchmarks of the nearby analysis: travel time, straight-line nearest, population sums, OSM import.

Run with ``citywatch bench nearby`` (``--quick`` for the small smoke run the test suite uses) or
``python benchmarks/nearby.py [--quick]``. Each figure is one JSON line::

    {"name", "value", "unit", "baseline", "baseline_value", "ratio", ["identical"], "params"}

Every baseline runs in the same process, on the same data and the same queries, right after the
figure it is compared with (ARCHITECTURE habit 13). ``identical`` says whether every answer matched
the baseline's (the same candidates in the same order with the same times, or the same sums).
No figure here depends on the database or on ``DATA_DIR``.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

LON0, LAT0 = 118.00, 24.40  # Xiamen
SPACING_DEG = 0.001  # about 100 m
MAX_SECONDS = 1800.0
K = 20

SIZES = {
    "full": {
        "grid_side": 320,  # 102,400 road nodes
        "resources": 100_000,
        "tt_queries": 300,
        "tt_baseline_queries": 8,
        "kinds_queries": 100,
        "points": 1_000_000,
        "sl_queries": 2000,
        "sl_baseline_queries": 20,
        "pop_side": 3163,  # 10,004,569 cells
        "pop_queries": 300,
        "pop_baseline_queries": 5,
        "osm_side": 1000,  # 1,000,000 nodes
    },
    "quick": {
        "grid_side": 30,
        "resources": 2000,
        "tt_queries": 20,
        "tt_baseline_queries": 5,
        "kinds_queries": 30,
        "points": 20_000,
        "sl_queries": 50,
        "sl_baseline_queries": 5,
        "pop_side": 200,
        "pop_queries": 20,
        "pop_baseline_queries": 3,
        "osm_side": 60,
    },
}


def _line(name, value, unit, baseline, baseline_value, identical=None, **params) -> dict:
    line = {
        "name": name,
        "value": round(float(value), 3),
        "unit": unit,
        "baseline": baseline,
        "baseline_value": None if baseline_value is None else round(float(baseline_value), 3),
        "ratio": None if not baseline_value else round(float(value) / float(baseline_value), 2),
    }
    if identical is not None:
        line["identical"] = bool(identical)
    line["params"] = params
    return line


# --- a synthetic road network ----------------------------------------------------------------------
def synthetic_road_graph(side: int, seed: int):
    """A ``side × side`` street grid (jittered, ~100 m blocks) with mixed speeds, one-way streets and
    missing segments; returns a RoadGraph (its largest SCC covers nearly every node)."""
    from citywatch.geo.distance import haversine_m
    from citywatch.geo.routing import RoadGraph

    rng = np.random.default_rng(seed)
    jj, ii = np.meshgrid(np.arange(side), np.arange(side))
    lon = (LON0 + jj * SPACING_DEG + rng.uniform(-0.0002, 0.0002, jj.shape)).ravel()
    lat = (LAT0 + ii * SPACING_DEG * 0.9 + rng.uniform(-0.0002, 0.0002, ii.shape)).ravel()
    idx = np.arange(side * side).reshape(side, side)
    row_speed = rng.choice([25.0, 30.0, 40.0, 50.0, 60.0], size=side, p=[0.4, 0.2, 0.2, 0.15, 0.05])
    col_speed = rng.choice([25.0, 30.0, 40.0, 50.0, 60.0], size=side, p=[0.4, 0.2, 0.2, 0.15, 0.05])
    row_oneway = rng.random(side) < 0.15
    col_oneway = rng.random(side) < 0.15
    # horizontal segments (along a row) and vertical ones (along a column)
    h_a, h_b = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    v_a, v_b = idx[:-1, :].ravel(), idx[1:, :].ravel()
    h_speed = np.repeat(row_speed, side - 1)
    v_speed = np.tile(col_speed, side - 1)
    h_one = np.repeat(row_oneway, side - 1)
    v_one = np.tile(col_oneway, side - 1)
    a = np.concatenate([h_a, v_a])
    b = np.concatenate([h_b, v_b])
    speed = np.concatenate([h_speed, v_speed]) * rng.uniform(0.8, 1.0, len(a))  # congestion noise
    one = np.concatenate([h_one, v_one])
    keep = rng.random(len(a)) > 0.05
    a, b, speed, one = a[keep], b[keep], speed[keep], one[keep]
    length = haversine_m(lon[a], lat[a], lon[b], lat[b])
    secs = length / (speed / 3.6)
    two = ~one
    src = np.concatenate([a, b[two]])
    dst = np.concatenate([b, a[two]])
    return RoadGraph.from_edges(
        lon, lat, src, dst, np.concatenate([secs, secs[two]]), np.concatenate([length, length[two]])
    )


def _random_points(rng, n, side_deg_lon, side_deg_lat):
    return np.column_stack([LON0 + rng.uniform(0, side_deg_lon, n), LAT0 + rng.uniform(0, side_deg_lat, n)])


# --- 1. nearest by travel time ---------------------------------------------------------------------
def bench_travel_time(size: dict, seed: int) -> Iterator[dict]:
    import networkx as nx
    from scipy.sparse.csgraph import dijkstra

    from citywatch.geo.routing import TravelTimeEngine

    rng = np.random.default_rng(seed)
    side = size["grid_side"]
    graph = synthetic_road_graph(side, seed)
    engine = TravelTimeEngine(graph)
    extent_lon, extent_lat = side * SPACING_DEG, side * SPACING_DEG * 0.9
    resources = _random_points(rng, size["resources"], extent_lon, extent_lat)
    t = time.perf_counter()
    cands = engine.prepare_candidates(resources)
    prepare_s = time.perf_counter() - t
    origins = _random_points(rng, size["tt_queries"], extent_lon, extent_lat)

    t = time.perf_counter()
    ours = [engine.nearest_by_time(o, cands, "to", MAX_SECONDS, K) for o in origins]
    ours_s = time.perf_counter() - t
    qps = len(origins) / ours_s

    # The same ranking from one scipy Dijkstra bounded by max_seconds (no progressive bound).
    rev = graph.csr("rev")
    t = time.perf_counter()
    single = []
    for res in ours:
        budget = MAX_SECONDS - res.origin.distance_m / (engine.access_speed_kmh / 3.6)
        dist = dijkstra(rev, directed=True, indices=res.origin.node, limit=budget)
        total = dist[cands.node_on] + cands.access_s_on
        found = np.flatnonzero(total <= budget)
        single.append(found[np.lexsort((cands.index[found], total[found]))][:K])
    single_s = time.perf_counter() - t

    # Baseline: networkx on the same reversed graph, same origin node, same cutoff, same ranking.
    n = graph.n_nodes
    ptr = np.asarray(graph.arrays["rev_indptr"], dtype=np.int64)
    rows = np.repeat(np.arange(n), np.diff(ptr))
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(
        zip(
            rows.tolist(),
            np.asarray(graph.arrays["rev_indices"]).tolist(),
            np.asarray(graph.arrays["rev_time"]).tolist(),
            strict=True,
        )
    )
    nb = min(size["tt_baseline_queries"], len(ours))
    identical = True
    t = time.perf_counter()
    for res in ours[:nb]:
        budget = MAX_SECONDS - res.origin.distance_m / (engine.access_speed_kmh / 3.6)
        lengths = nx.single_source_dijkstra_path_length(g, res.origin.node, cutoff=budget, weight="weight")
        dist = np.full(n, np.inf)
        dist[np.fromiter(lengths.keys(), dtype=np.int64)] = np.fromiter(lengths.values(), dtype=np.float64)
        total = dist[cands.node_on] + cands.access_s_on
        found = np.flatnonzero(total <= budget)
        order = found[np.lexsort((cands.index[found], total[found]))][:K]
        expected_idx = cands.index[order]
        expected_eta = total[order] + res.origin.distance_m / (engine.access_speed_kmh / 3.6)
        got_idx = np.array(res.indices, dtype=np.int64)
        got_eta = np.array([h.eta_s for h in res.results])
        if not (
            np.array_equal(got_idx, expected_idx) and np.allclose(got_eta, expected_eta, rtol=1e-9, atol=1e-6)
        ):
            identical = False
    base_s = time.perf_counter() - t
    base_qps = nb / base_s
    for res, order in zip(ours, single, strict=True):
        if not np.array_equal(np.array(res.indices, dtype=np.int64), cands.index[order]):
            identical = False
    common = {
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "resources": len(resources),
        "k": K,
        "direction": "to",
        "max_seconds": MAX_SECONDS,
        "queries": len(origins),
        "baseline_queries": nb,
        "prepare_candidates_s": round(prepare_s, 3),
    }
    yield _line(
        "nearest_20_by_travel_time",
        qps,
        "queries/s",
        "networkx single_source_dijkstra_path_length (cutoff=max_seconds) + the same ranking",
        base_qps,
        identical,
        **common,
    )
    yield _line(
        "nearest_20_by_travel_time_single_bounded_scipy",
        len(origins) / single_s,
        "queries/s",
        "networkx single_source_dijkstra_path_length (cutoff=max_seconds) + the same ranking",
        base_qps,
        identical,
        note="one scipy dijkstra(limit=max_seconds) per query, without the engine's progressive bound",
        **common,
    )


# --- 1b. nearby: the registry's kinds, one search per direction ------------------------------------
# The demo city's kinds and record counts (kinds.py: which way each travels), nearby's default limit.
NEARBY_KINDS = {
    "rescue-teams": ("to", 521),
    "depots": ("to", 600),
    "experts": ("to", 395),
    "medical-facilities": ("from", 76),
    "shelters": ("from", 799),
    "facilities": ("from", 2_500),
}
NEARBY_LIMIT = 20


def bench_nearby_kinds(size: dict, seed: int) -> Iterator[dict]:
    """``resources.nearby``'s engine work: the six ranked kinds asked once per direction (``groups``)
    against the former way, one search per kind; same origins, same candidates, same engine."""
    from citywatch.geo.routing import TravelTimeEngine

    rng = np.random.default_rng(seed + 3)
    side = size["grid_side"]
    engine = TravelTimeEngine(synthetic_road_graph(side, seed))
    extent_lon, extent_lat = side * SPACING_DEG, side * SPACING_DEG * 0.9
    kinds = {slug: _random_points(rng, n, extent_lon, extent_lat) for slug, (_d, n) in NEARBY_KINDS.items()}
    directions = {}
    for direction in ("to", "from"):
        slugs = [s for s, (d, _n) in NEARBY_KINDS.items() if d == direction]
        points = np.vstack([kinds[s] for s in slugs])
        labels = np.concatenate([np.full(len(kinds[s]), g) for g, s in enumerate(slugs)])
        directions[direction] = (slugs, points, labels)
    origins = _random_points(rng, size["kinds_queries"], extent_lon, extent_lat)

    def grouped(origin):
        ranked = {}
        for direction, (slugs, points, labels) in directions.items():
            answer = engine.nearest_by_time(
                origin, points, direction, MAX_SECONDS, NEARBY_LIMIT, groups=labels
            )
            for hit in answer.results:
                ranked.setdefault(slugs[labels[hit.index]], []).append((hit.index, hit.eta_s, hit.distance_m))
        return ranked

    def per_kind(origin):
        ranked = {}
        for direction, (slugs, _points, labels) in directions.items():
            for g, slug in enumerate(slugs):
                offset = int(np.flatnonzero(labels == g)[0])
                answer = engine.nearest_by_time(origin, kinds[slug], direction, MAX_SECONDS, NEARBY_LIMIT)
                ranked[slug] = [(offset + h.index, h.eta_s, h.distance_m) for h in answer.results]
        return ranked

    for origin in origins[:2]:  # warm the candidate caches of both ways
        grouped(origin), per_kind(origin)
    t = time.perf_counter()
    ours = [grouped(o) for o in origins]
    ours_s = time.perf_counter() - t
    t = time.perf_counter()
    theirs = [per_kind(o) for o in origins]
    base_s = time.perf_counter() - t
    identical = all(
        {k: v for k, v in a.items() if v} == {k: v for k, v in b.items() if v}
        for a, b in zip(ours, theirs, strict=True)
    )
    yield _line(
        "nearby_six_kinds_by_travel_time",
        len(origins) / ours_s,
        "queries/s",
        "one engine search per kind (six: three to the point, three from it), the same candidates",
        len(origins) / base_s,
        identical,
        nodes=engine.graph.n_nodes,
        resources={slug: n for slug, (_d, n) in NEARBY_KINDS.items()},
        k_per_kind=NEARBY_LIMIT,
        max_seconds=MAX_SECONDS,
        queries=len(origins),
        note="two engine searches per query (one per direction) with groups=kind",
    )


# --- 2. straight-line nearest ----------------------------------------------------------------------
def bench_straight_line(size: dict, seed: int) -> Iterator[dict]:
    from citywatch.geo.distance import PointIndex, haversine_m

    rng = np.random.default_rng(seed + 1)
    pts = _random_points(rng, size["points"], 1.0, 1.0)
    t = time.perf_counter()
    index = PointIndex(pts)
    build_s = time.perf_counter() - t
    origins = _random_points(rng, size["sl_queries"], 1.0, 1.0)
    t = time.perf_counter()
    ours = [index.nearest(o, k=K)[1][0] for o in origins]
    ours_s = time.perf_counter() - t
    nb = min(size["sl_baseline_queries"], len(origins))
    identical = True
    t = time.perf_counter()
    for o, got in zip(origins[:nb], ours[:nb], strict=True):
        d = haversine_m(o[0], o[1], pts[:, 0], pts[:, 1])
        part = np.argpartition(d, K)[:K]
        expected = part[np.argsort(d[part], kind="stable")]
        identical &= bool(np.array_equal(expected, got))
    base_s = time.perf_counter() - t
    yield _line(
        "nearest_20_straight_line",
        len(origins) / ours_s,
        "queries/s",
        "NumPy brute force: haversine to every point + argpartition",
        nb / base_s,
        identical,
        points=len(pts),
        queries=len(origins),
        baseline_queries=nb,
        index_build_s=round(build_s, 3),
    )


# --- 3. population within 5 km ---------------------------------------------------------------------
def bench_population(size: dict, seed: int) -> Iterator[dict]:
    from citywatch.geo.distance import haversine_m
    from citywatch.geo.population import PopulationGrid

    rng = np.random.default_rng(seed + 2)
    side = size["pop_side"]
    step = SPACING_DEG
    lon = np.tile(LON0 + (np.arange(side) + 0.5) * step, side)
    lat = np.repeat(LAT0 + (np.arange(side) + 0.5) * step, side)
    persons = rng.gamma(0.6, 40.0, side * side)
    t = time.perf_counter()
    grid = PopulationGrid.from_points(lon, lat, persons)
    build_s = time.perf_counter() - t
    span = side * step
    centres = np.column_stack(
        [
            LON0 + rng.uniform(0.1, 0.9, size["pop_queries"]) * span,
            LAT0 + rng.uniform(0.1, 0.9, size["pop_queries"]) * span,
        ]
    )
    radius = 5000.0
    t = time.perf_counter()
    ours = [grid.within_radius(c, radius) for c in centres]
    ours_s = time.perf_counter() - t
    nb = min(size["pop_baseline_queries"], len(centres))
    identical = True
    t = time.perf_counter()
    for c, got in zip(centres[:nb], ours[:nb], strict=True):
        mask = haversine_m(c[0], c[1], lon, lat) <= radius
        expected = float(persons[mask].sum())
        identical &= bool(np.isclose(got, expected, rtol=1e-9, atol=1e-6))
    base_s = time.perf_counter() - t
    yield _line(
        "population_within_5km",
        len(centres) / ours_s,
        "queries/s",
        "NumPy full-grid distance mask (haversine to every cell) + sum",
        nb / base_s,
        identical,
        cells=int(side * side),
        radius_m=radius,
        queries=len(centres),
        baseline_queries=nb,
        index_build_s=round(build_s, 3),
    )


# --- 4. OSM import ---------------------------------------------------------------------------------
def write_grid_pbf(path: Path, side: int, seed: int = 0) -> int:
    """A PBF street grid of ``side × side`` nodes with mixed tags; returns the node count."""
    import osmium
    from osmium.osm.mutable import Node, Way

    rng = np.random.default_rng(seed)
    classes = ["residential", "tertiary", "secondary", "primary", "service", "unclassified"]
    speeds = [None, None, "40", "60", "30 mph", "CN:urban"]
    writer = osmium.SimpleWriter(str(path), overwrite=True)
    try:
        lons = (LON0 + np.arange(side) * SPACING_DEG).tolist()
        lats = (LAT0 + np.arange(side) * SPACING_DEG * 0.9).tolist()
        # Node ids in no order along the streets (their own generator: the tags below stay as they
        # were): with ids running along the grid, the ways' node lists pack >100 times, which the import
        # refuses as a possible decompression bomb (osm.MAX_BLOB_RATIO); real extracts pack 2-4 times.
        ids = np.random.default_rng(seed + 1).permutation(side * side) + 1
        for k in np.argsort(ids).tolist():  # the nodes in id order; one object per node is the API
            writer.add_node(Node(id=int(ids[k]), location=(lons[k % side], lats[k // side])))
        ids = ids.tolist()
        way_id = 1
        for i in range(side):
            tags = {"highway": classes[int(rng.integers(len(classes)))]}
            if rng.random() < 0.2:
                tags["oneway"] = "yes"
            speed = speeds[int(rng.integers(len(speeds)))]
            if speed:
                tags["maxspeed"] = speed
            writer.add_way(Way(id=way_id, nodes=ids[i * side : i * side + side], tags=tags))
            way_id += 1
        for j in range(side):
            tags = (
                {"highway": "footway"}
                if j % 10 == 9
                else {"highway": classes[int(rng.integers(len(classes)))]}
            )
            writer.add_way(Way(id=way_id, nodes=ids[j::side], tags=tags))
            way_id += 1
    finally:
        writer.close()
    return side * side


def bench_osm_import(size: dict, seed: int) -> Iterator[dict]:
    import osmium

    from citywatch.geo import store
    from citywatch.geo.routing.osm import build_road_graph

    with tempfile.TemporaryDirectory(prefix="citywatch-bench-") as tmp:
        tmp = Path(tmp)
        pbf = tmp / "grid.osm.pbf"
        t = time.perf_counter()
        nodes = write_grid_pbf(pbf, size["osm_side"], seed)
        write_s = time.perf_counter() - t
        gc.collect()
        t = time.perf_counter()
        manifest = {"source": {"name": pbf.name, "sha256": store.sha256_file(pbf)}}
        graph, stats = build_road_graph(pbf, manifest)
        with store.staging(tmp / "roads") as build:
            graph.save(build)
            store.publish(tmp / "roads", build)
        ours_s = time.perf_counter() - t
        t = time.perf_counter()
        osmium.apply(str(pbf), osmium.NodeLocationsForWays(osmium.index.create_map("flex_mem")))
        base_s = time.perf_counter() - t
        pbf_bytes = pbf.stat().st_size
    yield _line(
        "osm_import",
        nodes / ours_s,
        "nodes/s",
        "pyosmium reading the same file with the flex_mem node-location index only (no Python callbacks)",
        nodes / base_s,
        None,
        file_nodes=nodes,
        graph_nodes=stats["nodes"],
        graph_edges=stats["edges"],
        import_s=round(ours_s, 3),
        read_s=round(stats["read_seconds"], 3),
        pbf_bytes=pbf_bytes,
        write_pbf_s=round(write_s, 3),
    )


BENCHMARKS = {
    "travel_time": bench_travel_time,
    "nearby_kinds": bench_nearby_kinds,
    "straight_line": bench_straight_line,
    "population": bench_population,
    "osm_import": bench_osm_import,
}


def run(quick: bool = False, seed: int = 20240501, only: list[str] | None = None) -> Iterator[dict]:
    size = SIZES["quick" if quick else "full"]
    for name, bench in BENCHMARKS.items():
        if only and name not in only:
            continue
        yield from bench(size, seed)
        gc.collect()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS))
    args = parser.parse_args(argv)
    for line in run(args.quick, args.seed, args.only):
        print(json.dumps(line, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    sys.exit(main())
