"""Official warnings in as CAP 1.2: ``POST /api/v1/warnings/cap`` with the document as the body."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status

from citywatch.core import access
from citywatch.core.errors import ActionError, TooLarge
from citywatch.warnings.actions.importing import import_alert
from citywatch.warnings.api.schemas import CapImportOut
from citywatch.warnings.api.warnings import with_current
from citywatch.warnings.models import Warning

router = Router(tags=["warnings"])
XML_TYPES = ("application/cap+xml", "application/xml", "text/xml")
BODY = {
    "requestBody": {
        "required": True,
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in XML_TYPES},
    }
}


@router.post(
    "/warnings/cap",
    response={200: CapImportOut, 201: CapImportOut},
    summary="Import an official warning as CAP 1.2",
    openapi_extra=BODY,
)
def import_cap(request: HttpRequest):
    """The body is one CAP 1.2 document (``Content-Type: application/cap+xml``). An Alert becomes an
    official warning (201); an Update or Cancel becomes the next version of the warning it references;
    an alert already held answers 200 with ``created: false``. A document that is not CAP 1.2, has a DTD or
    entities, fails the schema or a rule of the standard, or references an alert not held answers 422
    with every failed rule in ``details`` — and nothing is stored."""
    access.require(request.user, Warning, "add")
    kind = request.content_type or ""
    if kind not in XML_TYPES:
        raise ActionError(
            _("send the CAP document as the body with Content-Type %(types)s")
            % {"types": ", ".join(XML_TYPES)},
            status=415,
            code="unsupported_media_type",
        )
    if len(request.body) > settings.CITYWATCH_CAP_MAX_BYTES:
        raise TooLarge(
            _("the document is larger than %(limit)s bytes") % {"limit": settings.CITYWATCH_CAP_MAX_BYTES}
        )
    result = import_alert(request.user, request.body)
    result.warning = with_current([result.warning])[0]
    return Status(201 if result.created else 200, result)
