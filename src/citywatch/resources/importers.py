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

from django.utils.translation import gettext as _

from citywatch.core.importing import (
    SAME_POINT_DEG,
    FileRejected,
    ImportReport,
    TableImport,
    TableImporter,
    problems_json,
    register,
)
from citywatch.core.models import AdminArea
from citywatch.geo import crs as crslib
from citywatch.resources import actions, exchange
from citywatch.resources.kinds import KINDS, CellError, Kind, get_kind

__all__ = ["SAME_POINT_DEG", "FileRejected", "import_file", "import_files", "import_upload", "problems_json"]

EXTENSIONS = (".csv", ".xlsx", ".geojson", ".json", ".gpkg")


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
    return ResourceImport(get_kind(kind_slug)).upload(upload, user=user, crs=crs, dry_run=dry_run)


def import_files(kind_slug: str, paths, *, user, crs: str = "wgs84", dry_run: bool = False) -> ImportReport:
    return ResourceImport(get_kind(kind_slug)).files(paths, user=user, crs=crs, dry_run=dry_run)


def run_import(
    kind: Kind, sources: list[tuple[str, bytes]], *, user, crs, dry_run: bool, report: ImportReport
) -> ImportReport:
    """Read, check and (if every row is valid) write ``sources`` [(file name, bytes)]."""
    return ResourceImport(kind).run(sources, user=user, crs=crs, dry_run=dry_run, report=report)


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


# --- The import -----------------------------------------------------------------------------------


class ResourceImport(TableImport):
    """One import of a kind of the kinds table (``core.importing.TableImport``); written in bulk by
    ``actions.save_resources``."""

    extensions = EXTENSIONS
    conflict = actions.RecordConflict

    def __init__(self, kind: Kind):
        self.kind = kind
        self.slug = kind.slug
        self.model = kind.model
        self.key_column = "external_id" if kind.located else "code"
        self.checked = _with_cached_refs(kind)

    def read_table(self, name, data):
        return exchange.read_table(name, data)

    def required(self):
        kind = self.kind
        required = [c.name for c in kind.all_columns if c.required]
        if kind.located:
            required.append("area_code")
            if kind.location_required:
                required += ["lon", "lat"]
        return required

    def context(self, user, crs):
        return operator_context(crs) if user is None else actions.Context.for_user(user, crs)

    def clean(self, data, ctx, *, partial, instance):
        return actions.clean_record(self.checked, data, ctx, partial=partial, instance=instance)

    def required_problem(self, column):
        return actions.RecordProblem(column, _("is required"))

    def existing(self, keys):
        kind, key_column = self.kind, self.key_column
        related = (["area"] if kind.located else []) + [c.field for c in kind.columns if c.ref is not None]
        existing = {}
        for start in range(0, len(keys), 500):
            qs = kind.model.objects.filter(**{f"{key_column}__in": keys[start : start + 500]})
            for obj in qs.select_related(*related) if related else qs:
                existing[getattr(obj, key_column)] = obj
        return existing

    def save(self, writes):
        return actions.save_resources(self.kind, writes)

    def duplicate_message(self, same_file):
        if self.kind.located:
            return super().duplicate_message(same_file)
        return (
            _("code %(key)s is also on row %(row)s")
            if same_file
            else _("code %(key)s is also on row %(row)s of %(file)s")
        )

    def outside_message(self):
        if self.kind.located:
            return super().outside_message()
        return _("code %(key)s belongs to a record outside your jurisdiction")


# --- The command line -----------------------------------------------------------------------------


class ResourceImporter(TableImporter):
    """``citywatch import <kind> FILE…``; one subclass per kind (the registry is keyed by ``kind``)."""

    extensions = EXTENSIONS

    def importer(self) -> ResourceImport:
        return ResourceImport(get_kind(self.kind))


def _importer_for(kind: Kind) -> type[ResourceImporter]:
    name = f"{kind.model.__name__}Importer"
    help_text = f"{kind.slug}: .csv, .xlsx, .geojson, .gpkg"
    return type(name, (ResourceImporter,), {"kind": kind.slug, "help": help_text, "__module__": __name__})


for _kind in KINDS.values():
    register(_importer_for(_kind))
