"""Reading: CAP bytes → a verdict (`check_alert`) or the typed model (`read_alert`).

The steps: safe parse (safexml) → root and version → the official CAP 1.2 schema → the CAP 1.2 rules →
the model. CAP 1.1 documents (namespace urn:oasis:names:tc:emergency:cap:1.1) are read under the 1.2
rules when `accept_cap11` is true: the namespace is moved to 1.2 and the deprecated certainty
"Very Likely" becomes "Likely" (the 1.1 errata's reading), both said in warnings; anything else 1.1
allowed and 1.2 does not (a resource without <mimeType>, "Z" times) is refused like any 1.2 error.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from citywatch.warnings.cap.model import (
    CAP10_NS,
    CAP11_NS,
    CAP12_NS,
    DEFAULT_LANGUAGE,
    Alert,
    Area,
    Category,
    Certainty,
    Info,
    MsgType,
    Polygon,
    Resource,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
    ValuePair,
)
from citywatch.warnings.cap.problems import CapRefused, Level, Problem, only_errors, only_warnings, problem
from citywatch.warnings.cap.rules import DSIG_SIGNATURE, child_text, q, spec_problems, text_of
from citywatch.warnings.cap.safexml import DEFAULT_MAX_BYTES, local_name, namespace_of, parse_document
from citywatch.warnings.cap.schema import schema_problems
from citywatch.warnings.cap.values import (
    parse_circle,
    parse_datetime,
    parse_reference,
    split_list,
    split_polygon,
)

DEFAULT_MAX_VERTICES = 100_000  # coordinate pairs per document, all polygons together


@dataclass(frozen=True)
class CapReport:
    """The verdict on one document: `alert` is set when no problem is an error."""

    alert: Alert | None
    problems: tuple[Problem, ...]
    cap_version: str | None  # "1.2" or "1.1" once the root was recognised
    signed: bool = False  # an XML signature is present (not verified)

    @property
    def ok(self) -> bool:
        return self.alert is not None

    @property
    def errors(self) -> tuple[Problem, ...]:
        return only_errors(self.problems)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return only_warnings(self.problems)

    @property
    def rules(self) -> tuple[str, ...]:
        """The rules that refused the document, each once, in document order."""
        return tuple(dict.fromkeys(p.rule for p in self.errors))


def check_alert(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_vertices: int = DEFAULT_MAX_VERTICES,
    accept_cap11: bool = True,
) -> CapReport:
    """Everything wrong with a CAP document, and the alert when nothing is. Never raises for content."""
    try:
        root = parse_document(data, max_bytes=max_bytes)
    except CapRefused as exc:
        return CapReport(None, exc.problems, None)

    problems: list[Problem] = []
    namespace, name = namespace_of(root.tag), local_name(root.tag)
    if name != "alert" or namespace not in (CAP12_NS, CAP11_NS, CAP10_NS):
        found = problem("not-cap", path=name, lineno=root.sourceline, element=name, namespace=namespace)
        return CapReport(None, (found,), None)
    if namespace == CAP10_NS or (namespace == CAP11_NS and not accept_cap11):
        version = "1.0" if namespace == CAP10_NS else "1.1"
        key = "cap-version-11" if accept_cap11 else "cap-version"
        return CapReport(
            None, (problem("cap-version", key, path="alert", lineno=1, version=version),), version
        )
    version = "1.2"
    if namespace == CAP11_NS:
        version = "1.1"
        problems.extend(_upgrade_cap11(root))

    problems.extend(schema_problems(root))
    problems.extend(spec_problems(root, max_vertices=max_vertices))
    signed = root.find(DSIG_SIGNATURE) is not None
    if only_errors(problems):
        return CapReport(None, tuple(problems), version, signed)
    return CapReport(alert_from_element(root), tuple(problems), version, signed)


def read_alert(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_vertices: int = DEFAULT_MAX_VERTICES,
    accept_cap11: bool = True,
) -> Alert:
    """The alert in a CAP document; raises CapRefused (with every problem) when it is refused."""
    report = check_alert(data, max_bytes=max_bytes, max_vertices=max_vertices, accept_cap11=accept_cap11)
    if report.alert is None:
        raise CapRefused(report.problems)
    return report.alert


def _upgrade_cap11(root: etree._Element) -> list[Problem]:
    found = [problem("cap11-upgraded", level=Level.WARNING, path="alert", lineno=root.sourceline)]
    for element in root.iter():
        if isinstance(element.tag, str) and namespace_of(element.tag) == CAP11_NS:
            element.tag = q(local_name(element.tag))
    for certainty in root.iter(q("certainty")):
        if text_of(certainty) == "Very Likely":
            certainty.text = "Likely"
            found.append(
                problem(
                    "certainty-very-likely",
                    level=Level.WARNING,
                    path="certainty",
                    lineno=certainty.sourceline,
                )
            )
    return found


# --- tree → model (only after the schema and the rules have passed) --------------------------------


def _optional(parent: etree._Element, name: str) -> str | None:
    return child_text(parent, name) or None


def _texts(parent: etree._Element, name: str) -> tuple[str, ...]:
    return tuple(text_of(e) for e in parent.findall(q(name)))


def _pairs(parent: etree._Element, name: str) -> tuple[ValuePair, ...]:
    return tuple(
        ValuePair(child_text(e, "valueName"), child_text(e, "value")) for e in parent.findall(q(name))
    )


def _time(parent: etree._Element, name: str):
    value = child_text(parent, name)
    return parse_datetime(value) if value else None


def _number(parent: etree._Element, name: str) -> float | None:
    value = child_text(parent, name)
    return float(value) if value else None


def _area(element: etree._Element) -> Area:
    return Area(
        area_desc=child_text(element, "areaDesc"),
        polygons=tuple(Polygon(tuple(split_polygon(text)[0])) for text in _texts(element, "polygon")),
        circles=tuple(parse_circle(text) for text in _texts(element, "circle")),
        geocodes=_pairs(element, "geocode"),
        altitude=_number(element, "altitude"),
        ceiling=_number(element, "ceiling"),
    )


def _resource(element: etree._Element) -> Resource:
    size = child_text(element, "size")
    return Resource(
        resource_desc=child_text(element, "resourceDesc"),
        mime_type=child_text(element, "mimeType"),
        size=int(size) if size else None,
        uri=_optional(element, "uri"),
        deref_uri=_optional(element, "derefUri"),
        digest=_optional(element, "digest"),
    )


def _info(element: etree._Element) -> Info:
    return Info(
        language=child_text(element, "language") or DEFAULT_LANGUAGE,
        categories=tuple(Category(v) for v in _texts(element, "category")),
        event=child_text(element, "event"),
        response_types=tuple(ResponseType(v) for v in _texts(element, "responseType")),
        urgency=Urgency(child_text(element, "urgency")),
        severity=Severity(child_text(element, "severity")),
        certainty=Certainty(child_text(element, "certainty")),
        audience=_optional(element, "audience"),
        event_codes=_pairs(element, "eventCode"),
        effective=_time(element, "effective"),
        onset=_time(element, "onset"),
        expires=_time(element, "expires"),
        sender_name=_optional(element, "senderName"),
        headline=_optional(element, "headline"),
        description=_optional(element, "description"),
        instruction=_optional(element, "instruction"),
        web=_optional(element, "web"),
        contact=_optional(element, "contact"),
        parameters=_pairs(element, "parameter"),
        resources=tuple(_resource(e) for e in element.findall(q("resource"))),
        areas=tuple(_area(e) for e in element.findall(q("area"))),
    )


def alert_from_element(root: etree._Element) -> Alert:
    """The model of a CAP 1.2 `alert` element that passed the schema and the rules."""
    return Alert(
        identifier=child_text(root, "identifier"),
        sender=child_text(root, "sender"),
        sent=parse_datetime(child_text(root, "sent")),
        status=Status(child_text(root, "status")),
        msg_type=MsgType(child_text(root, "msgType")),
        source=_optional(root, "source"),
        scope=Scope(child_text(root, "scope")),
        restriction=_optional(root, "restriction"),
        addresses=split_list(child_text(root, "addresses")),
        codes=tuple(code for code in _texts(root, "code") if code),  # an empty <code/> says nothing
        note=_optional(root, "note"),
        references=tuple(parse_reference(item) for item in child_text(root, "references").split()),
        incidents=split_list(child_text(root, "incidents")),
        infos=tuple(_info(e) for e in root.findall(q("info"))),
    )
