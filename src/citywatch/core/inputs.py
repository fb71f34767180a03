"""Reading what people and machines send: numbers, quantities, points, polygons and times, once.

Every reader takes the raw value and a ``label`` — the name the user knows the field by (a translated
verbose name such as 死亡人数, or the code name an API client sent) — and returns the Python value or raises
``Invalid`` (422) with a message in the request's language naming that label. Actions, API handlers,
forms and importers all read through here, so the same value is accepted or refused with the same words
everywhere. Bounds are part of every reader: no number, polygon or date is unbounded.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal, InvalidOperation

from django.contrib.gis.gdal import GDALException
from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Point, Polygon
from django.utils import timezone
from django.utils.translation import gettext as _

from citywatch.core.errors import Invalid
from citywatch.geo import crs as crslib

MAX_COUNT = 10**7
MAX_QUANTITY = Decimal("1e10")
MAX_VERTICES = 100_000


def number(value, label, *, integer: bool = False, minimum=None, maximum=None) -> Decimal | int:
    """A finite number (a ``Decimal``; an ``int`` with ``integer``); text is read as written."""
    if isinstance(value, bool) or value is None or value == "":
        raise Invalid(_("%(name)s must be a number") % {"name": label})
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Invalid(
            _("%(name)s: %(value)s is not a number") % {"name": label, "value": repr(value)}
        ) from None
    if not result.is_finite():
        raise Invalid(_("%(name)s must be a finite number") % {"name": label})
    if integer and result != result.to_integral_value():
        raise Invalid(_("%(name)s must be a whole number") % {"name": label})
    if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
        raise Invalid(
            _("%(name)s must be between %(min)s and %(max)s")
            % {"name": label, "min": _figure(minimum), "max": _figure(maximum)}
        )
    return int(result) if integer else result


def count(value, label) -> int:
    """A count of people or things: a whole number from 0 to 10,000,000."""
    return number(value, label, integer=True, minimum=0, maximum=MAX_COUNT)


def optional_float(value, label) -> float | None:
    """A number as a float, or None for a blank value (a file cell left empty)."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    return float(number(value, label))


def quantity(value, label=None, *, signed: bool = False) -> Decimal:
    """A quantity of supplies: at most 3 decimal places and 10^10; positive unless ``signed`` (an
    adjustment may be negative, never zero)."""
    label = label or _("quantity")
    result = number(value, label)
    if result.as_tuple().exponent < -3:
        raise Invalid(_("%(name)s has more than 3 decimal places") % {"name": label})
    if abs(result) > MAX_QUANTITY:
        raise Invalid(_("%(name)s is too large") % {"name": label})
    if not signed and result <= 0:
        raise Invalid(_("%(name)s must be positive") % {"name": label})
    return result


def _figure(value) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def lonlat(lon, lat) -> tuple[float, float]:
    """Two numbers that are a longitude and a latitude (swapped ones are named as such)."""
    lon, lat = float(number(lon, "lon")), float(number(lat, "lat"))
    if not bool(crslib.valid_lonlat(lon, lat)):
        message = (
            _("(%(lon)s, %(lat)s) is not a longitude/latitude (lon and lat look swapped)")
            if bool(crslib.valid_lonlat(lat, lon))
            else _("(%(lon)s, %(lat)s) is not a longitude/latitude")
        )
        raise Invalid(message % {"lon": lon, "lat": lat})
    return lon, lat


def coordinate_system(value) -> crslib.CRS:
    try:
        return crslib.parse_crs(value or "wgs84")
    except ValueError:
        raise Invalid(
            _("unknown coordinate system %(crs)s: use wgs84, gcj02 or bd09") % {"crs": repr(value)}
        ) from None


def to_wgs84(lon: float, lat: float, crs) -> tuple[float, float]:
    """A point given in ``crs`` as WGS-84; a conversion that leaves the valid range is Invalid."""
    system = crs if isinstance(crs, crslib.CRS) else coordinate_system(crs)
    wlon, wlat = (float(v) for v in crslib.to_wgs84(lon, lat, system))
    if not bool(crslib.valid_lonlat(wlon, wlat)):
        raise Invalid(_("(%(lon)s, %(lat)s) is not a longitude/latitude") % {"lon": lon, "lat": lat})
    return wlon, wlat


def point(lon, lat, crs="wgs84") -> Point:
    """A WGS-84 point from a longitude and latitude given in ``crs`` (wgs84, gcj02 or bd09)."""
    x, y = lonlat(lon, lat)
    system = coordinate_system(crs)
    return Point(*to_wgs84(x, y, system), srid=4326)


def lonlat_pair(text: str, label: str) -> tuple[float, float]:
    """``"lon,lat"`` as two numbers that are a longitude and a latitude."""
    parts = str(text).split(",")
    if len(parts) != 2:
        raise Invalid(_("%(name)s must be lon,lat") % {"name": label})
    try:
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        raise Invalid(_("%(name)s must be two numbers: lon,lat") % {"name": label}) from None
    if not bool(crslib.valid_lonlat(lon, lat)):
        raise Invalid(_("%(name)s is not a longitude/latitude") % {"name": label})
    return lon, lat


def bbox(value: str) -> Polygon:
    """``minlon,minlat,maxlon,maxlat`` in WGS-84 → a polygon. Raises ValueError (it serves filter sets,
    whose validators speak pydantic) with a clear message."""
    parts = value.split(",")
    if len(parts) != 4:
        raise ValueError("bbox must be minlon,minlat,maxlon,maxlat")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        raise ValueError("bbox must be four numbers") from None
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise ValueError("bbox must have -180 ≤ minlon < maxlon ≤ 180 and -90 ≤ minlat < maxlat ≤ 90")
    return Polygon.from_bbox((minx, miny, maxx, maxy))


def multipolygon(value, label, *, max_vertices: int = MAX_VERTICES) -> MultiPolygon | None:
    """A GeoJSON Polygon or MultiPolygon (dict or text) as a valid WGS-84 MultiPolygon; None for none."""
    if value in (None, "", {}):
        return None
    if isinstance(value, str) and len(value) > max_vertices * 60:
        raise Invalid(
            _("%(name)s has too many vertices (at most %(max)s)") % {"name": label, "max": max_vertices}
        )
    try:
        geom = GEOSGeometry(json.dumps(value) if isinstance(value, dict) else str(value), srid=4326)
    except (GEOSException, GDALException, ValueError, TypeError):
        raise Invalid(_("%(name)s is not a GeoJSON Polygon or MultiPolygon") % {"name": label}) from None
    if geom.geom_type == "Polygon":
        geom = MultiPolygon(geom, srid=4326)
    if geom.geom_type != "MultiPolygon":
        raise Invalid(
            _("%(name)s must be a Polygon or MultiPolygon, not %(type)s")
            % {"name": label, "type": geom.geom_type}
        )
    if geom.num_coords > max_vertices:
        raise Invalid(
            _("%(name)s has too many vertices (at most %(max)s)") % {"name": label, "max": max_vertices}
        )
    if not geom.valid:
        raise Invalid(
            _("%(name)s is not a valid polygon: %(reason)s") % {"name": label, "reason": geom.valid_reason}
        )
    minx, miny, maxx, maxy = geom.extent
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise Invalid(_("%(name)s is outside longitude/latitude bounds") % {"name": label})
    geom.srid = 4326
    return geom


def aware(value: datetime.datetime | None, label, *, years: tuple[int, int] = (2000, 2100)):
    """An aware datetime; one without an offset is read in the city's time zone (TIME_ZONE). Years outside
    ``years`` are refused (a year 1 or 9999 would break arithmetic and the databases' ranges)."""
    if value is None:
        return None
    if not years[0] <= value.year <= years[1]:
        raise Invalid(
            _("%(name)s must be between the years %(first)s and %(last)s")
            % {"name": label, "first": years[0], "last": years[1]}
        )
    return timezone.make_aware(value) if timezone.is_naive(value) else value


LOCAL_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?")


def local_datetime(raw: str, label, *, required: bool = True):
    """A form's ``datetime-local`` text ("2026-12-06T08:00") read in the city's time zone."""
    raw = (raw or "").strip()
    if not raw:
        if required:
            raise Invalid(_("%(field)s is required.") % {"field": label})
        return None
    try:
        if not LOCAL_DATETIME.fullmatch(raw):
            raise ValueError(raw)
        value = datetime.datetime.fromisoformat(raw)
        if not 2000 <= value.year <= 2100:
            raise ValueError(raw)
    except ValueError:
        raise Invalid(
            _("%(field)s is not a valid date and time (YYYY-MM-DD HH:MM).") % {"field": label}
        ) from None
    return timezone.make_aware(value)


def identifier(raw, *, maximum: int = 2**63 - 1) -> int | None:
    """A row id from a form or a path: a positive whole number, else None."""
    text = str(raw or "").strip()
    if not re.fullmatch(r"[0-9]{1,19}", text):
        return None
    value = int(text)
    return value if 0 < value <= maximum else None


def text(value, label, *, maximum: int, required: bool = False, strip: bool = True) -> str:
    """Free text as typed (stripped unless ``strip`` is false): at most ``maximum`` characters, no NUL
    character (no database column holds one); ``required``: not blank. None reads as blank."""
    result = "" if value is None else str(value)
    if strip:
        result = result.strip()
    if required and not result.strip():
        raise Invalid(_("%(field)s is required.") % {"field": label})
    if "\x00" in result:
        raise Invalid(_("%(name)s contains a NUL character") % {"name": label})
    if len(result) > maximum:
        raise Invalid(
            _("%(name)s must be at most %(max)s characters") % {"name": label, "max": _figure(maximum)}
        )
    return result
