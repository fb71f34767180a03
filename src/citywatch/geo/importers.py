"""Geo importers: ``citywatch import roads FILE.osm.pbf``, ``citywatch import population FILE`` and
``citywatch import land FILE.geojson``.

Each builds into a temporary directory inside ``DATA_DIR/<kind>`` and publish it with an atomic swap of
the ``current`` link (``geo/store.py``); any problem raises ImportFailed and leaves the version in use
untouched. ``--dry-run`` reads and checks everything and publishes nothing. The roads and the land
versions also hold the basemap's vector tiles cut from them (``geo/tiles``), published with them.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _

from citywatch.core.importing import Importer, ImportFailed, ImportReport, Problem, check_file, register
from citywatch.geo import store
from citywatch.geo.land import LandImportError, build_land, land_dir, read_land_file
from citywatch.geo.population import (
    PopulationGrid,
    PopulationImportError,
    population_dir,
    read_population_file,
)
from citywatch.geo.routing import tags as tagrules
from citywatch.geo.routing.graph import roads_dir
from citywatch.geo.routing.osm import RoadImportError, build_road_graph
from citywatch.geo.tiles import write_tileset
from citywatch.geo.tiles.roads import road_layer

ROAD_TILES_FILE = "roads.mbtiles"
ROAD_TILES_ZOOMS = (5, 14)
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
SYNTHETIC_ROADS_ATTRIBUTION = "Synthetic demo roads (CityWatch)"


def _source(path: Path) -> dict:
    return {"name": path.name, "bytes": path.stat().st_size, "sha256": store.sha256_file(path)}


@register
class RoadsImporter(Importer):
    kind = "roads"
    help = "OpenStreetMap road network (.osm.pbf) → the car graph used for travel times"
    extensions = (".osm.pbf", ".pbf")

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--synthetic", action="store_true", help="label the network synthetic (demo data)"
        )

    def run(self, paths: list[Path], *, dry_run: bool = False, **options) -> ImportReport:
        report = ImportReport(kind=self.kind, dry_run=dry_run)
        paths = [Path(p) for p in paths]
        if len(paths) != 1:
            report.problems.append(Problem("", None, "", _("give exactly one .osm.pbf file")))
            raise ImportFailed(report)
        path = paths[0]
        if not check_file(path, self.extensions, report):
            raise ImportFailed(report)
        started = time.perf_counter()
        manifest = {
            "kind": self.kind,
            "source": _source(path),
            "built_at": store.utc_now(),
            "default_speed_kmh": tagrules.DEFAULT_SPEED_KMH,
            "synthetic": bool(options.get("synthetic")),
        }
        try:
            graph, stats = build_road_graph(path, manifest, settings.CITYWATCH_ROADS_MAX_WAY_NODES)
        except RoadImportError as exc:
            report.problems.append(Problem(path.name, None, "", str(exc)))
            raise ImportFailed(report) from None
        counts = graph.manifest["counts"]
        report.created = graph.n_nodes
        share = counts["main_component_nodes"] / max(counts["nodes"], 1)
        report.notes.append(
            _(
                "%(nodes)s nodes and %(edges)s directed edges from %(ways)s drivable ways "
                "(%(left_out)s highway ways left out: not for cars, closed or reversible)"
            )
            % {
                "nodes": counts["nodes"],
                "edges": counts["edges"],
                "ways": counts["ways_used"],
                "left_out": counts["ways_not_drivable"],
            }
        )
        report.notes.append(
            _(
                "largest strongly connected component: %(nodes)s nodes (%(share)s); "
                "%(components)s components in all"
            )
            % {
                "nodes": counts["main_component_nodes"],
                "share": f"{share:.1%}",
                "components": counts["components"],
            }
        )
        if counts["maxspeed_not_understood"]:
            report.notes.append(
                _("%(count)s ways had a maxspeed value not understood; their class default speed was used")
                % {"count": counts["maxspeed_not_understood"]}
            )
        if not dry_run:
            with store.staging(roads_dir()) as build:
                graph.manifest["tiles"] = write_tileset(
                    build,
                    ROAD_TILES_FILE,
                    [road_layer(stats["ways"])],
                    *ROAD_TILES_ZOOMS,
                    name="CityWatch roads",
                    attribution=SYNTHETIC_ROADS_ATTRIBUTION if manifest["synthetic"] else OSM_ATTRIBUTION,
                )
                graph.save(build)
                store.publish(roads_dir(), build)
            report.notes.append(
                _("basemap: %(tiles)s road tiles (zoom %(min)s–%(max)s) in %(seconds)s s")
                % {
                    "tiles": graph.manifest["tiles"]["tiles"],
                    "min": ROAD_TILES_ZOOMS[0],
                    "max": ROAD_TILES_ZOOMS[1],
                    "seconds": graph.manifest["tiles"]["seconds"],
                }
            )
        elapsed = time.perf_counter() - started
        timing = {"seconds": f"{elapsed:.1f}", "rate": f"{stats['way_nodes'] / max(elapsed, 1e-9):,.0f}"}
        if dry_run:
            report.notes.append(_("built in %(seconds)s s (%(rate)s way nodes/s)") % timing)
        else:
            report.notes.append(
                _("built in %(seconds)s s (%(rate)s way nodes/s); published in %(directory)s")
                % {**timing, "directory": roads_dir()}
            )
        return report


@register
class PopulationImporter(Importer):
    kind = "population"
    help = "population grid: GeoTIFF of persons per cell (any CRS) or CSV lon,lat,persons"
    extensions = (".tif", ".tiff", ".csv")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--band", type=int, default=1, help="GeoTIFF band to read (default 1)")
        parser.add_argument("--nodata", type=float, default=None, help="GeoTIFF value meaning 'no data'")
        parser.add_argument("--crs", default="wgs84", help="CSV coordinates: wgs84 (default), gcj02 or bd09")
        parser.add_argument("--synthetic", action="store_true", help="label the grid synthetic (demo data)")

    def run(self, paths: list[Path], *, dry_run: bool = False, **options) -> ImportReport:
        report = ImportReport(kind=self.kind, dry_run=dry_run)
        paths = [Path(p) for p in paths]
        if not paths:
            report.problems.append(Problem("", None, "", _("no file given")))
            raise ImportFailed(report)
        if not all([check_file(p, self.extensions, report) for p in paths]):
            raise ImportFailed(report)
        parts, sources, file_total = [], [], 0.0
        for path in paths:  # one iteration per file
            try:
                points = read_population_file(
                    path,
                    band=int(options.get("band") or 1),
                    nodata=options.get("nodata"),
                    crs=options.get("crs") or "wgs84",
                    max_cells=settings.CITYWATCH_POPULATION_MAX_CELLS,
                )
            except PopulationImportError as exc:
                report.problems.extend(Problem(path.name, row, "", message) for row, message in exc.problems)
                continue
            except ValueError as exc:  # e.g. an unknown --crs
                report.problems.append(Problem(path.name, None, "", str(exc)))
                continue
            parts.append(points)
            sources.append({**_source(path), **points.info, "total": points.file_total})
            file_total += points.file_total
        if report.problems:
            raise ImportFailed(report)
        lon = np.concatenate([p.lon for p in parts])
        lat = np.concatenate([p.lat for p in parts])
        persons = np.concatenate([p.persons for p in parts])
        if not np.any(persons > 0):
            report.problems.append(Problem(paths[0].name, None, "", _("no cell has a population above 0")))
            raise ImportFailed(report)
        grid = PopulationGrid.from_points(
            lon,
            lat,
            persons,
            {
                "kind": self.kind,
                "sources": sources,
                "built_at": store.utc_now(),
                "synthetic": bool(options.get("synthetic")),
            },
        )
        if not np.isclose(grid.total, file_total, rtol=1e-9, atol=1e-6):
            report.problems.append(
                Problem(
                    paths[0].name,
                    None,
                    "",
                    _("stored total %(stored)s differs from the files' %(files)s")
                    % {"stored": grid.total, "files": file_total},
                )
            )
            raise ImportFailed(report)
        grid.manifest["file_total"] = file_total
        report.created = grid.size
        report.notes.append(
            _("%(cells)s populated cells, %(persons)s persons in all")
            % {"cells": grid.size, "persons": f"{grid.total:,.0f}"}
        )
        if not dry_run:
            with store.staging(population_dir()) as build:
                grid.save(build)
                store.publish(population_dir(), build)
            report.notes.append(_("published in %(directory)s") % {"directory": population_dir()})
        return report


@register
class LandImporter(Importer):
    kind = "land"
    help = "land polygons (GeoJSON, WGS-84) → land and sea in the basemap"
    extensions = (".geojson", ".json")

    def run(self, paths: list[Path], *, dry_run: bool = False, **options) -> ImportReport:
        report = ImportReport(kind=self.kind, dry_run=dry_run)
        paths = [Path(p) for p in paths]
        if len(paths) != 1:
            report.problems.append(Problem("", None, "", _("give exactly one GeoJSON file")))
            raise ImportFailed(report)
        path = paths[0]
        if not check_file(path, self.extensions, report):
            raise ImportFailed(report)
        try:
            land = read_land_file(path)
        except LandImportError as exc:
            report.problems.append(Problem(path.name, None, "", str(exc)))
            raise ImportFailed(report) from None
        report.created = land.counts["polygons"]
        report.notes.append(
            _(
                "%(polygons)s land polygons, %(vertices)s vertices; "
                "covers %(west)s, %(south)s – %(east)s, %(north)s"
            )
            % {
                "polygons": land.counts["polygons"],
                "vertices": f"{land.counts['vertices']:,}",
                "west": land.coverage[0],
                "south": land.coverage[1],
                "east": land.coverage[2],
                "north": land.coverage[3],
            }
        )
        if land.counts["repaired"]:
            report.notes.append(
                _("%(count)s invalid polygons were repaired") % {"count": land.counts["repaired"]}
            )
        if not dry_run:
            manifest = {"kind": self.kind, "source": _source(path), "built_at": store.utc_now()}
            with store.staging(land_dir()) as build:
                manifest = build_land(land, build, manifest)
                store.publish(land_dir(), build)
            report.notes.append(
                _("basemap: %(tiles)s land and water tiles in %(seconds)s s; published in %(directory)s")
                % {
                    "tiles": manifest["tiles"]["tiles"],
                    "seconds": manifest["tiles"]["seconds"],
                    "directory": land_dir(),
                }
            )
        return report
