"""Road network import: OSM tags → a car graph; stored as arrays with a manifest; bad files change nothing."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from citywatch.geo.distance import haversine_m
from citywatch.geo.routing import current_graph
from citywatch.geo.routing import tags as rules
from citywatch.geo.routing.graph import RoadGraph, roads_dir
from tests.geo.osmfiles import edge, node_index, town, write_osm, write_town


@pytest.mark.parametrize(
    ("value", "kmh"),
    [
        ("50", 50.0),
        ("50 km/h", 50.0),
        ("80kmh", 80.0),
        ("30 mph", 30 * 1.609344),
        ("30mph", 30 * 1.609344),
        ("CN:urban", 50.0),
        ("CN:rural", 70.0),
        ("CN:motorway", 120.0),
        ("DE:rural", 100.0),
        ("RU:urban", 60.0),
        ("GB:nsl_single", 60 * 1.609344),
        ("FR:living_street", 10.0),
        ("walk", 7.0),
        ("none", 130.0),
        ("60;80", 60.0),
        ("signals", None),
        ("variable", None),
        ("XX:urban", None),
        ("0", None),
        ("5000", None),
        ("fast", None),
        ("", None),
        (None, None),
    ],
)
def test_maxspeed_values(value, kmh):
    got = rules.parse_maxspeed(value)
    assert got == (pytest.approx(kmh) if kmh is not None else None)


@given(st.text(max_size=20))
def test_maxspeed_parser_never_fails_and_never_gives_a_useless_speed(text):
    got = rules.parse_maxspeed(text)
    assert got is None or got > 0


@pytest.mark.parametrize(
    ("tags", "direction"),
    [
        ({"highway": "residential"}, 0),
        ({"highway": "residential", "oneway": "yes"}, 1),
        ({"highway": "residential", "oneway": "true"}, 1),
        ({"highway": "residential", "oneway": "1"}, 1),
        ({"highway": "residential", "oneway": "-1"}, -1),
        ({"highway": "residential", "oneway": "no"}, 0),
        ({"highway": "motorway"}, 1),
        ({"highway": "motorway", "oneway": "no"}, 0),
        ({"highway": "primary", "junction": "roundabout"}, 1),
        ({"highway": "primary", "junction": "roundabout", "oneway": "-1"}, -1),
        ({"highway": "secondary", "oneway": "reversible"}, None),
    ],
)
def test_oneway_rules(tags, direction):
    assert rules.oneway(tags, tags["highway"]) == direction


@pytest.mark.parametrize(
    ("tags", "closed"),
    [
        ({"access": "no"}, True),
        ({"access": "private"}, True),
        ({"motor_vehicle": "no"}, True),
        ({"motor_vehicle": "private"}, True),
        ({"access": "no", "motor_vehicle": "yes"}, False),
        ({"motor_vehicle": "no", "motorcar": "yes"}, False),
        ({"access": "yes", "motor_vehicle": "private"}, True),
        ({"access": "destination"}, False),
        ({}, False),
    ],
)
def test_access_rules(tags, closed):
    assert rules.closed_to_cars(tags) is closed


@pytest.mark.parametrize(
    "highway", ["footway", "path", "pedestrian", "cycleway", "steps", "track", "construction"]
)
def test_non_car_classes_are_left_out(highway):
    assert rules.way_speeds({"highway": highway}, highway) is None


@pytest.fixture
def town_pbf(tmp_path):
    return write_town(tmp_path / "town.osm.pbf")


@pytest.fixture
def imported(data_dir, town_pbf, run_import):
    out, _err = run_import("roads", town_pbf)
    graph = current_graph()
    assert graph is not None
    return graph, out


def _seconds(a, b, kmh):
    nodes, _ways = town()
    (lon1, lat1), (lon2, lat2) = nodes[a], nodes[b]
    return float(haversine_m(lon1, lat1, lon2, lat2)) / (kmh / 3.6)


def test_import_writes_arrays_and_a_manifest(imported, town_pbf, data_dir):
    graph, out = imported
    assert "roads：新建" in out and "最大强连通分量：" in out
    version = (data_dir / "roads" / "current").resolve()
    manifest = json.loads((version / "manifest.json").read_text())
    assert manifest["source"]["sha256"] == hashlib.sha256(town_pbf.read_bytes()).hexdigest()
    assert manifest["source"]["name"] == "town.osm.pbf"
    assert manifest["built_at"].endswith("Z")
    counts = manifest["counts"]
    assert counts["nodes"] == graph.n_nodes and counts["edges"] == graph.n_edges
    assert counts["main_component_nodes"] == len(graph.main_nodes) < graph.n_nodes  # the island is apart
    assert {p.name for p in version.glob("*.npy")} >= {"lon.npy", "fwd_indptr.npy", "rev_time.npy"}
    # loaded memory-mapped and read-only, shared by every query of the process
    assert isinstance(graph.arrays["fwd_time"], np.memmap)
    assert not graph.arrays["fwd_time"].flags.writeable
    assert current_graph() is graph


def test_one_way_streets_roundabouts_and_motorways_have_one_direction(imported):
    graph, _ = imported
    assert edge(graph, 101, 102) is not None and edge(graph, 102, 101) is None  # oneway=yes
    assert edge(graph, 104, 101) is not None and edge(graph, 101, 104) is None  # closed loop
    assert edge(graph, 201, 202) is not None and edge(graph, 202, 201) is None  # roundabout
    assert edge(graph, 401, 402) is not None and edge(graph, 402, 401) is None  # motorway
    assert edge(graph, 1, 2) is not None and edge(graph, 2, 1) is not None  # plain street
    assert node_index(graph, 411) is None  # oneway=reversible is left out
    # the reversed graph holds the same edges turned round
    assert edge(graph, 102, 101, "rev") == edge(graph, 101, 102)


@pytest.mark.parametrize(
    ("a", "b", "kmh"),
    [
        (301, 302, 50.0),  # maxspeed=50
        (302, 303, 30 * 1.609344),  # 30 mph
        (303, 304, 50.0),  # CN:urban
        (304, 305, 40.0),  # "signals": tertiary default
        (305, 306, 25.0),  # no maxspeed: residential default
        (306, 307, 60.0),  # maxspeed:forward
        (307, 306, 30.0),  # maxspeed:backward
        (307, 308, 70.0),  # CN:rural
    ],
)
def test_travel_time_follows_maxspeed_or_the_class_default(imported, a, b, kmh):
    graph, _ = imported
    seconds, metres = edge(graph, a, b)
    assert seconds == pytest.approx(_seconds(a, b, kmh), rel=1e-6)
    assert metres == pytest.approx(seconds * kmh / 3.6, rel=1e-5)


def test_roads_closed_to_cars_and_footways_are_left_out(imported):
    graph, out = imported
    for closed in (501, 502, 503, 504):
        assert node_index(graph, closed) is None
    assert node_index(graph, 511) is not None  # access=no but motor_vehicle=yes
    assert node_index(graph, 999) is None  # not in the file: its segment is skipped
    assert edge(graph, 12, 999) is None


def test_non_pbf_file_fails_clearly_and_keeps_the_previous_graph(imported, tmp_path, run_import):
    before, _ = imported
    bad = tmp_path / "roads.osm.pbf"
    bad.write_text("<osm>this is XML, not PBF</osm>")
    with pytest.raises(CommandError):
        run_import("roads", bad)
    assert "not an OSM PBF file" in run_import.stderr
    other = tmp_path / "roads.csv"
    other.write_text("a,b\n")
    with pytest.raises(CommandError):
        run_import("roads", other)
    assert "不支持的文件类型" in run_import.stderr
    assert current_graph() is before
    assert not list(roads_dir().glob(".build-*"))


def test_pbf_without_drivable_roads_fails_clearly_and_keeps_the_previous_graph(
    imported, tmp_path, run_import
):
    before, _ = imported
    nodes = {1: (118.1, 24.5), 2: (118.101, 24.5), 3: (118.102, 24.5)}
    ways = [
        ({"highway": "footway"}, [1, 2]),
        ({"highway": "primary", "access": "no"}, [2, 3]),
        ({"building": "yes"}, [1, 2, 3]),
    ]
    empty = write_osm(tmp_path / "paths.osm.pbf", nodes, ways)
    with pytest.raises(CommandError):
        run_import("roads", empty)
    assert "no drivable roads" in run_import.stderr
    assert current_graph() is before
    versions = list(roads_dir().glob("v-*"))
    assert len(versions) == 1


def test_dry_run_builds_but_publishes_nothing(data_dir, town_pbf, run_import):
    out, _ = run_import("roads", town_pbf, "--dry-run")
    assert "试运行" in out
    assert current_graph() is None


def test_a_new_import_replaces_the_graph_and_the_cache_follows(imported, tmp_path, run_import):
    first, _ = imported
    nodes = {1: (118.1, 24.5), 2: (118.101, 24.5), 3: (118.102, 24.5)}
    smaller = write_osm(tmp_path / "small.osm.pbf", nodes, [({"highway": "residential"}, [1, 2, 3])])
    run_import("roads", smaller)
    second = current_graph()
    assert second is not first and second.n_nodes == 3
    assert current_graph() is second
    # the replaced version may still be memory-mapped elsewhere: it is kept until the next import
    assert len(list(roads_dir().glob("v-*"))) == 2
    assert first.arrays["lon"][0] == pytest.approx(first.lon[0])


def test_saved_graph_round_trips(tmp_path):
    graph = RoadGraph.from_edges([0, 0.001, 0.002], [0, 0, 0], [0, 1, 1], [1, 2, 0], [5, 6, 7], [10, 11, 12])
    graph.save(tmp_path)
    loaded = RoadGraph.load(tmp_path)
    for name, arr in graph.arrays.items():
        assert np.array_equal(np.asarray(loaded.arrays[name]), arr), name
    assert loaded.manifest["counts"] == graph.manifest["counts"]


def test_parallel_edges_keep_the_fastest():
    graph = RoadGraph.from_edges(
        [0, 0.001], [0, 0], [0, 0, 0, 1], [1, 1, 1, 0], [9.0, 4.0, 6.0, 3.0], [90, 40, 60, 30]
    )
    assert graph.n_edges == 2
    assert float(graph.arrays["fwd_time"][0]) == 4.0 and float(graph.arrays["fwd_length"][0]) == 40.0
