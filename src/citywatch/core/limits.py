"""Bounds on what CityWatch reads from outside: imported files and request bodies.

Every parser of an uploaded or imported file checks its input against these bounds before or while it
reads, and stops at the first one exceeded by raising ``LimitExceeded`` (answered 413, nothing written):

* **bytes** of the file: ``CITYWATCH_MAX_UPLOAD_BYTES`` (API and pages), ``CITYWATCH_MAX_IMPORT_BYTES``
  (command line), checked by the importers before reading;
* **archives** (``.xlsx``): the number of members, each member's declared size and compression ratio and
  the declared total are checked before the archive is parsed, then every member is inflated once through
  a counting reader, so a size that lies is found too, which also counts the rows and XML elements of a
  workbook before openpyxl parses any (``check_zip``);
* **rows**: ``CITYWATCH_IMPORT_MAX_ROWS``, counting every row read, blank ones included (a sheet of a
  million empty rows costs as much to read as a million full ones) (``limited_rows``);
* **cells**: at most ``MAX_FIELD_CHARS`` characters of text (``check_cells``; CSV, spreadsheets, GeoJSON
  properties);
* **JSON**: before ``json.loads`` builds anything, the arrays and objects in the text are counted
  (``CITYWATCH_IMPORT_MAX_VERTICES``; a coordinate pair is an array, so this bounds vertices) and the
  features after it (``check_json_containers``).

The same module gives the request-body limits the ASGI and Django middlewares apply (``body_limit``).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

# An archive member that inflates to more than this many times its packed size is refused as a zip bomb
# (the default of Apache POI, which reads the same files); tiny members are exempt (RATIO_GRACE_BYTES).
MAX_COMPRESSION_RATIO = 100
RATIO_GRACE_BYTES = 1024 * 1024
# An .xlsx written by Excel, WPS or openpyxl has a dozen members; the central directory is read into
# memory by zipfile, so its size is checked first.
MAX_ARCHIVE_MEMBERS = 1000
# Longest CSV cell read (the longest exchange column, notes, takes 2,000 characters). Python's csv module
# refuses cells over its own process-wide limit (131,072) before this is checked.
MAX_FIELD_CHARS = 100_000
# XML elements a sheet may hold per row allowed (a row, its cells, their values: 1 + 3 per column).
ELEMENTS_PER_ROW = 128
# A multipart body may exceed CITYWATCH_MAX_UPLOAD_BYTES by this much for its boundaries and form fields.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
CHUNK = 1024 * 1024


class LimitExceeded(ValueError):
    """Input over a bound; the message (translated) says which bound and what to do. Answered 413."""

    status = 413


@dataclass(frozen=True)
class ImportLimits:
    rows: int
    vertices: int
    unzipped_bytes: int

    @classmethod
    def current(cls) -> ImportLimits:
        return cls(
            rows=settings.CITYWATCH_IMPORT_MAX_ROWS,
            vertices=settings.CITYWATCH_IMPORT_MAX_VERTICES,
            unzipped_bytes=settings.CITYWATCH_IMPORT_MAX_UNZIPPED_BYTES,
        )


def size_text(limit: int) -> str:
    """A byte limit as people read it: ``20 MiB``, ``1000 字节``."""
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):g} MiB"
    return _("%(count)s bytes") % {"count": limit}


# --- Rows ------------------------------------------------------------------------------------------


def limited_rows(rows: Iterable, limit: int, *, header_rows: int = 0) -> Iterator:
    """``rows`` until the ``limit``-th after the first ``header_rows``; one more raises ``LimitExceeded``
    (the reader stops there and reads nothing further)."""
    for count, row in enumerate(rows, start=1 - header_rows):
        if count > limit:
            raise LimitExceeded(
                _("more than %(max)s rows (blank rows count too); delete empty rows or split the file")
                % {"max": f"{limit:,}"}
            )
        yield row


# --- CSV -------------------------------------------------------------------------------------------


class UndecodableText(ValueError):
    """The bytes are not text in any encoding CSV files come in; the message says so."""


def text_encoding(data: bytes) -> str:
    """The encoding of CSV bytes: UTF-16 with a BOM, UTF-8 (BOM or not), else GB18030 (what Excel on a
    Chinese Windows writes). Checked in chunks; the text is never decoded whole."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if b"\x00" in data:
        raise UndecodableText(
            _("the file contains NUL bytes: it is not a text CSV (a spreadsheet saved as .csv?)")
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), CHUNK):
            decoder.decode(data[start : start + CHUNK], final=start + CHUNK >= len(data))
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def csv_rows(data: bytes, max_rows: int, encoding: str | None = None) -> Iterator[list[str]]:
    """The records of a CSV file (the header first), decoded as they are read. Stops with
    ``LimitExceeded`` after ``max_rows`` records below the header or at a cell longer than
    ``MAX_FIELD_CHARS``; raises ``UndecodableText`` or ``csv.Error`` for a file that is not CSV text."""
    encoding = encoding or text_encoding(data)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    try:
        for number, cells in enumerate(limited_rows(csv.reader(stream), max_rows, header_rows=1), start=1):
            check_cells(number, cells)
            yield cells
    except UnicodeDecodeError:
        message = (
            _("not readable UTF-16 text")
            if encoding == "utf-16"
            else _("the text is neither UTF-8 nor GB18030")
        )
        raise UndecodableText(message) from None
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise LimitExceeded(_too_long()) from None
        raise


def _too_long() -> str:
    return _("a cell is longer than %(max)s characters") % {"max": f"{MAX_FIELD_CHARS:,}"}


def check_cells(number: int, cells: Iterable) -> None:
    """No text cell of a row (CSV, spreadsheet, GeoJSON properties) longer than ``MAX_FIELD_CHARS``."""
    if any(isinstance(cell, str) and len(cell) > MAX_FIELD_CHARS for cell in cells):
        raise LimitExceeded(_("row %(row)s: %(problem)s") % {"row": number, "problem": _too_long()})


# --- JSON ------------------------------------------------------------------------------------------


def check_json_containers(data: bytes, limit: int) -> None:
    """Refuse JSON text holding more than ``limit`` arrays and objects, before ``json.loads`` builds
    them. Every coordinate pair is an array, so this bounds the vertices of the geometries (brackets
    inside strings are counted too: the bound errs on the safe side)."""
    count = data.count(b"[") + data.count(b"{")
    if count > limit:
        raise LimitExceeded(
            _(
                "more than %(max)s coordinates, lists or objects in the file; "
                "simplify the geometries or split the file"
            )
            % {"max": f"{limit:,}"}
        )


def check_feature_count(count: int, limit: int) -> None:
    if count > limit:
        raise LimitExceeded(_("more than %(max)s features; split the file") % {"max": f"{limit:,}"})


# --- Zip archives ----------------------------------------------------------------------------------

EOCD = b"PK\x05\x06"
ZIP64_LOCATOR = b"PK\x06\x07"
ZIP64_EOCD = b"PK\x06\x06"


def _declared_members(data: bytes) -> int | None:
    """The member count the end-of-central-directory record declares (zip64 aware), read without
    zipfile (which loads the whole central directory); None when there is no such record."""
    at = data.rfind(EOCD, max(0, len(data) - 22 - 65535))
    if at < 0 or len(data) < at + 22:
        return None
    count = struct.unpack_from("<H", data, at + 10)[0]
    if count != 0xFFFF:
        return count
    locator = at - 20
    if locator < 0 or data[locator : locator + 4] != ZIP64_LOCATOR:
        return None
    offset = struct.unpack_from("<Q", data, locator + 8)[0]
    if offset + 56 > len(data) or data[offset : offset + 4] != ZIP64_EOCD:
        return None
    return struct.unpack_from("<Q", data, offset + 32)[0]


def check_zip(data: bytes, budget: int, what: str, max_rows: int | None = None) -> None:
    """Bound an archive before anything parses it: member count, each member's declared size and
    compression ratio, the declared total against ``budget`` bytes; then inflate every member once
    through a counting reader (zipfile stops at the declared size and checks the CRC, so a member that
    lies about its size is refused as unreadable), counting on the way the rows and XML elements of the
    members when ``max_rows`` is given (a spreadsheet: every member is counted, wherever the workbook
    says its sheets are). ``what`` names the file type in messages.
    Raises ``LimitExceeded``, or ``zipfile.BadZipFile`` for a damaged archive."""
    members = _declared_members(data)
    if members is not None and members > MAX_ARCHIVE_MEMBERS:
        raise LimitExceeded(
            _("the %(what)s holds %(count)s parts (at most %(max)s)")
            % {"what": what, "count": f"{members:,}", "max": MAX_ARCHIVE_MEMBERS}
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_ARCHIVE_MEMBERS:
            raise LimitExceeded(
                _("the %(what)s holds %(count)s parts (at most %(max)s)")
                % {"what": what, "count": f"{len(infos):,}", "max": MAX_ARCHIVE_MEMBERS}
            )
        declared = 0
        for info in infos:
            declared += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > RATIO_GRACE_BYTES and ratio > MAX_COMPRESSION_RATIO:
                raise LimitExceeded(
                    _(
                        "%(member)s in the %(what)s unpacks to %(ratio)s times its packed size "
                        "(at most %(max)s): refused as a possible zip bomb"
                    )
                    % {
                        "member": info.filename,
                        "what": what,
                        "ratio": f"{ratio:,.0f}",
                        "max": MAX_COMPRESSION_RATIO,
                    }
                )
        too_big = _("the %(what)s unpacks to more than %(max)s") % {"what": what, "max": size_text(budget)}
        if declared > budget:
            raise LimitExceeded(too_big)
        inflated = 0
        counter = _XmlCounter(max_rows, headers=len(infos)) if max_rows is not None else None
        for info in infos:
            with archive.open(info) as member:
                carry = b""
                while block := member.read(CHUNK):
                    inflated += len(block)
                    if inflated > budget:
                        raise LimitExceeded(too_big)
                    if counter is not None:
                        block = carry + block
                        cut = block.rfind(b"<")  # a tag never straddles two blocks
                        block, carry = (block[:cut], block[cut:]) if cut > 0 else (block, b"")
                        counter.feed(block)
                if counter is not None:
                    counter.feed(carry)


ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b")


class _XmlCounter:
    """Counts the row elements and all elements of XML streamed past in blocks (a regular expression and
    byte counts, no parser), and stops at ``max_rows`` rows or ``max_rows * ELEMENTS_PER_ROW`` elements.
    openpyxl parses a whole sheet while it opens a workbook whose sheets declare no dimension, so this
    bound has to hold before openpyxl opens anything."""

    def __init__(self, max_rows: int, headers: int):
        self.max_rows, self.headers = max_rows, headers
        self.max_elements = (max_rows + headers) * ELEMENTS_PER_ROW
        self.rows = self.elements = 0

    def feed(self, block: bytes) -> None:
        self.rows += sum(1 for _match in ROW_TAG.finditer(block))
        self.elements += block.count(b"<") - block.count(b"</") - block.count(b"<!") - block.count(b"<?")
        if self.rows > self.max_rows + self.headers:
            raise LimitExceeded(
                _("more than %(max)s rows (blank rows count too); delete empty rows or split the file")
                % {"max": f"{self.max_rows:,}"}
            )
        if self.elements > self.max_elements:
            raise LimitExceeded(
                _("more than %(max)s cells and other XML elements; delete empty rows and columns or split it")
                % {"max": f"{self.max_elements:,}"}
            )


# --- Request bodies --------------------------------------------------------------------------------


def _is_multipart(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


def body_limit(content_type: str) -> int:
    """The largest request body accepted: uploads (multipart) have their own, larger limit
    (``CITYWATCH_MAX_UPLOAD_BYTES`` plus room for the form's other fields), other bodies
    ``CITYWATCH_MAX_REQUEST_BYTES`` (Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``)."""
    if _is_multipart(content_type):
        return settings.CITYWATCH_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def body_too_large_message(content_type: str) -> str:
    """What a client whose body was refused is told: the limit as configured."""
    limit = (
        settings.CITYWATCH_MAX_UPLOAD_BYTES
        if _is_multipart(content_type)
        else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    )
    return _("The request is larger than the limit of %(limit)s.") % {"limit": size_text(limit)}
