"""CityWatch's own basemap: the administrative areas as vector tiles, and the MapLibre style of all maps.

Three tilesets make the basemap, each cut when its data is imported and published with it
(``geo/tiles``):

* ``land`` (``citywatch import land``): layers ``land`` and ``water``;
* ``roads`` (``citywatch import roads``): layer ``roads``, by class, with names;
* ``areas`` (here, after every ``citywatch import areas`` and by ``citywatch basemap``): layers
  ``areas`` (polygons of the areas that have a boundary), ``boundaries`` (their outlines, dissolved per
  level) and ``places`` (one label point per area: the pole of inaccessibility of the area's land —
  district boundaries take in their waters — else its point).

``style()`` is the MapLibre style every map loads from ``/basemap/style.json``: the published tilesets
with versioned tile URLs (cached for good), or the raster template of ``CITYWATCH_BASEMAP_URL`` when
one is configured. It has no ``glyphs``: MapLibre GL JS (≥ 5.11) then draws every label with the
browser's own fonts (TinySDF), so labels need no glyph server and no network.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext, gettext_noop
from shapely.ops import polylabel

from citywatch.core.choices import AreaLevel, PointSource
from citywatch.core.models import AdminArea
from citywatch.geo import land as landlib
from citywatch.geo import store
from citywatch.geo.tiles import LayerInput, published, text, write_tileset
from citywatch.geo.tiles.roads import MINZOOM as ROAD_MINZOOM

log = logging.getLogger(__name__)

KIND = "basemap"  # DATA_DIR/basemap: the areas tileset
TILES_FILE = "areas.mbtiles"
FORMAT_VERSION = 1
MINZOOM, MAXZOOM = 4, 14
TILESETS = ("land", "roads", "areas")

# First zoom of each level's polygons and outlines, and of its labels.
SHAPE_MINZOOM = {AreaLevel.PROVINCE: 4, AreaLevel.CITY: 4, AreaLevel.DISTRICT: 4, AreaLevel.STREET: 10}
SHAPE_MINZOOM_DEFAULT = 12  # communities
LABEL_MINZOOM = {AreaLevel.PROVINCE: 4, AreaLevel.CITY: 4, AreaLevel.DISTRICT: 8, AreaLevel.STREET: 11}
LABEL_MINZOOM_DEFAULT = 13
LABEL_SUFFIXES = (
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", "社区"),
    ("村民委员会", "村"),
    ("居委会", "社区"),
    ("村委会", "村"),
)


def tileset_dir(name: str) -> Path:
    return store.kind_dir(KIND if name == "areas" else name)


def label_text(name: str) -> str:
    """The name as a map label: a community's committee name shortened to the place (凤南社区居民委员会 →
    凤南社区), brackets as ``geo/tiles/text.py`` draws them."""
    for ending, short in LABEL_SUFFIXES:
        if name.endswith(ending) and len(name) > len(ending):
            stem = name[: -len(ending)]
            return text.label(stem if stem.endswith(short) else stem + short)
    return text.label(name)


# --- the areas tileset ------------------------------------------------------------------------------


def _rows():
    return list(
        AdminArea.objects.order_by("code").values_list(
            "code", "name", "level", "point_source", "boundary", "point"
        )
    )


def _fingerprint(rows, land_version: str) -> str:
    digest = hashlib.sha256(f"{FORMAT_VERSION}|{land_version}".encode())
    for code, name, level, source, boundary, point in rows:
        digest.update(f"|{code}|{name}|{level}|{source}|".encode())
        digest.update(bytes(boundary.wkb) if boundary is not None else b"-")
        digest.update(f"{point.x:.7f},{point.y:.7f}".encode() if point is not None else b"-")
    return digest.hexdigest()


def _label_point(boundary, point, land):
    """Where an area's name goes: the pole of inaccessibility of its largest piece of land, or of its
    largest polygon when it has no land (or none is known), or its point."""
    if boundary is None:
        return point
    shape = boundary
    if land is not None:
        on_land = shapely.intersection(boundary, land)
        if not on_land.is_empty and on_land.area > 0.02 * boundary.area:
            shape = on_land
    parts = [g for g in shapely.get_parts(shape) if g.geom_type == "Polygon"]
    if not parts:
        return point
    largest = max(parts, key=lambda g: g.area)
    return polylabel(largest, tolerance=max(1e-4, largest.length / 2000))


def area_layers(rows, land) -> list[LayerInput]:
    """The ``areas``, ``boundaries`` and ``places`` layers of the administrative areas."""
    shapes, shape_props, shape_zoom = [], [], []
    labels, label_props, label_zoom = [], [], []
    outlines: dict[str, list] = {}
    for code, name, level, source, boundary, point in rows:
        geom = shapely.from_wkb(bytes(boundary.wkb)) if boundary is not None else None
        pt = shapely.Point(point.x, point.y) if point is not None else None
        if geom is not None and not geom.is_empty:
            geom = shapely.make_valid(geom)
            shapes.append(geom)
            shape_props.append((("code", code), ("name", name), ("level", level)))
            shape_zoom.append(SHAPE_MINZOOM.get(level, SHAPE_MINZOOM_DEFAULT))
            outlines.setdefault(level, []).append(geom)
        where = _label_point(geom, pt, land)
        if where is not None:
            labels.append(where)
            synthetic = source == PointSource.SYNTHETIC and geom is None
            label_props.append(
                (
                    ("name", label_text(name)),
                    ("code", code),
                    ("level", level),
                    ("synthetic", True if synthetic else None),
                )
            )
            label_zoom.append(LABEL_MINZOOM.get(level, LABEL_MINZOOM_DEFAULT))
    lines, line_props, line_zoom = [], [], []
    for level, geoms in outlines.items():
        merged = shapely.line_merge(shapely.union_all(shapely.boundary(np.array(geoms, dtype=object))))
        lines.append(merged)
        line_props.append((("level", level),))
        line_zoom.append(SHAPE_MINZOOM.get(level, SHAPE_MINZOOM_DEFAULT))
    return [
        LayerInput(
            "areas",
            np.array(shapes, dtype=object),
            shape_props,
            minzoom=np.array(shape_zoom, dtype=np.int64),
            fields={"code": "String", "name": "String", "level": "String"},
        ),
        LayerInput(
            "boundaries",
            np.array(lines, dtype=object),
            line_props,
            minzoom=np.array(line_zoom, dtype=np.int64),
            tolerance=4.0,
            fields={"level": "String"},
        ),
        LayerInput(
            "places",
            np.array(labels, dtype=object),
            label_props,
            minzoom=np.array(label_zoom, dtype=np.int64),
            fields={"name": "String", "code": "String", "level": "String", "synthetic": "Boolean"},
        ),
    ]


def build_area_tiles(force: bool = False) -> dict:
    """Cut the areas tileset from the database (and the published land) unless the published one was
    cut from exactly the same; returns ``{"status": "built"|"unchanged"|"empty", …}``."""
    rows = _rows()
    land_version = store.current_dir(landlib.land_dir())
    fingerprint = _fingerprint(rows, land_version.name if land_version else "-")
    directory = tileset_dir("areas")
    current = store.current_manifest(directory)
    if not force and current is not None and current[1].get("inputs_sha256") == fingerprint:
        return {"status": "unchanged", "version": current[0].name}
    if not rows:
        return {"status": "empty"}
    layers = area_layers(rows, landlib.current_land())
    with store.staging(directory) as build:
        tiles = write_tileset(
            build, TILES_FILE, layers, MINZOOM, MAXZOOM, name="CityWatch administrative areas"
        )
        store.write_manifest(
            build,
            {
                "kind": "areas",
                "format": FORMAT_VERSION,
                "built_at": store.utc_now(),
                "inputs_sha256": fingerprint,
                "land_version": land_version.name if land_version else None,
                "counts": {
                    "areas": len(rows),
                    "shapes": len(layers[0].geometries),
                    "labels": len(layers[2].geometries),
                },
                "tiles": tiles,
            },
        )
        final = store.publish(directory, build)
    return {"status": "built", "version": final.name, "tiles": tiles["tiles"], "seconds": tiles["seconds"]}


def rebuild_after_commit(report=None) -> None:
    """Rebuild the areas tileset once the current transaction commits (an area import calls this); the
    outcome is added to ``report.notes`` when a report is given."""

    def run():
        from django.utils.translation import gettext as _

        result = build_area_tiles()
        if report is not None and result["status"] == "built":
            report.notes.append(
                _("basemap: %(tiles)s area tiles in %(seconds)s s")
                % {"tiles": result["tiles"], "seconds": result["seconds"]}
            )

    transaction.on_commit(run)


# --- the style ----------------------------------------------------------------------------------------

FONT = ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "sans-serif"]
FONT_BOLD = ["Noto Sans CJK SC Bold", *FONT]
LOCAL_IDEOGRAPH_FONT_FAMILY = (
    "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
)

COLOURS = {
    "background": "#d9dde0",  # outside the land dataset's box: neither land nor sea is known
    "water": "#b1c4d3",
    "land": "#ebe8e1",
    "district_line": "#8e83a8",
    "district_casing": "#ebe8e1",
    "street_line": "#b3abc6",
    "community_line": "#c9c3d6",
    "road_casing": "#cfcabf",
    "motorway": "#e9a86a",
    "motorway_casing": "#c98a4e",
    "trunk": "#f1c27d",
    "trunk_casing": "#cf9d5a",
    "primary": "#f6dc9c",
    "secondary": "#faecc0",
    "minor": "#fbfaf7",
    "label_district": "#453d5e",
    "label_street": "#5e5872",
    "label_community": "#77718a",
    "label_synthetic": "#8d889b",
    "label_road": "#5b5b5b",
    "halo": "#f4f2ec",
}

# Line width by zoom, per class: [zoom, width, zoom, width, …] (pixels).
ROAD_WIDTH = {
    "motorway": [5, 0.8, 10, 2.2, 13, 4.5, 16, 11, 18, 22],
    "trunk": [6, 0.7, 10, 2.0, 13, 4.0, 16, 10, 18, 20],
    "primary": [8, 0.6, 11, 1.8, 13, 3.5, 16, 9, 18, 18],
    "secondary": [9, 0.6, 11, 1.4, 13, 3.0, 16, 8, 18, 16],
    "tertiary": [11, 0.6, 13, 2.2, 16, 6.5, 18, 13],
    "minor": [12, 0.5, 14, 1.8, 16, 5, 18, 10],
    "street": [13, 0.5, 14, 1.4, 16, 4.5, 18, 9],
    "service": [14, 0.5, 16, 2.5, 18, 6],
}
ROAD_FILL = {
    "motorway": "motorway",
    "trunk": "trunk",
    "primary": "primary",
    "secondary": "secondary",
    "tertiary": "minor",
    "minor": "minor",
    "street": "minor",
    "service": "minor",
}


def _width(stops, factor=1.0, plus=0.0):
    expression = ["interpolate", ["exponential", 1.4], ["zoom"]]
    for i in range(0, len(stops), 2):
        expression += [stops[i], round(stops[i + 1] * factor + plus, 2)]
    return expression


def _road_layers() -> list[dict]:
    order = ["service", "street", "minor", "tertiary", "secondary", "primary", "trunk", "motorway"]
    casings, fills = [], []
    for cls in order:
        flt = ["==", ["get", "class"], cls]
        colour = COLOURS[ROAD_FILL[cls]]
        casing = COLOURS.get(f"{cls}_casing", COLOURS["road_casing"])
        casing_from = ROAD_MINZOOM[cls] + (0 if cls in ("motorway", "trunk") else 3)
        casings.append(
            {
                "id": f"road-{cls}-casing",
                "type": "line",
                "source": "roads",
                "source-layer": "roads",
                "minzoom": casing_from,
                "filter": flt,
                "layout": {"line-cap": "round", "line-join": "round"},
                "paint": {
                    "line-color": casing,
                    "line-width": _width(ROAD_WIDTH[cls], 1.0, 1.5),
                    "line-opacity": ["case", ["==", ["get", "structure"], "tunnel"], 0.5, 1],
                },
            }
        )
        fills.append(
            {
                "id": f"road-{cls}",
                "type": "line",
                "source": "roads",
                "source-layer": "roads",
                "minzoom": ROAD_MINZOOM[cls],
                "filter": flt,
                "layout": {"line-cap": "round", "line-join": "round"},
                "paint": {
                    "line-color": colour,
                    "line-width": _width(ROAD_WIDTH[cls]),
                    "line-opacity": ["case", ["==", ["get", "structure"], "tunnel"], 0.6, 1],
                },
            }
        )
        if ROAD_FILL[cls] == "minor":
            # White roads are invisible below their casing zoom: draw them grey until then.
            fills[-1]["paint"]["line-color"] = [
                "step",
                ["zoom"],
                COLOURS["road_casing"],
                casing_from,
                colour,
            ]
    return casings + fills


def _label(layer_id, level_filter, minzoom, size, colour, font, maxzoom=None, extra=None):
    spec = {
        "id": layer_id,
        "type": "symbol",
        "source": "areas",
        "source-layer": "places",
        "minzoom": minzoom,
        "filter": level_filter,
        "layout": {
            "text-field": ["get", "name"],
            "text-font": font,
            "text-size": size,
            "text-max-width": 8,
            "text-padding": 4,
            "symbol-sort-key": ["case", ["==", ["get", "synthetic"], True], 1, 0],
        },
        "paint": {
            "text-color": colour,
            "text-halo-color": COLOURS["halo"],
            "text-halo-width": 1.6,
            "text-halo-blur": 0.3,
        },
    }
    if maxzoom is not None:
        spec["maxzoom"] = maxzoom
    if extra:
        spec["layout"].update(extra)
    return spec


def _layers(available: set[str]) -> list[dict]:
    layers: list[dict] = [
        {"id": "background", "type": "background", "paint": {"background-color": COLOURS["background"]}}
    ]
    if "land" in available:
        layers += [
            {
                "id": "water",
                "type": "fill",
                "source": "land",
                "source-layer": "water",
                "paint": {"fill-color": COLOURS["water"]},
            },
            {
                "id": "land",
                "type": "fill",
                "source": "land",
                "source-layer": "land",
                "paint": {"fill-color": COLOURS["land"]},
            },
        ]
    if "areas" in available:
        if "land" not in available:
            # No land dataset: the districts stand in for the land (they may take in some water).
            layers.append(
                {
                    "id": "land",
                    "type": "fill",
                    "source": "areas",
                    "source-layer": "areas",
                    "filter": ["==", ["get", "level"], AreaLevel.DISTRICT],
                    "paint": {"fill-color": COLOURS["land"]},
                }
            )
        layers += [
            {
                "id": "boundary-community",
                "type": "line",
                "source": "areas",
                "source-layer": "boundaries",
                "minzoom": 12,
                "filter": ["==", ["get", "level"], AreaLevel.COMMUNITY],
                "paint": {
                    "line-color": COLOURS["community_line"],
                    "line-width": 0.8,
                    "line-dasharray": [2, 2],
                },
            },
            {
                "id": "boundary-street",
                "type": "line",
                "source": "areas",
                "source-layer": "boundaries",
                "minzoom": 10,
                "filter": ["==", ["get", "level"], AreaLevel.STREET],
                "paint": {"line-color": COLOURS["street_line"], "line-width": 1, "line-dasharray": [3, 2]},
            },
            {
                "id": "boundary-district-casing",
                "type": "line",
                "source": "areas",
                "source-layer": "boundaries",
                "filter": ["in", ["get", "level"], ["literal", [AreaLevel.DISTRICT, AreaLevel.CITY]]],
                "paint": {
                    "line-color": COLOURS["district_casing"],
                    "line-width": _width([6, 2, 12, 4, 16, 6]),
                    "line-opacity": 0.5,
                },
            },
            {
                "id": "boundary-district",
                "type": "line",
                "source": "areas",
                "source-layer": "boundaries",
                "filter": ["in", ["get", "level"], ["literal", [AreaLevel.DISTRICT, AreaLevel.CITY]]],
                "layout": {"line-join": "round"},
                "paint": {
                    "line-color": COLOURS["district_line"],
                    "line-width": _width([6, 0.8, 12, 1.6, 16, 2.4]),
                    "line-dasharray": [4, 1.5, 1, 1.5],
                },
            },
        ]
    if "roads" in available:
        layers += _road_layers()
        layers.append(
            {
                "id": "label-road",
                "type": "symbol",
                "source": "roads",
                "source-layer": "roads",
                "minzoom": 12,
                "filter": [
                    "all",
                    ["has", "name"],
                    [
                        "any",
                        ["in", ["get", "class"], ["literal", ["motorway", "trunk", "primary", "secondary"]]],
                        [">=", ["zoom"], 14],
                    ],
                ],
                "layout": {
                    "symbol-placement": "line",
                    "text-field": ["get", "name"],
                    "text-font": FONT,
                    "text-size": ["interpolate", ["linear"], ["zoom"], 12, 10.5, 16, 13],
                    "text-max-angle": 30,
                    "symbol-spacing": 320,
                    "text-padding": 2,
                    "text-rotation-alignment": "map",
                    "text-pitch-alignment": "viewport",
                },
                "paint": {
                    "text-color": COLOURS["label_road"],
                    "text-halo-color": COLOURS["halo"],
                    "text-halo-width": 1.5,
                },
            }
        )
    if "areas" in available:
        is_synthetic = ["==", ["get", "synthetic"], True]
        synthetic_colour = lambda normal: ["case", is_synthetic, COLOURS["label_synthetic"], normal]  # noqa: E731
        layers += [
            _label(
                "label-community",
                ["==", ["get", "level"], AreaLevel.COMMUNITY],
                13,
                ["interpolate", ["linear"], ["zoom"], 13, 10.5, 16, 12.5],
                synthetic_colour(COLOURS["label_community"]),
                FONT,
            ),
            _label(
                "label-street",
                ["==", ["get", "level"], AreaLevel.STREET],
                11,
                ["interpolate", ["linear"], ["zoom"], 11, 11.5, 15, 14],
                synthetic_colour(COLOURS["label_street"]),
                FONT,
            ),
            _label(
                "label-district",
                ["==", ["get", "level"], AreaLevel.DISTRICT],
                8,
                ["interpolate", ["linear"], ["zoom"], 8, 13, 12, 17],
                COLOURS["label_district"],
                FONT_BOLD,
                extra={"text-letter-spacing": 0.15},
            ),
            _label(
                "label-city",
                ["in", ["get", "level"], ["literal", [AreaLevel.CITY, AreaLevel.PROVINCE]]],
                4,
                16,
                COLOURS["label_district"],
                FONT_BOLD,
                maxzoom=9,
            ),
        ]
    return layers


# The credits the importers write into the tilesets' manifests (geo/importers.py, the demo's land file),
# and the usual one of an OpenStreetMap raster basemap: the manifest keeps the English, the style gives them
# in the page's language (a credit not listed here is shown as written).
ATTRIBUTIONS = frozenset(
    (
        gettext_noop("© OpenStreetMap contributors (ODbL)"),
        gettext_noop("© OpenStreetMap contributors"),
        gettext_noop("Synthetic demo roads (CityWatch)"),
        gettext_noop("Coastline: GSHHG 2.3.6 (Wessel & Smith), LGPL-3.0"),
    )
)


def credit(text: str) -> str:
    """A source's attribution in the request's language when it is one of ``ATTRIBUTIONS``."""
    return gettext(text) if text in ATTRIBUTIONS else text


def tile_url(request, name: str, version: str) -> str:
    from django.urls import reverse

    path = reverse("basemap-tile", kwargs={"tileset": name, "version": version, "z": 0, "x": 0, "y": 0})
    template = path.replace("/0/0/0.pbf", "/{z}/{x}/{y}.pbf")
    return request.build_absolute_uri(template).replace("%7B", "{").replace("%7D", "}")


def style(request) -> dict:
    """The MapLibre style of every map (see the module docstring)."""
    if settings.BASEMAP_URL:
        return {
            "version": 8,
            "name": "CityWatch (raster basemap)",
            "sources": {
                "basemap": {
                    "type": "raster",
                    "tiles": [settings.BASEMAP_URL],
                    "tileSize": 256,
                    "attribution": credit(settings.BASEMAP_ATTRIBUTION),
                }
            },
            "layers": [
                {
                    "id": "background",
                    "type": "background",
                    "paint": {"background-color": COLOURS["background"]},
                },
                {"id": "basemap", "type": "raster", "source": "basemap"},
            ],
        }
    sources = {}
    for name in TILESETS:
        current = published(tileset_dir(name))
        if current is None:
            continue
        info = current.info
        source = {
            "type": "vector",
            "tiles": [tile_url(request, name, current.version)],
            "minzoom": info["minzoom"],
            "maxzoom": info["maxzoom"],
            "bounds": info["bounds"],
        }
        if info.get("attribution"):
            source["attribution"] = credit(info["attribution"])
        sources[name] = source
    return {"version": 8, "name": "CityWatch", "sources": sources, "layers": _layers(set(sources))}
