# No `from __future__ import annotations`: ninja must see the real parameter types.
"""Bulk import and export of resources through the API:

* ``POST /api/v1/resources/<kind>/import`` — multipart: ``file`` (.csv, .xlsx, .geojson, .gpkg), ``crs``
  (wgs84 | gcj02 | bd09), ``dry_run``. Needs the add and change permissions of the kind; rows must lie in
  the caller's jurisdiction. Answers the report (created / updated / unchanged), or 413 (too large),
  415 (wrong type), 422 with ``details: [{row, column, message}]`` (nothing was written).
* ``GET /api/v1/resources/<kind>/export?format=csv|xlsx|geojson|gpkg`` — an attachment holding what the
  caller may see (the document declares the four content types).
"""

from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import File, Form
from ninja.files import UploadedFile

from citywatch.core import access, importing
from citywatch.core.importing import ImportFailed
from citywatch.resources import exchange, importers
from citywatch.resources.api.router import router
from citywatch.resources.api.schemas import ImportReportOut
from citywatch.resources.kinds import KINDS, Kind

# The export's content types, as the OpenAPI document declares them.
EXPORT_CONTENT = {
    content_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
    for content_type, _extension in exchange.FORMATS.values()
}


def _register(kind: Kind):
    slug = kind.slug
    name = slug.replace("-", "_")

    @router.post(
        f"/resources/{slug}/import",
        response=ImportReportOut,
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
        try:
            return importers.import_upload(slug, file, user=request.user, crs=crs, dry_run=dry_run)
        except ImportFailed as exc:
            raise importing.refusal(exc) from None

    @router.get(
        f"/resources/{slug}/export",
        response={200: None},
        operation_id=f"export_{name}",
        summary=f"Export {slug} as a file",
        openapi_extra={"responses": {200: {"description": "the file", "content": EXPORT_CONTENT}}},
    )
    def export_records(request: HttpRequest, format: Literal["csv", "xlsx", "geojson", "gpkg"] = "csv"):
        """The records the caller may see, as a download."""
        access.require(request.user, kind.model, "view")
        data, content_type, filename = exchange.export_records(slug, request.user, format)
        response = HttpResponse(data, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


for _kind in KINDS.values():
    _register(_kind)
