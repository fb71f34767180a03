"""Bulk import: a registry of importers by kind, and the report every import returns.

``citywatch import <kind> FILE…`` looks the kind up here; each app registers its importers in its own
``importers.py``. An import validates every row first and writes all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from citywatch.core.limits import size_text


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
