"""MBTiles 1.3 files: one SQLite file of gzip-compressed vector tiles and a metadata table.

Chosen over PMTiles because Python's standard library writes and reads it (sqlite3): no new
dependency, a tile is one indexed ``SELECT`` on a file opened read-only, and GIS tools (QGIS, GDAL's
MBTiles driver, tile servers) open it as it is. Rows follow the specification's TMS numbering (row 0
at the south); ``TileFile.tile`` takes XYZ numbering as web maps use it.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

SCHEMA = """
CREATE TABLE metadata (name TEXT NOT NULL, value TEXT);
CREATE TABLE tiles (zoom_level INTEGER NOT NULL, tile_column INTEGER NOT NULL, tile_row INTEGER NOT NULL,
                    tile_data BLOB NOT NULL);
CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
CREATE UNIQUE INDEX metadata_name ON metadata (name);
"""


def write_mbtiles(path: Path, tiles: Iterable[tuple[int, int, int, bytes]], metadata: dict) -> dict:
    """Write ``tiles`` (XYZ numbering, uncompressed MVT) gzip-compressed into a new file at ``path``;
    returns counts (tiles, bytes, per zoom)."""
    path = Path(path)
    if path.exists():
        path.unlink()
    counts = {"tiles": 0, "bytes": 0, "zooms": {}}
    con = sqlite3.connect(path)
    try:
        con.executescript(SCHEMA)
        rows = []
        for z, x, y, data in tiles:
            packed = gzip.compress(data, compresslevel=6, mtime=0)
            rows.append((z, x, (1 << z) - 1 - y, packed))
            counts["tiles"] += 1
            counts["bytes"] += len(packed)
            counts["zooms"][z] = counts["zooms"].get(z, 0) + 1
            if len(rows) >= 1000:
                con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
                rows.clear()
        con.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", rows)
        meta = {
            k: (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)) for k, v in metadata.items()
        }
        meta.setdefault("format", "pbf")
        con.executemany("INSERT INTO metadata VALUES (?, ?)", sorted(meta.items()))
        con.commit()
    finally:
        con.close()
    return counts


class TileFile:
    """Read access to one MBTiles file; one read-only connection per thread, kept open."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            uri = self.path.resolve().as_uri() + "?mode=ro&immutable=1"
            con = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self._local.con = con
        return con

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The gzip-compressed tile at XYZ ``z/x/y``, or None when the file has none there."""
        row = (
            self._connection()
            .execute(
                "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                (z, x, (1 << z) - 1 - y),
            )
            .fetchone()
        )
        return bytes(row[0]) if row else None

    def metadata(self) -> dict:
        return dict(self._connection().execute("SELECT name, value FROM metadata").fetchall())
