"""The lexical forms CAP 1.2 gives its values (section 3.3 and the element notes of section 3.2).

Each `parse_*` raises ValueError on a value that breaks the form; each `format_*` writes the form the
standard asks for, so that `parse_x(format_x(v)) == v`.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from citywatch.warnings.cap.model import Circle, LatLon, Reference

# 3.3.2: YYYY-MM-DDThh:mm:ssXzh:zm, no "Z", no fractions. (The official schema's pattern says [-,+].)
DATETIME_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)([-+])(\d\d):(\d\d)$")
# 3.2.1 identifier and sender: "MUST NOT include spaces, commas or restricted characters (< and &)".
FORBIDDEN_IN_ID = re.compile(r"[\s,<&]")
NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
PAIR_RE = re.compile(rf"^({NUMBER}),({NUMBER})$")
CIRCLE_RE = re.compile(rf"^({NUMBER}),({NUMBER})\s+(\+?(?:\d+(?:\.\d*)?|\.\d+))$")
LIST_ITEM_RE = re.compile(r'"([^"]*)"|([^\s"]+)')


def parse_datetime(text: str) -> datetime:
    """A CAP date-time as an aware datetime with the offset written (24:00:00 is the next midnight)."""
    match = DATETIME_RE.match(text.strip())
    if not match:
        raise ValueError(f"not a CAP date-time: {text!r}")
    year, month, day, hour, minute, second, sign, off_h, off_m = match.groups()
    offset = timedelta(hours=int(off_h), minutes=int(off_m))
    if offset > timedelta(hours=14):
        raise ValueError(f"offset out of range: {text!r}")
    tz = timezone(-offset if sign == "-" else offset)
    extra = timedelta(0)
    if hour == "24" and minute == "00" and second == "00":
        hour, extra = "00", timedelta(days=1)
    return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz) + extra


def format_datetime(value: datetime) -> str:
    """CAP's form, with the datetime's own offset; UTC is written -00:00 (3.2.1, <sent>)."""
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("CAP times must be aware datetimes")
    if offset % timedelta(minutes=1) or abs(offset) > timedelta(hours=14):
        value, offset = value.astimezone(UTC), timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes > 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:"
        f"{value.second:02d}{sign}{hours:02d}:{mins:02d}"
    )


def valid_identifier(text: str) -> bool:
    """True for a usable `identifier` or `sender`: not empty, no whitespace, comma, < or &."""
    return bool(text) and not FORBIDDEN_IN_ID.search(text)


def format_number(value: float) -> str:
    """The shortest decimal that reads back as the same float, never in exponent form."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def parse_pair(token: str) -> LatLon:
    match = PAIR_RE.match(token)
    if not match:
        raise ValueError(f"not a latitude,longitude pair: {token!r}")
    return LatLon(float(match.group(1)), float(match.group(2)))


def format_pair(point: LatLon) -> str:
    return f"{format_number(point.lat)},{format_number(point.lon)}"


def split_polygon(text: str) -> tuple[list[LatLon], list[str], list[str]]:
    """(pairs read, tokens that are not pairs, tokens read despite a trailing comma)."""
    points: list[LatLon] = []
    bad: list[str] = []
    irregular: list[str] = []
    for token in text.split():
        core = token.rstrip(",")
        if core != token and core:
            irregular.append(token)
        try:
            points.append(parse_pair(core))
        except ValueError:
            bad.append(token)
    return points, bad, irregular


def format_polygon(points: tuple[LatLon, ...]) -> str:
    return " ".join(format_pair(p) for p in points)


def parse_circle(text: str) -> Circle:
    match = CIRCLE_RE.match(text.strip())
    if not match:
        raise ValueError(f"not a CAP circle: {text!r}")
    return Circle(LatLon(float(match.group(1)), float(match.group(2))), float(match.group(3)))


def format_circle(circle: Circle) -> str:
    if not circle.radius_km >= 0:
        raise ValueError("a circle's radius must not be negative")
    return f"{format_pair(circle.center)} {format_number(circle.radius_km)}"


def in_range(point: LatLon) -> bool:
    return -90 <= point.lat <= 90 and -180 <= point.lon <= 180


def parse_reference(item: str) -> Reference:
    """One `references` item, `sender,identifier,sent`."""
    parts = item.split(",")
    if len(parts) != 3 or not valid_identifier(parts[0]) or not valid_identifier(parts[1]):
        raise ValueError(f"not a sender,identifier,sent triple: {item!r}")
    return Reference(parts[0], parts[1], parse_datetime(parts[2]))


def format_reference(reference: Reference) -> str:
    if not (valid_identifier(reference.sender) and valid_identifier(reference.identifier)):
        raise ValueError(f"reference with an invalid sender or identifier: {reference!r}")
    return f"{reference.sender},{reference.identifier},{format_datetime(reference.sent)}"


def split_list(text: str) -> tuple[str, ...]:
    """A space-delimited group listing (addresses, incidents); items with spaces in double quotes."""
    if text.count('"') % 2:
        raise ValueError("unbalanced double quote")
    return tuple(quoted or bare for quoted, bare in LIST_ITEM_RE.findall(text) if quoted or bare)


def join_list(items: tuple[str, ...]) -> str:
    out = []
    for item in items:
        if not item or '"' in item:
            raise ValueError(f"a list item must be non-empty and free of double quotes: {item!r}")
        out.append(f'"{item}"' if re.search(r"\s", item) else item)
    return " ".join(out)
