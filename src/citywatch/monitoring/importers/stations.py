"""``citywatch import stations FILE… [--crs wgs84|gcj02|bd09] [--user USERNAME] [--dry-run]``, and the
same import for the API and the upload page (``import_upload``).

The resources' import machinery, applied to stations: files read by ``resources.exchange.read_table``
(.csv, .xlsx, .geojson; bounded by ``core.limits``), columns named in English or Chinese
(``actions.stations.STATION_KIND``), every row checked first (``clean_station``) and all written in one
short transaction (``save_stations``) or nothing. A row whose (source, external_id) names an existing
station updates it (a column absent from the file leaves that field alone); ``area_code`` may be left out:
the area is then found from the point. With a user, every row must lie in their jurisdiction and only
stations they may change are updated.
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
from citywatch.core.models import User
from citywatch.geo import crs as crslib
from citywatch.monitoring.actions import stations as actions
from citywatch.monitoring.models import Station
from citywatch.resources import actions as registry
from citywatch.resources import exchange
from citywatch.resources.importers import SAME_POINT_DEG, FileRejected

EXTENSIONS = (".csv", ".xlsx", ".geojson", ".json")
KIND = actions.STATION_KIND
REQUIRED = ("source", "external_id", "name", "kind", "lon", "lat")


@dataclasses.dataclass
class Row:
    file: str
    number: int
    data: dict
    written: dict
    instance: Station | None = None
    fields: dict = dataclasses.field(default_factory=dict)


def check_permissions(user) -> None:
    if user is None:
        return
    if not (user.is_active and access.can(user, Station, "add") and access.can(user, Station, "change")):
        raise Forbidden(_("you may not import %(things)s (needs add and change)") % {"things": _("stations")})


def _check(name: str, size: int, limit: int, report: ImportReport) -> None:
    status = check_source(name, size, EXTENSIONS, limit, report)
    if status is not None:
        raise FileRejected(report, status)


def import_upload(upload, *, user, crs: str = "wgs84", dry_run: bool = False) -> ImportReport:
    check_permissions(user)
    report = ImportReport(kind="stations", dry_run=dry_run)
    name = Path(upload.name or "upload").name
    limit = settings.CITYWATCH_MAX_UPLOAD_BYTES
    _check(name, upload.size, limit, report)
    upload.seek(0)
    data = upload.read(limit + 1)
    _check(name, len(data), limit, report)
    return run_import([(name, data)], user=user, crs=crs, dry_run=dry_run, report=report)


def import_files(paths, *, user, crs: str = "wgs84", dry_run: bool = False) -> ImportReport:
    check_permissions(user)
    report = ImportReport(kind="stations", dry_run=dry_run)
    sources = []
    for path in map(Path, paths):
        if not path.is_file():
            report.problems.append(Problem(path.name, None, "", _("no such file")))
            continue
        _check(path.name, path.stat().st_size, settings.CITYWATCH_MAX_IMPORT_BYTES, report)
        sources.append((path.name, path.read_bytes()))
    if report.problems:
        raise ImportFailed(report)
    return run_import(sources, user=user, crs=crs, dry_run=dry_run, report=report)


def _cell(value, spreadsheet: bool):
    if isinstance(value, str):
        value = value.strip()
        return exchange.unneutralise(value) if spreadsheet else value
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _read(name: str, data: bytes, report: ImportReport) -> list[Row]:
    try:
        table = exchange.read_table(name, data)
    except exchange.UnreadableFile as exc:
        report.problems.append(Problem(name, None, "", str(exc)))
        return []
    except LimitExceeded as exc:
        report.problems.append(Problem(name, None, "", str(exc)))
        raise FileRejected(report, exc.status) from None
    named = [h for h in table.headers if h]
    mapping, unknown = registry.resolve_columns(KIND, named)
    before = len(report.problems)
    known = ", ".join(c.name for c in KIND.all_columns)
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
        written.setdefault("lon", "lon")
        written.setdefault("lat", "lat")
    for column in REQUIRED:
        if column not in written:
            report.problems.append(
                Problem(name, 1, column, _("missing column %(column)s") % {"column": column})
            )
    if len(report.problems) > before:
        return []
    rows = []
    headers = table.headers
    for number, cells, point in table.rows:
        data: dict = {}
        cells = list(cells) + [None] * (len(headers) - len(cells))
        for index, value in enumerate(cells):
            header = headers[index] if index < len(headers) else ""
            if not header:
                if not exchange.is_blank(value):
                    column = _("column %(number)s") % {"number": index + 1}
                    report.problems.append(
                        Problem(name, number, column, _("a value in a column without a header"))
                    )
                continue
            data[mapping[header]] = _cell(value, table.spreadsheet)
        if point is not None:
            data["lon"], data["lat"] = point
        rows.append(Row(name, number, data, written))
    return rows


def _match(rows: list[Row], user, report: ImportReport) -> None:
    """Duplicate (source, external id) pairs in the import, and the station each names (one query)."""
    first: dict[tuple[str, str], Row] = {}
    for row in rows:
        key = (str(row.data.get("source") or "").strip(), str(row.data.get("external_id") or "").strip())
        if not key[0] or not key[1]:
            continue
        if key in first:
            other = first[key]
            message = _("external id %(key)s is also on row %(row)s") % {"key": key[1], "row": other.number}
            report.problems.append(Problem(row.file, row.number, row.written["external_id"], message))
            continue
        first[key] = row
    if not first:
        return
    existing = {}
    ids = sorted({k[1] for k in first})
    for start in range(0, len(ids), 500):
        qs = Station.objects.filter(external_id__in=ids[start : start + 500]).select_related("source", "area")
        for s in qs:
            existing[(s.source.code, s.external_id)] = s
    changeable = None
    if user is not None and existing:
        pks = [s.pk for s in existing.values()]
        changeable = set(
            Station.objects.restrict(user, "change").filter(pk__in=pks).values_list("pk", flat=True)
        )
    for key, row in first.items():
        obj = existing.get(key)
        if obj is None:
            continue
        if changeable is not None and obj.pk not in changeable:
            message = _("external id %(key)s belongs to a record outside your jurisdiction") % {"key": key[1]}
            report.problems.append(Problem(row.file, row.number, row.written["external_id"], message))
            continue
        row.instance = obj


def _clean(row: Row, ctx: actions.Context, report: ImportReport) -> None:
    data = {}
    for column in KIND.all_columns:
        if column.name not in row.data:
            continue
        value = row.data[column.name]
        if column.name in ("lon", "lat", "area_code"):
            data[column.name] = None if exchange.is_blank(value) else value
        elif not exchange.is_blank(value):
            data[column.name] = value
        elif column.required:
            data[column.name] = ""
        elif column.default is not None:
            data[column.name] = column.default() if callable(column.default) else column.default
        else:
            data[column.name] = ""
    fields, problems = actions.clean_station(
        data, ctx, partial=row.instance is not None, instance=row.instance
    )
    for problem in problems:
        column = row.written.get(problem.column, problem.column)
        report.problems.append(Problem(row.file, row.number, column, problem.message))
    if problems:
        return
    old = row.instance.location if row.instance is not None else None
    new = fields.get("location")
    if (
        old is not None
        and new is not None
        and abs(new.x - old.x) <= SAME_POINT_DEG
        and abs(new.y - old.y) <= SAME_POINT_DEG
    ):
        fields.pop("location")
        fields.pop("input_crs", None)
        if fields.get("area") is not None and fields["area"].pk == row.instance.area_id:
            fields.pop("area")
    row.fields = fields


def run_import(sources, *, user, crs, dry_run: bool, report: ImportReport) -> ImportReport:
    try:
        crs = crs if isinstance(crs, crslib.CRS) else crslib.parse_crs(crs)
    except ValueError as exc:
        report.problems.append(Problem("--crs", None, "", str(exc)))
        raise ImportFailed(report) from None
    rows: list[Row] = []
    for name, data in sources:
        rows.extend(_read(name, data, report))
    if report.problems:
        raise ImportFailed(report)
    if not rows:
        report.problems.append(
            Problem(", ".join(n for n, _d in sources), None, "", _("no records in the file"))
        )
        raise ImportFailed(report)
    ctx = actions.Context.operator(crs) if user is None else actions.Context.for_user(user, crs)
    _match(rows, user, report)
    for row in rows:
        _clean(row, ctx, report)
    if report.problems:
        raise ImportFailed(report)
    actor = current_actor()
    with (
        acting_as(user if user is not None else actor.user, actor.source, actor.request_id or None),
        transaction.atomic(),
    ):
        try:
            results = actions.save_stations([(row.fields, row.instance) for row in rows])
        except registry.RecordConflict as exc:
            report.problems.append(Problem(rows[0].file, None, "external_id", str(exc)))
            raise ImportFailed(report) from None
        for _obj, outcome in results:
            setattr(report, outcome, getattr(report, outcome) + 1)
        if dry_run:
            transaction.set_rollback(True)
    return report


@register
class StationImporter(Importer):
    """``citywatch import stations FILE…``"""

    kind = "stations"
    help = "stations: .csv, .xlsx, .geojson"
    extensions = EXTENSIONS

    def add_arguments(self, parser):
        parser.add_argument(
            "--crs", default="wgs84", help="coordinate system of lon/lat: wgs84, gcj02 or bd09"
        )
        parser.add_argument("--user", metavar="USERNAME", default=None, help="import as this user")

    def run(self, paths, *, dry_run=False, crs="wgs84", user=None, **options) -> ImportReport:
        acting = None
        if user:
            acting = User.objects.filter(username=user, is_active=True).select_related("jurisdiction").first()
            if acting is None:
                report = ImportReport(kind=self.kind, dry_run=dry_run)
                report.problems.append(
                    Problem("--user", None, "", _("no active user %(user)s") % {"user": repr(user)})
                )
                raise ImportFailed(report)
        try:
            return import_files(list(paths), user=acting, crs=crs, dry_run=dry_run)
        except PermissionDenied as exc:
            report = ImportReport(kind=self.kind, dry_run=dry_run)
            report.problems.append(Problem("--user", None, "", f"{user}: {exc}"))
            raise ImportFailed(report) from None


def export_stations(user, fmt: str, queryset=None) -> tuple[bytes, str, str]:
    """The stations ``user`` may view (``None``: all) as (bytes, content type, file name)."""
    from django.utils import timezone

    if fmt not in ("csv", "xlsx", "geojson"):
        raise ValueError(f"unknown export format {fmt!r}")
    qs = queryset if queryset is not None else Station.objects.all()
    if user is not None:
        qs = qs.restrict(user, "view")
    objects = list(qs.select_related("area", "source").order_by("pk"))
    writer = {"csv": exchange.write_csv, "xlsx": exchange.write_xlsx, "geojson": exchange.write_geojson}[fmt]
    content_type, extension = exchange.FORMATS[fmt]
    stamp = timezone.localtime().strftime("%Y%m%d")
    return writer(KIND, objects), content_type, f"stations-{stamp}.{extension}"
