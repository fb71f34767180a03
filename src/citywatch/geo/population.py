"""Population grid: persons per cell as compact arrays with a bucket index; sums in a radius or polygon.

Input (``citywatch import population FILE``):

* a GeoTIFF of persons per cell (WorldPop and the like) in any coordinate system GDAL reads: band 1
  by default; cells that are nodata (the file's nodata value, its mask, or ``--nodata``) or NaN are
  left out; each remaining cell is represented by its centre, reprojected to WGS-84 with GDAL
  (``rasterio.warp.transform``); a negative count is an error (usually an undeclared nodata value);
* a CSV of ``lon,lat,persons`` (a header row is optional; ``longitude``/``lng``/``x``,
  ``latitude``/``y`` and ``population``/``pop``/``count``/``value`` are understood; ``--crs`` gcj02 or
  bd09 converts through ``geo/crs.py``).

Both are read within bounds: the raster's size (``MAX_RASTER_CELLS``), read in strips of rows, and the
populated cells or CSV rows of one file (``max_cells``, from ``CITYWATCH_POPULATION_MAX_CELLS``).

Cells with 0 persons are dropped (they change no sum), so the stored total equals the file's total
over its valid cells; the import checks that and records it in the manifest.

Storage (``DATA_DIR/population/current/``, see ``geo/store.py``): ``lon`` f8, ``lat`` f8, ``persons`` f8,
sorted by bucket, and ``offsets`` i8 — a regular lon/lat bucket grid (about 64 cells per bucket) where
the cells of bucket ``b = iy * nx + ix`` are ``offsets[b]:offsets[b + 1]``. A query reads only the
buckets that overlap the circle's or polygon's bounding box: one contiguous slice per bucket row,
gathered without a Python loop, then an exact test on those cells — never a scan of the whole grid.

* ``within_radius(lonlat, radius_m)``: persons in cells whose centre is within ``radius_m``
  (great-circle) of the point;
* ``within_polygon(polygon)``: persons in cells whose centre is inside or on the boundary of a shapely
  (Multi)Polygon in WGS-84 (``shapely.intersects_xy`` on the candidates).

The grid must not straddle the ±180° meridian.
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from django.utils.translation import gettext

from citywatch.geo import crs as crslib
from citywatch.geo import store
from citywatch.geo.distance import EARTH_RADIUS_M, haversine_m

KIND = "population"
FORMAT_VERSION = 1
ARRAYS = ("lon", "lat", "persons", "offsets")
TARGET_PER_BUCKET = 64
MAX_BUCKETS = 4_000_000
MAX_RASTER_CELLS = 400_000_000
# Cells read per strip of a GeoTIFF, and populated cells (GeoTIFF) or rows (CSV) read from one file by
# default (the importer passes CITYWATCH_POPULATION_MAX_CELLS).
STRIP_CELLS = 4_000_000
DEFAULT_MAX_CELLS = 20_000_000
TRANSFORM_CHUNK = 2_000_000
MAX_LISTED_PROBLEMS = 20

LON_NAMES = ("lon", "lng", "long", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")
PERSON_NAMES = ("persons", "population", "pop", "count", "value", "people")


class PopulationImportError(Exception):
    """A file that cannot be imported; ``problems`` lists (row or None, message)."""

    def __init__(self, problems: list[tuple[int | None, str]]):
        super().__init__("; ".join(message for _row, message in problems[:3]))
        self.problems = problems


@dataclass
class PopulationPoints:
    lon: np.ndarray
    lat: np.ndarray
    persons: np.ndarray
    file_total: float
    info: dict = field(default_factory=dict)


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total <= 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(np.asarray(starts, dtype=np.int64) - np.cumsum(counts) + counts, counts)
    return offsets + np.arange(total, dtype=np.int64)


class PopulationGrid(store.StoredArrays):
    """Persons at points (cell centres) with a bucket index for radius and polygon sums."""

    ARRAYS = ARRAYS
    FORMAT_VERSION = FORMAT_VERSION
    LABEL = "population grid"

    def __init__(self, arrays: dict[str, np.ndarray], manifest: dict, path: Path | None = None):
        self.arrays = arrays
        self.manifest = manifest
        self.path = path
        self.lon = arrays["lon"]
        self.lat = arrays["lat"]
        self.persons = arrays["persons"]
        self.offsets = arrays["offsets"]
        index = manifest["index"]
        self.lon0 = float(index["lon0"])
        self.lat0 = float(index["lat0"])
        self.bucket_deg = float(index["bucket_deg"])
        self.nx = int(index["nx"])
        self.ny = int(index["ny"])

    # --- construction and storage -------------------------------------------------------------
    @classmethod
    def from_points(cls, lon, lat, persons, manifest: dict | None = None, bucket_deg: float | None = None):
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        persons = np.asarray(persons, dtype=np.float64)
        keep = persons > 0
        if not keep.all():
            lon, lat, persons = lon[keep], lat[keep], persons[keep]
        n = len(lon)
        if n:
            lon0, lat0 = float(lon.min()), float(lat.min())
            span_lon = max(float(lon.max()) - lon0, 1e-9)
            span_lat = max(float(lat.max()) - lat0, 1e-9)
        else:
            lon0 = lat0 = 0.0
            span_lon = span_lat = 1e-9
        if bucket_deg is None:
            bucket_deg = float(np.sqrt(span_lon * span_lat * TARGET_PER_BUCKET / max(n, 1)))
            bucket_deg = min(max(bucket_deg, 1e-4), 1.0)
        while (span_lon / bucket_deg + 1) * (span_lat / bucket_deg + 1) > MAX_BUCKETS:
            bucket_deg *= 1.5
        nx = int(span_lon // bucket_deg) + 1
        ny = int(span_lat // bucket_deg) + 1
        ix = np.clip(((lon - lon0) / bucket_deg).astype(np.int64), 0, nx - 1)
        iy = np.clip(((lat - lat0) / bucket_deg).astype(np.int64), 0, ny - 1)
        key = iy * nx + ix
        order = np.argsort(key, kind="stable")
        offsets = np.zeros(nx * ny + 1, dtype=np.int64)
        np.cumsum(np.bincount(key, minlength=nx * ny), out=offsets[1:])
        arrays = {"lon": lon[order], "lat": lat[order], "persons": persons[order], "offsets": offsets}
        info = dict(manifest or {})
        info.update(
            format=FORMAT_VERSION,
            cells=int(n),
            total=float(persons.sum(dtype=np.float64)),
            index={"lon0": lon0, "lat0": lat0, "bucket_deg": bucket_deg, "nx": nx, "ny": ny},
        )
        if n:
            info["bbox"] = [lon0, lat0, float(lon.max()), float(lat.max())]
        return cls(arrays, info)

    # --- queries -------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return int(len(self.lon))

    @property
    def total(self) -> float:
        return float(self.manifest["total"])

    def _candidates(self, lon_lo, lat_lo, lon_hi, lat_hi) -> np.ndarray:
        """Indices of the cells in the buckets overlapping a lon/lat box (a superset of the box)."""
        b = self.bucket_deg
        iy0 = max(int(np.floor((lat_lo - self.lat0) / b)), 0)
        iy1 = min(int(np.floor((lat_hi - self.lat0) / b)), self.ny - 1)
        ix0 = max(int(np.floor((lon_lo - self.lon0) / b)), 0)
        ix1 = min(int(np.floor((lon_hi - self.lon0) / b)), self.nx - 1)
        if iy1 < iy0 or ix1 < ix0 or self.size == 0:
            return np.zeros(0, dtype=np.int64)
        rows = np.arange(iy0, iy1 + 1, dtype=np.int64) * self.nx
        starts = np.asarray(self.offsets[rows + ix0])
        ends = np.asarray(self.offsets[rows + ix1 + 1])
        return _ranges(starts, ends - starts)

    def cells_within_radius(self, lonlat, radius_m: float) -> np.ndarray:
        """Indices (into the stored arrays) of the cells whose centre is within ``radius_m``."""
        lon, lat = (float(v) for v in np.asarray(lonlat, dtype=float).reshape(2))
        if not radius_m >= 0:
            raise ValueError("radius must be a non-negative number of metres")
        dlat = np.degrees(radius_m / EARTH_RADIUS_M)
        edge = min(max(abs(lat - dlat), abs(lat + dlat)), 89.999)
        dlon = np.degrees(radius_m / (EARTH_RADIUS_M * np.cos(np.radians(edge))))
        idx = self._candidates(lon - dlon, lat - dlat, lon + dlon, lat + dlat)
        if len(idx) == 0:
            return idx
        dist = haversine_m(lon, lat, self.lon[idx], self.lat[idx])
        return idx[dist <= radius_m]

    def within_radius(self, lonlat, radius_m: float) -> float:
        """Persons in cells whose centre is within ``radius_m`` metres of ``lonlat``."""
        idx = self.cells_within_radius(lonlat, radius_m)
        return float(np.asarray(self.persons)[idx].sum(dtype=np.float64)) if len(idx) else 0.0

    def cells_within_polygon(self, polygon) -> np.ndarray:
        if polygon is None or shapely.is_empty(polygon):
            return np.zeros(0, dtype=np.int64)
        lon_lo, lat_lo, lon_hi, lat_hi = shapely.bounds(polygon)
        idx = self._candidates(lon_lo, lat_lo, lon_hi, lat_hi)
        if len(idx) == 0:
            return idx
        shapely.prepare(polygon)
        inside = shapely.intersects_xy(polygon, np.asarray(self.lon[idx]), np.asarray(self.lat[idx]))
        return idx[inside]

    def within_polygon(self, polygon) -> float:
        """Persons in cells whose centre lies in (or on the edge of) a WGS-84 (Multi)Polygon."""
        idx = self.cells_within_polygon(polygon)
        return float(np.asarray(self.persons)[idx].sum(dtype=np.float64)) if len(idx) else 0.0


# --- reading files ---------------------------------------------------------------------------------
def _too_many_cells(name: str, max_cells: int) -> PopulationImportError:
    return PopulationImportError(
        [
            (
                None,
                gettext("%(name)s has more than %(max)s populated cells; clip it to the area first")
                % {"name": name, "max": f"{max_cells:,}"},
            )
        ]
    )


def read_geotiff(
    path: Path, band: int = 1, nodata: float | None = None, max_cells: int = DEFAULT_MAX_CELLS
) -> PopulationPoints:
    """Cells above 0 as points. The raster is read in strips of rows (a compressed GeoTIFF may unpack to
    far more than its size), keeping only the populated cells, and reading stops once there are more
    than ``max_cells`` of them; rasters over ``MAX_RASTER_CELLS`` are refused before any read."""
    import rasterio
    from rasterio.errors import RasterioIOError
    from rasterio.warp import transform as warp_transform
    from rasterio.windows import Window

    name = Path(path).name
    try:
        src = rasterio.open(path)
    except RasterioIOError as exc:
        raise PopulationImportError([(None, f"not a raster GDAL can read: {exc}")]) from None
    with src:
        if src.crs is None:
            raise PopulationImportError([(None, "the raster has no coordinate reference system")])
        if not 1 <= band <= src.count:
            raise PopulationImportError([(None, f"band {band} does not exist (the file has {src.count})")])
        if src.width * src.height > MAX_RASTER_CELLS:
            raise PopulationImportError(
                [(None, f"{src.width}×{src.height} cells is too large; clip it to the area first")]
            )
        strip = max(1, STRIP_CELLS // max(src.width, 1))
        file_total, negative, kept = 0.0, 0, 0
        parts_rows, parts_cols, parts_persons = [], [], []
        for top in range(0, src.height, strip):
            height = min(strip, src.height - top)
            data = src.read(band, masked=True, window=Window(0, top, src.width, height))
            values = np.ma.getdata(data).astype(np.float64, copy=False)
            valid = ~np.ma.getmaskarray(data) & np.isfinite(values)
            if nodata is not None:
                valid &= values != nodata
            negative += int(np.count_nonzero(valid & (values < 0)))
            file_total += float(values[valid].sum(dtype=np.float64))
            rows, cols = np.nonzero(valid & (values > 0))
            kept += len(rows)
            if kept > max_cells:
                raise _too_many_cells(name, max_cells)
            parts_rows.append(rows + top)
            parts_cols.append(cols)
            parts_persons.append(values[rows, cols])
        if negative:
            raise PopulationImportError(
                [
                    (
                        None,
                        f"{negative} cells have a negative count (nodata is {src.nodata!r}); "
                        "give the file's nodata value with --nodata",
                    )
                ]
            )
        rows = np.concatenate(parts_rows) if parts_rows else np.zeros(0, dtype=np.int64)
        cols = np.concatenate(parts_cols) if parts_cols else np.zeros(0, dtype=np.int64)
        persons = np.concatenate(parts_persons) if parts_persons else np.zeros(0)
        t = src.transform
        xs = t.a * (cols + 0.5) + t.b * (rows + 0.5) + t.c
        ys = t.d * (cols + 0.5) + t.e * (rows + 0.5) + t.f
        epsg = src.crs.to_epsg()
        crs_text = f"EPSG:{epsg}" if epsg else src.crs.to_string()
        if epsg == 4326:
            lon, lat = xs, ys
        else:
            lon = np.empty(len(xs))
            lat = np.empty(len(ys))
            for start in range(0, len(xs), TRANSFORM_CHUNK):  # a few chunks, each transformed in C
                stop = start + TRANSFORM_CHUNK
                lo, la = warp_transform(src.crs, "EPSG:4326", xs[start:stop], ys[start:stop])
                lon[start:stop], lat[start:stop] = lo, la
        info = {
            "format": "GeoTIFF",
            "crs": crs_text,
            "width": src.width,
            "height": src.height,
            "band": band,
            "nodata": nodata if nodata is not None else src.nodata,
            "cell_size": [abs(t.a), abs(t.e)],
        }
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        raise PopulationImportError(
            [(None, f"{int(bad.sum())} cell centres of {name} could not be placed in WGS-84")]
        )
    return PopulationPoints(lon, lat, persons, file_total, info)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_csv(path: Path, crs: str = "wgs84", max_cells: int = DEFAULT_MAX_CELLS) -> PopulationPoints:
    """``lon,lat,persons`` rows; reading stops after ``max_cells`` rows (one more is an error)."""
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = next(csv.reader(handle), None)
    except (csv.Error, UnicodeDecodeError) as exc:
        message = gettext("not a readable CSV (%(reason)s)") % {"reason": exc}
        raise PopulationImportError([(1, message)]) from None
    if not first:
        raise PopulationImportError([(None, "the file is empty")])
    cells = [c.strip() for c in first]
    has_header = not all(_is_number(c) for c in cells[:3] if c)
    if has_header:
        lowered = [c.lower() for c in cells]

        def find(names, label):
            for candidate in names:
                if candidate in lowered:
                    return lowered.index(candidate)
            raise PopulationImportError([(1, f"no {label} column (one of {', '.join(names)})")])

        columns = (find(LON_NAMES, "longitude"), find(LAT_NAMES, "latitude"), find(PERSON_NAMES, "persons"))
    else:
        if len(cells) < 3:
            raise PopulationImportError([(1, "expected three columns: lon,lat,persons")])
        columns = (0, 1, 2)
    skip = 1 if has_header else 0
    try:
        with warnings.catch_warnings():
            # With max_rows, NumPy warns about blank and comment lines (it counts rows, not lines).
            warnings.filterwarnings("ignore", message="Input line .* contained no data", category=UserWarning)
            table = np.loadtxt(
                path,
                delimiter=",",
                skiprows=skip,
                usecols=columns,
                ndmin=2,
                dtype=np.float64,
                encoding="utf-8-sig",
                max_rows=max_cells + 1,
            )
    except ValueError:
        raise PopulationImportError(_csv_problems(path, columns, skip)) from None
    if len(table) > max_cells:
        message = gettext("%(name)s has more than %(max)s rows; split the file")
        raise PopulationImportError([(None, message % {"name": path.name, "max": f"{max_cells:,}"})])
    lon, lat, persons = table[:, 0], table[:, 1], table[:, 2]
    problems: list[tuple[int | None, str]] = []
    bad_place = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    bad_count = ~np.isfinite(persons) | (persons < 0)
    # Row numbers are line numbers (header = 1) assuming no blank lines; reported for the first few.
    for row in np.flatnonzero(bad_place)[:MAX_LISTED_PROBLEMS]:
        problems.append((int(row) + skip + 1, "longitude/latitude out of range"))
    for row in np.flatnonzero(bad_count)[:MAX_LISTED_PROBLEMS]:
        problems.append((int(row) + skip + 1, "persons must be a number ≥ 0"))
    more = int(bad_place.sum() + bad_count.sum()) - len(problems)
    if more > 0:
        problems.append((None, f"and {more} more rows with problems"))
    if problems:
        raise PopulationImportError(problems)
    system = crslib.parse_crs(crs)
    if system is not crslib.CRS.WGS84:
        lon, lat = crslib.to_wgs84(lon, lat, system)
    info = {"format": "CSV", "crs": str(system), "rows": int(len(lon))}
    return PopulationPoints(lon, lat, persons, float(persons.sum(dtype=np.float64)), info)


def _csv_problems(path: Path, columns, skip: int) -> list[tuple[int | None, str]]:
    """Row-by-row diagnosis, run only when the vectorised parse failed."""
    problems: list[tuple[int | None, str]] = []
    with open(path, encoding="utf-8-sig", newline="", errors="replace") as handle:
        rows = csv.reader(handle)
        for line_no, row in enumerate(_until_csv_error(rows, problems), start=1):
            if line_no <= skip or not row or not "".join(row).strip():
                continue
            if len(row) <= max(columns):
                problems.append((line_no, f"expected at least {max(columns) + 1} columns"))
            else:
                for col, label in zip(columns, ("longitude", "latitude", "persons"), strict=True):
                    if not _is_number(row[col].strip()):
                        problems.append((line_no, f"{label} {row[col]!r} is not a number"))
            if len(problems) >= MAX_LISTED_PROBLEMS:
                problems.append((None, "further rows not checked"))
                break
    return problems or [(None, "the file could not be read as lon,lat,persons numbers")]


def _until_csv_error(rows, problems: list):
    """The rows of a csv reader until one it cannot read (an over-long cell), which becomes a problem."""
    try:
        yield from rows
    except csv.Error as exc:
        problems.append((None, gettext("not a readable CSV (%(reason)s)") % {"reason": exc}))


def read_population_file(
    path: Path,
    *,
    band: int = 1,
    nodata: float | None = None,
    crs: str = "wgs84",
    max_cells: int = DEFAULT_MAX_CELLS,
):
    suffix = Path(path).suffix.lower()
    if suffix in (".tif", ".tiff"):
        return read_geotiff(path, band=band, nodata=nodata, max_cells=max_cells)
    if suffix == ".csv":
        return read_csv(path, crs=crs, max_cells=max_cells)
    raise PopulationImportError([(None, f"unsupported file type {suffix or '(none)'}")])


# --- the published grid, once per process ----------------------------------------------------------


def population_dir(root: Path | None = None) -> Path:
    return store.kind_dir(KIND, root)


def current_population(root: Path | None = None) -> PopulationGrid | None:
    """The grid published in ``DATA_DIR/population`` (memory-mapped, cached, reloaded on change)."""
    return store.load_current(population_dir(root), PopulationGrid)


def population_within_radius(lonlat, radius_m: float) -> float | None:
    """Persons within ``radius_m`` of a point, from the published grid (None when there is none)."""
    grid = current_population()
    return None if grid is None else grid.within_radius(lonlat, radius_m)


def population_within(polygon) -> float | None:
    """Persons inside a WGS-84 (Multi)Polygon, e.g. an isochrone (None when no grid is published)."""
    grid = current_population()
    return None if grid is None else grid.within_polygon(polygon)


MAX_HEAT_CELLS = 20_000
MAX_HEAT_GRID = 2_000_000


class TooManyCells(ValueError):
    """A heat map that would have more than ``MAX_HEAT_CELLS`` cells."""


@dataclass(frozen=True)
class HeatCell:
    """One aggregated cell of a heat map: its persons-weighted centre and its persons."""

    lon: float
    lat: float
    persons: int


@dataclass
class HeatMap:
    """Persons aggregated into square-ish cells of ``cell_m`` metres (``cells`` empty and ``total`` None
    when no grid is published)."""

    cells: list[HeatCell]
    total: int | None
    synthetic: bool
    cell_m: float | None


def heat_map(bbox: tuple[float, float, float, float] | None = None, cell_m: float = 1000.0) -> HeatMap:
    """The published grid inside ``bbox`` (minlon, minlat, maxlon, maxlat; all of it if None), summed into
    cells of about ``cell_m`` metres; cells holding less than half a person are left out. Raises
    ``TooManyCells`` beyond ``MAX_HEAT_CELLS`` cells."""
    grid = current_population()
    if grid is None:
        return HeatMap([], None, False, None)
    lon, lat, persons = np.asarray(grid.lon), np.asarray(grid.lat), np.asarray(grid.persons)
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        keep = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
        lon, lat, persons = lon[keep], lat[keep], persons[keep]
    cells: list[HeatCell] = []
    if len(lon):
        step_lat = cell_m / 111_320.0
        step_lon = step_lat / max(np.cos(np.radians(float(lat.mean()))), 0.1)
        ix = np.floor((lon - lon.min()) / step_lon).astype(np.int64)
        iy = np.floor((lat - lat.min()) / step_lat).astype(np.int64)
        key = iy * (ix.max() + 1) + ix
        if (ix.max() + 1) * (iy.max() + 1) > MAX_HEAT_GRID or len(np.unique(key)) > MAX_HEAT_CELLS:
            raise TooManyCells(f"more than {MAX_HEAT_CELLS} cells")
        _uniq, inverse = np.unique(key, return_inverse=True)
        sums = np.bincount(inverse, weights=persons)
        cx = np.bincount(inverse, weights=lon * persons) / np.maximum(sums, 1e-9)
        cy = np.bincount(inverse, weights=lat * persons) / np.maximum(sums, 1e-9)
        cells = [
            HeatCell(round(float(x), 6), round(float(y), 6), int(round(p)))
            for x, y, p in zip(cx, cy, sums, strict=True)
            if p >= 0.5
        ]
    return HeatMap(
        cells, int(round(float(np.sum(grid.persons)))), bool(grid.manifest.get("synthetic", False)), cell_m
    )
