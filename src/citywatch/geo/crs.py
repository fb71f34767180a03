"""All coordinate-system logic in one place.

Storage is WGS-84 (EPSG:4326; CGCS2000 is the same at this precision). Input may arrive in GCJ-02
(the obfuscated system of most Chinese web maps) or BD-09 (Baidu); it is converted here, on the way in,
and the input system is recorded by the caller. Functions take and return NumPy arrays (or scalars),
so whole columns convert at once.

GCJ-02 is defined only inside China; outside the rough national bounding box it equals WGS-84, as in
every public implementation. The inverse (GCJ-02 → WGS-84) has no closed form and is solved by fixed-
point iteration to better than 1e-7° (about 1 cm).
"""

from __future__ import annotations

import enum

import numpy as np
from django.utils.translation import gettext

A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
EE = 0.00669342162296594323  # its first eccentricity squared
X_PI = np.pi * 3000.0 / 180.0


class CRS(enum.StrEnum):
    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


def parse_crs(value: str | None) -> CRS:
    """Read a CRS name as users write it: wgs84, EPSG:4326, gcj02, gcj-02, bd09, bd-09 (any case)."""
    raw = (value or "wgs84").strip().lower().replace("-", "").replace("_", "")
    aliases = {
        "wgs84": CRS.WGS84,
        "epsg:4326": CRS.WGS84,
        "4326": CRS.WGS84,
        "cgcs2000": CRS.WGS84,
        "gcj02": CRS.GCJ02,
        "bd09": CRS.BD09,
        "bd09ll": CRS.BD09,
    }
    try:
        return aliases[raw]
    except KeyError:
        raise ValueError(
            gettext("unknown coordinate system %(crs)s: use wgs84, gcj02 or bd09") % {"crs": repr(value)}
        ) from None


def in_china(lon, lat):
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _transform_lat(x, y):
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x, y):
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj_offset(lon, lat):
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon, lat):
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon, lat, tolerance: float = 1e-9, max_iter: int = 30):
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = lon.copy(), lat.copy()
    for _ in range(max_iter):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = glon - lon, glat - lat
        wlon, wlat = wlon - elon, wlat - elat
        if np.all(np.abs(elon) < tolerance) and np.all(np.abs(elat) < tolerance):
            break
    return wlon, wlat


def gcj02_to_bd09(lon, lat):
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat, tolerance: float = 1e-10, max_iter: int = 10):
    """The usual closed-form inverse (good to about 1e-6°), refined by fixed-point iteration."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * X_PI)
    glon, glat = z * np.cos(theta), z * np.sin(theta)
    for _ in range(max_iter):
        blon, blat = gcj02_to_bd09(glon, glat)
        elon, elat = blon - lon, blat - lat
        glon, glat = glon - elon, glat - elat
        if np.all(np.abs(elon) < tolerance) and np.all(np.abs(elat) < tolerance):
            break
    return glon, glat


def to_wgs84(lon, lat, crs: CRS | str):
    """Convert arrays of longitude and latitude from ``crs`` to WGS-84."""
    crs = parse_crs(crs) if not isinstance(crs, CRS) else crs
    if crs is CRS.WGS84:
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if crs is CRS.GCJ02:
        return gcj02_to_wgs84(lon, lat)
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def from_wgs84(lon, lat, crs: CRS | str):
    crs = parse_crs(crs) if not isinstance(crs, CRS) else crs
    if crs is CRS.WGS84:
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if crs is CRS.GCJ02:
        return wgs84_to_gcj02(lon, lat)
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def transform_geometry(geom, crs: CRS | str):
    """A shapely geometry converted from ``crs`` to WGS-84 (every vertex at once)."""
    import shapely

    crs = parse_crs(crs) if not isinstance(crs, CRS) else crs
    if crs is CRS.WGS84:
        return geom

    def convert(coords):
        lon, lat = to_wgs84(coords[:, 0], coords[:, 1], crs)
        return np.column_stack([lon, lat])

    return shapely.transform(geom, convert)


def valid_lonlat(lon, lat):
    """True where a longitude/latitude pair is on the globe (finite, |lon| ≤ 180, |lat| ≤ 90)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
