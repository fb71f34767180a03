"""Bytes → an lxml element, safely, or a refusal that says why.

In this order, before libxml2 sees a byte:
1. the size is checked against the limit;
2. the character encoding is found (byte order mark, else the XML declaration, else UTF-8), must be one
   of `ACCEPTED_ENCODINGS`, and the whole document must decode in it;
3. the prolog is scanned: a `<!DOCTYPE` is refused, and the refusal says whether it declared external
   entities (XXE), internal entities (expansion bombs) or just a DTD.
Only then is the document parsed, by lxml with entity resolution, DTD loading, DTD validation and
network access off and libxml2's default depth and text-size bounds on (`hardened_parser`). XInclude is
never processed, `xsi:schemaLocation` never followed, and processing instructions (stylesheets) never run.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from citywatch.warnings.cap.problems import CapError, CapRefused, problem

DEFAULT_MAX_BYTES = 1024 * 1024

# Python codec names (codecs.lookup(...).name) accepted in an XML declaration or by byte order mark.
ACCEPTED_ENCODINGS = frozenset(
    {
        "utf-8",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "ascii",
        "iso8859-1",
        "iso8859-15",
        "cp1252",
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
    }
)

_WS = rb"[ \t\r\n]"
_DECLARATION = re.compile(
    rb"^<\?xml" + _WS + rb"+version" + _WS + rb"*=" + _WS + rb"*([\"'])1\.[0-9]+\1"
    rb"(?:" + _WS + rb"+encoding" + _WS + rb"*=" + _WS + rb"*([\"'])([A-Za-z][A-Za-z0-9._-]*)\2)?"
)
_DECLARATION_TEXT = re.compile(_DECLARATION.pattern.decode("ascii"))
_ENTITY = re.compile(r"<!ENTITY\s")
_EXTERNAL_ENTITY = re.compile(r"<!ENTITY\s+(?:%\s+)?[^\s>]+\s+(?:SYSTEM|PUBLIC)\b")


def hardened_parser() -> etree.XMLParser:
    """A fresh parser (lxml parsers are not shared between threads) that resolves nothing."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def local_name(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def namespace_of(tag: object) -> str:
    return (etree.QName(tag).namespace or "") if isinstance(tag, str) else ""


def element_path(element: etree._Element) -> str:
    """A readable path: alert/info[2]/area/polygon[3] (an index only where a name repeats)."""
    steps = []
    node = element
    while node is not None:
        name = local_name(node.tag)
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                name = f"{name}[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/".join(reversed(steps))


def _decode(data: bytes) -> tuple[str, str]:
    """The document's text and the name of its encoding, or a refusal."""
    if data.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        raise CapRefused([problem("encoding", "encoding-unknown", encoding="UTF-32")])
    bom = ""
    if data.startswith(codecs.BOM_UTF8):
        bom, codec, body = "UTF-8", "utf-8", data[3:]
    elif data.startswith(codecs.BOM_UTF16_LE):
        bom, codec, body = "UTF-16", "utf-16-le", data[2:]
    elif data.startswith(codecs.BOM_UTF16_BE):
        bom, codec, body = "UTF-16", "utf-16-be", data[2:]
    elif data.startswith(b"\x00<"):
        codec, body = "utf-16-be", data
    elif data.startswith(b"<\x00"):
        codec, body = "utf-16-le", data
    else:
        codec, body = "", data

    if codec.startswith("utf-16"):
        text = _strict_decode(body, codec, "UTF-16", len(data) - len(body))
        match = _DECLARATION_TEXT.match(text)
        declared = match.group(3) if match and match.group(3) else ""
        if declared and not _codec(declared).startswith("utf-16"):
            raise CapRefused(
                [problem("encoding", "encoding-mismatch", found=bom or "UTF-16", declared=declared)]
            )
        return text, "UTF-16"

    match = _DECLARATION.match(body)
    declared = match.group(3).decode("ascii") if match and match.group(3) else ""
    if bom and declared and _codec(declared) != "utf-8":
        raise CapRefused([problem("encoding", "encoding-mismatch", found=bom, declared=declared)])
    name = declared or "UTF-8"
    codec = _codec(name)
    if codec not in ACCEPTED_ENCODINGS:
        raise CapRefused([problem("encoding", "encoding-unknown", encoding=name)])
    if codec.startswith("utf-16"):  # declared UTF-16, but the bytes are not (no BOM, ASCII markup)
        raise CapRefused([problem("encoding", "encoding-invalid", lineno=1, encoding=name, offset=0, line=1)])
    return _strict_decode(body, codec, name, len(data) - len(body)), name


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return ""


def _strict_decode(body: bytes, codec: str, name: str, skipped: int) -> str:
    try:
        return body.decode(codec)
    except UnicodeDecodeError as exc:
        line = body[: exc.start].decode(codec, errors="replace").count("\n") + 1
        raise CapRefused(
            [
                problem(
                    "encoding",
                    "encoding-invalid",
                    lineno=line,
                    encoding=name,
                    offset=exc.start + skipped,
                    line=line,
                )
            ]
        ) from None


def _check_prolog(text: str) -> None:
    """Refuse a DOCTYPE before any parser reads it, saying what it tried to declare."""
    i = 1 if text.startswith("\ufeff") else 0
    if text.startswith("<?xml", i):
        end = text.find("?>", i)
        i = len(text) if end < 0 else end + 2
    while i < len(text):
        if text[i] in " \t\r\n":
            i += 1
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            i = len(text) if end < 0 else end + 3
        elif text.startswith("<?", i):
            end = text.find("?>", i + 2)
            i = len(text) if end < 0 else end + 2
        elif text.startswith("<!", i):
            if not text.startswith("<!DOCTYPE", i):
                return  # not well-formed: the parser says so
            line = text.count("\n", 0, i) + 1
            declaration = text[i : i + 65536]
            if _EXTERNAL_ENTITY.search(declaration):
                raise CapRefused([problem("external-entity", lineno=line)])
            if _ENTITY.search(declaration):
                raise CapRefused([problem("entity-declaration", lineno=line)])
            raise CapRefused([problem("doctype", lineno=line)])
        else:
            return


def parse_document(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, refusal: type[CapError] = CapRefused
) -> etree._Element:
    """The root element of a safely parsed document; raises `refusal` with the reason otherwise."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("parse_document() takes the document's bytes")
    data = bytes(data)
    try:
        if len(data) > max_bytes:
            raise CapRefused([problem("size-limit", size=len(data), limit=max_bytes)])
        text, _encoding = _decode(data)
        _check_prolog(text)
        try:
            root = etree.fromstring(data, parser=hardened_parser())
        except etree.XMLSyntaxError as exc:
            line, column = exc.position if exc.position else (exc.lineno, 0)
            raise CapRefused(
                [problem("malformed-xml", lineno=line, line=line, column=column, detail=exc.msg or "")]
            ) from None
        if root.getroottree().docinfo.doctype:  # the prolog scan should have caught it already
            raise CapRefused([problem("doctype", lineno=1)])
        return root
    except CapRefused as exc:
        if refusal is CapRefused:
            raise
        raise refusal(exc.problems) from None
