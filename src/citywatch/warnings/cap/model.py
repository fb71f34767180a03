"""The CAP 1.2 message as typed, immutable values.

Names follow the standard (OASIS CAP 1.2, section 3.2) in Python spelling: `msgType` is `msg_type`,
repeated elements are tuples named in the plural (`infos`, `areas`, `polygons`, `geocodes`, ...). Every
`info` block (all languages), every `area`, every polygon, circle, geocode, parameter, event code and
resource is kept, in document order.

Coordinates are kept as CAP writes them, latitude first (`LatLon`); `geometry()` gives shapely
geometries in WGS-84 longitude/latitude order. Times are aware datetimes with the offset the document
gave; CAP has one-second resolution. Optional text that is absent (or empty) is `None`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

CAP12_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP11_NS = "urn:oasis:names:tc:emergency:cap:1.1"
CAP10_NS = "http://www.incident.com/cap/1.0"
CAP_MIME_TYPE = "application/cap+xml"
DEFAULT_LANGUAGE = "en-US"  # the schema's default for <language>


class Status(enum.StrEnum):
    ACTUAL = "Actual"
    EXERCISE = "Exercise"
    SYSTEM = "System"
    TEST = "Test"
    DRAFT = "Draft"


class MsgType(enum.StrEnum):
    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"
    ACK = "Ack"
    ERROR = "Error"


class Scope(enum.StrEnum):
    PUBLIC = "Public"
    RESTRICTED = "Restricted"
    PRIVATE = "Private"


class Category(enum.StrEnum):
    GEO = "Geo"
    MET = "Met"
    SAFETY = "Safety"
    SECURITY = "Security"
    RESCUE = "Rescue"
    FIRE = "Fire"
    HEALTH = "Health"
    ENV = "Env"
    TRANSPORT = "Transport"
    INFRA = "Infra"
    CBRNE = "CBRNE"
    OTHER = "Other"


class ResponseType(enum.StrEnum):
    SHELTER = "Shelter"
    EVACUATE = "Evacuate"
    PREPARE = "Prepare"
    EXECUTE = "Execute"
    AVOID = "Avoid"
    MONITOR = "Monitor"
    ASSESS = "Assess"
    ALL_CLEAR = "AllClear"
    NONE = "None"


class Urgency(enum.StrEnum):
    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class Severity(enum.StrEnum):
    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class Certainty(enum.StrEnum):
    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


class LatLon(NamedTuple):
    """A WGS-84 coordinate pair in CAP's order: latitude, then longitude (decimal degrees)."""

    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class ValuePair:
    """`eventCode`, `parameter` and `geocode` are all valueName/value pairs."""

    value_name: str
    value: str


@dataclass(frozen=True, slots=True)
class Reference:
    """One `references` item: the extended message identifier `sender,identifier,sent`."""

    sender: str
    identifier: str
    sent: datetime


@dataclass(frozen=True, slots=True)
class Polygon:
    """A closed ring of at least four pairs, the first equal to the last (CAP has no holes)."""

    points: tuple[LatLon, ...]

    def geometry(self, *, repair: bool = True) -> BaseGeometry:
        from citywatch.warnings.cap.geometry import polygon_geometry

        return polygon_geometry(self, repair=repair)


@dataclass(frozen=True, slots=True)
class Circle:
    center: LatLon
    radius_km: float

    def geometry(self, *, segments: int | None = None) -> BaseGeometry:
        from citywatch.warnings.cap.geometry import DEFAULT_CIRCLE_SEGMENTS, circle_geometry

        return circle_geometry(self, segments=segments or DEFAULT_CIRCLE_SEGMENTS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Area:
    area_desc: str
    polygons: tuple[Polygon, ...] = ()
    circles: tuple[Circle, ...] = ()
    geocodes: tuple[ValuePair, ...] = ()
    altitude: float | None = None  # feet above mean sea level (WGS-84), as CAP says
    ceiling: float | None = None

    def geometry(self, *, segments: int | None = None) -> BaseGeometry | None:
        """The union of the polygons and circles (lon/lat), or None when the area has neither."""
        from citywatch.warnings.cap.geometry import DEFAULT_CIRCLE_SEGMENTS, area_geometry

        return area_geometry(self, segments=segments or DEFAULT_CIRCLE_SEGMENTS)

    def geocode_values(self, value_name: str) -> tuple[str, ...]:
        return tuple(g.value for g in self.geocodes if g.value_name == value_name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    resource_desc: str
    mime_type: str
    size: int | None = None
    uri: str | None = None
    deref_uri: str | None = None  # base64 content, as in the document
    digest: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Info:
    categories: tuple[Category, ...]
    event: str
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    language: str = DEFAULT_LANGUAGE
    response_types: tuple[ResponseType, ...] = ()
    audience: str | None = None
    event_codes: tuple[ValuePair, ...] = ()
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: tuple[ValuePair, ...] = ()
    resources: tuple[Resource, ...] = ()
    areas: tuple[Area, ...] = ()

    def parameter_values(self, value_name: str) -> tuple[str, ...]:
        return tuple(p.value for p in self.parameters if p.value_name == value_name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    identifier: str
    sender: str
    sent: datetime
    status: Status
    msg_type: MsgType
    scope: Scope
    source: str | None = None
    restriction: str | None = None
    addresses: tuple[str, ...] = ()  # space-delimited in XML; items with spaces in double quotes
    codes: tuple[str, ...] = ()
    note: str | None = None
    references: tuple[Reference, ...] = ()
    incidents: tuple[str, ...] = ()
    infos: tuple[Info, ...] = ()

    def infos_in(self, language: str) -> tuple[Info, ...]:
        """The info blocks in a language, matched on the primary subtag ("zh" finds zh-CN and zh-Hans)."""
        wanted = language.lower().split("-")[0]
        return tuple(i for i in self.infos if i.language.lower().split("-")[0] == wanted)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.language for i in self.infos))
