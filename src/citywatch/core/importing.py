"""Bulk import: a registry of importers by kind, the report every import returns, and the one import of
record tables (``TableImport``) that the registries' importers share.

``citywatch import <kind> FILE…`` looks the kind up here; each app registers its importers in its own
``importers.py``. An import validates every row first and writes all or nothing.

``TableImport`` is how a registry (resources, monitoring stations) reads exchange files: a table read by
the app's reader (``resources.exchange.read_table``: .csv, .xlsx, .geojson, .gpkg within ``core.limits``),
columns named in English or by an alias, every row of every file checked first outside any transaction,
existing records found by their key in one query per batch (a row naming one updates it: a column absent
from the file leaves that field alone; a point within ``SAME_POINT_DEG`` of the stored one is not a move),
then every row written in one short transaction or nothing. The cell conventions of exchange files
(``neutralise``: text a spreadsheet would run as a formula gets a leading quote) are here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from citywatch.core import access
from citywatch.core.changelog import acting_as, current_actor
from citywatch.core.errors import ActionError, Conflict, Forbidden
from citywatch.core.limits import LimitExceeded, size_text
from citywatch.geo import crs as crslib


@dataclass
class Problem:
    file: str
    row: int | None
    column: str
    message: str

    def __str__(self):
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        column = f" [{self.column}]" if self.column else ""
        return f"{where}{column}: {self.message}"


@dataclass
class ImportReport:
    kind: str
    dry_run: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        message = (
            _("%(kind)s: would create %(created)s, would update %(updated)s, unchanged %(unchanged)s")
            if self.dry_run
            else _("%(kind)s: created %(created)s, updated %(updated)s, unchanged %(unchanged)s")
        )
        return message % {
            "kind": self.kind,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


class ImportFailed(Exception):
    def __init__(self, report: ImportReport):
        super().__init__(_("%(count)s problem(s); nothing was written") % {"count": len(report.problems)})
        self.report = report


class Importer:
    kind: str = ""
    help: str = ""
    extensions: tuple[str, ...] = ()

    def add_arguments(self, parser) -> None:
        """Extra command-line options of this importer."""

    def run(self, paths: list[Path], *, dry_run: bool = False, **options) -> ImportReport:
        raise NotImplementedError


IMPORTERS: dict[str, Importer] = {}


def register(importer_class: type[Importer]) -> type[Importer]:
    IMPORTERS[importer_class.kind] = importer_class()
    return importer_class


UNSUPPORTED_TYPE, TOO_LARGE = 415, 413


def check_source(name: str, size: int, extensions: tuple[str, ...], limit: int, report: ImportReport):
    """Type (by extension; ``.osm.pbf`` is one) and size of a file about to be read. None when it may be
    read; otherwise the problem is in the report and the status says why (415 type, 413 size)."""
    lower = name.lower()
    suffix = ".osm.pbf" if lower.endswith(".osm.pbf") else Path(lower).suffix
    if extensions and suffix not in extensions:
        report.problems.append(
            Problem(
                name,
                None,
                "",
                _("unsupported file type %(suffix)s; expected one of %(extensions)s")
                % {"suffix": suffix or _("(none)"), "extensions": ", ".join(extensions)},
            )
        )
        return UNSUPPORTED_TYPE
    if size > limit:
        message = _("file is larger than the limit of %(limit)s") % {"limit": size_text(limit)}
        report.problems.append(Problem(name, None, "", message))
        return TOO_LARGE
    return None


def check_file(path: Path, extensions: tuple[str, ...], report: ImportReport) -> bool:
    """Existence, type (by extension) and size limit of an input file; problems go into the report."""
    if not path.is_file():
        report.problems.append(Problem(path.name, None, "", _("no such file")))
        return False
    limit = settings.CITYWATCH_MAX_IMPORT_BYTES
    return check_source(path.name, path.stat().st_size, extensions, limit, report) is None


class FileRejected(ImportFailed):
    """The file itself was refused: wrong type (415), or too large (413) — in bytes before reading, or
    over a bound of ``core.limits`` (unpacked bytes, rows, cells, coordinates) while reading."""

    def __init__(self, report: ImportReport, status: int):
        super().__init__(report)
        self.status = status


def problems_json(report: ImportReport) -> list[dict]:
    """The problems of a report as the API answers them."""
    return [{"row": p.row, "column": p.column, "message": p.message} for p in report.problems]


REFUSAL_CODES = {UNSUPPORTED_TYPE: "unsupported_media_type", TOO_LARGE: "too_large", 422: "validation_error"}


def refusal(exc: ImportFailed) -> ActionError:
    """The API's answer to a failed import: 413 or 415 with the file's problem, else 422 counting the
    problems; ``details`` lists them all (row, column, message)."""
    status = getattr(exc, "status", 422)
    problems = exc.report.problems
    message = (
        problems[0].message
        if status != 422 and problems
        else _("%(count)s problem(s) in the file; nothing was written") % {"count": len(problems)}
    )
    return ActionError(message, problems_json(exc.report), status=status, code=REFUSAL_CODES[status])


def upload_form(request, run) -> tuple[dict, int]:
    """An upload page's POST: ``run(upload, user=…, crs=…, dry_run=…)`` on the form's file. Returns what
    the page shows (``report``, or ``problems``, or an ``error``) and its status (the file's refusal:
    413, 415 or 422)."""
    upload = request.FILES.get("file")
    if upload is None:
        return {"error": _("Choose a file.")}, 422
    try:
        report = run(
            upload,
            user=request.user,
            crs=request.POST.get("crs", "wgs84"),
            dry_run=bool(request.POST.get("dry_run")),
        )
    except ImportFailed as exc:
        return {"problems": exc.report.problems}, getattr(exc, "status", 422)
    return {"report": report}, 200


# --- Exchange cells -------------------------------------------------------------------------------

# Text that spreadsheets would treat as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A stored point this close (degrees) to the imported one is the same point (exports round to 1e-7).
SAME_POINT_DEG = 1.01e-7


class UnreadableFile(ValueError):
    """The file cannot be read as its type; the message is shown to the user."""


def neutralise(value):
    """Prefix text that a spreadsheet would run as a formula with ``'``. Text that already starts with
    quotes followed by such a character gets one more, so that ``unneutralise`` restores it exactly."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unneutralise(value):
    """Undo ``neutralise`` on a cell read from a file."""
    if isinstance(value, str) and value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def cell(value, spreadsheet: bool):
    """A cell as the column readers expect it: text stripped (and un-neutralised from a spreadsheet),
    whole floats as integers."""
    if isinstance(value, str):
        value = value.strip()
        return unneutralise(value) if spreadsheet else value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def resolve_columns(columns, keys) -> tuple[dict[str, str], list[str]]:
    """Map incoming column names (the column's name or an alias, any case) to ``columns`` (each with
    ``name`` and ``aliases``). Returns ({incoming: column}, [unknown names])."""
    lookup = {}
    for column in columns:
        for name in (column.name, *column.aliases):
            lookup[name.strip().lower()] = column.name
    mapping, unknown = {}, []
    for key in keys:
        name = lookup.get(str(key).strip().lower())
        if name is None:
            unknown.append(str(key))
        else:
            mapping[key] = name
    return mapping, unknown


# --- The import of record tables -----------------------------------------------------------------


@dataclass
class Row:
    file: str
    number: int
    data: dict
    written: dict  # column → header as the file writes it
    key: object = None
    instance: object = None
    fields: dict = field(default_factory=dict)


class TableImport:
    """One import of record tables into a registry (one instance per import). A subclass says what it
    reads and writes: ``slug`` (the report's kind), ``model``, ``kind`` (the columns table:
    ``all_columns`` with ``name``, ``aliases``, ``required``, ``default``), ``extensions``, and the hooks
    ``read_table``, ``required``, ``context``, ``clean``, ``existing`` and ``save``. ``conflict`` is the
    refusal ``save`` raises (with ``index`` and the keys concerned as ``details``)."""

    slug = ""
    model = None
    kind = None
    extensions: tuple[str, ...] = ()
    key_column = "external_id"  # the column naming an existing record (``code`` for supply items)
    place_columns = ("lon", "lat", "area_code")
    conflict: type[Exception] = Conflict

    # --- hooks --------------------------------------------------------------------------------------

    def read_table(self, name: str, data: bytes):
        """The file as a table (headers, rows of (number, cells, point), has_geometry, ignored,
        spreadsheet). Raises ``UnreadableFile`` or ``LimitExceeded``."""
        raise NotImplementedError

    def required(self) -> list[str]:
        """The columns every file must have."""
        raise NotImplementedError

    def context(self, user, crs):
        """What checking every row needs once (areas, boundaries; ``user=None``: the operator)."""
        raise NotImplementedError

    def clean(self, data: dict, ctx, *, partial: bool, instance):
        """(fields, problems) of one record; each problem has ``column`` and ``message``."""
        raise NotImplementedError

    def required_problem(self, column: str):
        """The problem of a required column left blank (None: let ``clean`` say it)."""
        return None

    def row_key(self, data: dict):
        """The key naming an existing record, or None."""
        raw = data.get(self.key_column)
        return None if is_blank(raw) else str(raw).strip()

    def key_text(self, key) -> str:
        return key

    def existing(self, keys: list) -> dict:
        """{key: record} of the records ``keys`` name."""
        raise NotImplementedError

    def save(self, writes: list[tuple[dict, object]]) -> list[tuple[object, str]]:
        """Write [(fields, instance or None)] in one short transaction: [(record, outcome)]."""
        raise NotImplementedError

    def settle(self, row: Row, fields: dict) -> None:
        """An existing record's point within ``SAME_POINT_DEG`` of the imported one is not moved."""
        instance = row.instance
        if instance is None or "location" not in fields:
            return
        new, old = fields["location"], instance.location
        if (
            new is not None
            and old is not None
            and abs(new.x - old.x) <= SAME_POINT_DEG
            and abs(new.y - old.y) <= SAME_POINT_DEG
        ):
            fields.pop("location")
            fields.pop("input_crs", None)

    def duplicate_message(self, same_file: bool) -> str:
        return (
            _("external id %(key)s is also on row %(row)s")
            if same_file
            else _("external id %(key)s is also on row %(row)s of %(file)s")
        )

    def outside_message(self) -> str:
        return _("external id %(key)s belongs to a record outside your jurisdiction")

    # --- entry points -------------------------------------------------------------------------------

    def check_permissions(self, user) -> None:
        if user is None:
            return
        if not (
            user.is_active and access.can(user, self.model, "add") and access.can(user, self.model, "change")
        ):
            raise Forbidden(
                _("you may not import %(things)s (needs add and change)")
                % {"things": self.model._meta.verbose_name_plural}
            )

    def check_source(self, name: str, size: int, limit: int, report: ImportReport) -> None:
        status = check_source(name, size, self.extensions, limit, report)
        if status is not None:
            raise FileRejected(report, status)

    def upload(self, upload, *, user, crs="wgs84", dry_run: bool = False) -> ImportReport:
        """Import an uploaded file (a Django ``UploadedFile``) as ``user``: for the API and the upload
        pages. The limit is ``CITYWATCH_MAX_UPLOAD_BYTES``."""
        self.check_permissions(user)
        report = ImportReport(kind=self.slug, dry_run=dry_run)
        name = Path(upload.name or "upload").name
        limit = settings.CITYWATCH_MAX_UPLOAD_BYTES
        self.check_source(name, upload.size, limit, report)
        upload.seek(0)
        data = upload.read(limit + 1)
        self.check_source(name, len(data), limit, report)
        return self.run([(name, data)], user=user, crs=crs, dry_run=dry_run, report=report)

    def files(self, paths, *, user, crs="wgs84", dry_run: bool = False) -> ImportReport:
        """Import files from disk, each up to ``CITYWATCH_MAX_IMPORT_BYTES``. ``user=None`` acts as the
        operator (every area). Raises ``ImportFailed`` (``FileRejected`` for one file of a wrong type or
        size) carrying the report, or ``PermissionDenied``."""
        self.check_permissions(user)
        report = ImportReport(kind=self.slug, dry_run=dry_run)
        limit = settings.CITYWATCH_MAX_IMPORT_BYTES
        paths = [Path(p) for p in paths]
        sources = []
        for path in paths:
            if not path.is_file():
                report.problems.append(Problem(path.name, None, "", _("no such file")))
                continue
            try:
                self.check_source(path.name, path.stat().st_size, limit, report)
            except FileRejected:
                if len(paths) == 1:
                    raise
                continue
            sources.append((path.name, path.read_bytes()))
        if report.problems:
            raise ImportFailed(report)
        return self.run(sources, user=user, crs=crs, dry_run=dry_run, report=report)

    def run(self, sources: list[tuple[str, bytes]], *, user, crs, dry_run: bool, report: ImportReport):
        """Read, check and (if every row is valid) write ``sources`` [(file name, bytes)]."""
        try:
            crs = crs if isinstance(crs, crslib.CRS) else crslib.parse_crs(crs)
        except ValueError as exc:
            report.problems.append(Problem("--crs", None, "", str(exc)))
            raise ImportFailed(report) from None
        rows: list[Row] = []
        for name, data in sources:
            rows.extend(self.read_rows(name, data, report))
        if report.problems:
            raise ImportFailed(report)
        if not rows:
            names = ", ".join(name for name, _data in sources)
            report.problems.append(Problem(names, None, "", _("no records in the file")))
            raise ImportFailed(report)

        ctx = self.context(user, crs)
        self.match_existing(rows, user, report)
        for row in rows:
            self.clean_row(row, ctx, report)
        if report.problems:
            raise ImportFailed(report)

        actor = current_actor()
        acting = user if user is not None else actor.user
        with acting_as(acting, actor.source, actor.request_id or None), transaction.atomic():
            self.write(rows, report)
            if dry_run:
                transaction.set_rollback(True)
        return report

    # --- the steps ----------------------------------------------------------------------------------

    def read_rows(self, name: str, data: bytes, report: ImportReport) -> list[Row]:
        try:
            table = self.read_table(name, data)
        except UnreadableFile as exc:
            report.problems.append(Problem(name, None, "", str(exc)))
            return []
        except LimitExceeded as exc:
            report.problems.append(Problem(name, None, "", str(exc)))
            raise FileRejected(report, exc.status) from None
        if table.ignored:
            report.notes.append(
                _("%(file)s: ignored the read-only properties %(properties)s")
                % {"file": name, "properties": ", ".join(table.ignored)}
            )
        columns = self.kind.all_columns
        named = [h for h in table.headers if h]
        mapping, unknown = resolve_columns(columns, named)
        before = len(report.problems)
        known = ", ".join(c.name for c in columns)
        for header in unknown:
            message = _("unknown column; the columns are %(columns)s") % {"columns": known}
            report.problems.append(Problem(name, 1, header, message))
        written: dict[str, str] = {}
        for header in named:
            column = mapping.get(header)
            if column is None:
                continue
            if column in written:
                message = _("the same column as %(header)s") % {"header": repr(written[column])}
                report.problems.append(Problem(name, 1, header, message))
            else:
                written[column] = header
        if table.has_geometry:
            for column in ("lon", "lat"):
                written.setdefault(column, column)
        for column in dict.fromkeys(self.required()):
            if column not in written:
                aliases = next(c.aliases for c in columns if c.name == column)
                message = (
                    _("missing column %(column)s (or %(aliases)s)")
                    % {"column": column, "aliases": " / ".join(aliases)}
                    if aliases
                    else _("missing column %(column)s") % {"column": column}
                )
                report.problems.append(Problem(name, 1, column, message))
        if len(report.problems) > before:
            return []

        rows = []
        headers = table.headers
        for number, cells, point in table.rows:
            data: dict = {}
            # A short row is empty in its missing cells.
            cells = list(cells) + [None] * (len(headers) - len(cells))
            for index, value in enumerate(cells):
                header = headers[index] if index < len(headers) else ""
                if not header:
                    if not is_blank(value):
                        column = _("column %(number)s") % {"number": index + 1}
                        report.problems.append(
                            Problem(name, number, column, _("a value in a column without a header"))
                        )
                    continue
                data[mapping[header]] = cell(value, table.spreadsheet)
            if point is not None:
                data["lon"], data["lat"] = point
            rows.append(Row(name, number, data, written))
        return rows

    def match_existing(self, rows: list[Row], user, report: ImportReport) -> None:
        """Duplicate keys in the import, and the existing record each key names (one query a batch)."""
        first: dict = {}
        for row in rows:
            key = row.key = self.row_key(row.data)
            if key is None:
                continue
            if key in first:
                other = first[key]
                params = {"key": self.key_text(key), "row": other.number, "file": other.file}
                message = self.duplicate_message(other.file == row.file) % params
                report.problems.append(Problem(row.file, row.number, row.written[self.key_column], message))
                continue
            first[key] = row
        if not first:
            return
        existing = self.existing(list(first))
        changeable = None
        if user is not None and existing:
            pks = [o.pk for o in existing.values()]
            changeable = set()
            for start in range(0, len(pks), 500):
                changeable.update(
                    self.model.objects.restrict(user, "change")
                    .filter(pk__in=pks[start : start + 500])
                    .values_list("pk", flat=True)
                )
        for key, row in first.items():
            obj = existing.get(key)
            if obj is None:
                continue
            if changeable is not None and obj.pk not in changeable:
                message = self.outside_message() % {"key": self.key_text(key)}
                report.problems.append(Problem(row.file, row.number, row.written[self.key_column], message))
                continue
            row.instance = obj

    def clean_row(self, row: Row, ctx, report: ImportReport) -> None:
        data = {}
        problems = []
        for column in self.kind.all_columns:
            if column.name not in row.data:
                continue
            value = row.data[column.name]
            if column.name in self.place_columns:
                data[column.name] = None if is_blank(value) else value
            elif not is_blank(value):
                data[column.name] = value
            elif column.required and (problem := self.required_problem(column.name)) is not None:
                problems.append(problem)
            elif column.required:
                data[column.name] = ""
            elif column.default is not None:
                data[column.name] = column.default() if callable(column.default) else column.default
            else:
                data[column.name] = ""
        fields, more = self.clean(data, ctx, partial=row.instance is not None, instance=row.instance)
        problems += [p for p in more if p.column not in {q.column for q in problems}]
        for problem in problems:
            column = row.written.get(problem.column, problem.column)
            report.problems.append(Problem(row.file, row.number, column, problem.message))
        if problems:
            return
        self.settle(row, fields)
        row.fields = fields

    def write(self, rows: list[Row], report: ImportReport) -> None:
        """Every checked row through the registry's one bulk write: the transaction, and on SQLite the
        write lock, lasts one statement per batch of rows."""
        try:
            results = self.save([(row.fields, row.instance) for row in rows])
        except self.conflict as exc:
            keys = set(exc.details or ())
            concerned = [row for row in rows if row.key is not None and self.key_text(row.key) in keys]
            index = getattr(exc, "index", None)
            if not concerned and index is not None:
                concerned = [rows[index]]
            column = self.key_column
            for row in concerned:
                report.problems.append(
                    Problem(row.file, row.number, row.written.get(column, column), str(exc))
                )
            if not concerned:
                files = ", ".join(dict.fromkeys(row.file for row in rows))
                report.problems.append(Problem(files, None, "", str(exc)))
            raise ImportFailed(report) from None
        for _obj, outcome in results:
            setattr(report, outcome, getattr(report, outcome) + 1)


class TableImporter(Importer):
    """``citywatch import <kind> FILE… [--crs wgs84|gcj02|bd09] [--user USERNAME] [--dry-run]`` through a
    ``TableImport`` (``importer()`` makes the one of this run)."""

    def importer(self) -> TableImport:
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument(
            "--crs", default="wgs84", help="coordinate system of lon/lat: wgs84, gcj02 or bd09"
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            default=None,
            help="import as this user (their permissions and jurisdiction); default: the operator",
        )

    def run(self, paths, *, dry_run=False, crs="wgs84", user=None, **options) -> ImportReport:
        from citywatch.core.models import User

        acting = None
        if user:
            acting = User.objects.select_related("jurisdiction").filter(username=user).first()
            if acting is None or not acting.is_active:
                report = ImportReport(kind=self.kind, dry_run=dry_run)
                report.problems.append(
                    Problem("--user", None, "", _("no active user %(user)s") % {"user": repr(user)})
                )
                raise ImportFailed(report)
        try:
            return self.importer().files(list(paths), user=acting, crs=crs, dry_run=dry_run)
        except PermissionDenied as exc:
            report = ImportReport(kind=self.kind, dry_run=dry_run)
            report.problems.append(Problem("--user", None, "", f"{user}: {exc}"))
            raise ImportFailed(report) from None
