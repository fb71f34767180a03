"""Travel times: one-way streets, the to/from rule, snapping, exact ranking, routes, isochrones, estimates."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citywatch.geo import routing
from citywatch.geo.distance import LocalProjection, haversine_m
from citywatch.geo.routing import RoadGraph, RoutingError, TravelTimeEngine
from tests.geo.osmfiles import LAT0, LON0, D, town, write_town

NODES, _WAYS = town()


def at(osm_id):
    return NODES[osm_id]


@pytest.fixture
def engine(data_dir, tmp_path, run_import):
    run_import("roads", write_town(tmp_path / "town.osm.pbf"))
    eng = routing.get_engine()
    assert eng.mode == "road"
    return eng


def test_one_way_streets_make_a_to_b_differ_from_b_to_a(engine):
    there = engine.route(at(102), at(103))  # along the one-way loop: one side
    back = engine.route(at(103), at(102))  # must go round: three sides
    assert there.eta_method == back.eta_method == "road"
    assert back.eta_s > 2.5 * there.eta_s
    assert back.distance_m > 2.5 * there.distance_m
    # the route follows the loop's nodes in the legal order
    coords = back.coords
    assert np.allclose(coords[0], at(103)) and np.allclose(coords[-1], at(102))
    visited = [tuple(np.round(c, 6)) for c in coords[1:-1]]
    assert visited == [tuple(np.round(at(n), 6)) for n in (103, 104, 101, 102)]


def test_direction_rule_on_a_one_way_loop(engine):
    """A team at 103 travels TO an incident at 102 (round the loop); a shelter at 103 is reached FROM it."""
    candidates = np.array([at(103)])
    to = engine.nearest_by_time(at(102), candidates, direction="to", max_seconds=3600, limit=5)
    frm = engine.nearest_by_time(at(102), candidates, direction="from", max_seconds=3600, limit=5)
    assert to.results[0].eta_s == pytest.approx(engine.route(at(103), at(102)).eta_s)
    assert frm.results[0].eta_s == pytest.approx(engine.route(at(102), at(103)).eta_s)
    assert to.results[0].eta_s > 2.5 * frm.results[0].eta_s
    assert to.results[0].distance_method == "road"
    assert to.results[0].distance_m == pytest.approx(engine.route(at(103), at(102)).distance_m)


def test_module_functions_answer_with_the_published_graph(engine):
    got = routing.nearest_by_time(at(1), np.array([at(16), at(2)]), "to", 3600, 5)
    assert got.eta_method == "road" and got.indices == [1, 0]
    assert got.as_dict()["results"][0]["eta_method"] == "road"
    assert routing.route(at(1), at(16)).eta_method == "road"
    assert routing.engine_status()["graph"]["counts"]["nodes"] > 0


def test_closed_shortcuts_are_not_used(engine):
    grid = engine.route(at(1), at(16))  # six 100 m residential blocks, not the 430 m diagonal
    expected = 3 * float(haversine_m(*at(1), *at(2))) + 3 * float(haversine_m(*at(1), *at(5)))
    assert grid.distance_m == pytest.approx(expected, rel=1e-3)


def test_snapping_goes_to_the_largest_component_and_islands_are_off_network(engine):
    island = at(601)  # on a road, but a road not joined to the town
    snap = engine.snap_point(island)
    assert snap.distance_m > 4000 and not snap.on_network
    near = (LON0 + 1.5 * D, LAT0 + 0.1 * D)
    snap = engine.snap_point(near)
    assert snap.on_network and snap.distance_m < 80
    got = engine.nearest_by_time(at(1), np.array([island, near, (np.nan, 24.5)]), "to", 3600, 10)
    assert got.indices == [1]
    assert got.off_network == [0, 2]
    assert got.results[0].snap_distance_m == pytest.approx(engine.snap_point(near).distance_m)


def test_an_off_network_origin_is_answered_by_estimate(engine):
    got = engine.nearest_by_time(at(601), np.array([at(1), at(602)]), "to", 3600, 10)
    assert not got.origin.on_network
    assert got.eta_method == "estimated" and {h.eta_method for h in got.results} == {"estimated"}
    assert got.indices == [1, 0]


def test_the_snap_limit_is_configurable(data_dir, tmp_path, run_import, settings):
    run_import("roads", write_town(tmp_path / "town.osm.pbf"))
    settings.CITYWATCH_ROUTING_SNAP_LIMIT_M = 10_000
    assert routing.get_engine().snap_point(at(601)).on_network


def test_max_seconds_and_limit_bound_the_answer(engine):
    cands = np.array([at(n) for n in range(1, 17)])
    everything = engine.nearest_by_time(at(1), cands, "from", 3600, None)
    assert len(everything.results) == 16
    etas = [h.eta_s for h in everything.results]
    assert etas == sorted(etas) and everything.results[0].index == 0
    cutoff = etas[5]
    bounded = engine.nearest_by_time(at(1), cands, "from", cutoff, None)
    assert [h.index for h in bounded.results] == everything.indices[:6]
    assert engine.nearest_by_time(at(1), cands, "from", 3600, 3).indices == everything.indices[:3]


def _random_graph(seed: int, n: int, m: int) -> RoadGraph:
    rng = np.random.default_rng(seed)
    lon = LON0 + rng.uniform(0, 0.02, n)
    lat = LAT0 + rng.uniform(0, 0.02, n)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    metres = haversine_m(lon[src], lat[src], lon[dst], lat[dst])
    seconds = metres / rng.uniform(3, 20, m) + rng.uniform(0, 5, m)
    return RoadGraph.from_edges(lon, lat, src, dst, seconds, metres)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 40),
    density=st.floats(1.0, 4.0),
    n_cands=st.integers(1, 40),
    limit=st.one_of(st.none(), st.integers(1, 12)),
    max_seconds=st.floats(1.0, 3000.0),
    direction=st.sampled_from(["to", "from"]),
)
def test_ranking_equals_a_full_networkx_dijkstra(seed, n, density, n_cands, limit, max_seconds, direction):
    graph = _random_graph(seed, n, int(n * density))
    engine = TravelTimeEngine(graph, snap_limit_m=3000)
    rng = np.random.default_rng(seed + 1)
    cands_xy = np.column_stack(
        [LON0 + rng.uniform(-0.005, 0.025, n_cands), LAT0 + rng.uniform(-0.005, 0.025, n_cands)]
    )
    origin = (LON0 + rng.uniform(0, 0.02), LAT0 + rng.uniform(0, 0.02))
    got = engine.nearest_by_time(origin, cands_xy, direction, max_seconds, limit)
    if not got.origin.on_network:
        assert got.eta_method == "estimated"
        return

    # Brute force: networkx over every stored edge, no cutoff; the same snapping and access legs.
    arr = graph.arrays
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    rows = np.repeat(np.arange(graph.n_nodes), np.diff(arr["fwd_indptr"]))
    for u, v, t in zip(rows, arr["fwd_indices"], arr["fwd_time"], strict=True):
        g.add_edge(int(u), int(v), weight=float(t))
    if direction == "to":
        g = g.reverse()
    full = nx.single_source_dijkstra_path_length(g, got.origin.node)
    main = np.asarray(graph.main_nodes)
    dist = haversine_m(cands_xy[:, [0]], cands_xy[:, [1]], graph.lon[main][None, :], graph.lat[main][None, :])
    snap_node, snap_m = main[dist.argmin(axis=1)], dist.min(axis=1)
    access = engine.access_speed_kmh / 3.6
    rows_expected = []
    for i in range(n_cands):
        if snap_m[i] > engine.snap_limit_m or int(snap_node[i]) not in full:
            continue
        eta = full[int(snap_node[i])] + snap_m[i] / access + got.origin.distance_m / access
        if eta <= max_seconds:
            rows_expected.append((eta, i))
    rows_expected.sort()
    if limit is not None:
        rows_expected = rows_expected[:limit]
    assert got.indices == [i for _eta, i in rows_expected]
    assert np.allclose(
        [h.eta_s for h in got.results], [eta for eta, _i in rows_expected], rtol=1e-9, atol=1e-6
    )
    # road distance: the stored lengths along the shortest-time path, plus the access legs
    for hit in got.results:
        a, b = (got.origin.node, int(snap_node[hit.index]))
        path = nx.dijkstra_path(g, a, b)
        if direction == "to":
            path = path[::-1]
        lengths = [
            float(graph.edge_lengths("fwd", np.array([p]), np.array([q]))[0])
            for p, q in zip(path, path[1:], strict=False)
        ]
        expected_m = sum(lengths) + got.origin.distance_m + snap_m[hit.index]
        assert hit.distance_m == pytest.approx(expected_m, rel=1e-4, abs=1e-3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 40),
    density=st.floats(1.0, 4.0),
    n_cands=st.integers(1, 60),
    n_groups=st.integers(1, 4),
    limit=st.one_of(st.none(), st.integers(1, 12)),
    max_seconds=st.floats(1.0, 3000.0),
    direction=st.sampled_from(["to", "from"]),
    road=st.booleans(),
)
def test_one_grouped_search_answers_what_one_search_per_group_does(
    seed, n, density, n_cands, n_groups, limit, max_seconds, direction, road
):
    """``groups``: the ``limit`` fastest of each group, as one call per group ranks them (times and
    distances too), from one search; with a road graph and in estimated mode."""
    engine = TravelTimeEngine(_random_graph(seed, n, int(n * density)) if road else None, snap_limit_m=3000)
    rng = np.random.default_rng(seed + 2)
    cands_xy = np.column_stack(
        [LON0 + rng.uniform(-0.005, 0.025, n_cands), LAT0 + rng.uniform(-0.005, 0.025, n_cands)]
    )
    labels = rng.integers(0, n_groups, n_cands)
    origin = (LON0 + rng.uniform(0, 0.02), LAT0 + rng.uniform(0, 0.02))
    got = engine.nearest_by_time(origin, cands_xy, direction, max_seconds, limit, groups=labels)
    expected, off_network = [], []
    for g in range(n_groups):
        members = np.flatnonzero(labels == g)
        if not len(members):
            continue
        alone = engine.nearest_by_time(origin, cands_xy[members], direction, max_seconds, limit)
        expected += [(hit.eta_s, int(members[hit.index]), hit) for hit in alone.results]
        off_network += [int(members[i]) for i in alone.off_network]
    expected.sort(key=lambda e: (e[0], e[1]))
    assert got.indices == [i for _eta, i, _hit in expected]
    for hit, (_eta, _i, alone) in zip(got.results, expected, strict=True):
        assert hit.eta_s == pytest.approx(alone.eta_s, rel=1e-12, abs=1e-9)
        assert hit.distance_m == pytest.approx(alone.distance_m, rel=1e-9, abs=1e-6)
        assert (hit.eta_method, hit.distance_method) == (alone.eta_method, alone.distance_method)
    assert sorted(got.off_network) == sorted(off_network)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 40),
    n_cands=st.integers(1, 60),
    n_groups=st.integers(1, 4),
    limit=st.one_of(st.none(), st.integers(1, 12)),
    direction=st.sampled_from(["to", "from"]),
    road=st.booleans(),
)
def test_a_point_snapped_once_and_groups_prepared_once_answer_the_same(
    seed, n, n_cands, n_groups, limit, direction, road
):
    """What the nearby analysis passes (the origin's ``Snap``, prepared candidates and groups) gives the
    very answer of the plain arguments: the same hits, times and distances to the last bit."""
    engine = TravelTimeEngine(_random_graph(seed, n, 3 * n) if road else None, snap_limit_m=3000)
    rng = np.random.default_rng(seed + 3)
    cands_xy = np.column_stack(
        [LON0 + rng.uniform(-0.005, 0.025, n_cands), LAT0 + rng.uniform(-0.005, 0.025, n_cands)]
    )
    labels = rng.integers(0, n_groups, n_cands)
    origin = (LON0 + rng.uniform(0, 0.02), LAT0 + rng.uniform(0, 0.02))
    plain = engine.nearest_by_time(origin, cands_xy, direction, 1800, limit, groups=labels)
    cands = engine.prepare_candidates(cands_xy)
    prepared = engine.nearest_by_time(
        engine.snap_point(origin), cands, direction, 1800, limit, groups=engine.prepare_groups(cands, labels)
    )
    assert prepared == plain


def test_groups_prepared_for_other_candidates_are_refused(engine):
    cands = engine.prepare_candidates(np.array([at(2), at(3)]))
    other = engine.prepare_candidates(np.array([at(2), at(3)]))
    with pytest.raises(RoutingError, match="other candidates"):
        engine.nearest_by_time(at(1), cands, "to", 3600, 1, groups=engine.prepare_groups(other, [0, 1]))


def test_groups_must_label_every_candidate(engine):
    cands = np.array([at(2), at(3)])
    with pytest.raises(RoutingError, match="one integer label per candidate"):
        engine.nearest_by_time(at(1), cands, "to", 3600, 1, groups=[0])
    with pytest.raises(RoutingError, match="one integer label per candidate"):
        engine.nearest_by_time(at(1), cands, "to", 3600, 1, groups=[0.5, 1.0])
    with pytest.raises(RoutingError, match="negative"):
        engine.nearest_by_time(at(1), cands, "to", 3600, 1, groups=[0, -1])


def test_estimated_mode_without_a_road_graph(data_dir):
    engine = routing.get_engine()
    assert engine.mode == "estimated" and engine.graph is None
    origin = (118.10, 24.50)
    cands = np.array([(118.13, 24.50), (118.11, 24.51), (118.10, 24.60)])
    got = routing.nearest_by_time(origin, cands, "to", 3600, 2)
    assert got.eta_method == "estimated"
    assert got.indices == [1, 0]
    metres = float(haversine_m(*origin, *cands[1]))
    hit = got.results[0]
    assert hit.eta_s == pytest.approx(metres * 1.3 / (40 / 3.6))
    assert hit.distance_m == pytest.approx(metres) and hit.distance_method == "straight_line"
    assert hit.eta_method == "estimated"
    assert set(got.as_dict()) == {
        "direction",
        "max_seconds",
        "limit",
        "eta_method",
        "origin",
        "results",
        "off_network",
    }
    # the time bound applies to estimates as well
    assert routing.nearest_by_time(origin, cands, "to", hit.eta_s + 1, None).indices == [1]

    r = routing.route(origin, cands[0])
    assert r.eta_method == "estimated" and len(r.coords) == 2
    assert r.eta_s == pytest.approx(float(haversine_m(*origin, *cands[0])) * 1.3 / (40 / 3.6))

    iso = routing.isochrone_detail(origin, 6)
    assert iso.eta_method == "estimated" and iso.method == "circle"
    radius = 6 * 60 * (40 / 3.6) / 1.3
    area = shapely.transform(iso.polygon, LocalProjection(*origin).to_xy_coords).area
    assert area == pytest.approx(np.pi * radius**2, rel=0.01)
    assert isinstance(routing.isochrone(origin, 6), shapely.Polygon)


def test_estimated_mode_settings(data_dir, settings):
    settings.CITYWATCH_ROUTING_DETOUR_FACTOR = 1.5
    settings.CITYWATCH_ROUTING_FALLBACK_SPEED_KMH = 30
    got = routing.nearest_by_time((118.1, 24.5), np.array([(118.11, 24.5)]), "from", 3600, 1)
    metres = float(haversine_m(118.1, 24.5, 118.11, 24.5))
    assert got.results[0].eta_s == pytest.approx(metres * 1.5 / (30 / 3.6))


def test_isochrone_grows_with_time_and_stays_on_the_network(engine):
    origin = at(6)
    small = engine.isochrone_detail(origin, 0.5)
    large = engine.isochrone_detail(origin, 3)
    assert small.eta_method == large.eta_method == "road"
    assert isinstance(large.polygon, shapely.Polygon | shapely.MultiPolygon) and large.polygon.is_valid
    assert small.polygon.contains(shapely.Point(origin))
    assert large.polygon.area > small.polygon.area
    assert large.polygon.buffer(0.0005).covers(small.polygon)  # nested, up to the 25 m simplification
    assert large.polygon.contains(shapely.Point(at(16)))  # 4 blocks at 25 km/h: about 1 minute
    assert not large.polygon.contains(shapely.Point(at(601)))  # the island
    assert large.reached_nodes > small.reached_nodes
    assert large.as_dict()["properties"]["method"] == "raster-buffer"


def test_isochrone_respects_one_way_streets(engine):
    # 30 s from 102 along the loop reaches 103 (one block) but not 101, which is three blocks round
    iso = engine.isochrone(at(102), 0.5, buffer_m=30)
    assert iso.contains(shapely.Point(at(103)))
    assert not iso.contains(shapely.Point(at(101)))
    arriving = engine.isochrone(at(102), 0.5, direction="to", buffer_m=30)
    assert arriving.contains(shapely.Point(at(101)))
    assert not arriving.contains(shapely.Point(at(103)))


def test_candidates_prepared_once_are_reused(engine):
    cands = np.array([at(n) for n in range(1, 17)])
    prepared = engine.prepare_candidates(cands)
    assert (
        engine.nearest_by_time(at(1), prepared, "to", 3600, 5).indices
        == engine.nearest_by_time(at(1), cands, "to", 3600, 5).indices
    )
    other = TravelTimeEngine(None)
    with pytest.raises(RoutingError):
        other.nearest_by_time(at(1), prepared)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"direction": "towards"}, "direction"),
        ({"max_seconds": 0}, "max_seconds"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_arguments_fail_clearly(kwargs, message):
    engine = TravelTimeEngine(None)
    args = {"direction": "to", "max_seconds": 60, "limit": 5, **kwargs}
    with pytest.raises(RoutingError, match=message):
        engine.nearest_by_time((118.1, 24.5), np.array([(118.1, 24.5)]), **args)
    with pytest.raises(RoutingError):
        engine.nearest_by_time((200, 24.5), np.array([(118.1, 24.5)]))
    with pytest.raises(RoutingError):
        engine.nearest_by_time((118.1, 24.5), np.zeros((3, 3)))


def test_isochrone_from_a_point_whose_access_leg_takes_longer_than_the_time(engine):
    away = (LON0 + 1.5 * D, LAT0 - 12 * D)  # about 1.1 km south of the town: 200 s at the access speed
    iso = engine.isochrone_detail(away, 1)
    assert iso.origin.on_network and iso.reached_nodes == 0
    assert iso.polygon.contains(shapely.Point(away))
    assert not iso.polygon.contains(shapely.Point(at(1)))
