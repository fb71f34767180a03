"""The CAP 1.2 rules that the XML schema cannot express (OASIS CAP 1.2, section 3.2 element notes).

Each finding names its rule. Errors refuse the document; warnings are kept for the person importing it.
The checks read the parsed tree and tolerate missing or malformed elements, so that one pass reports
everything at once even when the schema has already failed.

| rule | level | CAP 1.2 says |
|---|---|---|
| identifier-format, sender-format | error | 3.2.1: MUST NOT include spaces, commas or < and & |
| datetime-format | error | 3.2.1/3.3.2: YYYY-MM-DDThh:mm:ssXzh:zm, "Z" MUST NOT be used |
| utc-offset-plus | warning | 3.2.1 <sent>: UTC MUST be -00:00 (+00:00 is common: accepted, said once) |
| references-required | error | 3.2.1 <msgType>: Update/Cancel/Ack/Error act on the <references> |
| references-format | error | 3.2.1 <references>: whitespace-separated sender,identifier,sent |
| references-self | error | a message cannot refer to itself |
| references-postdated | warning | a referenced message sent after this one |
| restriction-required | error | 3.2.1 <restriction>: used when <scope> is Restricted |
| restriction-unused | warning | <restriction> with another scope |
| addresses-required | error | 3.2.1 <addresses>: required when <scope> is Private |
| list-quoting | error | 3.2.1 <addresses>/<incidents>: items with whitespace in double quotes |
| note-for-error | warning | 3.2.1 <msgType> Error: explanation SHOULD appear in <note> |
| expires-before-onset, expires-before-effective | error | <expires> before the start (default: <sent>) |
| web-uri | error | 3.2.2 <web>: a full absolute URI |
| mime-type-format | error | 3.2.3 <mimeType>: RFC 2046 media type |
| resource-uri | error | 3.2.3 <uri>: absolute, or relative naming the content of <derefUri> |
| deref-uri-base64 | error | 3.2.3 <derefUri>: base-64 encoded content |
| resource-size | error | 3.2.3 <size>: a size in bytes |
| polygon-format, -points, -closed | error | 3.2.4 <polygon>: lat,lon pairs; at least 4; first = last |
| polygon-self-intersection | warning | (a crossing ring; repaired when read) |
| coordinate-separator | warning | a pair followed by a stray comma, read anyway |
| circle-format | error | 3.2.4 <circle>: "lat,lon radius", radius in km |
| coordinate-range | error | WGS 84 decimal degrees |
| ceiling-without-altitude | error | 3.2.4 <ceiling>: MUST NOT be used except with <altitude> |
| altitude-above-ceiling | error | the lower limit above the upper |
| vertex-limit | error | CityWatch's bound on coordinate pairs per document |
| signature-not-verified | warning | an XML signature is present and is not verified |
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import urlsplit

from lxml import etree
from shapely.geometry import Polygon as ShapelyPolygon

from citywatch.warnings.cap.model import CAP12_NS, LatLon
from citywatch.warnings.cap.problems import Level, Problem, problem
from citywatch.warnings.cap.safexml import element_path
from citywatch.warnings.cap.values import (
    DATETIME_RE,
    in_range,
    parse_circle,
    parse_datetime,
    parse_reference,
    split_list,
    split_polygon,
    valid_identifier,
)

DSIG_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
NEEDS_REFERENCES = ("Update", "Cancel", "Ack", "Error")
DATETIMES = ("sent", "effective", "onset", "expires")
MIME_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;.*)?$")
MAX_BAD_TOKENS = 3  # per polygon: enough to see the pattern


def q(name: str) -> str:
    return f"{{{CAP12_NS}}}{name}"


def text_of(element: etree._Element | None) -> str:
    return "".join(element.itertext()).strip() if element is not None else ""


def child_text(parent: etree._Element, name: str) -> str:
    return text_of(parent.find(q(name)))


def at(element: etree._Element) -> dict[str, object]:
    return {"path": element_path(element), "lineno": element.sourceline}


def count_pairs(root: etree._Element) -> int:
    return sum(len(text_of(p).split()) for p in root.iter(q("polygon")))


def _time(parent: etree._Element, name: str):
    value = child_text(parent, name)
    if not DATETIME_RE.match(value):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def _alert_problems(root: etree._Element) -> list[Problem]:
    found: list[Problem] = []
    for name in ("identifier", "sender"):
        element = root.find(q(name))
        if element is not None and not valid_identifier(text_of(element)):
            found.append(problem(f"{name}-format", value=text_of(element), **at(element)))

    plus_utc = next((e for e in root.iter(*map(q, DATETIMES)) if text_of(e).endswith("+00:00")), None)
    if plus_utc is not None:  # said once: common in real feeds, and unambiguous
        found.append(
            problem(
                "utc-offset-plus",
                level=Level.WARNING,
                element=etree.QName(plus_utc).localname,
                **at(plus_utc),
            )
        )

    msg_type = child_text(root, "msgType")
    references = root.find(q("references"))
    if msg_type in NEEDS_REFERENCES and not text_of(references):
        anchor = references if references is not None else root.find(q("msgType"))
        found.append(problem("references-required", msg_type=msg_type, **at(anchor)))
    if text_of(references):
        sent = _time(root, "sent")
        own = (child_text(root, "sender"), child_text(root, "identifier"))
        for item in text_of(references).split():
            try:
                reference = parse_reference(item)
            except ValueError:
                found.append(problem("references-format", value=item, **at(references)))
                continue
            if (reference.sender, reference.identifier) == own:
                found.append(problem("references-self", value=item, **at(references)))
            elif sent is not None and reference.sent > sent:
                found.append(
                    problem("references-postdated", level=Level.WARNING, value=item, **at(references))
                )

    scope = child_text(root, "scope")
    restriction = root.find(q("restriction"))
    if scope == "Restricted" and not text_of(restriction):
        found.append(problem("restriction-required", **at(restriction if restriction is not None else root)))
    if scope in ("Public", "Private") and text_of(restriction):
        found.append(problem("restriction-unused", level=Level.WARNING, scope=scope, **at(restriction)))
    addresses = root.find(q("addresses"))
    if scope == "Private" and not text_of(addresses):
        found.append(problem("addresses-required", **at(addresses if addresses is not None else root)))
    for name in ("addresses", "incidents"):
        element = root.find(q(name))
        if element is not None:
            try:
                split_list(text_of(element))
            except ValueError:
                found.append(problem("list-quoting", element=name, **at(element)))

    if msg_type == "Error" and not child_text(root, "note"):
        found.append(problem("note-for-error", level=Level.WARNING, **at(root)))
    if root.find(DSIG_SIGNATURE) is not None:
        found.append(problem("signature-not-verified", level=Level.WARNING, **at(root.find(DSIG_SIGNATURE))))
    return found


def _info_problems(root: etree._Element, info: etree._Element) -> list[Problem]:
    found: list[Problem] = []
    expires_element = info.find(q("expires"))
    expires = _time(info, "expires")
    if expires is not None:
        for start in ("onset", "effective"):
            begins = _time(info, start)
            if begins is not None and expires < begins:
                found.append(
                    problem(
                        f"expires-before-{start}",
                        expires=child_text(info, "expires"),
                        **{start: child_text(info, start)},
                        **at(expires_element),
                    )
                )
        sent = _time(root, "sent")
        if info.find(q("effective")) is None and sent is not None and expires < sent:
            found.append(
                problem(
                    "expires-before-effective",
                    "expires-before-sent",
                    expires=child_text(info, "expires"),
                    sent=child_text(root, "sent"),
                    **at(expires_element),
                )
            )

    web = info.find(q("web"))
    if web is not None and not _absolute_uri(text_of(web)):
        found.append(problem("web-uri", value=text_of(web), **at(web)))

    for resource in info.iter(q("resource")):
        found.extend(_resource_problems(resource))
    for area in info.iter(q("area")):
        found.extend(_area_problems(area))
    return found


def _absolute_uri(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and not re.search(r"\s", value)


def _resource_problems(resource: etree._Element) -> list[Problem]:
    found: list[Problem] = []
    mime = resource.find(q("mimeType"))
    if mime is not None and not MIME_TYPE.match(text_of(mime)):
        found.append(problem("mime-type-format", value=text_of(mime), **at(mime)))
    deref = resource.find(q("derefUri"))
    uri = resource.find(q("uri"))
    if uri is not None and text_of(uri) and not _absolute_uri(text_of(uri)) and not text_of(deref):
        found.append(problem("resource-uri", value=text_of(uri), **at(uri)))
    if deref is not None:
        try:
            base64.b64decode("".join(text_of(deref).split()), validate=True)
        except (binascii.Error, ValueError):
            found.append(problem("deref-uri-base64", **at(deref)))
    size = resource.find(q("size"))
    if size is not None and text_of(size).startswith("-"):
        found.append(problem("resource-size", **at(size)))
    return found


def _area_problems(area: etree._Element) -> list[Problem]:
    found: list[Problem] = []
    for polygon in area.iter(q("polygon")):
        found.extend(_polygon_problems(polygon))
    for circle in area.iter(q("circle")):
        try:
            parsed = parse_circle(text_of(circle))
        except ValueError:
            found.append(problem("circle-format", value=text_of(circle), **at(circle)))
            continue
        if not in_range(parsed.center):
            found.append(
                problem(
                    "coordinate-range",
                    element="circle",
                    lat=parsed.center.lat,
                    lon=parsed.center.lon,
                    **at(circle),
                )
            )
    altitude, ceiling = area.find(q("altitude")), area.find(q("ceiling"))
    if ceiling is not None and altitude is None:
        found.append(problem("ceiling-without-altitude", **at(ceiling)))
    if altitude is not None and ceiling is not None:
        try:
            low, high = float(text_of(altitude)), float(text_of(ceiling))
        except ValueError:
            pass  # the schema has said so
        else:
            if low > high:
                found.append(
                    problem(
                        "altitude-above-ceiling",
                        altitude=text_of(altitude),
                        ceiling=text_of(ceiling),
                        **at(ceiling),
                    )
                )
    return found


def _polygon_problems(polygon: etree._Element) -> list[Problem]:
    found: list[Problem] = []
    where = at(polygon)
    points, bad, irregular = split_polygon(text_of(polygon))
    for token in bad[:MAX_BAD_TOKENS]:
        found.append(problem("polygon-format", value=token, **where))
    for token in irregular[:1]:
        found.append(
            problem("coordinate-separator", level=Level.WARNING, element="polygon", value=token, **where)
        )
    if bad:
        return found
    if len(points) < 4:
        found.append(problem("polygon-points", count=len(points), **where))
    elif points[0] != points[-1]:
        found.append(
            problem(
                "polygon-closed",
                first=f"{points[0].lat},{points[0].lon}",
                last=f"{points[-1].lat},{points[-1].lon}",
                **where,
            )
        )
    outside = next((p for p in points if not in_range(p)), None)
    if outside is not None:
        found.append(
            problem("coordinate-range", element="polygon", lat=outside.lat, lon=outside.lon, **where)
        )
    if not found and _crosses_itself(points):
        found.append(problem("polygon-self-intersection", level=Level.WARNING, **where))
    return found


def _crosses_itself(points: list[LatLon]) -> bool:
    ring = ShapelyPolygon([(p.lon, p.lat) for p in points])
    return not ring.is_valid


def spec_problems(root: etree._Element, *, max_vertices: int) -> list[Problem]:
    """Every finding of the rules above for a CAP 1.2 `alert` element."""
    pairs = count_pairs(root)
    if pairs > max_vertices:
        return [
            problem("vertex-limit", count=pairs, limit=max_vertices, path="alert", lineno=root.sourceline)
        ]
    found = _alert_problems(root)
    for info in root.iter(q("info")):
        found.extend(_info_problems(root, info))
    return found
