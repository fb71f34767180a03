"""The 4xx family every app raises, and the one error body every API failure answers.

An action, a query or an access check raises one of these; the API turns it into
``{"error": {"code", "message", "details"}}`` with the class's status, and pages turn ``NotFound`` and
``Forbidden`` into the 404 and 403 pages (they are also Django's ``Http404`` and ``PermissionDenied``).
Apps subclass them for their own codes; they never define a parallel hierarchy. The message is shown to
the user as it is: write it in the request's language (``gettext``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _

STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",
}


class ActionError(Exception):
    """A request that cannot be carried out as asked; the message is safe to show."""

    code = "invalid"
    status = 400

    def __init__(
        self, message: str = "", details=None, *, status: int | None = None, code: str | None = None
    ):
        super().__init__(message)
        if details is not None:
            self.details = details
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    details = None


class Invalid(ActionError):
    """Input that cannot be accepted (answers 422 like a schema error)."""

    status = 422
    code = "validation_error"


def invalid_record(problems) -> Invalid:
    """422 naming every problem of a record (each with ``column`` and ``message``), the details listing
    them: what a registry's write routes answer to a body that does not check."""
    return Invalid(
        _("The record is not valid: %(problems)s")
        % {"problems": "; ".join(f"{p.column}: {p.message}" for p in problems)},
        [{"column": p.column, "message": p.message} for p in problems],
    )


class NotFound(ActionError, Http404):
    """Not there, or outside the user's jurisdiction: the two are never told apart."""

    status = 404
    code = "not_found"


class Forbidden(ActionError, PermissionDenied):
    """Visible to the user, but their role may not do this."""

    status = 403
    code = "forbidden"


class Conflict(ActionError):
    """The object's state does not allow it (an illegal transition, a stale version, a booked resource)."""

    status = 409
    code = "conflict"


class TooLarge(ActionError):
    status = 413
    code = "too_large"


class Unavailable(ActionError):
    """Try again later (the database is busy): answers 503 with ``Retry-After``."""

    status = 503
    code = "unavailable"
    retry_after = 5


def error_body(status: int, message: str, code: str | None = None, details=None) -> dict:
    return {
        "error": {"code": code or STATUS_CODES.get(status, "error"), "message": message, "details": details}
    }


def error_response(status: int, message: str, code: str | None = None, details=None) -> JsonResponse:
    response = JsonResponse(error_body(status, message, code, details), status=status)
    response["Cache-Control"] = "no-store"
    return response


def json_safe(value):
    """``value`` with anything JSON cannot hold turned into text (validation details carry exceptions)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
