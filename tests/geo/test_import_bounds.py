"""`citywatch import population|roads` within their bounds: a GeoTIFF read in strips that stops past the
populated-cell limit, a CSV that stops at its row limit, a PBF whose blocks are checked before libosmium
inflates them and whose way nodes are counted. Nothing is published when a bound is passed."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import rasterio
from affine import Affine
from django.core.management.base import CommandError

from citywatch.geo.population import current_population
from citywatch.geo.routing.graph import current_graph
from tests.geo.osmfiles import write_town


def deflate_tiff(path, width, height, value=1.0):
    """A deflate-compressed GeoTIFF in WGS-84 of ``width`` × ``height`` cells all holding ``value``: a
    few kilobytes that unpack to width × height × 4 bytes."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(0.0001, 0, 118.0, 0, -0.0001, 24.6),
        compress="deflate",
        tiled=True,
    ) as dst:
        block = np.full((512, width), value, dtype=np.float32)
        for top in range(0, height, 512):
            rows = min(512, height - top)
            dst.write(block[:rows], 1, window=rasterio.windows.Window(0, top, width, rows))
    return path


def test_geotiff_reading_stops_past_the_populated_cell_limit(data_dir, tmp_path, run_import, settings):
    settings.CITYWATCH_POPULATION_MAX_CELLS = 1_000_000
    path = deflate_tiff(tmp_path / "dense.tif", 4000, 4000)
    assert path.stat().st_size < 2_000_000  # 16 million cells, 64 MB of float32 unpacked
    with pytest.raises(CommandError):
        run_import("population", path)
    assert "dense.tif 中有人口的网格单元超过 1,000,000 个；请先裁剪到所需区域" in run_import.stderr
    assert current_population() is None


def test_population_csv_stops_at_its_row_limit(data_dir, tmp_path, run_import, settings):
    settings.CITYWATCH_POPULATION_MAX_CELLS = 100
    path = tmp_path / "pop.csv"
    rows = [f"{118.0 + n * 1e-4:.4f},24.5,3" for n in range(150)]
    path.write_text("lon,lat,persons\n" + "\n".join(rows) + "\n")
    with pytest.raises(CommandError):
        run_import("population", path)
    assert "pop.csv 超过 100 行，请拆分文件" in run_import.stderr
    assert current_population() is None
    settings.CITYWATCH_POPULATION_MAX_CELLS = 150
    run_import("population", path)
    assert current_population().size == 150


def test_population_csv_with_a_giant_cell_is_a_problem_not_a_crash(data_dir, tmp_path, run_import):
    path = tmp_path / "pop.csv"
    path.write_text("lon,lat,persons\n118.1,24.5,x" + "y" * 200_000 + "\n")
    with pytest.raises(CommandError):
        run_import("population", path)
    assert "不是可读取的 CSV" in run_import.stderr
    assert current_population() is None


def _block(kind: bytes, raw_size: int, packed: bytes) -> bytes:
    """One PBF block: BlobHeader {type, datasize} then Blob {raw_size, zlib_data}, protobuf-encoded."""

    def varint(n):
        out = b""
        while True:
            out += bytes([(n & 0x7F) | (0x80 if n > 0x7F else 0)])
            n >>= 7
            if not n:
                return out

    blob = b"\x10" + varint(raw_size) + b"\x1a" + varint(len(packed)) + packed
    header = b"\x0a" + varint(len(kind)) + kind + b"\x18" + varint(len(blob))
    return struct.pack(">I", len(header)) + header + blob


def test_pbf_block_that_would_unpack_a_thousandfold_is_refused_before_reading(data_dir, tmp_path, run_import):
    town = write_town(tmp_path / "town.osm.pbf").read_bytes()
    header_end = 4 + struct.unpack(">I", town[:4])[0]
    header = town[4:header_end]
    datasize, shift, at = 0, 0, header.index(b"\x18") + 1  # BlobHeader field 3: datasize (a varint)
    while True:
        datasize |= (header[at] & 0x7F) << shift
        shift, at = shift + 7, at + 1
        if header[at - 1] < 0x80:
            break
    # The town's OSMHeader block, then a data block of 32 MiB of zeros packed into 32 KB.
    zeros = 32 * 1024 * 1024
    bomb = town[: header_end + datasize] + _block(b"OSMData", zeros, zlib.compress(b"\0" * zeros, 9))
    path = tmp_path / "bomb.osm.pbf"
    path.write_bytes(bomb)
    assert path.stat().st_size < 100_000
    with pytest.raises(CommandError):
        run_import("roads", path)
    assert "第 2 个数据块由" in run_import.stderr and "疑似解压炸弹" in run_import.stderr
    assert current_graph() is None


def test_way_nodes_are_bounded(data_dir, tmp_path, run_import, settings):
    path = write_town(tmp_path / "town.osm.pbf")
    settings.CITYWATCH_ROADS_MAX_WAY_NODES = 10
    with pytest.raises(CommandError):
        run_import("roads", path)
    assert "town.osm.pbf 的道路节点超过 10 个；请导入范围更小的数据" in run_import.stderr
    assert current_graph() is None
