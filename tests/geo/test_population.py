"""Population grid: GeoTIFF (any CRS) and CSV import keep the totals; radius and polygon sums are exact."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from django.core.management.base import CommandError
from hypothesis import given, settings
from hypothesis import strategies as st

from citywatch.geo import crs as crslib
from citywatch.geo import population
from citywatch.geo.distance import haversine_m
from citywatch.geo.population import PopulationGrid, current_population

NODATA = -99999.0


def write_utm_tiff(path, values: np.ndarray, nodata=NODATA, crs="EPSG:32650"):
    """A GeoTIFF of persons per 100 m cell in UTM zone 50N (Xiamen), top-left at 118.1°E 24.5°N."""
    height, width = values.shape
    # 118.1°E 24.5°N is about x=611,170 y=2,710,030 in EPSG:32650
    transform = Affine(100.0, 0.0, 611_000.0, 0.0, -100.0, 2_710_000.0)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(values.astype(np.float32), 1)
    return path


@pytest.fixture
def raster_values():
    rng = np.random.default_rng(7)
    values = rng.gamma(0.8, 30.0, (40, 50)).astype(np.float32)
    values[rng.random(values.shape) < 0.1] = NODATA
    values[rng.random(values.shape) < 0.1] = 0.0
    return values


def test_geotiff_in_a_projected_crs_keeps_its_total(data_dir, tmp_path, run_import, raster_values):
    tif = write_utm_tiff(tmp_path / "pop.tif", raster_values)
    out, _ = run_import("population", tif)
    grid = current_population()
    valid = raster_values != NODATA
    expected = float(raster_values[valid].astype(np.float64).sum())
    assert grid.total == pytest.approx(expected, rel=1e-12)
    assert float(np.asarray(grid.persons).sum()) == pytest.approx(expected, rel=1e-12)
    assert grid.size == int(np.count_nonzero(valid & (raster_values > 0)))
    assert grid.manifest["sources"][0]["crs"] == "EPSG:32650"
    assert "个有人口的网格单元，共 " in out
    # the cell centres were reprojected to WGS-84: the raster sits just south-east of 118.1°E 24.5°N
    assert 118.09 < float(np.min(grid.lon)) < float(np.max(grid.lon)) < 118.16
    assert 24.45 < float(np.min(grid.lat)) < float(np.max(grid.lat)) < 24.51
    # the whole raster lies within 10 km of its middle
    middle = (float(np.mean(grid.lon)), float(np.mean(grid.lat)))
    assert grid.within_radius(middle, 10_000) == pytest.approx(expected, rel=1e-12)
    assert isinstance(grid.arrays["persons"], np.memmap)


def test_geotiff_in_wgs84_and_an_explicit_nodata(data_dir, tmp_path, run_import):
    values = np.array([[1.0, 2.0, -1.0], [4.0, 0.0, 5.5]], dtype=np.float32)
    path = tmp_path / "wgs.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=3,
        height=2,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(0.001, 0.0, 118.0, 0.0, -0.001, 24.5),
    ) as dst:
        dst.write(values, 1)
    with pytest.raises(CommandError):
        run_import("population", path)
    assert "negative" in run_import.stderr and "--nodata" in run_import.stderr
    assert current_population() is None
    run_import("population", path, "--nodata", "-1")
    grid = current_population()
    assert grid.total == pytest.approx(12.5)
    idx = int(np.argmax(np.asarray(grid.persons)))
    assert (float(grid.lon[idx]), float(grid.lat[idx])) == pytest.approx((118.0025, 24.4985))


def test_csv_with_and_without_a_header(data_dir, tmp_path, run_import):
    (tmp_path / "a.csv").write_text("lng,latitude,population\n118.1,24.5,10\n118.2,24.6,2.5\n118.3,24.7,0\n")
    run_import("population", tmp_path / "a.csv")
    assert current_population().total == pytest.approx(12.5)
    (tmp_path / "b.csv").write_text("118.1,24.5,7\n118.2,24.6,3\n")
    run_import("population", tmp_path / "b.csv")
    grid = current_population()
    assert grid.total == pytest.approx(10.0) and grid.size == 2


def test_csv_in_gcj02_is_converted(data_dir, tmp_path, run_import):
    glon, glat = crslib.wgs84_to_gcj02(118.1, 24.5)
    (tmp_path / "g.csv").write_text(f"lon,lat,persons\n{float(glon):.9f},{float(glat):.9f},5\n")
    run_import("population", tmp_path / "g.csv", "--crs", "gcj02")
    grid = current_population()
    assert (float(grid.lon[0]), float(grid.lat[0])) == pytest.approx((118.1, 24.5), abs=1e-6)


def test_bad_csv_rows_are_reported_and_nothing_changes(data_dir, tmp_path, run_import):
    (tmp_path / "good.csv").write_text("lon,lat,persons\n118.1,24.5,10\n")
    run_import("population", tmp_path / "good.csv")
    before = current_population()
    (tmp_path / "bad.csv").write_text("lon,lat,persons\n118.1,24.5,10\n118.2,abc,3\n118.3,24.7,-4\n")
    with pytest.raises(CommandError):
        run_import("population", tmp_path / "bad.csv")
    assert "bad.csv:3" in run_import.stderr and "not a number" in run_import.stderr
    (tmp_path / "neg.csv").write_text("lon,lat,persons\n118.1,24.5,10\n118.3,24.7,-4\n200,24.7,1\n")
    with pytest.raises(CommandError):
        run_import("population", tmp_path / "neg.csv")
    assert "neg.csv:3" in run_import.stderr and "neg.csv:4" in run_import.stderr
    (tmp_path / "cols.csv").write_text("name,value\nx,1\n")
    with pytest.raises(CommandError):
        run_import("population", tmp_path / "cols.csv")
    assert "no longitude column" in run_import.stderr
    assert current_population() is before


def test_several_files_import_together(data_dir, tmp_path, run_import, raster_values):
    tif = write_utm_tiff(tmp_path / "pop.tif", raster_values)
    (tmp_path / "extra.csv").write_text("lon,lat,persons\n118.5,24.9,100\n")
    run_import("population", tif, tmp_path / "extra.csv")
    expected = float(raster_values[raster_values != NODATA].astype(np.float64).sum()) + 100
    assert current_population().total == pytest.approx(expected, rel=1e-12)
    assert population.population_within_radius((118.5, 24.9), 10) == pytest.approx(100)


def test_module_functions_without_a_grid(data_dir):
    assert population.population_within_radius((118.1, 24.5), 1000) is None
    assert population.population_within(shapely.box(118, 24, 119, 25)) is None


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 3000),
    radius=st.floats(0, 20_000),
    bucket=st.one_of(st.none(), st.floats(0.0005, 0.05)),
)
def test_radius_sum_equals_a_full_scan(seed, n, radius, bucket):
    rng = np.random.default_rng(seed)
    lon = 118.0 + rng.uniform(0, 0.2, n)
    lat = 24.4 + rng.uniform(0, 0.2, n)
    persons = rng.gamma(1.0, 10.0, n)
    grid = PopulationGrid.from_points(lon, lat, persons, bucket_deg=bucket)
    centre = (118.0 + rng.uniform(-0.05, 0.25), 24.4 + rng.uniform(-0.05, 0.25))
    expected = float(persons[haversine_m(centre[0], centre[1], lon, lat) <= radius].sum())
    assert grid.within_radius(centre, radius) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    poly = shapely.Point(centre).buffer(rng.uniform(0.001, 0.1), quad_segs=8)
    inside = shapely.intersects_xy(poly, lon, lat)
    assert grid.within_polygon(poly) == pytest.approx(float(persons[inside].sum()), rel=1e-9, abs=1e-9)


def test_queries_read_only_nearby_buckets():
    side = 400
    lon = np.tile(118.0 + np.arange(side) * 0.001, side)
    lat = np.repeat(24.4 + np.arange(side) * 0.001, side)
    grid = PopulationGrid.from_points(lon, lat, np.ones(side * side))
    centre = (118.2, 24.6)
    candidates = grid._candidates(118.2 - 0.006, 24.6 - 0.005, 118.2 + 0.006, 24.6 + 0.005)
    assert len(candidates) < side * side / 50  # a few buckets, not the grid
    assert grid.within_radius(centre, 500) == float(np.count_nonzero(haversine_m(*centre, lon, lat) <= 500))


def test_population_within_an_isochrone(data_dir, tmp_path, run_import):
    from citywatch.geo import routing
    from tests.geo.osmfiles import town, write_town

    run_import("roads", write_town(tmp_path / "town.osm.pbf"))
    nodes, _ = town()
    rows = [f"{lon},{lat},{10 * k + 1}" for k, (lon, lat) in enumerate(nodes[i] for i in (1, 6, 16, 601))]
    (tmp_path / "people.csv").write_text("lon,lat,persons\n" + "\n".join(rows) + "\n")
    run_import("population", tmp_path / "people.csv")
    iso = routing.isochrone(nodes[6], 2)
    assert population.population_within(iso) == pytest.approx(1 + 11 + 21)  # not the island's 31
