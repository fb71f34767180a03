# No `from __future__ import annotations`: ninja must see the real parameter types.
"""Bulk import and export of resources through the API, on the resources router:

* ``POST /api/v1/resources/<kind>/import`` — multipart: ``file`` (.csv, .xlsx, .geojson, .gpkg), ``crs``
  (wgs84 | gcj02 | bd09), ``dry_run``. Needs the add and change permissions of the kind; rows must lie in
  the caller's jurisdiction. Answers the report (created / updated / unchanged), or 413 (too large),
  415 (wrong type), 422 with ``details: [{row, column, message}]`` (nothing was written).
* ``GET /api/v1/resources/<kind>/export?format=csv|xlsx|geojson|gpkg`` — an attachment holding what the
  caller may see.
"""

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form
from ninja.files import UploadedFile

from citywatch.core.actions import ActionError
from citywatch.core.importing import ImportFailed
from citywatch.resources import exchange, importers
from citywatch.resources.api import _need, router
from citywatch.resources.kinds import KINDS, Kind


class ImportRefused(ActionError):
    def __init__(self, message: str, status: int, code: str, details):
        super().__init__(message)
        self.status, self.code, self.details = status, code, details


CODES = {413: "too_large", 415: "unsupported_media_type", 422: "validation_error"}


def _refuse(exc: ImportFailed):
    status = getattr(exc, "status", 422)
    problems = exc.report.problems
    message = (
        problems[0].message
        if status != 422 and problems
        else _("%(count)s problem(s) in the file; nothing was written") % {"count": len(problems)}
    )
    raise ImportRefused(message, status, CODES[status], importers.problems_json(exc.report)) from None


def _register(kind: Kind):
    slug = kind.slug
    name = slug.replace("-", "_")

    @router.post(
        f"/resources/{slug}/import",
        response=dict[str, Any],
        operation_id=f"import_{name}",
        summary=f"Import {slug} from a file",
    )
    def import_records(
        request: HttpRequest,
        file: File[UploadedFile],
        crs: Form[Literal["wgs84", "gcj02", "bd09"]] = "wgs84",
        dry_run: Form[bool] = False,
    ):
        """Every row is checked first; any problem and nothing is written (422 lists them)."""
        _need(request.user, kind.model, "add")
        _need(request.user, kind.model, "change")
        try:
            report = importers.import_upload(slug, file, user=request.user, crs=crs, dry_run=dry_run)
        except ImportFailed as exc:
            _refuse(exc)
        return importers.report_json(report)

    @router.get(
        f"/resources/{slug}/export", operation_id=f"export_{name}", summary=f"Export {slug} as a file"
    )
    def export_records(request: HttpRequest, format: Literal["csv", "xlsx", "geojson", "gpkg"] = "csv"):
        """The records the caller may see, as a download."""
        _need(request.user, kind.model, "view")
        data, content_type, filename = exchange.export_records(slug, request.user, format)
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


for _kind in KINDS.values():
    _register(_kind)
