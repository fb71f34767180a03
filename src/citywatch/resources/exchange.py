"""The exchange files of resources: reading CSV / XLSX / GeoJSON into rows, and writing CSV / XLSX /
GeoJSON / GeoPackage exports.

Readers turn bytes into a ``Table`` (the header as written, then numbered rows); they never touch the
database, and a file they cannot read raises ``UnreadableFile`` with a message for the user; a file over
one of the import bounds (bytes unpacked, rows, cells, coordinates: ``core.limits``) raises
``LimitExceeded`` as soon as the bound is passed. The importers (``importers.py``, through
``core.importing.TableImport``) turn tables into records. The cell conventions (``neutralise``,
``unneutralise``, ``is_blank``) and ``UnreadableFile`` are ``core.importing``'s, named here too.

Writers export what ``records_for(kind, user)`` returns, i.e. only the user's jurisdiction. Tabular
formats use ``serializers.record(kind, obj, text=True)``; GeoJSON keeps lists as JSON. Spreadsheet cells
(CSV and XLSX) holding *text* that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are
prefixed with a single quote so that no spreadsheet runs them as a formula; numbers (a negative
capacity, a western longitude) are written as numbers and left alone. Importers remove that one quote
again, so an exported file re-imports unchanged.

GeoPackage is written directly with ``sqlite3`` following OGC GeoPackage 1.3 (application id, the
three required spatial reference systems, ``gpkg_contents``, ``gpkg_geometry_columns``, point geometry
blobs with the standard header); QGIS and ``ogrinfo`` open it. Kinds without a place (supply items)
become an attributes table.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import sqlite3
import struct
import typing
import warnings
import zipfile
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch.core.importing import (  # noqa: F401  (the exchange cell conventions, named here too)
    FORMULA_STARTS,
    UnreadableFile,
    is_blank,
    neutralise,
    unneutralise,
)
from citywatch.core.limits import (
    ImportLimits,
    LimitExceeded,
    UndecodableText,
    check_cells,
    check_feature_count,
    check_json_containers,
    check_zip,
    csv_rows,
    limited_rows,
)
from citywatch.resources import queries
from citywatch.resources.kinds import Kind, get_kind
from citywatch.resources.serializers import record

# Columns right of an XLSX header that are still read (a value there is reported as having no header).
SPARE_COLUMNS = 26

FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "geojson": ("application/geo+json", "geojson"),
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
}


# --- Reading ----------------------------------------------------------------------------------------


@dataclass
class Table:
    """A file as rows of cells. ``headers`` are as written ("" for a blank header cell); each row is
    (row number, cells, point). The row number is what a spreadsheet shows (the header is row 1); for
    GeoJSON it is the feature's position (1 = first feature) and ``point`` is its Point geometry."""

    headers: list[str]
    rows: list[tuple[int, list, tuple[float, float] | None]] = field(default_factory=list)
    has_geometry: bool = False
    ignored: list[str] = field(default_factory=list)
    # Spreadsheet formats: text cells may carry the quote ``neutralise`` adds (removed on import).
    spreadsheet: bool = True


def read_table(name: str, data: bytes, limits: ImportLimits | None = None) -> Table:
    """Read ``data`` by the extension of ``name``, within ``limits`` (the settings' by default).
    Raises ``UnreadableFile`` (422) or ``limits.LimitExceeded`` (413)."""
    limits = limits or ImportLimits.current()
    lower = name.lower()
    if not data:
        raise UnreadableFile(_("the file is empty"))
    if lower.endswith(".csv"):
        return read_csv(data, limits)
    if lower.endswith(".xlsx"):
        return read_xlsx(data, limits)
    if lower.endswith((".geojson", ".json")):
        return read_geojson(data, limits)
    if lower.endswith(".gpkg"):
        return read_gpkg(data, limits)
    raise UnreadableFile(_("unsupported file type; use .csv, .xlsx, .geojson or .gpkg"))


def read_csv(data: bytes, limits: ImportLimits) -> Table:
    """UTF-8 (with or without BOM), GB18030 (what Excel on a Chinese Windows writes) or UTF-16 with BOM;
    comma-separated, quoted as Excel quotes; the header is row 1. Decoded as it is read; stops at the
    row limit (blank rows count) or at an over-long cell."""
    try:
        reader = csv_rows(data, limits.rows)
        header = next(reader, None)
        if header is None:
            raise UnreadableFile(_("the file is empty"))
        table = Table(headers=[h.strip() for h in header])
        for number, cells in enumerate(reader, start=2):
            if all(is_blank(c) for c in cells):
                continue
            table.rows.append((number, cells, None))
    except UndecodableText as exc:
        raise UnreadableFile(str(exc)) from None
    except csv.Error as exc:
        raise UnreadableFile(_("not a readable CSV (%(reason)s)") % {"reason": exc}) from None
    return table


def read_xlsx(data: bytes, limits: ImportLimits) -> Table:
    """The first sheet of an Office Open XML workbook; the header is row 1; computed cells give their
    last calculated value. openpyxl parses the XML with defusedxml (installed as a dependency). The
    archive — its sizes, and the rows and elements of its XML — is bounded before openpyxl opens it
    (``check_zip``), and reading stops at the row limit (blank rows count: openpyxl also yields the rows
    missing between two that the sheet names)."""
    import openpyxl

    try:
        check_zip(data, limits.unzipped_bytes, _("workbook"), max_rows=limits.rows)
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(
            _("not a readable .xlsx workbook (%(reason)s); an old .xls must be saved as .xlsx")
            % {"reason": type(exc).__name__}
        ) from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds of errors on a bad file
            raise UnreadableFile(
                _("not a readable .xlsx workbook (%(reason)s); an old .xls must be saved as .xlsx")
                % {"reason": _reason(exc)}
            ) from None
        try:
            if not workbook.worksheets:
                raise UnreadableFile(_("the workbook has no sheet"))
            sheet = workbook.worksheets[0]
            # The stored dimension may be wrong (some writers leave "A1"); read what is there.
            sheet.reset_dimensions()
            header = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), None)
            headers = ["" if h is None else str(h).strip() for h in header or ()]
            while headers and headers[-1] == "":
                headers.pop()
            if not headers:
                raise UnreadableFile(_("row 1 of the first sheet holds no column names"))
            table = Table(headers=headers)
            # Rows are read as wide as the header plus spare columns (to find values without a
            # header); a crafted cell in column XFD cannot make every row 16,384 cells wide.
            width = len(headers) + SPARE_COLUMNS
            rows = limited_rows(sheet.iter_rows(min_row=2, max_col=width, values_only=True), limits.rows)
            for number, cells in enumerate(rows, start=2):
                if all(is_blank(c) for c in cells):
                    continue
                check_cells(number, cells)
                table.rows.append((number, list(cells), None))
        except (UnreadableFile, LimitExceeded):
            raise
        except Exception as exc:  # noqa: BLE001
            raise UnreadableFile(
                _("not a readable .xlsx workbook (%(reason)s)") % {"reason": _reason(exc)}
            ) from None
        finally:
            workbook.close()
    return table


def _reason(exc: BaseException) -> str:
    """The name of the root cause (openpyxl wraps e.g. defusedxml's EntitiesForbidden in a ValueError)."""
    seen = 0
    while exc.__cause__ is not None and seen < 10:
        exc, seen = exc.__cause__, seen + 1
    return type(exc).__name__


# Properties of the API's GeoJSON (``?format=geojson``) that are read-only: ignored on import.
API_ONLY_PROPERTIES = {"id", "area_name", "synthetic", "input_crs", "updated_at"}


def read_geojson(data: bytes, limits: ImportLimits) -> Table:
    """A FeatureCollection (or one Feature). Properties are the columns; a Point geometry gives lon/lat
    (it wins over lon/lat properties); a null geometry leaves lon/lat to the properties. The arrays and
    objects of the text are counted before it is parsed, the features after."""
    check_json_containers(data, limits.vertices)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UnreadableFile(_("not valid GeoJSON (%(reason)s)") % {"reason": type(exc).__name__}) from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        features = [doc]
    elif (
        isinstance(doc, dict)
        and doc.get("type") == "FeatureCollection"
        and isinstance(doc.get("features"), list)
    ):
        features = doc["features"]
    else:
        raise UnreadableFile(_("GeoJSON must be a FeatureCollection"))
    check_feature_count(len(features), limits.rows)
    headers: dict[str, None] = {}
    ignored: dict[str, None] = {}
    parsed = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise UnreadableFile(_("feature %(number)s is not a GeoJSON Feature") % {"number": number})
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise UnreadableFile(_("feature %(number)s: properties must be an object") % {"number": number})
        check_cells(number, props.values())
        kept = {}
        for key, value in props.items():
            key = str(key)
            if key in API_ONLY_PROPERTIES or key.endswith("_label"):
                ignored[key] = None
                continue
            headers.setdefault(key, None)
            kept[key] = value
        parsed.append((number, kept, _point_of(number, feature.get("geometry"))))
    table = Table(headers=list(headers), has_geometry=True, ignored=list(ignored), spreadsheet=False)
    for number, kept, point in parsed:
        table.rows.append((number, [kept.get(h) for h in table.headers], point))
    return table


def _point_of(number, geometry):
    if geometry is None:
        return None
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, dict) else type(geometry).__name__
        raise UnreadableFile(
            _("feature %(number)s: the geometry must be a Point, not %(type)s")
            % {"number": number, "type": kind}
        )
    coords = geometry.get("coordinates")
    if (
        not isinstance(coords, list)
        or len(coords) not in (2, 3)
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords)
    ):
        raise UnreadableFile(_("feature %(number)s: a Point needs [lon, lat]") % {"number": number})
    return float(coords[0]), float(coords[1])


# GeoPackage --------------------------------------------------------------------------------------

# application_id of GeoPackage 1.2+ ("GPKG") and of 1.0/1.1 ("GP10", "GP11").
GPKG_APPLICATION_IDS = {0x47504B47, 0x47503130, 0x47503131}
# A GeoPackage is an SQLite database from a stranger: no value longer than this, and no query that runs
# longer than this many virtual-machine steps (a crafted schema or a huge table stops here).
GPKG_MAX_VALUE_BYTES = 1_000_000
GPKG_MAX_STEPS = 200_000_000
GPKG_MAX_COLUMNS = 200
# Envelope sizes (bytes) by the envelope indicator of a GeoPackage geometry header.
GPKG_ENVELOPE = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def read_gpkg(data: bytes, limits: ImportLimits) -> Table:
    """The one table of features (a POINT geometry column in EPSG:4326) or attributes of a GeoPackage, as
    CityWatch exports them and QGIS writes them. The database is opened in memory from the bytes (no
    file, no extension loaded), read-only, with limits on value size and on work; its integer primary
    key (``fid``) and geometry column are not data columns; a Point gives lon/lat."""
    if not data.startswith(b"SQLite format 3\x00"):
        raise UnreadableFile(_("not a GeoPackage (not an SQLite database)"))
    db = sqlite3.connect(":memory:")
    steps = 0

    def progress():
        nonlocal steps
        steps += 10_000
        return steps > GPKG_MAX_STEPS

    try:
        db.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, GPKG_MAX_VALUE_BYTES)
        db.setlimit(sqlite3.SQLITE_LIMIT_COLUMN, GPKG_MAX_COLUMNS)
        db.deserialize(data)
        db.execute("PRAGMA trusted_schema = OFF")
        db.execute("PRAGMA query_only = ON")
        db.set_progress_handler(progress, 10_000)
        return _read_gpkg(db, limits)
    except sqlite3.Error as exc:
        if steps > GPKG_MAX_STEPS:
            raise UnreadableFile(_("the GeoPackage takes too long to read")) from None
        raise UnreadableFile(_("not a readable GeoPackage (%(reason)s)") % {"reason": exc}) from None
    finally:
        db.close()


def _read_gpkg(db: sqlite3.Connection, limits: ImportLimits) -> Table:
    (application_id,) = db.execute("PRAGMA application_id").fetchone()
    if application_id not in GPKG_APPLICATION_IDS:
        raise UnreadableFile(_("not a GeoPackage (an SQLite database without the GeoPackage mark)"))
    tables = db.execute(
        "SELECT c.table_name, c.data_type FROM gpkg_contents c JOIN sqlite_master m "
        "ON m.name = c.table_name AND m.type = 'table' "
        "WHERE c.data_type IN ('features', 'attributes') ORDER BY c.table_name"
    ).fetchall()
    if not tables:
        raise UnreadableFile(_("the GeoPackage holds no table of features or attributes"))
    if len(tables) > 1:
        raise UnreadableFile(
            _("the GeoPackage holds several tables (%(tables)s); import one table per file")
            % {"tables": ", ".join(t for t, _kind in tables)}
        )
    (table, data_type) = tables[0]
    geometry = None
    if data_type == "features":
        found = db.execute(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
        ).fetchone()
        if found is None:
            raise UnreadableFile(_("the GeoPackage's feature table has no geometry column"))
        geometry, srs_id = found
        if srs_id != 4326:
            raise UnreadableFile(
                _("the geometries are in EPSG:%(srs)s; save the layer as EPSG:4326 (WGS-84) first")
                % {"srs": srs_id}
            )
    columns = db.execute(f"PRAGMA table_xinfo({_quote(table)})").fetchall()
    if any(hidden for *_rest, hidden in columns):
        raise UnreadableFile(_("the GeoPackage's table has hidden or computed columns"))
    # An INTEGER PRIMARY KEY (fid) numbers the rows; it is not a CityWatch column.
    headers = [
        name for _cid, name, kind, _nn, _d, pk, _h in columns if not (pk and kind.upper() == "INTEGER")
    ]
    headers = [h for h in headers if h != geometry]
    (count,) = db.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()  # noqa: S608
    check_feature_count(count, limits.rows)
    selected = ", ".join(_quote(h) for h in ([geometry] if geometry else []) + headers)
    result = Table(headers=headers, has_geometry=geometry is not None, spreadsheet=False)
    rows = db.execute(f"SELECT {selected} FROM {_quote(table)} ORDER BY rowid")  # noqa: S608
    for number, row in enumerate(rows, start=1):
        point = _gpkg_geometry(number, row[0]) if geometry else None
        cells = list(row[1:] if geometry else row)
        for index, value in enumerate(cells):
            if isinstance(value, bytes):
                raise UnreadableFile(
                    _("row %(number)s: column %(column)s holds binary data")
                    % {"number": number, "column": headers[index]}
                )
        if all(is_blank(c) for c in cells) and point is None:
            continue
        result.rows.append((number, cells, point))
    return result


def _gpkg_geometry(number: int, blob) -> tuple[float, float] | None:
    """lon/lat of a GeoPackage geometry blob holding a Point; None for a null or empty geometry."""
    if blob is None:
        return None
    bad = UnreadableFile(_("feature %(number)s: not a GeoPackage geometry") % {"number": number})
    if not isinstance(blob, bytes) or len(blob) < 8 or blob[:2] != b"GP":
        raise bad
    flags = blob[3]
    envelope = GPKG_ENVELOPE.get((flags >> 1) & 0b111)
    if envelope is None:
        raise bad
    if flags & 0b1_0000:  # the empty-geometry flag
        return None
    wkb = blob[8 + envelope :]
    if len(wkb) < 5 or wkb[0] not in (0, 1):
        raise bad
    order = "<" if wkb[0] == 1 else ">"
    (kind,) = struct.unpack(order + "I", wkb[1:5])
    offset = 5 + (4 if kind & 0x20000000 else 0)  # EWKB with an SRID
    if (kind & 0x0FFFFFFF) % 1000 != 1:
        raise UnreadableFile(
            _("feature %(number)s: the geometry must be a Point, not %(type)s")
            % {"number": number, "type": kind}
        )
    if len(wkb) < offset + 16:
        raise bad
    x, y = struct.unpack(order + "dd", wkb[offset : offset + 16])
    if x != x or y != y:  # NaN coordinates: an empty point
        return None
    return x, y


# --- Writing ----------------------------------------------------------------------------------------


def export_records(kind_slug: str, user, fmt: str) -> tuple[bytes, str, str]:
    """Every record of the kind that ``user`` may view, as (file bytes, content type, file name).
    ``user=None`` is the operator at the command line: every record."""
    kind = get_kind(kind_slug)
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use {', '.join(FORMATS)}")
    objects = list(_queryset(kind, user).order_by("pk"))
    writer = {"csv": write_csv, "xlsx": write_xlsx, "geojson": write_geojson, "gpkg": write_gpkg}[fmt]
    content_type, extension = FORMATS[fmt]
    stamp = timezone.localtime().strftime("%Y%m%d")
    return writer(kind, objects), content_type, f"{kind.slug}-{stamp}.{extension}"


def _queryset(kind: Kind, user):
    if user is not None:
        return queries.records_for(kind, user)
    qs = kind.model.objects.all()
    related = (["area"] if kind.located else []) + [c.field for c in kind.columns if c.ref is not None]
    return qs.select_related(*related) if related else qs


def _headers(kind: Kind) -> list[str]:
    return [c.name for c in kind.all_columns]


def _text_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def write_csv(kind: Kind, objects) -> bytes:
    """UTF-8 with a BOM, so that Excel shows Chinese text correctly; CRLF line ends, as Excel writes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_headers(kind))
    for obj in objects:
        writer.writerow([_text_cell(v) for v in record(kind, obj, text=True).values()])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def write_xlsx(kind: Kind, objects) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(kind.slug[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in _headers(kind):
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    def cell(value):
        if isinstance(value, str):
            # Control characters are not allowed in XML; a neutralised string is never a formula.
            return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
        return value

    for obj in objects:
        sheet.append([cell(v) for v in record(kind, obj, text=True).values()])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _geometry(kind: Kind, obj):
    if kind.located and obj.location is not None:
        return {"type": "Point", "coordinates": [round(obj.location.x, 7), round(obj.location.y, 7)]}
    return None


def write_geojson(kind: Kind, objects) -> bytes:
    """RFC 7946 (WGS-84 lon/lat). Properties are the exchange columns; lists stay JSON lists."""
    features = [
        {"type": "Feature", "geometry": _geometry(kind, obj), "properties": record(kind, obj)}
        for obj in objects
    ]
    doc = {"type": "FeatureCollection", "name": kind.slug, "features": features}
    return json.dumps(doc, ensure_ascii=False, default=str).encode("utf-8")


# GeoPackage --------------------------------------------------------------------------------------

GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
GPKG_USER_VERSION = 10300  # 1.3.0
WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],'
    'AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,'
    'AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)
GPKG_SCHEMA = """
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
"""


def _gpkg_type(kind: Kind, column) -> str:
    if column.name in ("lon", "lat"):
        return "REAL"
    if typing.get_origin(column.api_type) is list:
        return "TEXT"
    types = set(typing.get_args(column.api_type)) or {column.api_type}
    types.discard(type(None))
    if types == {bool}:
        return "BOOLEAN"
    if types == {int}:
        return "INTEGER"
    if types == {float}:
        return "REAL"
    return "TEXT"


def _gpkg_point(x: float, y: float) -> bytes:
    """GeoPackage binary: "GP", version 0, flags (little-endian, envelope [minx, maxx, miny, maxy]),
    srs id, then ISO WKB of the point."""
    flags = 0b0000_0011  # byte order 1 = little endian; envelope indicator 1 = xy
    header = b"GP" + struct.pack("<BBi4d", 0, flags, 4326, x, x, y, y)
    return header + struct.pack("<BIdd", 1, 1, x, y)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def write_gpkg(kind: Kind, objects) -> bytes:
    table = kind.slug.replace("-", "_")
    columns = list(kind.all_columns)
    db = sqlite3.connect(":memory:")
    try:
        db.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
        db.executescript(GPKG_SCHEMA)
        db.executemany(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    "Undefined cartesian SRS",
                    -1,
                    "NONE",
                    -1,
                    "undefined",
                    "undefined cartesian coordinate reference system",
                ),
                (
                    "Undefined geographic SRS",
                    0,
                    "NONE",
                    0,
                    "undefined",
                    "undefined geographic coordinate reference system",
                ),
                (
                    "WGS 84 geodetic",
                    4326,
                    "EPSG",
                    4326,
                    WGS84_WKT,
                    "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid",
                ),
            ],
        )
        definitions = ["fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL"]
        if kind.located:
            definitions.append("geom POINT")
        definitions += [f"{_quote(c.name)} {_gpkg_type(kind, c)}" for c in columns]
        db.execute(f"CREATE TABLE {_quote(table)} ({', '.join(definitions)})")
        rows, xs, ys = [], [], []
        for obj in objects:
            values = []
            for value in record(kind, obj, text=True).values():
                if isinstance(value, bool):
                    value = int(value)
                elif value is not None and not isinstance(value, int | float | str):
                    value = str(value)
                values.append(value)
            if kind.located:
                geom = None
                if obj.location is not None:
                    x, y = obj.location.x, obj.location.y
                    xs.append(x)
                    ys.append(y)
                    geom = _gpkg_point(x, y)
                values.insert(0, geom)
            rows.append(values)
        names = (["geom"] if kind.located else []) + [_quote(c.name) for c in columns]
        # Identifiers come from the kinds table (not from users) and are quoted; values are parameters.
        insert = f"INSERT INTO {_quote(table)} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"  # noqa: S608
        db.executemany(insert, rows)
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        label = str(kind.label)
        if kind.located:
            bbox = (min(xs), min(ys), max(xs), max(ys)) if xs else (None, None, None, None)
            db.execute(
                "INSERT INTO gpkg_contents VALUES (?, 'features', ?, ?, ?, ?, ?, ?, ?, 4326)",
                (table, table, label, now, *bbox),
            )
            db.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'POINT', 4326, 0, 0)", (table,))
        else:
            db.execute(
                "INSERT INTO gpkg_contents VALUES (?, 'attributes', ?, ?, ?, NULL, NULL, NULL, NULL, NULL)",
                (table, table, label, now),
            )
        db.commit()
        return db.serialize()
    finally:
        db.close()
