"""CAP 1.2 (OASIS Common Alerting Protocol, 通用告警协议) in and out, safely. No Django models here.

Reading::

    report = check_alert(data)          # never raises for content; report.ok, .alert, .errors, .warnings
    alert = read_alert(data)            # the Alert, or CapRefused with .problems (each names its rule)

Writing::

    area = area_from_geometry("思明区", shapely_geometry, geocodes=(division_geocode("350203"),))
    info = signal_info(language="zh-CN", level="orange", observed=True, event="暴雨", areas=(area,), ...)
    data = write_alert(Alert(identifier=..., sender=..., sent=..., status=Status.ACTUAL,
                             msg_type=MsgType.ALERT, scope=Scope.PUBLIC, infos=(info_zh, info_en)))

Feeds: `read_feed` (Atom 1.0 / RSS 2.0 index or "fat" feeds), `write_atom_feed`, `alert_path`;
fetching: `fetch`, `conditional_headers`. See docs/architecture.md, "CAP in and out".
"""

from citywatch.warnings.cap.feeds import Feed, FeedEntry, alert_path, read_feed, write_atom_feed
from citywatch.warnings.cap.fetching import FetchResult, conditional_headers, fetch
from citywatch.warnings.cap.geometry import (
    DEFAULT_CIRCLE_SEGMENTS,
    DEFAULT_DECIMALS,
    DEFAULT_RING_VERTICES,
    area_from_geometry,
    area_geometry,
    circle_geometry,
    polygon_geometry,
    polygons_from_geometry,
)
from citywatch.warnings.cap.levels import (
    GEOCODE_GBT2260,
    SIGNAL_LEVEL_PARAMETER,
    SignalLevel,
    cap_terms,
    division_codes,
    division_geocode,
    signal_info,
    signal_level,
)
from citywatch.warnings.cap.model import (
    CAP12_NS,
    CAP_MIME_TYPE,
    Alert,
    Area,
    Category,
    Certainty,
    Circle,
    Info,
    LatLon,
    MsgType,
    Polygon,
    Reference,
    Resource,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
    ValuePair,
)
from citywatch.warnings.cap.problems import (
    CapError,
    CapRefused,
    CapWriteError,
    FeedRefused,
    FetchFailed,
    Level,
    Problem,
)
from citywatch.warnings.cap.reader import DEFAULT_MAX_VERTICES, CapReport, check_alert, read_alert
from citywatch.warnings.cap.safexml import DEFAULT_MAX_BYTES
from citywatch.warnings.cap.values import format_datetime, parse_datetime, valid_identifier
from citywatch.warnings.cap.writer import write_alert

__all__ = [
    "CAP12_NS",
    "CAP_MIME_TYPE",
    "DEFAULT_CIRCLE_SEGMENTS",
    "DEFAULT_DECIMALS",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_VERTICES",
    "DEFAULT_RING_VERTICES",
    "GEOCODE_GBT2260",
    "SIGNAL_LEVEL_PARAMETER",
    "Alert",
    "Area",
    "CapError",
    "CapRefused",
    "CapReport",
    "CapWriteError",
    "Category",
    "Certainty",
    "Circle",
    "Feed",
    "FeedEntry",
    "FeedRefused",
    "FetchFailed",
    "FetchResult",
    "Info",
    "LatLon",
    "Level",
    "MsgType",
    "Polygon",
    "Problem",
    "Reference",
    "Resource",
    "ResponseType",
    "Scope",
    "Severity",
    "SignalLevel",
    "Status",
    "Urgency",
    "ValuePair",
    "alert_path",
    "area_from_geometry",
    "area_geometry",
    "cap_terms",
    "check_alert",
    "circle_geometry",
    "conditional_headers",
    "division_codes",
    "division_geocode",
    "fetch",
    "format_datetime",
    "parse_datetime",
    "polygon_geometry",
    "polygons_from_geometry",
    "read_alert",
    "read_feed",
    "signal_info",
    "signal_level",
    "valid_identifier",
    "write_alert",
    "write_atom_feed",
]
