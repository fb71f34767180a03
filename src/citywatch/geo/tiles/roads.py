"""The road network in the basemap: one ``roads`` layer of lines cut from the ways of the imported PBF.

Properties of each line: ``class`` (below), ``link`` (true for a ``*_link`` ramp), ``name`` (as a
label, ``tiles/text.py``), ``ref`` and ``structure`` (``bridge``, ``tunnel`` or absent). Classes, and
the first zoom each is in the tiles (the style draws them from the same zooms)::

    motorway 5   trunk 6   primary 8   secondary 9   tertiary 11   minor 12   street 13   service 14

``minor`` is ``unclassified``; ``street`` is ``residential`` and ``living_street``. Links appear one
zoom after their class (at least 10).
"""

from __future__ import annotations

import numpy as np
import shapely

from citywatch.geo.tiles.pyramid import LayerInput
from citywatch.geo.tiles.text import label

CLASS_OF = {
    "motorway": "motorway",
    "trunk": "trunk",
    "primary": "primary",
    "secondary": "secondary",
    "tertiary": "tertiary",
    "unclassified": "minor",
    "residential": "street",
    "living_street": "street",
    "service": "service",
}
MINZOOM = {
    "motorway": 5,
    "trunk": 6,
    "primary": 8,
    "secondary": 9,
    "tertiary": 11,
    "minor": 12,
    "street": 13,
    "service": 14,
}
# Drawing order inside the layer: small roads first, so a motorway is drawn over the street it crosses.
RANK = {
    "service": 0,
    "street": 1,
    "minor": 2,
    "tertiary": 3,
    "secondary": 4,
    "primary": 5,
    "trunk": 6,
    "motorway": 7,
}
FIELDS = {"class": "String", "link": "Boolean", "name": "String", "ref": "String", "structure": "String"}
UNDEFINED_COORDINATE = 2147483647
COORDINATE_PRECISION = 1e-7


def road_layer(ways: dict) -> LayerInput:
    """The ``roads`` layer from what ``geo.routing.osm.read_ways`` read."""
    x, y, sizes = ways["x"], ways["y"], ways["way_sizes"]
    way_of = np.repeat(np.arange(len(sizes)), sizes)
    valid = (x != UNDEFINED_COORDINATE) & (y != UNDEFINED_COORDINATE)
    counts = np.bincount(way_of[valid], minlength=len(sizes))
    usable = counts >= 2
    keep = valid & usable[way_of]
    coords = np.column_stack([x[keep], y[keep]]) * COORDINATE_PRECISION
    used = np.flatnonzero(usable)
    index = np.searchsorted(used, way_of[keep])  # 0..len(used)-1, as shapely wants
    lines = shapely.linestrings(coords, indices=index) if len(coords) else np.empty(0, dtype=object)
    highway = [ways["highway"][i] for i in used]
    base = [h[:-5] if h.endswith("_link") else h for h in highway]
    classes = [CLASS_OF.get(b, "service") for b in base]
    link = [h.endswith("_link") for h in highway]
    minzoom = np.array(
        [max(MINZOOM[c] + 1, 10) if lk else MINZOOM[c] for c, lk in zip(classes, link, strict=True)],
        dtype=np.int64,
    )
    props = [
        (
            ("class", c),
            ("link", True) if lk else ("link", None),
            ("name", label(ways["name"][i])),
            ("ref", ways["ref"][i] or None),
            ("structure", ways["structure"][i] or None),
        )
        for i, c, lk in zip(used, classes, link, strict=True)
    ]
    order = np.argsort([RANK[c] for c in classes], kind="stable")
    return LayerInput(
        "roads",
        np.asarray(lines, dtype=object)[order],
        [props[i] for i in order],
        minzoom=minzoom[order],
        buffer=96,
        tolerance=6.0,
        fields=FIELDS,
    )
