"""Importers of resources (registered with citywatch.core.importing): one per kind of ``kinds.KINDS``.

``citywatch import <kind> FILE… [--crs wgs84|gcj02|bd09] [--user USERNAME] [--dry-run]`` reads
``.csv``, ``.xlsx``, ``.geojson`` and ``.gpkg`` files (see ``exchange`` and docs/data-formats.md). The same
code serves the API and the upload page through ``import_file`` and ``import_upload``.

* **Scope.** Without ``--user`` the command acts as the operator of the instance: every area of the
  city, no jurisdiction limit (like a city-wide administrator). With ``--user`` (and always through the
  API and the pages) the user must hold the add and change permissions of the kind, every row must lie
  in the user's jurisdiction, and only records the user may change can be updated; the change log names
  that user.
* **All or nothing.** Every row of every file is read and checked first, outside any transaction
  (``actions.clean_record`` against one ``Context``, which caches areas and boundaries); any problem and
  nothing is written. Then all rows are written in one short transaction, in bulk
  (``actions.save_resources``: one statement per batch of rows), so other writers wait moments, not
  the length of the import; ``--dry-run`` rolls it back and reports what would happen.
* **Bounds.** Files are read within ``core.limits`` (bytes, bytes unpacked, rows, cells, coordinates);
  a file over one is refused with 413 as soon as the bound is passed.
* **Upsert.** A row whose ``external_id`` (for supply items: ``code``) names an existing record updates
  that record; a row without one always creates a new record. Existing records are looked up with one
  query per import. The same id twice in one import is a problem on the later row.
* **Updates.** A column absent from the file leaves that field of an existing record as it is; an empty
  cell sets the column's default (or empty). A point within 1e-7° (the export precision, about 1 cm) of
  the stored one is not a move: the stored point and its recorded input system are kept, so an exported
  file re-imports unchanged.
* **Problems** carry the file, the row as a spreadsheet shows it (header = row 1; for GeoJSON the
  feature's position), the column as the file names it and a message.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from citywatch.core import access
from citywatch.core.changelog import acting_as, current_actor
from citywatch.core.errors import Forbidden
from citywatch.core.importing import Importer, ImportFailed, ImportReport, Problem, check_source, register
from citywatch.core.limits import LimitExceeded
from citywatch.core.models import AdminArea, User
from citywatch.geo import crs as crslib
from citywatch.resources import actions, exchange
from citywatch.resources.kinds import KINDS, CellError, Kind, get_kind

EXTENSIONS = (".csv", ".xlsx", ".geojson", ".json", ".gpkg")
# A stored point this close (degrees) to the imported one is the same point (exports round to 1e-7).
SAME_POINT_DEG = 1.01e-7
PLACE_COLUMNS = ("lon", "lat", "area_code")


class FileRejected(ImportFailed):
    """The file itself was refused: wrong type (415), or too large (413) — in bytes before reading, or
    over a bound of ``core.limits`` (unpacked bytes, rows, cells, coordinates) while reading."""

    def __init__(self, report: ImportReport, status: int):
        super().__init__(report)
        self.status = status


# --- Entry points ---------------------------------------------------------------------------------


def import_file(kind_slug: str, path, *, user, crs: str = "wgs84", dry_run: bool = False) -> ImportReport:
    """Import one file from disk. ``user=None`` acts as the operator (every area); otherwise the user's
    permissions and jurisdiction apply. The file may be up to ``CITYWATCH_MAX_IMPORT_BYTES``.
    Raises ``ImportFailed`` (``FileRejected`` for a wrong type or size) carrying the report, or
    ``PermissionDenied``."""
    return import_files(kind_slug, [path], user=user, crs=crs, dry_run=dry_run)


def import_upload(kind_slug: str, upload, *, user, crs: str = "wgs84", dry_run: bool = False) -> ImportReport:
    """Import an uploaded file (a Django ``UploadedFile``) as ``user``: for the API and the upload page.
    The limit is ``CITYWATCH_MAX_UPLOAD_BYTES``."""
    kind = get_kind(kind_slug)
    _check_permissions(kind, user)
    report = ImportReport(kind=kind.slug, dry_run=dry_run)
    name = Path(upload.name or "upload").name
    _check_source(name, upload.size, settings.CITYWATCH_MAX_UPLOAD_BYTES, report)
    upload.seek(0)
    data = upload.read(settings.CITYWATCH_MAX_UPLOAD_BYTES + 1)
    _check_source(name, len(data), settings.CITYWATCH_MAX_UPLOAD_BYTES, report)
    return run_import(kind, [(name, data)], user=user, crs=crs, dry_run=dry_run, report=report)


def import_files(kind_slug: str, paths, *, user, crs: str = "wgs84", dry_run: bool = False) -> ImportReport:
    kind = get_kind(kind_slug)
    _check_permissions(kind, user)
    report = ImportReport(kind=kind.slug, dry_run=dry_run)
    limit = settings.CITYWATCH_MAX_IMPORT_BYTES
    sources = []
    for path in map(Path, paths):
        if not path.is_file():
            report.problems.append(Problem(path.name, None, "", _("no such file")))
            continue
        try:
            _check_source(path.name, path.stat().st_size, limit, report)
        except FileRejected:
            if len(paths) == 1:
                raise
            continue
        sources.append((path.name, path.read_bytes()))
    if report.problems:
        raise ImportFailed(report)
    return run_import(kind, sources, user=user, crs=crs, dry_run=dry_run, report=report)


def problems_json(report: ImportReport) -> list[dict]:
    return [{"row": p.row, "column": p.column, "message": p.message} for p in report.problems]


# --- Checks ---------------------------------------------------------------------------------------


def _check_permissions(kind: Kind, user) -> None:
    if user is None:
        return
    if not (
        user.is_active and access.can(user, kind.model, "add") and access.can(user, kind.model, "change")
    ):
        raise Forbidden(
            _("you may not import %(things)s (needs add and change)")
            % {"things": kind.model._meta.verbose_name_plural}
        )


def _check_source(name: str, size: int, limit: int, report: ImportReport) -> None:
    status = check_source(name, size, EXTENSIONS, limit, report)
    if status is not None:
        raise FileRejected(report, status)


def operator_context(crs) -> actions.Context:
    """The command line's default scope: every area, no jurisdiction boundary."""
    areas = {a.code: a for a in AdminArea.objects.defer("boundary")}
    return actions.Context(
        user=None, crs=crs if isinstance(crs, crslib.CRS) else crslib.parse_crs(crs), areas=areas
    )


def _memoised(ref):
    """A reference lookup (expert category, checkpoint) asked once per distinct value per import."""
    cache: dict = {}

    def lookup(value):
        if value not in cache:
            try:
                cache[value] = (True, ref(value))
            except CellError as exc:
                cache[value] = (False, str(exc))
        ok, result = cache[value]
        if not ok:
            raise CellError(result)
        return result

    return lookup


def _with_cached_refs(kind: Kind) -> Kind:
    columns = tuple(
        dataclasses.replace(c, ref=_memoised(c.ref)) if c.ref is not None else c for c in kind.columns
    )
    return dataclasses.replace(kind, columns=columns)


def _key_column(kind: Kind) -> str:
    return "external_id" if kind.located else "code"


# --- The import -----------------------------------------------------------------------------------


@dataclasses.dataclass
class _Row:
    file: str
    number: int
    data: dict
    written: dict  # column → header as the file writes it
    key: str | None = None
    instance: object = None
    fields: dict = dataclasses.field(default_factory=dict)


def run_import(
    kind: Kind, sources: list[tuple[str, bytes]], *, user, crs, dry_run: bool, report: ImportReport
) -> ImportReport:
    """Read, check and (if every row is valid) write ``sources`` [(file name, bytes)]."""
    try:
        crs = crs if isinstance(crs, crslib.CRS) else crslib.parse_crs(crs)
    except ValueError as exc:
        report.problems.append(Problem("--crs", None, "", str(exc)))
        raise ImportFailed(report) from None
    rows: list[_Row] = []
    for name, data in sources:
        rows.extend(_read_rows(kind, name, data, report))
    if report.problems:
        raise ImportFailed(report)
    if not rows:
        names = ", ".join(name for name, _data in sources)
        report.problems.append(Problem(names, None, "", _("no records in the file")))
        raise ImportFailed(report)

    ctx = operator_context(crs) if user is None else actions.Context.for_user(user, crs)
    checked = _with_cached_refs(kind)
    _match_existing(kind, rows, user, report)
    for row in rows:
        _clean(checked, row, ctx, report)
    if report.problems:
        raise ImportFailed(report)

    actor = current_actor()
    acting = user if user is not None else actor.user
    with acting_as(acting, actor.source, actor.request_id or None), transaction.atomic():
        _write(kind, rows, report)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _read_rows(kind: Kind, name: str, data: bytes, report: ImportReport) -> list[_Row]:
    try:
        table = exchange.read_table(name, data)
    except exchange.UnreadableFile as exc:
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
    named = [h for h in table.headers if h]
    mapping, unknown = actions.resolve_columns(kind, named)
    before = len(report.problems)
    known = ", ".join(c.name for c in kind.all_columns)
    for header in unknown:
        report.problems.append(
            Problem(name, 1, header, _("unknown column; the columns are %(columns)s") % {"columns": known})
        )
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
    required = [c.name for c in kind.all_columns if c.required]
    if kind.located:
        required.append("area_code")
        if kind.location_required:
            required += ["lon", "lat"]
    for column in dict.fromkeys(required):
        if column not in written:
            aliases = next(c.aliases for c in kind.all_columns if c.name == column)
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
                if not exchange.is_blank(value):
                    report.problems.append(
                        Problem(
                            name,
                            number,
                            _("column %(number)s") % {"number": index + 1},
                            _("a value in a column without a header"),
                        )
                    )
                continue
            data[mapping[header]] = _cell(value, table.spreadsheet)
        if point is not None:
            data["lon"], data["lat"] = point
        rows.append(_Row(name, number, data, written))
    return rows


def _cell(value, spreadsheet: bool):
    """A cell as the readers of the kinds table expect it."""
    if isinstance(value, str):
        value = value.strip()
        return exchange.unneutralise(value) if spreadsheet else value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _match_existing(kind: Kind, rows: list[_Row], user, report: ImportReport) -> None:
    """Duplicate keys in the import, and the existing record each key names (one query)."""
    key_column = _key_column(kind)
    first: dict[str, _Row] = {}
    for row in rows:
        raw = row.data.get(key_column)
        key = None if exchange.is_blank(raw) else str(raw).strip()
        row.key = key
        if key is None:
            continue
        if key in first:
            other = first[key]
            params = {"key": key, "row": other.number, "file": other.file}
            if other.file == row.file:
                message = (
                    _("external id %(key)s is also on row %(row)s")
                    if kind.located
                    else _("code %(key)s is also on row %(row)s")
                )
            else:
                message = (
                    _("external id %(key)s is also on row %(row)s of %(file)s")
                    if kind.located
                    else _("code %(key)s is also on row %(row)s of %(file)s")
                )
            report.problems.append(Problem(row.file, row.number, row.written[key_column], message % params))
            continue
        first[key] = row
    if not first:
        return
    related = (["area"] if kind.located else []) + [c.field for c in kind.columns if c.ref is not None]
    existing = {}
    keys = list(first)
    for start in range(0, len(keys), 500):
        qs = kind.model.objects.filter(**{f"{key_column}__in": keys[start : start + 500]})
        for obj in qs.select_related(*related) if related else qs:
            existing[getattr(obj, key_column)] = obj
    changeable = None
    if user is not None and existing:
        pks = [o.pk for o in existing.values()]
        changeable = set()
        for start in range(0, len(pks), 500):
            changeable.update(
                kind.model.objects.restrict(user, "change")
                .filter(pk__in=pks[start : start + 500])
                .values_list("pk", flat=True)
            )
    for key, row in first.items():
        obj = existing.get(key)
        if obj is None:
            continue
        if changeable is not None and obj.pk not in changeable:
            message = (
                _("external id %(key)s belongs to a record outside your jurisdiction")
                if kind.located
                else _("code %(key)s belongs to a record outside your jurisdiction")
            )
            report.problems.append(
                Problem(row.file, row.number, row.written[key_column], message % {"key": key})
            )
            continue
        row.instance = obj


def _clean(kind: Kind, row: _Row, ctx: actions.Context, report: ImportReport) -> None:
    data = {}
    problems = []
    for column in kind.all_columns:
        if column.name not in row.data:
            continue
        value = row.data[column.name]
        if column.name in PLACE_COLUMNS:
            data[column.name] = None if exchange.is_blank(value) else value
        elif not exchange.is_blank(value):
            data[column.name] = value
        elif column.required:
            problems.append(actions.RecordProblem(column.name, _("is required")))
        elif column.default is not None:
            data[column.name] = column.default() if callable(column.default) else column.default
        else:
            data[column.name] = ""
    fields, more = actions.clean_record(
        kind, data, ctx, partial=row.instance is not None, instance=row.instance
    )
    problems += [p for p in more if p.column not in {q.column for q in problems}]
    for problem in problems:
        report.problems.append(
            Problem(row.file, row.number, row.written.get(problem.column, problem.column), problem.message)
        )
    if problems:
        return
    instance = row.instance
    if instance is not None and "location" in fields:
        new, old = fields["location"], instance.location
        if (
            new is not None
            and old is not None
            and abs(new.x - old.x) <= SAME_POINT_DEG
            and abs(new.y - old.y) <= SAME_POINT_DEG
        ):
            fields.pop("location")
            fields.pop("input_crs", None)
    row.fields = fields


def _write(kind: Kind, rows: list[_Row], report: ImportReport) -> None:
    """Every checked row through the one bulk write (``actions.save_resources``): the transaction, and on
    SQLite the write lock, lasts one statement per batch of rows."""
    try:
        results = actions.save_resources(kind, [(row.fields, row.instance) for row in rows])
    except actions.RecordConflict as exc:
        keys = set(exc.details or ())
        concerned = [row for row in rows if row.key is not None and row.key in keys]
        if not concerned and exc.index is not None:
            concerned = [rows[exc.index]]
        column = _key_column(kind)
        for row in concerned:
            report.problems.append(Problem(row.file, row.number, row.written.get(column, column), str(exc)))
        if not concerned:
            files = ", ".join(dict.fromkeys(row.file for row in rows))
            report.problems.append(Problem(files, None, "", str(exc)))
        raise ImportFailed(report) from None
    for _obj, outcome in results:
        setattr(report, outcome, getattr(report, outcome) + 1)


# --- The command line -----------------------------------------------------------------------------


class ResourceImporter(Importer):
    """``citywatch import <kind> FILE…``; one subclass per kind (the registry is keyed by ``kind``)."""

    extensions = EXTENSIONS

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
            return import_files(self.kind, list(paths), user=acting, crs=crs, dry_run=dry_run)
        except PermissionDenied as exc:
            report = ImportReport(kind=self.kind, dry_run=dry_run)
            report.problems.append(Problem("--user", None, "", f"{user}: {exc}"))
            raise ImportFailed(report) from None


def _importer_for(kind: Kind) -> type[ResourceImporter]:
    name = f"{kind.model.__name__}Importer"
    help_text = f"{kind.slug}: .csv, .xlsx, .geojson, .gpkg"
    return type(name, (ResourceImporter,), {"kind": kind.slug, "help": help_text, "__module__": __name__})


for _kind in KINDS.values():
    register(_importer_for(_kind))
