"""Validation against the official CAP 1.2 schema (`data/cap12.xsd`, see data/PROVENANCE.md).

libxml2's schema errors are turned into problems that name the element (as a readable path) and the
line, with a message in the user's language; the libxml2 wording is kept in `Problem.detail`.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from django.utils.translation import pgettext_lazy
from lxml import etree

from citywatch.warnings.cap.problems import Problem, problem
from citywatch.warnings.cap.safexml import element_path, hardened_parser, local_name

SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "cap12.xsd"
DATETIME_ELEMENTS = frozenset({"sent", "effective", "onset", "expires"})

_local = threading.local()
_ELEMENT = re.compile(r"^Element '(\{[^}]*\}|)([^']+)'(?:, attribute '[^']*')?: ")
_EXPECTED = re.compile(r"Expected is(?: one of)? \( ([^)]*) \)")
_ENUMERATION = re.compile(r"The value '(.*)' is not an element of the set \{(.*)\}")
_PATTERN = re.compile(r"The value '(.*)' is not accepted by the pattern")
_ATOMIC = re.compile(r"'(.*)' is not a valid value of the (?:local )?atomic type(?: '([^']+)')?")
# Shown inside a message, so translated when the message is rendered.
TYPE_NAMES = {
    "xs:decimal": pgettext_lazy("CAP schema type", "decimal number"),
    "xs:integer": pgettext_lazy("CAP schema type", "integer"),
    "xs:anyURI": pgettext_lazy("CAP schema type", "URI"),
    "xs:language": pgettext_lazy("CAP schema type", "language tag"),
}
GENERIC_VALUE = pgettext_lazy("CAP schema type", "value")


def cap12_schema() -> etree.XMLSchema:
    """The schema, loaded once per thread (lxml validators are not shared between threads)."""
    schema = getattr(_local, "schema", None)
    if schema is None:
        schema = etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser=hardened_parser()))
        _local.schema = schema
    return schema


def _expected(message: str) -> str:
    match = _EXPECTED.search(message)
    if not match:
        return ""
    names = []
    for item in match.group(1).split(","):
        name = item.strip()
        name = name.rsplit("}", 1)[-1]
        if name == "*":
            continue  # the xmldsig wildcard: a signature may follow; not worth telling
        names.append(f"<{name}>")
    return ", ".join(names)


def _find(root: etree._Element, entry, tag: str) -> etree._Element | None:
    """The element an error is about: by libxml2's path when it resolves to that tag, else by line."""
    namespaces = {}
    for element in root.iter():
        namespaces.update({k: v for k, v in element.nsmap.items() if k})
    try:
        found = root.getroottree().xpath(entry.path, namespaces=namespaces) if entry.path else []
    except etree.XPathError:
        found = []
    if len(found) == 1 and isinstance(found[0], etree._Element) and found[0].tag == tag:
        return found[0]
    if not tag:
        return None
    on_line = [e for e in root.iter(tag) if e.sourceline == entry.line]
    return on_line[0] if on_line else None


def _problem_for(entry, root: etree._Element) -> Problem:
    message = entry.message or ""
    match = _ELEMENT.match(message)
    element = match.group(2) if match else ""
    node = _find(root, entry, match.group(1) + match.group(2) if match else "")
    path = element_path(node) if node is not None else element
    if node is not None:
        element = local_name(node.tag)
    common = {"path": path, "lineno": entry.line or None, "raw": message}

    if element in DATETIME_ELEMENTS and ("pattern" in message or "atomic type" in message):
        value = (node.text or "") if node is not None else ""
        return problem("datetime-format", element=element, value=value.strip(), **common)
    if "This element is not expected" in message:
        expected = _expected(message)
        if expected:
            return problem("schema", "schema-unexpected", element=element, expected=expected, **common)
        return problem("schema", "schema-other", element=element, detail=message, **common)
    if "Missing child element" in message:
        return problem("schema", "schema-missing", element=element, expected=_expected(message), **common)
    body = message[match.end() :] if match else message
    if m := _ENUMERATION.search(body):
        allowed = ", ".join(v.strip().strip("'") for v in m.group(2).split(","))
        return problem(
            "schema", "schema-enumeration", element=element, value=m.group(1), allowed=allowed, **common
        )
    if m := _ATOMIC.search(body):
        type_name = TYPE_NAMES.get(m.group(2) or "", m.group(2) or GENERIC_VALUE)
        return problem("schema", "schema-type", element=element, value=m.group(1), type=type_name, **common)
    if m := _PATTERN.search(body):
        return problem(
            "schema", "schema-type", element=element, value=m.group(1), type=GENERIC_VALUE, **common
        )
    return problem("schema", "schema-other", element=element, detail=message, **common)


def schema_problems(root: etree._Element) -> list[Problem]:
    """Every schema error of the document, at most one per element and line."""
    schema = cap12_schema()
    if schema.validate(root.getroottree()):
        return []
    problems: list[Problem] = []
    seen: set[tuple[str, int | None]] = set()
    for entry in schema.error_log:
        found = _problem_for(entry, root)
        key = (found.path, found.line)
        if key in seen:
            continue  # libxml2 may follow a facet error with a generic one for the same value
        seen.add(key)
        problems.append(found)
    return problems
