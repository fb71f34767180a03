"""Importers of the core app: administrative areas (行政区划).

``citywatch import areas FILE…`` reads GeoJSON (features with ``code``, ``name`` and optionally
``level`` and ``parent_code``) and CSV in either of two shapes:

* the generic one: ``code,name[,level][,parent_code][,lon,lat]``;
* the ``china-division`` shape (districts ``code,name,cityCode,…``; streets ``code,name,areaCode,…``;
  communities ``code,name,streetCode,…``), whose parent column says the level.

Codes follow GB/T 2260: 2 or 4 digit province/city codes are padded to 6 (``3502`` → ``350200``),
streets have 9 digits and communities 12. Several files may be given at once; all rows are checked
together (a parent may come from another file or from the database) and written in one transaction,
parents first, or not at all. Invalid boundaries are repaired (GEOS MakeValid) and each repair reported.
Files are read within the import bounds of ``core.limits``: rows and cell length for CSV, coordinates
(counted before the JSON is parsed) and features for GeoJSON.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.validation import explain_validity

from citywatch.core import actions
from citywatch.core.choices import AREA_LEVEL_RANK, AreaLevel, PointSource
from citywatch.core.importing import Importer, ImportFailed, ImportReport, Problem, check_file, register
from citywatch.core.limits import (
    ImportLimits,
    LimitExceeded,
    UndecodableText,
    check_feature_count,
    check_json_containers,
    csv_rows,
)
from citywatch.core.models import AdminArea
from citywatch.geo import crs as crslib

CODE_LENGTHS = {2, 4, 6, 9, 12}
# china-division CSVs: the most specific parent column present names the level of the rows (a
# communities file also carries areaCode and cityCode), so the order here matters.
PARENT_COLUMNS = {
    "streetCode": AreaLevel.COMMUNITY,
    "areaCode": AreaLevel.STREET,
    "cityCode": AreaLevel.DISTRICT,
}


def normalise_code(raw: str) -> str:
    """``35`` → ``350000``, ``3502`` → ``350200``; 6, 9 and 12 digit codes as they are. Raises ValueError."""
    code = (raw or "").strip()
    if not code.isdigit() or not code.isascii():
        raise ValueError(_("code %(code)s is not a number") % {"code": repr(raw)})
    if len(code) not in CODE_LENGTHS:
        raise ValueError(
            _("code %(code)s has %(digits)s digits; GB/T 2260 codes have 6, 9 or 12")
            % {"code": repr(raw), "digits": len(code)}
        )
    if len(code) == 2:
        return code + "0000"
    if len(code) == 4:
        return code + "00"
    return code


def infer_level(code: str) -> str:
    if len(code) == 12:
        return AreaLevel.COMMUNITY
    if len(code) == 9:
        return AreaLevel.STREET
    if code.endswith("0000"):
        return AreaLevel.PROVINCE
    if code.endswith("00"):
        return AreaLevel.CITY
    return AreaLevel.DISTRICT


@dataclass
class AreaRow:
    file: str
    row: int
    code: str
    name: str = ""
    level: str = ""
    parent_code: str | None = None
    boundary: object | None = None  # shapely (Multi)Polygon, WGS-84
    point: tuple[float, float] | None = None
    fields_given: set = field(default_factory=set)


def _polygonal(geom):
    """Keep the polygonal parts of a geometry as a MultiPolygon (MakeValid may add lines or points)."""
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    if geom.geom_type == "MultiPolygon":
        return geom
    if geom.geom_type == "GeometryCollection":
        polys = []
        for part in geom.geoms:
            sub = _polygonal(part)
            if sub is not None:
                polys.extend(sub.geoms)
        return shapely.MultiPolygon(polys) if polys else None
    return None


def read_geojson(path: Path, report: ImportReport, crs, limits: ImportLimits) -> list[AreaRow]:
    raw = path.read_bytes()
    try:
        # The arrays (vertices) and objects are counted before json.loads builds them.
        check_json_containers(raw, limits.vertices)
        data = json.loads(raw.decode("utf-8-sig"))
    except LimitExceeded as exc:
        report.problems.append(Problem(path.name, None, "", str(exc)))
        return []
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        report.problems.append(
            Problem(path.name, None, "", _("not valid GeoJSON: %(error)s") % {"error": exc})
        )
        return []
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list):
        report.problems.append(Problem(path.name, None, "", _("not a GeoJSON FeatureCollection")))
        return []
    try:
        check_feature_count(len(features), limits.rows)
    except LimitExceeded as exc:
        report.problems.append(Problem(path.name, None, "", str(exc)))
        return []
    rows = []
    for index, feature in enumerate(features, start=1):
        props = (feature or {}).get("properties") or {}
        row = _base_row(
            path.name,
            index,
            props.get("code"),
            props.get("name"),
            props.get("level"),
            props.get("parent_code"),
            report,
        )
        if row is None:
            continue
        geometry = (feature or {}).get("geometry")
        if geometry:
            _read_geometry(row, geometry, report, crs)
        rows.append(row)
    return rows


def _read_geometry(row: AreaRow, geometry: dict, report: ImportReport, crs) -> None:
    try:
        geom = shape(geometry)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
        report.problems.append(
            Problem(row.file, row.row, "geometry", _("unreadable geometry: %(error)s") % {"error": exc})
        )
        return
    if geom.is_empty:
        report.problems.append(Problem(row.file, row.row, "geometry", _("empty geometry")))
        return
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        report.problems.append(
            Problem(
                row.file, row.row, "geometry", _("coordinates outside longitude −180…180 / latitude −90…90")
            )
        )
        return
    if geom.geom_type == "Point":
        lon, lat = crslib.to_wgs84(geom.x, geom.y, crs)
        row.point = (float(lon), float(lat))
        row.fields_given.add("point")
        return
    geom = crslib.transform_geometry(geom, crs)
    if not geom.is_valid:
        reason = explain_validity(geom)
        geom = shapely.make_valid(geom)
        report.notes.append(
            _("%(file)s:%(row)s %(code)s %(name)s: invalid boundary repaired (%(reason)s)")
            % {"file": row.file, "row": row.row, "code": row.code, "name": row.name, "reason": reason}
        )
    poly = _polygonal(geom)
    if poly is None or poly.is_empty:
        report.problems.append(
            Problem(
                row.file,
                row.row,
                "geometry",
                _("%(type)s is not a polygon boundary") % {"type": geom.geom_type},
            )
        )
        return
    row.boundary = poly
    row.fields_given.add("boundary")


def _base_row(file, index, code, name, level, parent_code, report) -> AreaRow | None:
    try:
        code = normalise_code(str(code) if code is not None else "")
    except ValueError as exc:
        report.problems.append(Problem(file, index, "code", str(exc)))
        return None
    row = AreaRow(file=file, row=index, code=code)
    name = (name or "").strip()
    if not name:
        report.problems.append(Problem(file, index, "name", _("name is empty")))
    elif len(name) > 100:
        report.problems.append(
            Problem(file, index, "name", _("name is longer than %(max)s characters") % {"max": 100})
        )
    row.name = name
    row.fields_given.add("name")
    level = (level or "").strip().lower() or infer_level(code)
    if level not in AreaLevel.values:
        report.problems.append(
            Problem(
                file,
                index,
                "level",
                _("unknown level %(level)s; use %(levels)s")
                % {"level": repr(level), "levels": ", ".join(AreaLevel.values)},
            )
        )
    elif len(code) in (9, 12) and level != infer_level(code):
        report.problems.append(
            Problem(
                file,
                index,
                "level",
                _("%(code)s has %(digits)s digits, so it is a %(expected)s, not a %(level)s")
                % {"code": code, "digits": len(code), "expected": infer_level(code), "level": level},
            )
        )
    row.level = level
    row.fields_given.add("level")
    if parent_code is not None and str(parent_code).strip() != "":
        try:
            row.parent_code = normalise_code(str(parent_code))
        except ValueError as exc:
            report.problems.append(Problem(file, index, "parent_code", str(exc)))
        row.fields_given.add("parent")
    return row


def read_csv(path: Path, report: ImportReport, crs, limits: ImportLimits) -> list[AreaRow]:
    try:
        records = list(csv_rows(path.read_bytes(), limits.rows, encoding="utf-8-sig"))
    except UndecodableText:
        report.problems.append(Problem(path.name, None, "", _("not UTF-8 text")))
        return []
    except LimitExceeded as exc:
        report.problems.append(Problem(path.name, None, "", str(exc)))
        return []
    except csv.Error as exc:
        report.problems.append(
            Problem(path.name, None, "", _("not a readable CSV (%(reason)s)") % {"reason": exc})
        )
        return []
    header = records[0] if records else []
    if "code" not in header or "name" not in header:
        report.problems.append(Problem(path.name, 1, "", _("a CSV of areas needs the columns code and name")))
        return []
    parent_column = (
        "parent_code" if "parent_code" in header else next((c for c in PARENT_COLUMNS if c in header), None)
    )
    implied_level = PARENT_COLUMNS.get(parent_column, "")
    has_point = "lon" in header and "lat" in header
    rows = []
    for index, cells in enumerate(records[1:], start=2):
        if not cells:
            continue
        if len(cells) > len(header):
            report.problems.append(Problem(path.name, index, "", _("more cells than columns")))
            continue
        raw = dict.fromkeys(header) | dict(zip(header, cells, strict=False))
        level = raw.get("level") or implied_level
        row = _base_row(
            path.name,
            index,
            raw.get("code"),
            raw.get("name"),
            level,
            raw.get(parent_column) if parent_column else None,
            report,
        )
        if row is None:
            continue
        if has_point and (raw.get("lon") or raw.get("lat")):
            try:
                lon, lat = float(raw["lon"]), float(raw["lat"])
            except (TypeError, ValueError):
                report.problems.append(Problem(path.name, index, "lon", _("lon and lat must be numbers")))
            else:
                if not bool(crslib.valid_lonlat(lon, lat)):
                    report.problems.append(
                        Problem(
                            path.name,
                            index,
                            "lon",
                            _("(%(lon)s, %(lat)s) is not a longitude/latitude") % {"lon": lon, "lat": lat},
                        )
                    )
                else:
                    wlon, wlat = crslib.to_wgs84(lon, lat, crs)
                    row.point = (float(wlon), float(wlat))
                    row.fields_given.add("point")
        rows.append(row)
    return rows


def merge_rows(rows: list[AreaRow], report: ImportReport) -> dict[str, AreaRow]:
    """One record per code; a code given in several files is merged (a CSV adds no boundary, a GeoJSON
    adds one) as long as name, level and parent agree."""
    merged: dict[str, AreaRow] = {}
    for row in rows:
        first = merged.get(row.code)
        if first is None:
            merged[row.code] = row
            continue
        if first.file == row.file:
            report.problems.append(
                Problem(
                    row.file,
                    row.row,
                    "code",
                    _("%(code)s appears twice (also row %(row)s)") % {"code": row.code, "row": first.row},
                )
            )
            continue
        for attr in ("name", "level", "parent_code"):
            a, b = getattr(first, attr), getattr(row, attr)
            if a and b and a != b:
                report.problems.append(
                    Problem(
                        row.file,
                        row.row,
                        attr,
                        _("%(code)s: %(here)s here but %(there)s in %(file)s:%(row)s")
                        % {
                            "code": row.code,
                            "here": repr(b),
                            "there": repr(a),
                            "file": first.file,
                            "row": first.row,
                        },
                    )
                )
        first.parent_code = first.parent_code or row.parent_code
        if row.boundary is not None:
            first.boundary = row.boundary
        if row.point is not None:
            first.point = row.point
        first.fields_given |= row.fields_given
    return merged


def check_parents(merged: dict[str, AreaRow], report: ImportReport) -> None:
    existing = dict(AdminArea.objects.values_list("code", "level"))
    for row in merged.values():
        if not row.parent_code:
            continue
        parent_level = (
            merged[row.parent_code].level if row.parent_code in merged else existing.get(row.parent_code)
        )
        if parent_level is None:
            report.problems.append(
                Problem(
                    row.file,
                    row.row,
                    "parent_code",
                    _(
                        "%(code)s %(name)s: unknown parent code %(parent)s "
                        "(not in these files nor in the database)"
                    )
                    % {"code": row.code, "name": row.name, "parent": row.parent_code},
                )
            )
        elif (
            row.level in AREA_LEVEL_RANK
            and AREA_LEVEL_RANK.get(parent_level, 99) >= AREA_LEVEL_RANK[row.level]
        ):
            report.problems.append(
                Problem(
                    row.file,
                    row.row,
                    "parent_code",
                    _("%(code)s: a %(level)s cannot sit beneath %(parent)s, a %(parent_level)s")
                    % {
                        "code": row.code,
                        "level": row.level,
                        "parent": row.parent_code,
                        "parent_level": parent_level,
                    },
                )
            )


@register
class AreaImporter(Importer):
    kind = "areas"
    help = "administrative areas (GeoJSON, CSV)"
    extensions = (".geojson", ".json", ".csv")

    def add_arguments(self, parser):
        parser.add_argument(
            "--crs", default="wgs84", help="coordinate system of the input: wgs84, gcj02 or bd09"
        )

    def run(self, paths, *, dry_run=False, crs="wgs84", **options) -> ImportReport:
        report = ImportReport(kind=self.kind, dry_run=dry_run)
        try:
            crs = crslib.parse_crs(crs)
        except ValueError as exc:
            report.problems.append(Problem("--crs", None, "", str(exc)))
            raise ImportFailed(report) from None
        rows: list[AreaRow] = []
        limits = ImportLimits.current()
        for path in map(Path, paths):
            if not check_file(path, self.extensions, report):
                continue
            reader = read_csv if path.suffix.lower() == ".csv" else read_geojson
            rows.extend(reader(path, report, crs, limits))
        merged = merge_rows(rows, report)
        check_parents(merged, report)
        if not merged and not report.problems:
            report.problems.append(
                Problem(", ".join(Path(p).name for p in paths), None, "", _("no areas found"))
            )
        if report.problems:
            raise ImportFailed(report)
        with transaction.atomic():
            self._write(merged, report)
            if dry_run:
                transaction.set_rollback(True)
            else:
                from citywatch.core.basemap import rebuild_after_commit

                rebuild_after_commit(report)  # the basemap's area tiles, once the areas are committed
        return report

    def _write(self, merged: dict[str, AreaRow], report: ImportReport) -> None:
        ordered = sorted(merged.values(), key=lambda r: (AREA_LEVEL_RANK[r.level], r.code))
        by_code: dict[str, AdminArea] = {}
        for row in ordered:
            fields: dict = {}
            if "name" in row.fields_given:
                fields["name"] = row.name
            if "level" in row.fields_given:
                fields["level"] = row.level
            if row.parent_code:
                fields["parent"] = by_code.get(row.parent_code) or AdminArea.objects.get(code=row.parent_code)
            if row.boundary is not None:
                boundary = GEOSGeometry(memoryview(row.boundary.wkb), srid=4326)
                fields["boundary"] = (
                    boundary if isinstance(boundary, MultiPolygon) else MultiPolygon(boundary, srid=4326)
                )
                rep = row.boundary.representative_point()
                fields["point"] = Point(rep.x, rep.y, srid=4326)
                fields["point_source"] = PointSource.BOUNDARY
            elif row.point is not None:
                fields["point"] = Point(*row.point, srid=4326)
                fields["point_source"] = PointSource.IMPORTED
            area, outcome = actions.save_area(code=row.code, **fields)
            by_code[row.code] = area
            setattr(report, outcome, getattr(report, outcome) + 1)
