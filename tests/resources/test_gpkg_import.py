"""GeoPackage import: what CityWatch exports and what GDAL (QGIS) writes reads back; anything else is a
clear problem, never a crash."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest

from citywatch.core.importing import ImportFailed
from citywatch.resources import exchange
from citywatch.resources.importers import import_file

pytestmark = pytest.mark.django_db


def export(slug, user=None, fmt="gpkg"):
    data, _type, _name = exchange.export_records(slug, user, fmt)
    return data


def problems(slug, path):
    with pytest.raises(ImportFailed) as excinfo:
        import_file(slug, path, user=None)
    return [p.message for p in excinfo.value.report.problems]


@pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="needs gdal-bin (ogr2ogr)")
def test_a_geopackage_rewritten_by_gdal_reads_back(tmp_path, user):
    """The export, rewritten by ogr2ogr (GDAL's own geometry encoding, a spatial index and its triggers,
    as QGIS saves a layer), re-imports without a change."""
    siming = user("siming_officer")
    source = tmp_path / "ours.gpkg"
    source.write_bytes(export("shelters", siming))
    target = tmp_path / "shelters.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(target), str(source)], check=True, capture_output=True)
    tables = {r[0] for r in sqlite3.connect(target).execute("SELECT name FROM sqlite_master")}
    assert any(t.startswith("rtree_") for t in tables), tables
    report = import_file("shelters", target, user=siming)
    assert report.created == 0 and report.updated == 0 and report.unchanged > 0, report.summary()


def _copy_with(tmp_path, sql: str, name="x.gpkg"):
    """The export of depots with ``sql`` run on it."""
    path = tmp_path / name
    path.write_bytes(export("depots"))
    db = sqlite3.connect(path)
    db.executescript(sql)
    db.commit()
    db.close()
    return path


def test_a_text_file_named_gpkg(tmp_path):
    path = tmp_path / "a.gpkg"
    path.write_text("name,lon,lat\n")
    assert problems("depots", path) == ["不是 GeoPackage 文件（不是 SQLite 数据库）"]


def test_an_sqlite_database_that_is_not_a_geopackage(tmp_path):
    path = _copy_with(tmp_path, "PRAGMA application_id = 0;")
    assert problems("depots", path) == ["不是 GeoPackage 文件（SQLite 数据库缺少 GeoPackage 标识）"]


def test_several_tables(tmp_path):
    path = _copy_with(
        tmp_path,
        "CREATE TABLE other (fid INTEGER PRIMARY KEY, name TEXT);"
        "INSERT INTO gpkg_contents (table_name, data_type, identifier) "
        "VALUES ('other', 'attributes', 'other');",
    )
    (message,) = problems("depots", path)
    assert "多个表" in message and "depots" in message and "other" in message


def test_another_coordinate_system(tmp_path):
    path = _copy_with(
        tmp_path,
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('Pseudo-Mercator', 3857, 'EPSG', 3857, 'x', '');"
        "UPDATE gpkg_geometry_columns SET srs_id = 3857;",
    )
    assert problems("depots", path) == ["几何坐标为 EPSG:3857；请先将图层另存为 EPSG:4326（WGS-84）"]


def test_a_line_instead_of_a_point(tmp_path):
    import struct

    line = (
        b"GP"
        + bytes([0, 1])
        + struct.pack("<i", 4326)
        + struct.pack("<BII4d", 1, 2, 2, 118.0, 24.4, 118.1, 24.5)
    )
    path = tmp_path / "x.gpkg"
    path.write_bytes(export("depots"))
    db = sqlite3.connect(path)
    db.execute("UPDATE depots SET geom = ? WHERE fid = 1", (line,))
    db.commit()
    db.close()
    (message,) = problems("depots", path)
    assert message.startswith("第 1 个要素") and "Point" in message


def test_a_computed_column_is_refused(tmp_path):
    path = _copy_with(
        tmp_path, "ALTER TABLE depots ADD COLUMN big BLOB GENERATED ALWAYS AS (zeroblob(2000000000));"
    )
    assert problems("depots", path) == ["该 GeoPackage 的表含有隐藏列或计算列"]


def test_a_corrupt_file(tmp_path):
    data = bytearray(export("depots"))
    data[100:4096] = b"\xff" * (4096 - 100)
    path = tmp_path / "x.gpkg"
    path.write_bytes(bytes(data))
    (message,) = problems("depots", path)
    assert message.startswith("无法读取的 GeoPackage") or message.startswith("不是 GeoPackage")
