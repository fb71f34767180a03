"""Writing: the model → CAP 1.2 XML (UTF-8), checked by the reader before it is returned.

Elements are written in the schema's order, optional ones only when set. Times keep their own offset
(UTC as -00:00) at one-second resolution (microseconds are dropped); numbers are written as the
shortest decimal that reads back as the same float, so `read_alert(write_alert(a)) == a` for any alert
whose text fields have no leading or trailing whitespace (the reader strips it). Rounding coordinates
is the job of `geometry.polygons_from_geometry`, not of the writer.

A value that cannot be written at all (a naive datetime, a character XML cannot carry, a list item with
a double quote) raises ValueError; a model that writes but breaks a CAP rule (an identifier with a
space, a polygon that does not close, an Update without references...) raises CapWriteError with the
same problems the reader would give, so CityWatch never publishes CAP it would itself refuse.
"""

from __future__ import annotations

from lxml import etree

from citywatch.warnings.cap.model import CAP12_NS, Alert, Area, Info, Resource, ValuePair
from citywatch.warnings.cap.problems import CapWriteError
from citywatch.warnings.cap.reader import DEFAULT_MAX_VERTICES, check_alert
from citywatch.warnings.cap.safexml import DEFAULT_MAX_BYTES
from citywatch.warnings.cap.values import (
    format_circle,
    format_datetime,
    format_number,
    format_polygon,
    format_reference,
    join_list,
)


def _q(name: str) -> str:
    return f"{{{CAP12_NS}}}{name}"


def _add(parent: etree._Element, name: str, text: str | None) -> None:
    if text is None or text == "":
        return
    etree.SubElement(parent, _q(name)).text = text


def _pairs(parent: etree._Element, name: str, pairs: tuple[ValuePair, ...]) -> None:
    for pair in pairs:
        element = etree.SubElement(parent, _q(name))
        etree.SubElement(element, _q("valueName")).text = pair.value_name
        etree.SubElement(element, _q("value")).text = pair.value


def _resource(parent: etree._Element, resource: Resource) -> None:
    element = etree.SubElement(parent, _q("resource"))
    etree.SubElement(element, _q("resourceDesc")).text = resource.resource_desc
    etree.SubElement(element, _q("mimeType")).text = resource.mime_type
    _add(element, "size", None if resource.size is None else str(resource.size))
    _add(element, "uri", resource.uri)
    _add(element, "derefUri", resource.deref_uri)
    _add(element, "digest", resource.digest)


def _area(parent: etree._Element, area: Area) -> None:
    element = etree.SubElement(parent, _q("area"))
    etree.SubElement(element, _q("areaDesc")).text = area.area_desc
    for polygon in area.polygons:
        _add(element, "polygon", format_polygon(polygon.points))
    for circle in area.circles:
        _add(element, "circle", format_circle(circle))
    _pairs(element, "geocode", area.geocodes)
    _add(element, "altitude", None if area.altitude is None else format_number(area.altitude))
    _add(element, "ceiling", None if area.ceiling is None else format_number(area.ceiling))


def _time(value) -> str | None:
    return None if value is None else format_datetime(value)


def _info(parent: etree._Element, info: Info) -> None:
    element = etree.SubElement(parent, _q("info"))
    _add(element, "language", info.language)
    for category in info.categories:
        _add(element, "category", str(category))
    etree.SubElement(element, _q("event")).text = info.event
    for response_type in info.response_types:
        _add(element, "responseType", str(response_type))
    _add(element, "urgency", str(info.urgency))
    _add(element, "severity", str(info.severity))
    _add(element, "certainty", str(info.certainty))
    _add(element, "audience", info.audience)
    _pairs(element, "eventCode", info.event_codes)
    _add(element, "effective", _time(info.effective))
    _add(element, "onset", _time(info.onset))
    _add(element, "expires", _time(info.expires))
    _add(element, "senderName", info.sender_name)
    _add(element, "headline", info.headline)
    _add(element, "description", info.description)
    _add(element, "instruction", info.instruction)
    _add(element, "web", info.web)
    _add(element, "contact", info.contact)
    _pairs(element, "parameter", info.parameters)
    for resource in info.resources:
        _resource(element, resource)
    for area in info.areas:
        _area(element, area)


def alert_element(alert: Alert) -> etree._Element:
    """The `alert` element (not yet checked: use `write_alert` for output)."""
    root = etree.Element(_q("alert"), nsmap={None: CAP12_NS})
    etree.SubElement(root, _q("identifier")).text = alert.identifier
    etree.SubElement(root, _q("sender")).text = alert.sender
    etree.SubElement(root, _q("sent")).text = format_datetime(alert.sent)
    etree.SubElement(root, _q("status")).text = str(alert.status)
    etree.SubElement(root, _q("msgType")).text = str(alert.msg_type)
    _add(root, "source", alert.source)
    etree.SubElement(root, _q("scope")).text = str(alert.scope)
    _add(root, "restriction", alert.restriction)
    _add(root, "addresses", join_list(alert.addresses) if alert.addresses else None)
    for code in alert.codes:
        _add(root, "code", code)
    _add(root, "note", alert.note)
    _add(root, "references", " ".join(format_reference(r) for r in alert.references) or None)
    _add(root, "incidents", join_list(alert.incidents) if alert.incidents else None)
    for info in alert.infos:
        _info(root, info)
    return root


def write_alert(
    alert: Alert,
    *,
    pretty: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_vertices: int = DEFAULT_MAX_VERTICES,
) -> bytes:
    """The alert as a CAP 1.2 document (UTF-8 bytes) that passes `check_alert` with the same bounds."""
    data = etree.tostring(alert_element(alert), xml_declaration=True, encoding="UTF-8", pretty_print=pretty)
    report = check_alert(data, max_bytes=max_bytes, max_vertices=max_vertices, accept_cap11=False)
    if not report.ok:
        raise CapWriteError(report.errors)
    return data
