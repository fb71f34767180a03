"""The demo's synthetic road network and population grid, loaded through the real importers."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from django.test import override_settings

from citywatch.core.models import AdminArea
from citywatch.demo import roads
from citywatch.demo.roads import CENSUS_TOTAL, CROSSINGS, load_demo_geo, summary
from citywatch.geo import routing, store
from citywatch.geo.distance import haversine_m
from citywatch.geo.population import current_population
from citywatch.geo.routing.graph import current_graph, roads_dir
from citywatch.resources.models import RescueTeam

pytestmark = pytest.mark.django_db

SIMING_POINT = (118.10, 24.46)
TONGAN_POINT = (118.15, 24.73)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, django_db_setup, django_db_blocker):
    """load_demo_geo() run once for this module into its own data directory."""
    path = tmp_path_factory.mktemp("demo-geo")
    with override_settings(DATA_DIR=path), django_db_blocker.unblock():
        result = load_demo_geo()
    return path, result


@pytest.fixture
def demo_geo(settings, loaded):
    """settings.DATA_DIR pointed at the module's data directory (never the developer's var/)."""
    path, result = loaded
    settings.DATA_DIR = path
    return result


def _ways():
    import osmium

    path = roads.demo_dir() / roads.ROADS_FILE
    out = []
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    )
    for way in processor:
        out.append(
            (
                dict(way.tags),
                [n.ref for n in way.nodes],
                [(n.location.lon, n.location.lat) for n in way.nodes],
            )
        )
    return out


def _district(code):
    return shapely.from_wkb(bytes(AdminArea.objects.get(code=code).boundary.wkb))


def test_first_load_imports_both(demo_geo):
    assert demo_geo["roads"]["imported"] and demo_geo["population"]["imported"]
    counts = demo_geo["roads"]
    assert 15_000 <= counts["nodes"] <= 60_000
    assert counts["crossings"] == len(CROSSINGS) == 5
    assert counts["communities_unreached"] == 0 and counts["outside_main_component"] == 0
    assert current_graph().manifest["source"]["name"] == roads.ROADS_FILE


def test_population_total_is_the_census_figure_and_dense_in_the_cores(demo_geo):
    grid = current_population()
    assert grid.total == CENSUS_TOTAL == 5_163_970
    assert [s["name"] for s in grid.manifest["sources"]] == [roads.POPULATION_FILE]
    assert np.all(np.asarray(grid.persons) == np.round(np.asarray(grid.persons)))
    head = (roads.demo_dir() / roads.POPULATION_FILE).read_text(encoding="utf-8").splitlines()[:2]
    assert head[0] == "lon,lat,persons" and head[1].startswith("# synthetic")
    core = grid.within_radius((118.083, 24.456), 2000)  # Siming's old town
    rural = grid.within_radius((118.12, 24.84), 2000)  # the hills of northern Tong'an
    assert core > 20 * rural > 0
    siming = grid.within_polygon(_district(roads.SIMING))
    assert siming == pytest.approx(roads.DISTRICT_POPULATION[roads.SIMING], rel=0.02)


def test_published_data_is_labelled_synthetic(demo_geo, city_admin):
    body = city_admin.get("/api/v1/nearby", {"lon": 118.15, "lat": 24.73, "kinds": "rescue-teams"}).json()
    assert body["network"]["loaded"] is True and body["network"]["synthetic"] is True
    assert city_admin.get("/api/v1/population", {"cell_m": 5000}).json()["synthetic"] is True


def test_ways_are_labelled_synthetic(demo_geo):
    ways = _ways()
    assert all(tags["note"] == roads.NOTE for tags, _, _ in ways)
    names = {tags["name"] for tags, _, _ in ways}
    crossing_names = {c.name for c in CROSSINGS}
    assert crossing_names <= names
    assert all(name.endswith(roads.SUFFIX) for name in names - crossing_names)
    assert sum(tags.get("junction") == "roundabout" for tags, _, _ in ways) >= 3
    assert sum(tags.get("oneway") == "yes" and tags["highway"] != "motorway" for tags, _, _ in ways) >= 3
    for tags, _, _ in ways:
        if tags["name"] in crossing_names:
            assert tags["highway"] in ("trunk", "motorway") and ("bridge" in tags or "tunnel" in tags)


def test_only_the_crossings_join_the_island_to_the_mainland(demo_geo):
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    land = roads.load_land()
    ways = _ways()
    crossing_names = {c.name for c in CROSSINGS}
    lonlat: dict[int, tuple[float, float]] = {}
    src, dst = [], []
    for tags, refs, coords in ways:
        lonlat.update(zip(refs, coords, strict=True))
        if tags["name"] not in crossing_names:
            src += refs[:-1]
            dst += refs[1:]
    ids = np.array(sorted(lonlat))
    index = {ref: k for k, ref in enumerate(ids.tolist())}
    graph = coo_array(
        (np.ones(len(src)), ([index[r] for r in src], [index[r] for r in dst])), shape=(len(ids), len(ids))
    )
    _, labels = connected_components(graph, directed=False)
    xy = np.array([lonlat[r] for r in ids.tolist()])
    mass = land.mass_of(xy[:, 0], xy[:, 1])
    assert set(labels[mass == 1].tolist()).isdisjoint(labels[mass == 2].tolist())

    # with the crossings, one strongly connected network spans both
    graph = current_graph()
    main = graph.main_nodes
    main_mass = land.mass_of(graph.lon[main], graph.lat[main])
    assert (main_mass == 1).sum() > 1000 and (main_mass == 2).sum() > 1000
    # each crossing starts on the island and ends on the mainland, in its district
    for c in CROSSINGS:
        ends = [coords for tags, _, coords in ways if tags["name"] == c.name]
        assert ends
        for coords in ends:
            end_mass = land.mass_of(
                np.array([coords[0][0], coords[-1][0]]), np.array([coords[0][1], coords[-1][1]])
            )
            assert sorted(end_mass.tolist()) == [1, 2], c.name
        assert _district(c.district).contains(shapely.Point(c.mainland)), c.name


def test_route_from_siming_to_tongan_is_by_road_over_a_crossing(demo_geo):
    result = routing.route(SIMING_POINT, TONGAN_POINT)
    assert result.eta_method == "road"
    assert result.origin.on_network and result.destination.on_network
    near = [
        c.name
        for c in CROSSINGS
        if haversine_m(*c.midpoint, result.coords[:, 0], result.coords[:, 1]).min() < 1000
    ]
    assert near, "the route crosses none of the named crossings"
    straight = haversine_m(*SIMING_POINT, *TONGAN_POINT)
    assert straight < result.distance_m < 2 * straight
    assert 10 * 60 < result.eta_s < 90 * 60


def test_every_community_point_snaps(demo_geo):
    points = np.array(
        [(p.x, p.y) for p in AdminArea.objects.filter(level="community").values_list("point", flat=True)]
    )
    assert len(points) == 555
    engine = routing.get_engine()
    _nodes, metres = engine.graph.snap(points)
    assert metres.max() <= engine.snap_limit_m
    assert metres.max() <= roads.SPUR_MIN_M + 50  # within a few hundred metres of a road


def test_rescue_teams_ranked_by_road_time_from_tongan(demo_geo):
    teams = list(RescueTeam.objects.exclude(location=None).order_by("pk"))
    lonlat = np.array([(t.location.x, t.location.y) for t in teams])
    answer = routing.nearest_by_time(TONGAN_POINT, lonlat, direction="to", limit=10)
    assert answer.eta_method == "road" and answer.off_network == []
    assert len(answer.results) == 10
    assert all(hit.eta_method == "road" and hit.distance_method == "road" for hit in answer.results)
    etas = [hit.eta_s for hit in answer.results]
    assert etas == sorted(etas)
    assert etas[0] < 15 * 60
    # the ten fastest are exactly the ten fastest of a full ranking
    everyone = routing.nearest_by_time(TONGAN_POINT, lonlat, direction="to", limit=None, max_seconds=6 * 3600)
    assert [h.index for h in everyone.results[:10]] == [h.index for h in answer.results]


def test_second_load_imports_nothing(demo_geo):
    roads_version = store.current_dir(roads_dir())
    population_key = store.version_key(store.kind_dir("population"))
    again = load_demo_geo()
    assert again["roads"]["status"] == again["population"]["status"] == "unchanged"
    assert not again["roads"]["imported"] and not again["population"]["imported"]
    assert again["roads"]["sha256"] == demo_geo["roads"]["sha256"]
    assert store.current_dir(roads_dir()) == roads_version
    assert store.version_key(store.kind_dir("population")) == population_key


def test_a_real_import_is_left_in_place(settings, tmp_path):
    from citywatch.core.importing import IMPORTERS
    from tests.geo.osmfiles import write_town

    settings.DATA_DIR = tmp_path
    IMPORTERS["roads"].run([write_town(tmp_path / "town.osm.pbf")])
    result = load_demo_geo()
    assert result["roads"]["status"] == "kept" and result["roads"]["kept"].startswith("town.osm.pbf")
    assert "保留从其他文件导入的 town.osm.pbf" in summary({**result, "seconds": 1.0})
    assert result["population"]["imported"]
    assert current_graph().manifest["source"]["name"] == "town.osm.pbf"
