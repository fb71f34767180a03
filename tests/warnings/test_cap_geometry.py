"""CAP areas ↔ shapely: lat,lon in CAP, lon/lat in shapely; circles in km; bounded, covering polygons."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, shape
from shapely.geometry import Polygon as ShapelyPolygon

from citywatch.geo.distance import haversine_m
from citywatch.warnings import cap

DISTRICTS = Path(cap.__file__).resolve().parents[2] / "demo" / "data" / "xiamen" / "districts.geojson"


def district(code: str):
    features = json.loads(DISTRICTS.read_text(encoding="utf-8"))["features"]
    geometry = next(shape(f["geometry"]) for f in features if f["properties"]["code"] == code)
    return shapely.make_valid(geometry)  # the shipped boundaries cross themselves (see their PROVENANCE)


def test_polygon_is_lon_lat_in_shapely():
    polygon = cap.Polygon(
        (cap.LatLon(24.4, 118.0), cap.LatLon(24.4, 118.2), cap.LatLon(24.6, 118.2), cap.LatLon(24.4, 118.0))
    )
    geometry = polygon.geometry()
    minx, miny, maxx, maxy = geometry.bounds
    assert (minx, miny, maxx, maxy) == (118.0, 24.4, 118.2, 24.6)


@pytest.mark.parametrize(
    ("lat", "lon", "radius_km"), [(24.48, 118.09, 10.0), (60.0, 25.0, 100.0), (-35.39, 147.06, 25.0)]
)
def test_circle_vertices_lie_on_the_circle(lat, lon, radius_km):
    circle = cap.Circle(cap.LatLon(lat, lon), radius_km)
    geometry = circle.geometry()
    coords = np.asarray(geometry.exterior.coords)[:-1]
    assert len(coords) == cap.DEFAULT_CIRCLE_SEGMENTS == 64
    distances = haversine_m(lon, lat, coords[:, 0], coords[:, 1]) / 1000
    assert np.allclose(distances, radius_km, rtol=1e-9)
    assert geometry.is_valid and geometry.contains(Point(lon, lat))
    assert len(cap.circle_geometry(circle, segments=16).exterior.coords) == 17


def test_zero_radius_is_a_point():
    assert cap.Circle(cap.LatLon(12.747, -88.783), 0.0).geometry().equals(Point(-88.783, 12.747))


def test_area_geometry_unions_polygons_and_circles():
    area = cap.Area(
        area_desc="x",
        polygons=(
            cap.Polygon(
                (cap.LatLon(0, 0), cap.LatLon(0, 1), cap.LatLon(1, 1), cap.LatLon(1, 0), cap.LatLon(0, 0))
            ),
        ),
        circles=(cap.Circle(cap.LatLon(0.5, 3.0), 50.0),),
    )
    geometry = area.geometry()
    assert isinstance(geometry, MultiPolygon) and len(geometry.geoms) == 2
    assert cap.Area(area_desc="geocodes only").geometry() is None


def test_a_district_is_written_bounded_closed_and_covering():
    tongan = district("350212")
    polygons = cap.polygons_from_geometry(tongan, max_vertices=100)
    assert polygons
    for polygon in polygons:
        assert 4 <= len(polygon.points) <= 100
        assert polygon.points[0] == polygon.points[-1]
        assert all(24.4 < p.lat < 24.95 and 117.9 < p.lon < 118.4 for p in polygon.points)  # lat first
        assert all(round(p.lat, 5) == p.lat and round(p.lon, 5) == p.lon for p in polygon.points)
    written = shapely.union_all([p.geometry() for p in polygons])
    # covers the district, up to the 5-decimal rounding (about a metre)
    assert written.buffer(1e-5).covers(tongan)
    # and is not much bigger: measured 8 % more area for 100 vertices (2 % for the default 500)
    assert written.area < tongan.area * 1.10
    assert written.hausdorff_distance(tongan) < 0.015  # degrees, about 1.6 km


def test_a_small_polygon_is_written_exactly_after_rounding():
    square = ShapelyPolygon([(118.123456, 24.1), (118.2, 24.1), (118.2, 24.2), (118.123456, 24.2)])
    (polygon,) = cap.polygons_from_geometry(square)
    assert cap.LatLon(24.1, 118.12346) in polygon.points
    assert len(polygon.points) == 5


def test_holes_are_dropped_so_the_area_only_grows():
    ring = ShapelyPolygon([(0, 0), (10, 0), (10, 10), (0, 10)], holes=[[(4, 4), (6, 4), (6, 6), (4, 6)]])
    (polygon,) = cap.polygons_from_geometry(ring)
    assert polygon.geometry().covers(ring) and polygon.geometry().contains(Point(5, 5))


def test_geometry_without_area_is_refused():
    with pytest.raises(ValueError):
        cap.polygons_from_geometry(Point(118, 24).buffer(1e-7))
    with pytest.raises(ValueError):
        cap.polygons_from_geometry(shapely.LineString([(0, 0), (1, 1)]))


def test_an_area_from_a_district_reads_back_the_same():
    area = cap.area_from_geometry("同安区", district("350212"), geocodes=(cap.division_geocode("350212"),))
    info = cap.signal_info(language="zh-CN", level="blue", observed=False, event="暴雨", areas=(area,))
    alert = cap.Alert(
        identifier="CW-T",
        sender="cap@citywatch.example",
        sent=cap.parse_datetime("2024-06-01T08:00:00+08:00"),
        status=cap.Status.EXERCISE,
        msg_type=cap.MsgType.ALERT,
        scope=cap.Scope.PUBLIC,
        infos=(info,),
    )
    back = cap.read_alert(cap.write_alert(alert))
    assert back.infos[0].areas[0] == area
    assert cap.division_codes(back.infos[0].areas[0]) == ("350212",)
