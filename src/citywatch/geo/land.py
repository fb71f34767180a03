"""Land and sea: a polygon dataset of land, the area it covers, and the basemap tiles cut from it.

Input (``citywatch import land FILE.geojson``): a GeoJSON FeatureCollection (or a single Feature or
geometry) whose Polygon/MultiPolygon geometries, in WGS-84, together are the land; lakes are holes.
The FeatureCollection's ``bbox`` member (``[west, south, east, north]``) says which area the file
describes: inside it, whatever is not land is water; outside it nothing is known and the basemap draws
neither land nor water. Without ``bbox`` the bounds of the geometries are taken. An optional
``attribution`` member (a string, on the collection) is shown on the map.

Bounds on the input: the file size limit of every import, at most ``MAX_FEATURES`` features and
``MAX_VERTICES`` vertices; invalid polygons are repaired (GEOS MakeValid) and counted.

Storage (``DATA_DIR/land/current/``): ``land.wkb`` (the land as one MultiPolygon, WKB), ``land.mbtiles``
(layers ``land`` and ``water``, zoom 4–12; clients over-zoom) and the manifest (source file, counts,
coverage, attribution).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from django.utils.translation import gettext as _

from citywatch.geo import store
from citywatch.geo.tiles import LayerInput, write_tileset

KIND = "land"
FORMAT_VERSION = 1
WKB_FILE = "land.wkb"
TILES_FILE = "land.mbtiles"
MAX_FEATURES = 100_000
MAX_VERTICES = 5_000_000
MINZOOM, MAXZOOM = 4, 12


class LandImportError(Exception):
    pass


@dataclass
class Land:
    geometry: object  # shapely MultiPolygon
    coverage: tuple[float, float, float, float]
    attribution: str
    counts: dict


def land_dir() -> Path:
    return store.kind_dir(KIND)


def _polygons(geometry: dict, where: str) -> list:
    try:
        geom = shapely.geometry.shape(geometry)
    except (TypeError, ValueError, KeyError, AttributeError, shapely.errors.GEOSException) as exc:
        raise LandImportError(
            _("%(where)s: not a GeoJSON geometry (%(error)s)") % {"where": where, "error": exc}
        ) from None
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise LandImportError(
            _("%(where)s: a %(type)s is not land; give Polygon or MultiPolygon")
            % {"where": where, "type": geom.geom_type}
        )
    return [geom]


def read_land_file(path: Path) -> Land:
    """Parse and check a land GeoJSON file (see the module docstring)."""
    name = Path(path).name
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LandImportError(
            _("%(file)s is not a GeoJSON file: %(error)s") % {"file": name, "error": exc}
        ) from None
    if not isinstance(data, dict):
        raise LandImportError(_("%(file)s: a GeoJSON object was expected") % {"file": name})
    kind = data.get("type")
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise LandImportError(
                _("%(file)s: the FeatureCollection has no list of features") % {"file": name}
            )
    elif kind == "Feature":
        features = [data]
    else:
        features = [{"type": "Feature", "geometry": data}]
    if len(features) > MAX_FEATURES:
        raise LandImportError(
            _("%(file)s: more than %(limit)s features") % {"file": name, "limit": f"{MAX_FEATURES:,}"}
        )
    parts = []
    for number, feature in enumerate(features, start=1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict):
            raise LandImportError(
                _("%(file)s: feature %(number)s has no geometry") % {"file": name, "number": number}
            )
        parts.extend(
            _polygons(geometry, _("%(file)s: feature %(number)s") % {"file": name, "number": number})
        )
    if not parts:
        raise LandImportError(_("%(file)s: no land polygons") % {"file": name})
    geoms = np.array(parts, dtype=object)
    vertices = int(shapely.get_num_coordinates(geoms).sum())
    if vertices > MAX_VERTICES:
        raise LandImportError(
            _("%(file)s: %(count)s vertices, more than %(limit)s")
            % {"file": name, "count": f"{vertices:,}", "limit": f"{MAX_VERTICES:,}"}
        )
    invalid = int((~shapely.is_valid(geoms)).sum())
    geoms = shapely.make_valid(geoms)
    land = shapely.union_all(geoms)
    polys = [g for g in shapely.get_parts(land) if g.geom_type == "Polygon"]
    if not polys:
        raise LandImportError(_("%(file)s: the polygons have no area") % {"file": name})
    land = shapely.MultiPolygon(polys)
    west, south, east, north = land.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise LandImportError(_("%(file)s: coordinates are not WGS-84 longitude/latitude") % {"file": name})
    bbox = data.get("bbox") if kind == "FeatureCollection" else None
    if bbox is not None:
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, int | float) for v in bbox)):
            raise LandImportError(_("%(file)s: bbox must be [west, south, east, north]") % {"file": name})
        coverage = tuple(float(v) for v in bbox)
        if not (-180 <= coverage[0] < coverage[2] <= 180 and -90 <= coverage[1] < coverage[3] <= 90):
            raise LandImportError(
                _("%(file)s: bbox %(bbox)s is not a WGS-84 box") % {"file": name, "bbox": bbox}
            )
    else:
        coverage = (west, south, east, north)
    attribution = data.get("attribution") if isinstance(data.get("attribution"), str) else ""
    counts = {"features": len(features), "polygons": len(polys), "vertices": vertices, "repaired": invalid}
    return Land(land, coverage, attribution[:300], counts)


def tile_layers(land: Land) -> list[LayerInput]:
    """``land`` (the polygons) and ``water`` (the rest of the covered box)."""
    polys = shapely.get_parts(land.geometry)
    water = shapely.difference(shapely.box(*land.coverage), land.geometry)
    water_parts = [g for g in shapely.get_parts(water) if g.geom_type == "Polygon"]
    return [
        LayerInput("water", np.array(water_parts, dtype=object), [()] * len(water_parts), tolerance=8.0),
        LayerInput("land", polys, [()] * len(polys), tolerance=8.0),
    ]


def build_land(land: Land, build_dir: Path, manifest: dict) -> dict:
    """Write the land's WKB, its tiles and the manifest into ``build_dir``."""
    (build_dir / WKB_FILE).write_bytes(shapely.to_wkb(land.geometry))
    tiles = write_tileset(
        build_dir,
        TILES_FILE,
        tile_layers(land),
        MINZOOM,
        MAXZOOM,
        name="CityWatch land and water",
        attribution=land.attribution,
        bounds=land.coverage,
    )
    manifest = {
        **manifest,
        "format": FORMAT_VERSION,
        "coverage": list(land.coverage),
        "attribution": land.attribution,
        "counts": land.counts,
        "tiles": tiles,
    }
    store.write_manifest(build_dir, manifest)
    return manifest


def current_land():
    """The published land as a shapely MultiPolygon (prepared), or None."""
    version = store.current_dir(land_dir())
    if version is None:
        return None
    cached = _CACHE.get("land")
    if cached is not None and cached[0] == version:
        return cached[1]
    try:
        geom = shapely.from_wkb((version / WKB_FILE).read_bytes())
    except (OSError, shapely.errors.GEOSException):
        return None
    shapely.prepare(geom)
    _CACHE["land"] = (version, geom)
    return geom


_CACHE: dict[str, tuple[Path, object]] = {}
