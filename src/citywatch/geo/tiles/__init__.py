"""Vector tiles for CityWatch's own basemap: MVT encoding, pyramids, MBTiles files, published tilesets.

A *tileset* is one MBTiles file inside a dataset version published with ``geo/store.py`` (for example
``DATA_DIR/roads/v-…/roads.mbtiles`` beside the road graph it was cut from); its description (zoom
range, bounds, layers, attribution) is the ``tiles`` entry of that version's manifest. Versions are
immutable, so a tile's URL can name the version and be cached for good.

* ``mvt.py``: the MVT encoder (vectorised geometry command streams);
* ``pyramid.py``: layers of WGS-84 geometries → every non-empty tile of a zoom range;
* ``mbtiles.py``: writing and reading MBTiles;
* ``roads.py``, ``land.py``: what the road network and the land/sea dataset put into tiles.

Nothing here imports a CityWatch app; what the administrative areas put into tiles is assembled by
``citywatch.core.basemap``.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import shapely

from citywatch.geo import store
from citywatch.geo.tiles.mbtiles import TileFile, write_mbtiles
from citywatch.geo.tiles.pyramid import LayerInput, build_pyramid

# Bump when what goes into tiles changes: a published tileset of another format is cut again by the demo
# loader (real data: import the file again).
TILES_FORMAT = 1
VERSION_NAME = re.compile(r"^v-[0-9]{8}T[0-9]{6,12}Z-[0-9a-f]{6}$")


@dataclass(frozen=True)
class Published:
    """The current version of a tileset."""

    version: str  # the version directory's name, part of every tile URL
    path: Path  # the MBTiles file
    info: dict  # the manifest's "tiles" entry
    built_at: str


def write_tileset(
    build_dir: Path,
    filename: str,
    layers: list[LayerInput],
    minzoom: int,
    maxzoom: int,
    *,
    name: str,
    attribution: str = "",
    bounds: tuple[float, float, float, float] | None = None,
) -> dict:
    """Cut ``layers`` into tiles and write ``build_dir/filename``; returns the manifest's ``tiles``
    entry (file, zooms, bounds, layers and their fields, counts, seconds)."""
    started = time.perf_counter()
    if bounds is None:
        geoms = [g for layer in layers for g in layer.geometries if g is not None and not g.is_empty]
        bounds = (
            tuple(float(v) for v in shapely.total_bounds(geoms)) if geoms else (-180.0, -85.0, 180.0, 85.0)
        )
    vector_layers = [
        {"id": layer.name, "fields": layer.fields, "minzoom": minzoom, "maxzoom": layer.maxzoom or maxzoom}
        for layer in layers
    ]
    metadata = {
        "name": name,
        "type": "baselayer",
        "version": "1",
        "minzoom": str(minzoom),
        "maxzoom": str(maxzoom),
        "bounds": ",".join(f"{v:.6f}" for v in bounds),
        "center": f"{(bounds[0] + bounds[2]) / 2:.6f},{(bounds[1] + bounds[3]) / 2:.6f},{minzoom}",
        "attribution": attribution,
        "json": {"vector_layers": vector_layers},
    }
    counts = write_mbtiles(build_dir / filename, build_pyramid(layers, minzoom, maxzoom), metadata)
    return {
        "format": TILES_FORMAT,
        "file": filename,
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": [round(v, 6) for v in bounds],
        "attribution": attribution,
        "layers": vector_layers,
        "tiles": counts["tiles"],
        "bytes": counts["bytes"],
        "seconds": round(time.perf_counter() - started, 3),
    }


def published(directory: Path) -> Published | None:
    """The tileset of the current version in ``directory`` (a ``geo/store.py`` dataset), or None."""
    current = store.current_manifest(directory)
    if current is None:
        return None
    version, manifest = current
    info = manifest.get("tiles")
    if not isinstance(info, dict) or not (version / str(info.get("file", ""))).is_file():
        return None
    return Published(version.name, version / info["file"], info, str(manifest.get("built_at", "")))


_FILES: dict[Path, TileFile] = {}
_FILES_LOCK = threading.Lock()


def tile_file(directory: Path, version: str) -> tuple[TileFile, dict] | None:
    """The MBTiles file of version ``version`` in ``directory`` (current or a previous one still kept)
    and its manifest, or None when there is no such version."""
    if not VERSION_NAME.match(version):
        return None
    path = Path(directory) / version
    try:
        manifest = store.read_manifest(path)
    except (OSError, ValueError):
        return None
    info = manifest.get("tiles")
    if not isinstance(info, dict):
        return None
    file = path / str(info.get("file", ""))
    if not file.is_file():
        return None
    with _FILES_LOCK:  # tiles are asked for by many threads at once (the map asks for a screenful)
        reader = _FILES.get(file)
        if reader is None:
            for gone in [f for f in _FILES if not f.exists()]:  # versions pruned since (readers of old ones)
                del _FILES[gone]
            reader = _FILES[file] = TileFile(file)
    return reader, manifest


__all__ = ["LayerInput", "Published", "build_pyramid", "published", "tile_file", "write_tileset"]
