"""Vector tiles: the MVT encoder (decoded by the specification-based decoder in tests/mvt.py, and by
GDAL), the pyramid, and the land and road tiles that ``citywatch import land|roads`` publish."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from citywatch.core.importing import ImportFailed
from citywatch.geo import store
from citywatch.geo.land import land_dir
from citywatch.geo.routing.graph import roads_dir
from citywatch.geo.tiles import mvt, published, tile_file
from citywatch.geo.tiles.pyramid import LayerInput, build_pyramid
from tests.geo.osmfiles import write_osm
from tests.mvt import decode, lonlat, tile_of


def _encode_one(name, geoms, props):
    types, blob, starts, ends = mvt.encode_geometries(np.array(geoms, dtype=object))
    features = [(int(t), blob[s:e], p) for t, s, e, p in zip(types, starts, ends, props, strict=True)]
    return mvt.encode_tile([mvt.encode_layer(name, features)])


def test_encoded_geometries_decode_to_what_was_given():
    square = shapely.Polygon(
        [(100, 100), (100, 900), (900, 900), (900, 100)], [[(300, 300), (600, 300), (600, 600), (300, 600)]]
    )
    two = shapely.MultiPolygon([shapely.box(1000, 1000, 1200, 1200), shapely.box(2000, 2000, 2100, 2100)])
    line = shapely.MultiLineString([[(0, 0), (10, 0), (10, 0), (10, 10)], [(50, 50), (60, 70)]])
    points = shapely.MultiPoint([(5, 6), (4000, 4095)])
    props = [
        (("name", "思明区"), ("rank", 1)),
        (("n", -3), ("f", 1.5)),
        (("flag", True), ("none", None)),
        (("name", "思明区"),),
    ]
    layer = decode(_encode_one("test", [square, two, line, points], props))["test"]
    assert layer.extent == 4096
    poly, multi, lines, pts = layer.features
    assert [f.type for f in layer.features] == [3, 3, 2, 1]
    # One polygon with its hole; the exterior is clockwise on screen (positive area), whatever was given.
    assert len(poly.parts) == 1 and len(poly.parts[0]) == 2
    assert set(poly.parts[0][0]) == {(100, 100), (100, 900), (900, 900), (900, 100)}
    assert set(poly.parts[0][1]) == {(300, 300), (600, 300), (600, 600), (300, 600)}
    assert len(multi.parts) == 2
    # The repeated point is gone; the cursor carried over from the first line to the second.
    assert lines.parts == [[(0, 0), (10, 0), (10, 10)], [(50, 50), (60, 70)]]
    assert pts.parts == [(5, 6), (4000, 4095)]
    assert poly.properties == {"name": "思明区", "rank": 1}
    assert multi.properties == {"n": -3, "f": 1.5}
    assert lines.properties == {"flag": True}  # None is left out


def test_gdal_reads_the_tiles_too(tmp_path):
    """A second, independent decoder: GDAL's MVT driver, georeferencing the tile from its z/x/y path."""
    from django.contrib.gis.gdal import DataSource

    road = shapely.LineString([(118.15, 24.45), (118.30, 24.50)])  # inside one zoom-10 tile
    layers = [LayerInput("roads", np.array([road]), [(("class", "trunk"), ("name", "测试大道"))])]
    tiles = {(z, x, y): data for z, x, y, data in build_pyramid(layers, 10, 10)}
    x, y = tile_of(118.20, 24.47, 10)
    path = tmp_path / "10" / str(x) / f"{y}.pbf"
    path.parent.mkdir(parents=True)
    path.write_bytes(tiles[(10, x, y)])
    features = list(DataSource(str(path))["roads"])
    assert len(features) == 1
    assert features[0].get("name") == "测试大道" and features[0].get("class") == "trunk"
    line = features[0].geom.transform(4326, clone=True)
    (west, south), (east, north) = line.coords[0], line.coords[-1]
    precision = 360 / 2**10 / 4096  # one tile unit
    assert abs(west - 118.15) < precision and abs(east - 118.30) < precision
    assert abs(south - 24.45) < precision and abs(north - 24.50) < precision


def test_a_large_polygon_is_clipped_into_every_tile_it_covers():
    big = shapely.box(117.5, 24.0, 118.8, 25.0)
    tiles = {
        (z, x, y): data for z, x, y, data in build_pyramid([LayerInput("land", np.array([big]), [()])], 4, 12)
    }
    # A z12 tile well inside: one polygon covering the tile and its buffer.
    x, y = tile_of(118.1, 24.5, 12)
    (feature,) = decode(tiles[(12, x, y)])["land"].features
    (rings,) = feature.parts
    xs = [p[0] for p in rings[0]]
    ys = [p[1] for p in rings[0]]
    assert min(xs) == min(ys) == -64 and max(xs) == max(ys) == 4096 + 64
    # Nothing outside the polygon's tiles.
    assert (12, *tile_of(119.5, 24.5, 12)) not in tiles
    assert {z for z, _, _ in tiles} == set(range(4, 13))


def test_points_are_in_exactly_one_tile_and_keep_their_place():
    point = shapely.Point(118.0891, 24.4790)
    tiles = list(
        build_pyramid([LayerInput("places", np.array([point]), [(("name", "中山路"),)], minzoom=8)], 6, 14)
    )
    assert sorted(z for z, _, _, _ in tiles) == list(range(8, 15))  # one tile per zoom, none before 8
    for z, x, y, data in tiles:
        (feature,) = decode(data)["places"].features
        lon, lat = lonlat(z, x, y, *feature.parts[0])
        assert abs(lon - 118.0891) < 360 / 2**z / 4096 and abs(lat - 24.4790) < 360 / 2**z / 4096


# --- land ---------------------------------------------------------------------------------------------

ISLAND = shapely.box(118.0, 24.40, 118.30, 24.62)


def _land_file(path, **extra):
    collection = {
        "type": "FeatureCollection",
        "bbox": [117.9, 24.3, 118.4, 24.7],
        "attribution": "test coast",
        "features": [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(ISLAND)}],
        **extra,
    }
    path.write_text(json.dumps(collection))
    return path


def _layers_at(directory, lon, lat, z):
    current = published(directory)
    reader, _manifest = tile_file(directory, current.version)
    data = reader.tile(z, *tile_of(lon, lat, z))
    return decode(data) if data else None


def test_land_import_publishes_land_and_water_tiles(data_dir, run_import, tmp_path):
    out, _ = run_import("land", _land_file(tmp_path / "land.geojson"))
    assert "land" in out
    current = published(land_dir())
    assert current.info["minzoom"] == 4 and current.info["maxzoom"] == 12
    assert current.info["bounds"] == [117.9, 24.3, 118.4, 24.7]
    assert current.info["attribution"] == "test coast"
    for z in (6, 9, 12):
        on_land = _layers_at(land_dir(), 118.15, 24.50, z)
        assert on_land["land"].features, z
        at_sea = _layers_at(land_dir(), 118.35, 24.66, z)
        assert at_sea["water"].features, z
    # Deep inside the island at z12 the tile is all land: no water there.
    assert "water" not in _layers_at(land_dir(), 118.15, 24.50, 12)
    # Outside the file's box nothing is known: no tile.
    assert _layers_at(land_dir(), 119.5, 24.5, 12) is None


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "not a GeoJSON file"),
        (json.dumps({"type": "Point", "coordinates": [118, 24]}), "is not land"),
        (json.dumps({"type": "FeatureCollection", "features": "x"}), "no list of features"),
        (
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "bbox": [1, 2],
                    "features": [{"type": "Feature", "geometry": shapely.geometry.mapping(ISLAND)}],
                }
            ),
            "bbox",
        ),
    ],
)
def test_bad_land_files_are_refused_and_change_nothing(data_dir, run_import, tmp_path, content, message):
    from django.utils import translation

    from citywatch.core.importing import IMPORTERS

    run_import("land", _land_file(tmp_path / "good.geojson"))
    before = published(land_dir()).version
    bad = tmp_path / "bad.geojson"
    bad.write_text(content)
    with pytest.raises(ImportFailed) as failed, translation.override("en"):
        IMPORTERS["land"].run([bad])
    assert message in str(failed.value.report.problems[0])
    assert published(land_dir()).version == before


# --- roads ----------------------------------------------------------------------------------------------


def _network(tmp_path):
    lon0, lat0 = 118.10, 24.50
    nodes = {i + 1: (lon0 + i * 0.004, lat0) for i in range(6)}  # an east–west line of 6 nodes
    nodes.update({10 + i: (lon0 + 0.008, lat0 - 0.006 + i * 0.003) for i in range(5)})  # north–south
    nodes.update({20: (lon0, lat0 + 0.01), 21: (lon0 + 0.02, lat0 + 0.01)})
    ways = [
        ({"highway": "motorway", "name": "测试高速", "ref": "G15"}, [1, 2, 3, 4, 5, 6]),
        ({"highway": "residential", "name": "测试街"}, [10, 11, 12, 13, 14]),
        ({"highway": "primary", "name": "测试桥", "bridge": "yes"}, [20, 21]),
        ({"highway": "footway", "name": "步行道"}, [20, 1]),
    ]
    return write_osm(tmp_path / "net.osm.pbf", nodes, ways)


def test_roads_import_cuts_road_tiles_by_class(data_dir, run_import, tmp_path):
    run_import("roads", _network(tmp_path))
    current = published(roads_dir())
    assert current.info["minzoom"] == 5 and current.info["maxzoom"] == 14
    assert store.current_dir(roads_dir()).name == current.version  # published with the graph

    def roads_at(z):
        layers = _layers_at(roads_dir(), 118.108, 24.50, z)
        return {f.properties.get("name"): f.properties for f in layers["roads"].features} if layers else {}

    assert set(roads_at(6)) == {"测试高速"}  # motorways from zoom 5
    assert set(roads_at(12)) == {"测试高速", "测试桥"}  # residential streets only from 13
    at14 = roads_at(14)
    assert set(at14) == {"测试高速", "测试街"}  # the footway is not a road for cars
    assert at14["测试高速"]["class"] == "motorway" and at14["测试高速"]["ref"] == "G15"
    assert at14["测试街"]["class"] == "street"
    bridge = _layers_at(roads_dir(), 118.11, 24.51, 14)["roads"].features
    assert [f.properties for f in bridge] == [{"class": "primary", "name": "测试桥", "structure": "bridge"}]


def test_a_dry_run_or_failed_road_import_publishes_no_tiles(data_dir, run_import, tmp_path):
    run_import("roads", _network(tmp_path), "--dry-run")
    assert published(roads_dir()) is None
