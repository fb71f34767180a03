"""The basemap: the demo's tiles (land and sea, roads, named areas), the area tiles an import cuts, and
the public style and tile endpoints (caching, conditional requests, 404 outside the pyramid, never 500)."""

from __future__ import annotations

import gzip
import io
import json

import pytest
from django.core.management import call_command

from citywatch.core import basemap
from citywatch.geo.tiles import published, tile_file
from citywatch.geo.tiles.pyramid import tile_range
from tests.mvt import decode, lonlat, tile_of

pytestmark = pytest.mark.django_db

SIMING_CORE = (118.09, 24.47)
AT_SEA = (118.20, 24.38)  # south of Xiamen Island, 2 km out
ZHANGZHOU = (117.75, 24.55)  # land outside Xiamen's districts


def _tile(name, z, lon, lat):
    current = published(basemap.tileset_dir(name))
    assert current is not None, f"no {name} tileset published"
    reader, _ = tile_file(basemap.tileset_dir(name), current.version)
    data = reader.tile(z, *tile_of(lon, lat, z))
    return decode(data) if data else {}


def _names(layers, layer, level=None):
    return (
        {
            f.properties.get("name")
            for f in layers.get(layer, []).features
            if level is None or f.properties.get("level") == level
        }
        if layer in layers
        else set()
    )


def test_the_demo_basemap_has_land_sea_roads_and_named_areas():
    # Land and sea, and the neighbouring cities' land is land.
    for z in (8, 11):
        assert _tile("land", z, *SIMING_CORE)["land"].features
        assert _tile("land", z, *AT_SEA)["water"].features
    assert "land" in _tile("land", 11, *ZHANGZHOU) and "water" not in _tile("land", 12, *ZHANGZHOU)
    # Roads by class: at zoom 8 only the main roads, at 14 the streets with their names.
    roads8 = {f.properties["class"] for f in _tile("roads", 8, *SIMING_CORE)["roads"].features}
    assert roads8 and roads8 <= {"motorway", "trunk", "primary"}
    roads14 = _tile("roads", 14, *SIMING_CORE)["roads"].features
    assert {"street", "secondary"} <= {f.properties["class"] for f in roads14}
    assert any(f.properties.get("name", "").endswith("(演示)") for f in roads14)  # half-width brackets
    # Districts outlined and named from zoom 8, streets named from 11, communities from 13.
    areas8 = _tile("areas", 8, *SIMING_CORE)
    assert "思明区" in _names(areas8, "places", "district")
    assert {f.properties["level"] for f in areas8["boundaries"].features} >= {"district"}
    assert not _names(areas8, "places", "street")
    streets = set()
    for z, x, y in [(11, *tile_of(*SIMING_CORE, 11))]:
        streets = _names(decode(_reader("areas").tile(z, x, y)), "places", "street")
    assert any(name.endswith("街道") for name in streets)
    communities = set()
    x0, y0 = tile_of(*SIMING_CORE, 13)
    for dx in range(-2, 3):
        for dy in range(-2, 3):
            data = _reader("areas").tile(13, x0 + dx, y0 + dy)
            communities |= _names(decode(data), "places", "community") if data else set()
    assert communities and all(not n.endswith("居委会") for n in communities)  # labels are the short names


def _reader(name):
    current = published(basemap.tileset_dir(name))
    return tile_file(basemap.tileset_dir(name), current.version)[0]


def test_district_names_sit_on_their_land():
    import shapely

    from citywatch.geo.land import current_land

    land = current_land()
    for code, name in (("350203", "思明区"), ("350205", "海沧区"), ("350213", "翔安区")):
        found = []
        for (
            z,
            x,
            y,
        ) in [(9, *tile_of(118.15, 24.6, 9))]:
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    data = _reader("areas").tile(z, x + dx, y + dy)
                    for f in decode(data)["places"].features if data else []:
                        if f.properties.get("code") == code:
                            found.append(lonlat(z, x + dx, y + dy, *f.parts[0]))
        assert len(found) == 1, (name, found)
        assert land.contains(shapely.Point(found[0])), name


def test_an_area_import_cuts_the_area_tiles(settings, tmp_path, django_capture_on_commit_callbacks):
    settings.DATA_DIR = tmp_path
    ring = [[118.10, 24.47], [118.12, 24.47], [118.12, 24.49], [118.10, 24.49], [118.10, 24.47]]
    path = tmp_path / "street.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "350203901", "name": "测试街道", "parent_code": "350203"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        )
    )
    assert published(basemap.tileset_dir("areas")) is None
    with django_capture_on_commit_callbacks(execute=True):
        call_command("import", "areas", str(path), stdout=io.StringIO())
    first = published(basemap.tileset_dir("areas"))
    assert first is not None
    layers = _tile("areas", 12, 118.11, 24.48)
    assert "测试街道" in _names(layers, "places", "street")
    assert "测试街道" in _names(layers, "areas", "street")
    assert "street" in {f.properties["level"] for f in layers["boundaries"].features}
    assert "测试街道" not in _names(_tile("areas", 9, 118.11, 24.48), "areas")  # street outlines from 10
    # Nothing changed: nothing is cut again.
    assert basemap.build_area_tiles()["status"] == "unchanged"
    assert published(basemap.tileset_dir("areas")).version == first.version


def test_community_labels_are_the_place_names():
    assert basemap.label_text("凤南社区居民委员会") == "凤南社区"
    assert basemap.label_text("鸿山社区居委会") == "鸿山社区"
    assert basemap.label_text("后溪村民委员会") == "后溪村"
    assert basemap.label_text("厦港街道") == "厦港街道"
    assert basemap.label_text("测试社区（筹）") == "测试社区(筹)"  # see geo/tiles/text.py


# --- the endpoints -------------------------------------------------------------------------------------


def test_the_style_is_public_names_every_tileset_and_revalidates(anon):
    r = anon.get("/basemap/style.json")
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    assert r["Cache-Control"] == "no-cache" and r["ETag"]
    style = r.json()
    assert set(style["sources"]) == {"land", "roads", "areas"}
    for name, source in style["sources"].items():
        current = published(basemap.tileset_dir(name))
        assert source["tiles"] == [
            f"http://testserver/basemap/tiles/{name}/{current.version}/{{z}}/{{x}}/{{y}}.pbf"
        ]
    assert "glyphs" not in style  # labels are drawn with the browser's fonts
    assert {layer["type"] for layer in style["layers"]} >= {"background", "fill", "line", "symbol"}
    again = anon.get("/basemap/style.json", HTTP_IF_NONE_MATCH=r["ETag"])
    assert again.status_code == 304


def test_a_configured_raster_basemap_overrides_the_vector_one(anon, settings):
    settings.BASEMAP_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.BASEMAP_ATTRIBUTION = "© Example"
    style = anon.get("/basemap/style.json").json()
    assert style["sources"] == {
        "basemap": {
            "type": "raster",
            "tiles": [settings.BASEMAP_URL],
            "tileSize": 256,
            "attribution": "© Example",
        }
    }


def _url(name, z, x, y, version=None):
    version = version or published(basemap.tileset_dir(name)).version
    return f"/basemap/tiles/{name}/{version}/{z}/{x}/{y}.pbf"


def test_a_tile_is_gzip_mvt_cached_for_good_and_answers_304(anon, city_admin, django_assert_num_queries):
    x, y = tile_of(*SIMING_CORE, 12)
    url = _url("roads", 12, x, y)
    with django_assert_num_queries(0):  # a file read, not a database query, even for a logged-in user
        r = city_admin.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert r.status_code == 200 and "Cookie" not in r["Vary"]  # the same for everyone
    r = anon.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert r["Content-Encoding"] == "gzip"
    assert "max-age=31536000" in r["Cache-Control"] and "public" in r["Cache-Control"]
    assert r["ETag"] and r["Last-Modified"]
    assert "Accept-Encoding" in r["Vary"]
    assert decode(r.content)["roads"].features
    assert (
        anon.get(
            _url("roads", 12, x, y), HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=r["ETag"]
        ).status_code
        == 304
    )
    assert (
        anon.get(
            _url("roads", 12, x, y), HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_MODIFIED_SINCE=r["Last-Modified"]
        ).status_code
        == 304
    )
    # A client that takes no gzip gets the plain tile (and another ETag).
    plain = anon.get(_url("roads", 12, x, y))
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    assert plain.content == gzip.decompress(r.content) and plain["ETag"] != r["ETag"]


def test_inside_the_pyramid_an_empty_tile_is_204(anon):
    current = published(basemap.tileset_dir("roads"))
    reader = _reader("roads")
    x0, y0, x1, y1 = tile_range(tuple(current.info["bounds"]), 14)
    empty = next(
        (x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1) if reader.tile(14, x, y) is None
    )
    r = anon.get(_url("roads", 14, *empty))
    assert r.status_code == 204 and not r.content
    assert "max-age" in r["Cache-Control"]


def test_outside_the_pyramid_404_and_never_500(anon):
    x, y = tile_of(*SIMING_CORE, 12)
    version = published(basemap.tileset_dir("roads")).version
    for path in [
        _url("roads", 15, *tile_of(*SIMING_CORE, 15)),  # above the top zoom
        _url("roads", 3, *tile_of(*SIMING_CORE, 3)),  # below the first
        _url("roads", 12, *tile_of(100.0, 40.0, 12)),  # outside the bounds
        _url("roads", 12, 4096, y),  # x beyond the zoom's tiles
        _url("roads", 12, x, 99999999999999999999),
        _url("roads", 99999999999999999999, x, y),
        _url("roads", 12, x, y, version="v-20200101T000000000000Z-abcdef"),  # no such version
        _url("roads", 12, x, y, version="current"),
        f"/basemap/tiles/nothing/{version}/12/{x}/{y}.pbf",
    ]:
        r = anon.get(path)
        assert r.status_code == 404, (path, r.status_code)
        assert r.json()["error"]["code"] == "not_found", path
    for path in [
        f"/basemap/tiles/roads/{version}/-1/0/0.pbf",
        f"/basemap/tiles/roads/{version}/12/abc/{y}.pbf",
        f"/basemap/tiles/roads/{version}/12/{x}/{y}.png",
        "/basemap/tiles/roads/../../../etc/passwd",
        _url("roads", 12, x, y, version="..%2F..%2Fsecret_key"),
        "/basemap/tiles/",
    ]:
        assert anon.get(path).status_code == 404, path
    assert anon.post(_url("roads", 12, x, y)).status_code == 405


def test_the_sources_credits_are_in_the_pages_language(anon, settings):
    """The credits the tilesets' manifests keep in English read in Chinese on the Chinese pages (the
    default) and as written in English; a credit the catalogue does not know is shown as written."""
    from citywatch.geo import importers

    assert {importers.OSM_ATTRIBUTION, importers.SYNTHETIC_ROADS_ATTRIBUTION} <= basemap.ATTRIBUTIONS
    credits = {k: v.get("attribution") for k, v in anon.get("/basemap/style.json").json()["sources"].items()}
    assert credits["land"].startswith("海岸线：GSHHG") and credits["roads"] == "道路：CityWatch 合成演示数据"
    anon.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    credits = {k: v.get("attribution") for k, v in anon.get("/basemap/style.json").json()["sources"].items()}
    assert (
        credits["land"].startswith("Coastline: GSHHG")
        and credits["roads"] == "Synthetic demo roads (CityWatch)"
    )
    del anon.cookies[settings.LANGUAGE_COOKIE_NAME]
    settings.BASEMAP_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.BASEMAP_ATTRIBUTION = "© OpenStreetMap contributors"
    assert (
        anon.get("/basemap/style.json").json()["sources"]["basemap"]["attribution"]
        == "© OpenStreetMap 贡献者"
    )
